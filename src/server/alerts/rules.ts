import { isIP } from 'node:net';
import type { LatestValue, StoredEvent } from '../store/types.js';
import type { AlertConfig, AlertSeverity } from './config.js';

/**
 * Alert rules: pure functions from what the store knows about the fleet at one instant to the
 * conditions that hold. No clock, no I/O: the evaluator gathers an AlertInput, tests replay recorded
 * ones. Online/role are deliberately not liveness signals (factomd-ops.md §11): a stall is a frozen
 * leader height, `stalldetected`, or a leader missing from `syncing`.
 */

export interface Point { t: number; v: number }

export interface NodeInput {
  node: string;
  /** server clock of the agent's last batch */
  lastSeen?: number;
  /** newest raw value of every series of the node */
  latest: LatestValue[];
  /** recent history of the series the rules need to see moving, keyed by series name (labels folded per rule) */
  recent: {
    leaderHeight?: Point[];
    cpuIdle?: Point[];
    cpuTotal?: Point[];
    pids?: Point[];
    /** per disk device */
    ioTime?: Record<string, Point[]>;
  };
}

export interface SwapInput { id: string; state: string; startedAt: number; endedAt?: number }
export interface CertInput { name: string; kind: string; notAfter: number; revoked?: boolean }

export interface AlertInput {
  now: number;
  nodes: NodeInput[];
  /** events of the last `eventHold` window */
  events: StoredEvent[];
  swaps?: SwapInput[];
  certs?: CertInput[];
}

export interface Finding {
  rule: string;
  severity: AlertSeverity;
  node: string;
  /** what makes two findings the same alert (dedup) */
  key: string;
  summary: string;
  labels: Record<string, string>;
}

type Rule = (input: AlertInput, cfg: AlertConfig) => Finding[];

const ZERO_ID = '0'.repeat(64);
// FNode0's default identity: a node that has none configured is not holding an authority.
const FNODE0_ID = '38bab1455b7bd7e5efd15c53c777c79d0c988e9210f1da49a99d95b3a6417be9';

function find(n: NodeInput, name: string, labels: Record<string, string> = {}): LatestValue[] {
  return n.latest.filter((l) => l.name === name && Object.entries(labels).every(([k, v]) => l.labels[k] === v));
}
function one(n: NodeInput, name: string, labels: Record<string, string> = {}): LatestValue | undefined {
  return find(n, name, labels)[0];
}
function finding(rule: string, severity: AlertSeverity, node: string, summary: string, labels: Record<string, string> = {}): Finding {
  const extra = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',');
  return { rule, severity, node, key: `${rule}|${node}|${extra}`, summary, labels };
}
/** Counter increase per second over the points (reset-aware: a drop restarts the sum). */
function rate(points: Point[] | undefined): number | undefined {
  if (!points || points.length < 2) return undefined;
  let inc = 0;
  for (let i = 1; i < points.length; i++) {
    const d = points[i]!.v - points[i - 1]!.v;
    inc += d >= 0 ? d : points[i]!.v;
  }
  const dt = (points.at(-1)!.t - points[0]!.t) / 1000;
  return dt > 0 ? inc / dt : undefined;
}
/** factomd nodes monitored through an agent (label `factomd`), with the node they run on. */
function factomdNames(n: NodeInput): string[] {
  return [...new Set(find(n, 'factomd_up').map((l) => l.labels.factomd ?? ''))];
}
/** An event data field as text: agents send scalars; anything else is shown as JSON. */
function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return v === undefined || v === null ? '' : JSON.stringify(v);
}
const pct = (x: number): string => `${Math.round(x * 100)} %`;

export const agentSilent: Rule = (inp, cfg) => inp.nodes
  .filter((n) => n.lastSeen === undefined || inp.now - n.lastSeen > cfg.agentSilent.after)
  .map((n) => finding('agent-silent', 'critical', n.node,
    n.lastSeen === undefined ? `agent ${n.node} never reported` : `agent ${n.node} silent for ${Math.round((inp.now - n.lastSeen) / 1000)} s`));

export const nodeDown: Rule = (inp) => inp.nodes.flatMap((n) => find(n, 'factomd_up')
  .filter((l) => l.value === 0)
  .map((l) => finding('node-down', 'critical', n.node, `factomd ${l.labels.factomd} on ${n.node} does not answer`, { factomd: l.labels.factomd ?? '' })));

/** The best directory-block height any of the operator's nodes reports right now. */
export function networkHeight(inp: AlertInput): number | undefined {
  const hs = inp.nodes.flatMap((n) => find(n, 'factomd_directory_block_height').map((l) => l.value));
  return hs.length === 0 ? undefined : Math.max(...hs);
}

export const heightLag: Rule = (inp, cfg) => {
  const best = networkHeight(inp);
  if (best === undefined) return [];
  return inp.nodes.flatMap((n) => find(n, 'factomd_directory_block_height')
    .filter((l) => best - l.value >= cfg.heightLag.blocks && one(n, 'factomd_up', { factomd: l.labels.factomd ?? '' })?.value !== 0)
    .map((l) => finding('height-lag', 'warning', n.node, `factomd ${l.labels.factomd} on ${n.node} is ${best - l.value} blocks behind the network (${best})`, { factomd: l.labels.factomd ?? '' })));
};

export const stall: Rule = (inp, cfg) => inp.nodes.flatMap((n) => {
  const out: Finding[] = [];
  for (const f of factomdNames(n)) {
    if (one(n, 'factomd_up', { factomd: f })?.value === 0) continue;
    const lab = { factomd: f };
    if (one(n, 'factomd_stall_detected', lab)?.value === 1) out.push(finding('stall', 'critical', n.node, `factomd ${f} on ${n.node} reports stalldetected`, { ...lab, signal: 'stalldetected' }));
    const missing = one(n, 'factomd_sync_missing_leaders', lab)?.value ?? 0;
    if (missing > 0) out.push(finding('stall', 'critical', n.node, `factomd ${f} on ${n.node}: ${missing} leader(s) missing from syncing`, { ...lab, signal: 'syncing-missing' }));
    const block = one(n, 'factomd_block_seconds', lab)?.value ?? 600;
    const window = cfg.stall.blocks * block * 1000;
    const pts = n.recent.leaderHeight ?? [];
    const inWindow = pts.filter((p) => p.t >= inp.now - window);
    // Frozen only when the history covers the whole window: a fresh agent is not a stall.
    if (pts.length > 0 && pts[0]!.t <= inp.now - window && inWindow.length >= 2 && inWindow.every((p) => p.v === inWindow[0]!.v)) {
      out.push(finding('stall', 'critical', n.node, `factomd ${f} on ${n.node}: leader height frozen at ${inWindow[0]!.v} for ${cfg.stall.blocks} blocks`, { ...lab, signal: 'frozen-height' }));
    }
  }
  return out;
});

export const minuteStuck: Rule = (inp, cfg) => inp.nodes.flatMap((n) => find(n, 'factomd_minute_duration_seconds').flatMap((l) => {
  const f = l.labels.factomd ?? '';
  const minuteLen = (one(n, 'factomd_block_seconds', { factomd: f })?.value ?? 600) / 10;
  return l.value > minuteLen * cfg.minuteStuck.factor
    ? [finding('minute-stuck', 'warning', n.node, `factomd ${f} on ${n.node}: minute ${one(n, 'factomd_minute', { factomd: f })?.value ?? '?'} running for ${Math.round(l.value)} s`, { factomd: f })]
    : [];
}));

export const roleChanged: Rule = (inp, cfg) => {
  const out: Finding[] = [];
  for (const n of inp.nodes) {
    const expected = cfg.expectedRoles[n.node];
    if (expected !== undefined) {
      const roles = find(n, 'factomd_role');
      const newest = Math.max(...roles.map((l) => l.t));
      const now = roles.find((l) => l.value === 1 && l.t === newest)?.labels.role;
      if (now !== undefined && now !== expected) out.push(finding('role-changed', 'critical', n.node, `${n.node} is ${now}, expected ${expected}`, { role: now }));
    }
  }
  const swapping = (inp.swaps ?? []).some((s) => s.state !== 'done' && s.state !== 'failed');
  // The nodes' agents report a swap's role changes up to one report interval after the journal
  // marks it finished (verification reads factomd directly): those are the swap, not news.
  const late = 2 * cfg.clockSkew.agentInterval;
  const bySwap = (t: number): boolean => (inp.swaps ?? []).some((s) => t >= s.startedAt && t <= (s.endedAt ?? Infinity) + late);
  for (const e of inp.events) {
    if (e.kind !== 'factomd.role.changed' || cfg.expectedRoles[e.node] !== undefined || swapping || bySwap(e.receivedAt)) continue;
    out.push(finding('role-changed', 'warning', e.node, `${e.node}: ${e.message}`, { factomd: str(e.data.factomd) }));
  }
  return out;
};

/** The worst case an ANO can have: one authority identity signing from two hosts (double-signing risk). */
export const duplicateIdentity: Rule = (inp, cfg) => {
  const holders = new Map<string, Set<string>>();
  for (const n of inp.nodes) {
    if (n.lastSeen === undefined || inp.now - n.lastSeen > cfg.agentSilent.after) continue;
    // One identity per factomd: the newest info series (an identity loaded earlier leaves an older one behind).
    const newest = new Map<string, LatestValue>();
    for (const l of find(n, 'factomd_identity_info')) {
      const f = l.labels.factomd ?? '';
      if ((newest.get(f)?.t ?? -1) < l.t) newest.set(f, l);
    }
    for (const l of newest.values()) {
      const id = l.labels.identity ?? '';
      if (id === '' || id === ZERO_ID || id === FNODE0_ID || one(n, 'factomd_up', { factomd: l.labels.factomd ?? '' })?.value === 0) continue;
      const set = holders.get(id) ?? new Set<string>();
      set.add(`${n.node}/${l.labels.factomd ?? ''}`);
      holders.set(id, set);
    }
  }
  const out: Finding[] = [];
  for (const [id, set] of holders) {
    if (set.size < 2) continue;
    const where = [...set].sort();
    out.push(finding('duplicate-identity', 'critical', where.map((w) => w.split('/')[0]).join(','), `identity ${id.slice(0, 12)}… is loaded on ${where.length} nodes: ${where.join(', ')}`, { identity: id }));
  }
  for (const e of inp.events) {
    if (e.kind === 'factomd.duplicate-identity') out.push(finding('duplicate-identity', 'critical', e.node, `${e.node}: ${e.message}`, { signal: 'log' }));
  }
  return out;
};

export const swapPending: Rule = (inp, cfg) => (inp.swaps ?? [])
  .filter((s) => s.state !== 'done' && s.state !== 'failed' && inp.now - s.startedAt > cfg.swapPending.after)
  .map((s) => finding('swap-pending', 'warning', '', `swap ${s.id} ${s.state} for ${Math.round((inp.now - s.startedAt) / 60_000)} min`, { swap: s.id }));

export const cpuBusy: Rule = (inp, cfg) => inp.nodes.flatMap((n) => {
  const idle = rate(n.recent.cpuIdle);
  const total = rate(n.recent.cpuTotal);
  if (idle === undefined || total === undefined || total <= 0) return [];
  const busy = 1 - idle / total;
  return busy > cfg.cpu.busy ? [finding('cpu', 'warning', n.node, `${n.node}: CPU ${pct(busy)} busy`)] : [];
});

export const memoryUsed: Rule = (inp, cfg) => inp.nodes.flatMap((n) => {
  const total = one(n, 'node_memory_MemTotal_bytes')?.value;
  const avail = one(n, 'node_memory_MemAvailable_bytes')?.value;
  if (!total || avail === undefined) return [];
  const used = 1 - avail / total;
  return used > cfg.memory.used ? [finding('memory', 'warning', n.node, `${n.node}: memory ${pct(used)} used`)] : [];
});

export const diskFull: Rule = (inp, cfg) => inp.nodes.flatMap((n) => find(n, 'node_filesystem_size_bytes').flatMap((size) => {
  const out: Finding[] = [];
  const mp = size.labels.mountpoint ?? '';
  const avail = one(n, 'node_filesystem_avail_bytes', { mountpoint: mp })?.value;
  if (size.value > 0 && avail !== undefined && 1 - avail / size.value > cfg.disk.used) {
    out.push(finding('disk', 'warning', n.node, `${n.node}: ${mp} ${pct(1 - avail / size.value)} full`, { mountpoint: mp }));
  }
  const files = one(n, 'node_filesystem_files', { mountpoint: mp })?.value;
  const free = one(n, 'node_filesystem_files_free', { mountpoint: mp })?.value;
  if (files && free !== undefined && 1 - free / files > cfg.disk.inodesUsed) {
    out.push(finding('inodes', 'warning', n.node, `${n.node}: ${mp} ${pct(1 - free / files)} of inodes used`, { mountpoint: mp }));
  }
  return out;
}));

export const diskIoSaturated: Rule = (inp, cfg) => inp.nodes.flatMap((n) => Object.entries(n.recent.ioTime ?? {}).flatMap(([dev, pts]) => {
  const busy = rate(pts);
  return busy !== undefined && busy > cfg.diskIo.busy ? [finding('disk-io', 'warning', n.node, `${n.node}: ${dev} busy ${pct(Math.min(1, busy))} of the time`, { device: dev })] : [];
}));

export const processCount: Rule = (inp, cfg) => inp.nodes.flatMap((n) => {
  const pts = n.recent.pids ?? [];
  if (pts.length < 2) return [];
  const first = pts[0]!.v;
  const last = pts.at(-1)!.v;
  const d = Math.abs(last - first);
  return d >= cfg.processes.min && d / Math.max(first, 1) >= cfg.processes.change
    ? [finding('process-count', 'warning', n.node, `${n.node}: process count ${first} → ${last}`)]
    : [];
});

const LOOPBACK = /^(127\.|::1$|\[::1\]$|localhost$)/;
/** New listening sockets; loopback ones are not reachable from outside and are skipped unless asked for. */
export const newListener: Rule = (inp, cfg) => inp.events
  .filter((e) => e.kind === 'listener.new' && !(cfg.newListener.ignoreLoopback && LOOPBACK.test(str(e.data.address))))
  .map((e) => finding('new-listener', 'warning', e.node, `${e.node}: ${e.message}`, { port: str(e.data.port), proto: str(e.data.proto) }));
export const fileChanged: Rule = (inp) => inp.events.filter((e) => e.kind === 'fim.changed')
  .map((e) => finding('file-integrity', e.severity === 'critical' ? 'critical' : 'warning', e.node, `${e.node}: ${e.message}`, { path: str(e.data.path) }));

function inCidr(ip: string, c: string): boolean {
  const [base, bitsS] = c.split('/');
  const fam = isIP(ip);
  if (fam === 0 || fam !== isIP(base ?? '')) return false;
  const toBig = (a: string): bigint => fam === 4
    ? a.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n)
    : expand6(a).reduce((acc, h) => (acc << 16n) | BigInt(parseInt(h, 16)), 0n);
  const width = fam === 4 ? 32 : 128;
  const bits = bitsS === undefined ? width : Number(bitsS);
  const shift = BigInt(width - bits);
  return toBig(ip) >> shift === toBig(base!) >> shift;
}
function expand6(a: string): string[] {
  const [l, r] = a.split('::') as [string, string | undefined];
  const left = l === '' ? [] : l.split(':');
  const right = r === undefined || r === '' ? [] : r.split(':');
  return r === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
}

export const sshOutsideOps: Rule = (inp, cfg) => inp.events.filter((e) => {
  if (e.kind !== 'ssh.login.accepted') return false;
  if (e.data.outsideOps === true) return true;
  const src = str(e.data.source);
  return cfg.ssh.opsCidrs.length > 0 && !cfg.ssh.opsCidrs.some((c) => inCidr(src, c));
}).map((e) => finding('ssh-outside-ops', 'critical', e.node, `${e.node}: ${e.message}`, { source: str(e.data.source), user: str(e.data.user) }));

export const failedLoginBurst: Rule = (inp, cfg) => {
  const out = inp.events.filter((e) => e.kind === 'ssh.bruteforce')
    .map((e) => finding('ssh-bruteforce', 'warning', e.node, `${e.node}: ${e.message}`, { source: str(e.data.source) }));
  const counts = new Map<string, number>();
  for (const e of inp.events) if (e.kind === 'ssh.login.failed' || e.kind === 'ssh.login.invalid-user') counts.set(e.node, (counts.get(e.node) ?? 0) + 1);
  for (const [node, c] of counts) {
    if (c >= cfg.ssh.failedBurst) out.push(finding('ssh-bruteforce', 'warning', node, `${node}: ${c} failed SSH logins recently`, { source: '*' }));
  }
  return out;
};

export const certExpiry: Rule = (inp, cfg) => (inp.certs ?? [])
  .filter((c) => !c.revoked && c.notAfter - inp.now < cfg.certExpiry.within)
  .map((c) => finding('cert-expiry', c.notAfter <= inp.now ? 'critical' : 'warning', '', c.notAfter <= inp.now
    ? `certificate ${c.kind}/${c.name} expired`
    : `certificate ${c.kind}/${c.name} expires in ${Math.ceil((c.notAfter - inp.now) / 86_400_000)} days`, { cert: `${c.kind}/${c.name}` }));

/**
 * Clock skew from node_time_seconds against the server's receive time. The batch can arrive up to
 * one agent interval after collection, so an agent clock behind ours is only skew beyond that.
 */
export const clockSkew: Rule = (inp, cfg) => inp.nodes.flatMap((n) => {
  const t = one(n, 'node_time_seconds');
  if (!t || n.lastSeen === undefined) return [];
  const skew = t.value * 1000 - n.lastSeen;
  return skew > cfg.clockSkew.max || skew < -(cfg.clockSkew.max + cfg.clockSkew.agentInterval)
    ? [finding('clock-skew', 'warning', n.node, `${n.node}: clock off by about ${Math.round(skew / 1000)} s`)]
    : [];
});

export const RULES: Record<string, Rule> = {
  'agent-silent': agentSilent, 'node-down': nodeDown, 'height-lag': heightLag, stall, 'minute-stuck': minuteStuck,
  'role-changed': roleChanged, 'duplicate-identity': duplicateIdentity, 'swap-pending': swapPending, cpu: cpuBusy,
  memory: memoryUsed, disk: diskFull, 'disk-io': diskIoSaturated, 'process-count': processCount, 'new-listener': newListener,
  'file-integrity': fileChanged, 'ssh-outside-ops': sshOutsideOps, 'ssh-bruteforce': failedLoginBurst, 'cert-expiry': certExpiry,
  'clock-skew': clockSkew,
};

/** Every enabled rule over one input; a throwing rule must not hide the others' findings. */
export function evaluateRules(inp: AlertInput, cfg: AlertConfig): { findings: Finding[]; errors: Record<string, string> } {
  const findings: Finding[] = [];
  const errors: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, rule] of Object.entries(RULES)) {
    if (cfg.disabled.includes(name)) continue;
    try {
      for (const f of rule(inp, cfg)) {
        if (seen.has(f.key)) continue;
        seen.add(f.key);
        findings.push(f);
      }
    } catch (e) {
      errors[name] = (e as Error).message;
    }
  }
  return { findings, errors };
}
