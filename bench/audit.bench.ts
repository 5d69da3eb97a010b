/**
 * `anoguard audit` against Debian's Lynis on the same machine, in the same run.
 *
 * 1. Wall time of a full local audit (target < 3 s): the CLI as shipped (`dist/`: one ES module
 *    per source file, so only the audit's imports load; here transpiled with esbuild into a temp
 *    tree under node_modules so packages resolve), the library call alone, and `anoguard audit --list-checks
 *    --json` as the CLI's start-up floor (node + the audit command group, no host commands); median of BENCH_AUDIT_RUNS (default 3).
 * 2. Seeded misconfigurations: a private mount, network and PID namespace
 *    (`unshare -m -n -p -f --kill-child --mount-proc`) where a bad sshd_config is bind-mounted over
 *    /etc/ssh/sshd_config, a **real sshd runs with it** (Lynis runs its SSH tests only when an sshd
 *    process is running), a policy-accept nft ruleset is loaded and a world-readable factomd.conf
 *    without RPC auth is offered; both tools audit that, and we record which seeded problem each one
 *    reports. Nothing outside the namespaces changes, and the PID namespace guarantees sshd dies
 *    with the run (also on timeout). `lynis audit system --quick --no-colors --quiet` runs there as
 *    root, with its log and report redirected to the temp dir; its wall time is the Lynis figure.
 *    BENCH_AUDIT_SKIP_LYNIS=1 runs only part 1.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { auditHost } from '../src/audit/audit.js';
import { createLocalRunner } from '../src/audit/runner.js';
import type { AuditReport } from '../src/audit/types.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_AUDIT_RUNS ?? 3);
/** Lynis --quick takes minutes (longer on a loaded machine): it scans certificates, packages, files. */
const LYNIS_TIMEOUT_MS = Number(process.env.BENCH_AUDIT_LYNIS_TIMEOUT_MS ?? 40 * 60_000);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Seed { id: string; what: string; ours: (r: AuditReport) => boolean; lynis: (report: string) => boolean }

const failed = (r: AuditReport, id: string): boolean => r.results.some((x) => x.id === id && x.status === 'fail');
/** Lynis lists findings as `warning[]=ID|text|details|` and `suggestion[]=ID|text|details|` in its report file. */
const lynisSays = (report: string, re: RegExp): boolean => report.split('\n').some((l) => /^(warning|suggestion)\[\]=/.test(l) && re.test(l));

const SEEDS: Seed[] = [
  { id: 'ssh-password', what: 'sshd PasswordAuthentication yes', ours: (r) => failed(r, 'ANO-SSH-002'), lynis: (t) => lynisSays(t, /PasswordAuthentication/i) },
  { id: 'ssh-root', what: 'sshd PermitRootLogin yes', ours: (r) => failed(r, 'ANO-SSH-003'), lynis: (t) => lynisSays(t, /PermitRootLogin/i) },
  { id: 'ssh-port-22', what: 'sshd on port 22', ours: (r) => failed(r, 'ANO-SSH-001'), lynis: (t) => lynisSays(t, /SSH-7408.*\bPort\b/i) },
  { id: 'ssh-maxauthtries', what: 'sshd MaxAuthTries 6', ours: (r) => failed(r, 'ANO-SSH-009'), lynis: (t) => lynisSays(t, /MaxAuthTries/i) },
  { id: 'ssh-forwarding', what: 'sshd X11/TCP forwarding on', ours: (r) => failed(r, 'ANO-SSH-014'), lynis: (t) => lynisSays(t, /X11Forwarding|AllowTcpForwarding/i) },
  { id: 'ssh-no-allowusers', what: 'no AllowUsers/AllowGroups', ours: (r) => failed(r, 'ANO-SSH-004'), lynis: (t) => lynisSays(t, /SSH-7440|AllowUsers|AllowGroups/i) },
  { id: 'ssh-weak-crypto', what: 'sshd allows aes128-cbc, hmac-sha1, dh-group14-sha1', ours: (r) => failed(r, 'ANO-SSH-006') || failed(r, 'ANO-SSH-007') || failed(r, 'ANO-SSH-008'), lynis: (t) => lynisSays(t, /Ciphers|KexAlgorithms|MACs|cbc|sha1/i) },
  { id: 'nft-accept', what: 'nft input policy accept', ours: (r) => failed(r, 'ANO-FW-001'), lynis: (t) => lynisSays(t, /FIRE-/) },
  { id: 'api-open', what: 'API 8088 / control panel 8090 accepted from anywhere', ours: (r) => failed(r, 'ANO-FW-003'), lynis: (t) => lynisSays(t, /8088|8090/) },
  { id: 'factomd-no-auth', what: 'factomd.conf without RPC user, TLS off, control panel readwrite', ours: (r) => failed(r, 'ANO-FCONF-002') && failed(r, 'ANO-FCONF-003') && failed(r, 'ANO-FCONF-004'), lynis: (t) => lynisSays(t, /factom/i) },
  { id: 'factomd-mode', what: 'factomd.conf mode 0644', ours: (r) => failed(r, 'ANO-FCONF-007'), lynis: (t) => lynisSays(t, /factom/i) },
];

const SSHD = `Port 22
PermitRootLogin yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
MaxAuthTries 6
X11Forwarding yes
AllowTcpForwarding yes
Ciphers aes128-cbc,aes256-ctr
KexAlgorithms diffie-hellman-group14-sha1,curve25519-sha256
MACs hmac-sha1,hmac-sha2-256
UsePAM yes
Subsystem sftp /usr/lib/openssh/sftp-server
`;
const NFT = `table inet benchaudit {
\tchain input {
\t\ttype filter hook input priority filter; policy accept;
\t\tct state established,related accept
\t\ttcp dport { 22, 8088, 8090, 8108 } accept
\t}
}
`;
const FACTOMD = `[app]
Network = MAIN
ControlPanelSetting = readwrite
FactomdTlsEnabled = false
IdentityChainID = 888888d027c59579fc47a6fc6c4a5c0409c7c39bc38a86cb5fc0069978493762
LocalServerPrivKey = 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
`;

/**
 * Runs inside the namespaces: $1 temp dir, $2 CLI entry, $3 Lynis groups (may be empty). A constant
 * script; paths and groups come as arguments.
 * sshd must be up (listening) before Lynis starts, or Lynis skips its SSH tests as before.
 */
const NS_SCRIPT = `set -e
ip link set lo up
mount --make-rprivate /
mount --bind "$1/sshd_config" /etc/ssh/sshd_config
mount --bind "$1/empty" /etc/ssh/sshd_config.d
nft -f "$1/ruleset.nft"
/usr/sbin/sshd -D -E "$1/sshd.log" &
sshd_pid=$!
i=0
until ss -Hltn 'sport = :22' | grep -q LISTEN; do
  i=$((i + 1)); [ $i -le 100 ] || { echo "sshd did not start" >&2; exit 1; }; sleep 0.1
done
echo "sshd_running=$(pgrep -xc sshd)"
t0=$(date +%s%N)
if [ -n "$3" ]; then set -- "$1" "$2" --tests-from-group "$3"; else set -- "$1" "$2"; fi
dir=$1 entry=$2
shift 2
lynis audit system --quick --no-colors --quiet --log-file "$dir/lynis.log" --report-file "$dir/lynis-report.dat" "$@" >/dev/null 2>&1 || true
t1=$(date +%s%N)
node "$entry" audit --role authority --json --factomd-conf "$dir/factomd.conf" >"$dir/anoguard.json" 2>"$dir/anoguard.err" || true
t2=$(date +%s%N)
kill "$sshd_pid"
echo "lynis_ms=$(( (t1 - t0) / 1000000 )) anoguard_ms=$(( (t2 - t1) / 1000000 ))"
`;

const SKIP_LYNIS = process.env.BENCH_AUDIT_SKIP_LYNIS === '1';
/**
 * Lynis test groups to run (`--tests-from-group`, e.g. "ssh firewalls"): the groups the seeded
 * problems belong to, when a full `--quick` run (14 min idle-ish, over 40 min at load 20) does
 * not fit. Empty: the full run.
 */
const LYNIS_GROUPS = process.env.BENCH_AUDIT_LYNIS_GROUPS ?? '';
/** Only the seeded part (the local wall times were measured in an earlier run). */
const SEEDED_ONLY = process.env.BENCH_AUDIT_SEEDED_ONLY === '1';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-audit-'));
  try {
    // The shipped layout (tsc's dist/): one module per file, lazy command groups stay lazy.
    const dist = join(ROOT, 'node_modules', `.bench-audit-dist-${process.pid}`);
    await build({
      entryPoints: sourceFiles(join(ROOT, 'src')), outbase: join(ROOT, 'src'), outdir: dist, bundle: false,
      platform: 'node', format: 'esm', target: 'node20', logLevel: 'error',
    });
    const cliEntry = join(dist, 'cli', 'main.js');

    const cli: number[] = [];
    const lib: number[] = [];
    const startup: number[] = [];
    const env = { ...process.env, ANOGUARD_CLI_MAIN: '1' };
    try {
      if (SEEDED_ONLY) {
        await seeded(dir, cliEntry, env, { date: new Date().toISOString(), machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}` });
        return;
      }
      for (let i = 0; i < RUNS; i++) {
        let t = performance.now();
        const v = spawnSync(process.execPath, [cliEntry, 'audit', '--list-checks', '--json'], { encoding: 'utf8', timeout: 60_000, env });
        startup.push(performance.now() - t);
        if (v.status !== 0) throw new Error(`CLI --list-checks failed: ${v.stderr}`);
        t = performance.now();
        const r = spawnSync(process.execPath, [cliEntry, 'audit', '--role', 'authority', '--json'], { encoding: 'utf8', timeout: 60_000, env });
        cli.push(performance.now() - t);
        if (!r.stdout.startsWith('{')) throw new Error(`CLI audit failed: ${r.stderr}`);
        t = performance.now();
        const runner = createLocalRunner();
        await auditHost(runner, { role: 'authority' });
        lib.push(performance.now() - t);
      }

      console.log(`full local audit, median of ${RUNS}: CLI ${Math.round(median(cli))} ms, library ${Math.round(median(lib))} ms (target < 3000 ms), CLI start-up (audit --list-checks) ${Math.round(median(startup))} ms; runs ${cli.map(Math.round).join('/')}, ${lib.map(Math.round).join('/')}, ${startup.map(Math.round).join('/')}`);
      const localAuditMs = {
        cliMedian: Math.round(median(cli)), libraryMedian: Math.round(median(lib)), startupMedian: Math.round(median(startup)),
        cli: cli.map(Math.round), library: lib.map(Math.round), startup: startup.map(Math.round),
      };
      const base = { date: new Date().toISOString(), machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`, runs: RUNS, localAuditMs };
      if (SKIP_LYNIS) {
        if (process.env.BENCH_RESULTS_DIR) writeFileSync(join(process.env.BENCH_RESULTS_DIR, 'audit.json'), `${JSON.stringify(base, null, 2)}\n`);
        return;
      }
      await seeded(dir, cliEntry, env, base);
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function seeded(dir: string, cliEntry: string, env: NodeJS.ProcessEnv, base: Record<string, unknown>): Promise<void> {
  mkdirSync(join(dir, 'empty'));
  writeFileSync(join(dir, 'sshd_config'), SSHD);
  writeFileSync(join(dir, 'ruleset.nft'), NFT);
  writeFileSync(join(dir, 'factomd.conf'), FACTOMD);
  chmodSync(join(dir, 'factomd.conf'), 0o644);
  console.log('seeded namespace: starting sshd, running lynis audit system --quick, then anoguard audit …');
  const ns = spawnSync('unshare', ['-m', '-n', '-p', '-f', '--kill-child', '--mount-proc', 'sh', '-c', NS_SCRIPT, 'sh', dir, cliEntry, LYNIS_GROUPS],
    { encoding: 'utf8', timeout: LYNIS_TIMEOUT_MS, env });
  const times = /lynis_ms=(\d+) anoguard_ms=(\d+)/.exec(ns.stdout);
  if (!times) throw new Error(`namespace run failed (${ns.error?.message ?? `exit ${ns.status}`}): ${ns.stderr}`);
  const sshdRunning = Number(/sshd_running=(\d+)/.exec(ns.stdout)?.[1] ?? 0);
  const ours = JSON.parse(readFileSync(join(dir, 'anoguard.json'), 'utf8')) as AuditReport;
  const lynisReport = readFileSync(join(dir, 'lynis-report.dat'), 'utf8');
  const hardening = /^hardening_index=(\d+)/m.exec(lynisReport)?.[1];
  const lynisSsh = lynisReport.split('\n').filter((l) => /^(warning|suggestion)\[\]=SSH-/.test(l));

  const rows = SEEDS.map((s) => ({ seed: s.id, what: s.what, anoguard: s.ours(ours), lynis: s.lynis(lynisReport) }));
  const result = {
    ...base,
    seeded: {
      lynisGroups: LYNIS_GROUPS || 'all (--quick)', sshdRunning, anoguardMs: Number(times[2]), lynisMs: Number(times[1]), anoguardScore: ours.score,
      lynisHardeningIndex: hardening ? Number(hardening) : null, lynisSshFindings: lynisSsh, rows,
    },
  };
  if (process.env.BENCH_RESULTS_DIR) writeFileSync(join(process.env.BENCH_RESULTS_DIR, 'audit.json'), `${JSON.stringify(result, null, 2)}\n`);

  console.log(`seeded namespace (sshd processes running: ${sshdRunning}): anoguard ${result.seeded.anoguardMs} ms vs lynis --quick ${result.seeded.lynisMs} ms (ratio ${(result.seeded.lynisMs / Math.max(1, result.seeded.anoguardMs)).toFixed(1)}×)`);
  console.log(`Lynis SSH findings:\n  ${lynisSsh.join('\n  ') || '(none)'}`);
  console.table(rows.map((r) => ({ seed: r.what, anoguard: r.anoguard ? 'reported' : '-', lynis: r.lynis ? 'reported' : '-' })));
}

await main();
