import { randomBytes } from 'node:crypto';
import { AnoguardError, InputError } from '../errors.js';
import { createLogger } from '../log.js';
import { SECRETS_MARKER, factomdPaths } from '../render/factomd-conf.js';
import { renderHost, type RenderedFile } from '../render/render.js';
import { findHost } from '../topology/derive.js';
import type { Topology } from '../topology/schema.js';
import { unifiedDiff } from './diff.js';
import { connectRemote, type Remote, type RemoteTarget } from './remote.js';

/**
 * `anoguard apply HOST`: install a host's rendered files over SSH. Every file goes to a temp file in
 * its directory and is renamed over the old one. The firewall is loaded with a revert armed ON THE
 * HOST first (a detached `sleep N; nft -f previous`), and only a confirmation that arrives over a NEW
 * SSH connection disarms it: if the new rules lock the operator out, the reconnection fails and the
 * host restores the previous ruleset by itself. Secrets never leave the host: factomd.conf is
 * assembled there from the rendered part and the secret lines already on the host.
 */

const log = createLogger('apply');

export type Confirmer = (info: { host: string; revertAfterSec: number }) => Promise<boolean>;

export interface ApplyOptions {
  /** Connect here instead of the host's public (else private) address. */
  address?: string;
  /** Connect on this port instead of the topology's SSH port (first migration off port 22). */
  port?: number;
  /** Login user; default the host's first ssh user. */
  user?: string;
  privateKey?: string;
  agent?: string;
  /** Prefix every remote path (staging tree; tests). Default '' (the real root). */
  root?: string;
  /** Run remote commands through `sudo -n`. */
  sudo?: boolean;
  revertAfterSec?: number;
  /** `auto`: confirm as soon as a fresh SSH connection works; a function: ask; `never`: let it revert. */
  confirm?: 'auto' | 'never' | Confirmer;
  dryRun?: boolean;
  connectTimeoutMs?: number;
}

export type FirewallOutcome = 'unchanged' | 'dry-run' | 'confirmed' | 'not-confirmed';

export interface ApplyReport {
  host: string;
  target: string;
  changed: string[];
  unchanged: string[];
  firewall: FirewallOutcome;
  revertAfterSec?: number;
  diff: string;
}

const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

// Host-side scripts take their inputs as positional parameters (paths come from the schema's safe
// alphabet and are quoted anyway) and file contents as base64 lines on stdin. One script per step
// keeps the SSH round trips to a handful.

/** Prints one line per path: `-` when missing, else the base64 of the file. For factomd.conf, only up to the marker: the diff carries no secret. */
const READ_ALL = `set -eu
marker="$1"; conf="$2"; shift 2
for p; do
  if [ ! -f "$p" ]; then echo -
  elif [ "$p" = "$conf" ]; then sed "/^$marker\\$/q" "$p" | base64 -w0; echo
  else base64 -w0 < "$p"; echo
  fi
done`;

/**
 * Installs files given as (kind, path, mode) triples, contents as base64 lines on stdin, each into a
 * temp file in its directory and renamed. factomd.conf gets the secret lines of the live file (after
 * the marker) or, on first install, of the secrets file. The sshd drop-in is checked with sshd -t
 * and the previous one restored when refused.
 */
const INSTALL_ALL = `set -eu
umask 077
secrets="$1"; marker="$2"; sshdmain="$3"; shift 3
while [ $# -ge 3 ]; do
  kind="$1"; dst="$2"; mode="$3"; shift 3
  IFS= read -r line
  d=$(dirname "$dst"); mkdir -p "$d"
  t="$d/.$(basename "$dst").anoguard.$$"
  printf '%s' "$line" | base64 -d > "$t"
  if [ "$kind" = factomd-conf ]; then
    if [ -f "$dst" ] && grep -qxF "$marker" "$dst"; then
      sed "1,/^$marker\\$/d" "$dst" >> "$t"
    elif [ -f "$secrets" ]; then
      grep -E '^[[:space:]]*(IdentityChainID|LocalServerPrivKey|LocalServerPublicKey|FactomdRpcPass|ChangeAcksHeight)[[:space:]]*=' "$secrets" >> "$t" || true
    fi
  fi
  chmod "$mode" "$t"
  if [ "$kind" = sshd ]; then
    if [ -f "$dst" ]; then cp -p "$dst" "$dst.anoguard-bak"; else rm -f "$dst.anoguard-bak"; fi
    mv -f "$t" "$dst"
    if [ -f "$sshdmain" ] && ! sshd -t -f "$sshdmain"; then
      if [ -f "$dst.anoguard-bak" ]; then mv -f "$dst.anoguard-bak" "$dst"; else rm -f "$dst"; fi
      echo "sshd -t refused the new drop-in; previous file restored" >&2
      exit 3
    fi
    rm -f "$dst.anoguard-bak"
  else
    mv -f "$t" "$dst"
  fi
done`;

/** Saves the live ruleset, arms a detached revert, loads the new ruleset. */
const FW_ARM = `set -eu
umask 077
state="$1"; new="$2"; secs="$3"; id="$4"
mkdir -p "$state"
cat > "$new"
nft -c -f "$new"
# The revert file flushes and reloads in one nft transaction: no moment without a firewall.
{ echo 'flush ruleset'; nft list ruleset; } > "$state/nft-previous.nft"
printf '%s\\n' "$id" > "$state/revert-token"
rm -f "$state/last-revert"
nohup setsid sh -c 'sleep "$1"; if [ "$(cat "$2/revert-token" 2>/dev/null)" = "$3" ]; then nft -f "$2/nft-previous.nft"; rm -f "$2/revert-token"; echo "$3" > "$2/last-revert"; fi' anoguard-revert "$secs" "$state" "$id" </dev/null >/dev/null 2>&1 &
nft -f "$new"`;

/** Disarms the revert (only the one this apply armed) and persists the ruleset. */
const FW_CONFIRM = `set -eu
state="$1"; new="$2"; dst="$3"; id="$4"
if [ "$(cat "$state/revert-token" 2>/dev/null)" != "$id" ]; then echo "too late: the host already reverted" >&2; exit 4; fi
rm -f "$state/revert-token"
mkdir -p "$(dirname "$dst")"
chmod 600 "$new"
mv -f "$new" "$dst"`;

function command(script: string, args: string[], sudo: boolean): string {
  return `${sudo ? 'sudo -n ' : ''}sh -c ${sq(script)} anoguard-apply ${args.map(sq).join(' ')}`;
}

async function run(remote: Remote, script: string, args: string[], sudo: boolean, stdin?: string): Promise<string> {
  const r = await remote.exec(command(script, args, sudo), stdin);
  if (r.code !== 0) {
    throw new AnoguardError('E_APPLY', `remote step failed (exit ${r.code}): ${r.stderr.trim().split('\n').at(-1) ?? ''}`, { field: 'host' });
  }
  return r.stdout;
}

export async function applyHost(t: Topology, hostName: string, opts: ApplyOptions = {}): Promise<ApplyReport> {
  const host = findHost(t, hostName);
  if (!host) throw new InputError('E_NO_HOST', `no host "${hostName}" in the topology`, { field: 'HOST', exitCode: 2 });
  if (host.ssh.hostKey === undefined) {
    throw new InputError('E_NO_HOST_KEY', `host "${hostName}" has no pinned ssh.hostKey; add it (ssh-keyscan, checked out of band) before apply`, { field: 'ssh.hostKey' });
  }
  const root = (opts.root ?? '').replace(/\/+$/, '');
  if (root !== '' && !/^\/[A-Za-z0-9._/-]+$/.test(root)) throw new InputError('E_USAGE', 'must be an absolute path', { field: '--root', exitCode: 2 });
  const sudo = opts.sudo ?? false;
  const revertAfterSec = opts.revertAfterSec ?? 60;
  const target: RemoteTarget = {
    host: opts.address ?? host.publicAddress ?? host.privateAddress,
    port: opts.port ?? host.ssh.port,
    username: opts.user ?? host.ssh.users[0]!,
    hostKey: host.ssh.hostKey,
    timeoutMs: opts.connectTimeoutMs ?? 10_000,
    ...(opts.privateKey !== undefined ? { privateKey: opts.privateKey } : {}),
    ...(opts.agent !== undefined ? { agent: opts.agent } : {}),
  };
  const at = (p: string): string => `${root}${p}`;
  const state = at('/var/lib/anoguard/apply');
  const files = renderHost(t, host).filter((f): f is RenderedFile & { installPath: string } => f.installPath !== undefined);
  const confPath = factomdPaths(t).conf;

  const remote = await connectRemote(target);
  const report: ApplyReport = { host: host.name, target: `${target.username}@${target.host}:${target.port}`, changed: [], unchanged: [], firewall: 'unchanged', diff: '' };
  let firewall: (RenderedFile & { installPath: string }) | undefined;
  try {
    const currentB64 = (await run(remote, READ_ALL, [SECRETS_MARKER, at(confPath), ...files.map((f) => at(f.installPath))], sudo)).split('\n');
    files.forEach((f, i) => {
      const line = currentB64[i] ?? '-';
      const current = line === '-' ? '' : Buffer.from(line, 'base64').toString('utf8');
      const d = unifiedDiff(current, f.content, f.installPath);
      if (d === '') { report.unchanged.push(f.installPath); return; }
      report.changed.push(f.installPath);
      report.diff += d;
      if (f.kind === 'nftables') firewall = f;
    });
    if (opts.dryRun) {
      if (firewall) report.firewall = 'dry-run';
      return report;
    }
    const toInstall = files.filter((f) => report.changed.includes(f.installPath) && f.kind !== 'nftables');
    if (toInstall.length > 0) {
      const args = toInstall.flatMap((f) => [f.kind === 'factomd-conf' && f.installPath === confPath ? 'factomd-conf' : f.kind, at(f.installPath), `0${f.mode.toString(8)}`]);
      const stdin = toInstall.map((f) => `${Buffer.from(f.content, 'utf8').toString('base64')}\n`).join('');
      await run(remote, INSTALL_ALL, [at(factomdPaths(t).secrets), SECRETS_MARKER, at('/etc/ssh/sshd_config'), ...args], sudo, stdin);
      log.info({ host: host.name, files: toInstall.map((f) => f.installPath) }, 'installed');
    }
    if (root === '' && report.changed.some((p) => p.startsWith('/etc/systemd/'))) {
      await run(remote, 'command -v systemctl >/dev/null 2>&1 && systemctl daemon-reload || true', [], sudo);
    }
  } finally {
    if (!firewall) remote.close();
  }
  if (!firewall) return report;

  // The firewall: load with a revert armed on the host, then prove we can still get in.
  const id = randomBytes(8).toString('hex');
  const staged = `${state}/nft-new.nft`;
  try {
    await run(remote, FW_ARM, [state, staged, String(revertAfterSec), id], sudo, firewall.content);
  } finally {
    remote.close();
  }
  report.revertAfterSec = revertAfterSec;
  log.info({ host: host.name, revertAfterSec }, 'firewall loaded; revert armed');
  const confirm = opts.confirm ?? 'never';
  const wanted = confirm === 'auto' ? true : confirm === 'never' ? false : await confirm({ host: host.name, revertAfterSec });
  if (!wanted) {
    report.firewall = 'not-confirmed';
    return report;
  }
  let again: Remote;
  try {
    again = await connectRemote({ ...target, timeoutMs: Math.min(target.timeoutMs ?? 10_000, revertAfterSec * 500) });
  } catch (e) {
    report.firewall = 'not-confirmed';
    throw new AnoguardError('E_LOCKOUT', `cannot reconnect after loading the firewall; the host restores the previous ruleset within ${revertAfterSec} s`, { field: 'host', cause: e });
  }
  try {
    await run(again, FW_CONFIRM, [state, staged, at(firewall.installPath), id], sudo);
  } finally {
    again.close();
  }
  report.firewall = 'confirmed';
  return report;
}
