/**
 * `anoguard audit` against Debian's Lynis on the same machine, in the same run.
 *
 * 1. Wall time of a full local audit (target < 3 s): the CLI as shipped (an esbuild bundle of the
 *    sources, run by node) and the library call alone, median of BENCH_AUDIT_RUNS (default 3).
 * 2. Seeded misconfigurations: a private mount + network namespace (`unshare -m -n`) where a bad
 *    sshd_config is bind-mounted over /etc/ssh/sshd_config, a policy-accept nft ruleset is loaded
 *    and a world-readable factomd.conf without RPC auth is offered; both tools audit that, and we
 *    record which seeded problem each one reports. Nothing outside the namespaces changes.
 *    `lynis audit system --quick --no-colors --quiet` runs there as root, with its log and report
 *    redirected to the temp dir; its wall time is the Lynis figure.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** Runs inside `unshare -m -n`: $1 temp dir, $2 CLI bundle. A constant script; paths come as arguments. */
const NS_SCRIPT = `set -e
ip link set lo up
mount --make-rprivate /
mount --bind "$1/sshd_config" /etc/ssh/sshd_config
mount --bind "$1/empty" /etc/ssh/sshd_config.d
nft -f "$1/ruleset.nft"
t0=$(date +%s%N)
lynis audit system --quick --no-colors --quiet --log-file "$1/lynis.log" --report-file "$1/lynis-report.dat" >/dev/null 2>&1 || true
t1=$(date +%s%N)
node "$2" audit --role authority --json --factomd-conf "$1/factomd.conf" >"$1/anoguard.json" 2>"$1/anoguard.err" || true
t2=$(date +%s%N)
echo "lynis_ms=$(( (t1 - t0) / 1000000 )) anoguard_ms=$(( (t2 - t1) / 1000000 ))"
`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-audit-'));
  try {
    const bundle = join(dir, 'anoguard.mjs');
    await build({
      entryPoints: [join(ROOT, 'src/cli/main.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20',
      packages: 'external', outfile: bundle, logLevel: 'error',
    });
    // The bundle resolves packages from the project's node_modules.
    const cliBundle = join(ROOT, 'node_modules', '.bench-audit-anoguard.mjs');
    writeFileSync(cliBundle, readFileSync(bundle));

    const cli: number[] = [];
    const lib: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      const r = spawnSync(process.execPath, [cliBundle, 'audit', '--role', 'authority', '--json'], { encoding: 'utf8', timeout: 60_000 });
      cli.push(performance.now() - t);
      if (!r.stdout.startsWith('{')) throw new Error(`CLI audit failed: ${r.stderr}`);
      t = performance.now();
      const runner = createLocalRunner();
      await auditHost(runner, { role: 'authority' });
      lib.push(performance.now() - t);
    }

    console.log(`full local audit, median of ${RUNS}: CLI ${Math.round(median(cli))} ms, library ${Math.round(median(lib))} ms (target < 3000 ms); runs ${cli.map(Math.round).join('/')} and ${lib.map(Math.round).join('/')}`);

    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'sshd_config'), SSHD);
    writeFileSync(join(dir, 'ruleset.nft'), NFT);
    writeFileSync(join(dir, 'factomd.conf'), FACTOMD);
    chmodSync(join(dir, 'factomd.conf'), 0o644);
    console.log('seeded namespace: running lynis audit system --quick, then anoguard audit …');
    const ns = spawnSync('unshare', ['-m', '-n', 'sh', '-c', NS_SCRIPT, 'sh', dir, cliBundle], { encoding: 'utf8', timeout: LYNIS_TIMEOUT_MS });
    rmSync(cliBundle, { force: true });
    const times = /lynis_ms=(\d+) anoguard_ms=(\d+)/.exec(ns.stdout);
    if (!times) throw new Error(`namespace run failed (${ns.error?.message ?? `exit ${ns.status}`}): ${ns.stderr}`);
    const ours = JSON.parse(readFileSync(join(dir, 'anoguard.json'), 'utf8')) as AuditReport;
    const lynisReport = readFileSync(join(dir, 'lynis-report.dat'), 'utf8');
    const hardening = /^hardening_index=(\d+)/m.exec(lynisReport)?.[1];

    const rows = SEEDS.map((s) => ({ seed: s.id, what: s.what, anoguard: s.ours(ours), lynis: s.lynis(lynisReport) }));
    const result = {
      date: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
      runs: RUNS,
      localAuditMs: { cliMedian: Math.round(median(cli)), libraryMedian: Math.round(median(lib)), cli: cli.map(Math.round), library: lib.map(Math.round) },
      seeded: { anoguardMs: Number(times[2]), lynisMs: Number(times[1]), anoguardScore: ours.score, lynisHardeningIndex: hardening ? Number(hardening) : null, rows },
    };
    if (process.env.BENCH_RESULTS_DIR) writeFileSync(join(process.env.BENCH_RESULTS_DIR, 'audit.json'), `${JSON.stringify(result, null, 2)}\n`);

    console.log(`seeded namespace: anoguard ${result.seeded.anoguardMs} ms vs lynis --quick ${result.seeded.lynisMs} ms (ratio ${(result.seeded.lynisMs / Math.max(1, result.seeded.anoguardMs)).toFixed(1)}×)`);
    console.table(rows.map((r) => ({ seed: r.what, anoguard: r.anoguard ? 'reported' : '-', lynis: r.lynis ? 'reported' : '-' })));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
