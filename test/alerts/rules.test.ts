import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultAlertConfig, parseAlertConfig } from '../../src/server/alerts/config.js';
import { evaluateRules, type AlertInput, type NodeInput, type Point } from '../../src/server/alerts/rules.js';
import type { LatestValue, StoredEvent } from '../../src/server/store/types.js';

const T0 = 1_760_000_000_000;
const ID_A = 'a'.repeat(64);
const ID_B = 'b'.repeat(64);

function lv(node: string, name: string, value: number, labels: Record<string, string> = {}, t = T0): LatestValue {
  return { node, name, labels, value, t };
}
/** A factomd node as an agent records it: the series snapshotSamples() sends, with 600 s blocks. */
function factomdNode(node: string, o: { height: number; identity?: string; up?: 0 | 1; stall?: 0 | 1; missing?: number; minuteAge?: number; role?: string; lastSeen?: number }): NodeInput {
  const l = { factomd: 'main' };
  const latest = [
    lv(node, 'factomd_up', o.up ?? 1, l), lv(node, 'factomd_leader_height', o.height, l), lv(node, 'factomd_directory_block_height', o.height, l),
    lv(node, 'factomd_block_seconds', 600, l), lv(node, 'factomd_minute', 3, l), lv(node, 'factomd_stall_detected', o.stall ?? 0, l),
    lv(node, 'factomd_sync_missing_leaders', o.missing ?? 0, l), lv(node, 'factomd_minute_duration_seconds', o.minuteAge ?? 20, l),
    lv(node, 'factomd_identity_info', 1, { ...l, identity: o.identity ?? '38bab1455b7bd7e5efd15c53c777c79d0c988e9210f1da49a99d95b3a6417be9', publickey: '' }),
    ...['Leader', 'Audit', 'Follower'].map((r) => lv(node, 'factomd_role', r === (o.role ?? 'Follower') ? 1 : 0, { ...l, role: r })),
    lv(node, 'node_time_seconds', T0 / 1000),
  ];
  return { node, lastSeen: o.lastSeen ?? T0, latest, recent: {} };
}
function ev(node: string, kind: string, data: Record<string, unknown> = {}, severity: StoredEvent['severity'] = 'warning'): StoredEvent {
  return { id: 1, node, kind, severity, t: T0 - 1000, receivedAt: T0 - 900, message: `${kind} happened`, data };
}
const input = (nodes: NodeInput[], extra: Partial<AlertInput> = {}): AlertInput => ({ now: T0, nodes, events: [], ...extra });
const rules = (inp: AlertInput, cfg = defaultAlertConfig()) => evaluateRules(inp, cfg).findings;
const series = (values: number[], stepMs: number, end = T0): Point[] => values.map((v, i) => ({ t: end - (values.length - 1 - i) * stepMs, v }));

test('a healthy fleet raises nothing', () => {
  const f = rules(input([factomdNode('n1', { height: 100, identity: ID_A, role: 'Leader' }), factomdNode('n2', { height: 100 })]));
  assert.deepEqual(f, []);
});

test('agent silent past the threshold is critical; a fresh one is not', () => {
  const f = rules(input([factomdNode('n1', { height: 100, lastSeen: T0 - 91_000 }), factomdNode('n2', { height: 100, lastSeen: T0 - 30_000 })]));
  assert.deepEqual(f.filter((x) => x.rule === 'agent-silent').map((x) => [x.node, x.severity]), [['n1', 'critical']]);
});

test('node down, height lag behind the network', () => {
  const f = rules(input([factomdNode('n1', { height: 100 }), factomdNode('n2', { height: 97 }), factomdNode('n3', { height: 0, up: 0 })]));
  assert.deepEqual(f.filter((x) => x.rule === 'node-down').map((x) => x.node), ['n3']);
  const lag = f.filter((x) => x.rule === 'height-lag');
  assert.deepEqual(lag.map((x) => x.node), ['n2'], 'a down node is reported as down, not as lagging');
  assert.match(lag[0]!.summary, /3 blocks behind/);
});

test('stall: frozen leader height over the window, stalldetected, leader missing from syncing', () => {
  const frozen = factomdNode('n1', { height: 100 });
  frozen.recent.leaderHeight = series(Array<number>(25).fill(100), 60_000); // 24 min frozen, 600 s blocks, 2-block window
  const moving = factomdNode('n2', { height: 100 });
  moving.recent.leaderHeight = series([97, 97, 98, 98, 99, 99, 100, 100].flatMap((v) => [v, v, v]), 60_000);
  const young = factomdNode('n3', { height: 100 });
  young.recent.leaderHeight = series([100, 100, 100], 60_000); // agent only 2 min old: no verdict
  const flagged = factomdNode('n4', { height: 100, stall: 1 });
  const missing = factomdNode('n5', { height: 100, missing: 1 });
  const f = rules(input([frozen, moving, young, flagged, missing])).filter((x) => x.rule === 'stall');
  assert.deepEqual(f.map((x) => [x.node, x.labels.signal]).sort(), [['n1', 'frozen-height'], ['n4', 'stalldetected'], ['n5', 'syncing-missing']]);
  assert.ok(f.every((x) => x.severity === 'critical'));
});

test('online/role alone never make a stall: a Leader with moving height is fine', () => {
  const n = factomdNode('n1', { height: 100, role: 'Leader', identity: ID_A });
  n.recent.leaderHeight = series([98, 99, 100], 600_000);
  assert.deepEqual(rules(input([n])), []);
});

test('minute stuck past factor × minute length', () => {
  const f = rules(input([factomdNode('n1', { height: 1, minuteAge: 181 }), factomdNode('n2', { height: 1, minuteAge: 179 })]));
  assert.deepEqual(f.filter((x) => x.rule === 'minute-stuck').map((x) => x.node), ['n1']);
});

test('the same identity on two nodes is critical, naming both hosts; FNode0 default identity is ignored', () => {
  const f = rules(input([
    factomdNode('master', { height: 5, identity: ID_A, role: 'Leader' }), factomdNode('standby', { height: 5, identity: ID_A }),
    factomdNode('f1', { height: 5 }), factomdNode('f2', { height: 5 }), factomdNode('other', { height: 5, identity: ID_B }),
  ]));
  const dup = f.filter((x) => x.rule === 'duplicate-identity');
  assert.equal(dup.length, 1);
  assert.equal(dup[0]!.severity, 'critical');
  assert.match(dup[0]!.summary, /master\/main, standby\/main/);
});

test('a down or silent node does not count as holding the identity', () => {
  const f = rules(input([factomdNode('master', { height: 5, identity: ID_A }), factomdNode('standby', { height: 5, identity: ID_A, lastSeen: T0 - 600_000 })]));
  assert.equal(f.filter((x) => x.rule === 'duplicate-identity').length, 0);
});

test('role change: unexpected by event; expected roles configured', () => {
  const inp = input([factomdNode('n1', { height: 5, role: 'Follower' })], { events: [ev('n2', 'factomd.role.changed', { factomd: 'main', from: 'Leader', to: 'Follower' })] });
  const cfg = parseAlertConfig({ expectedRoles: { n1: 'Leader' } });
  const f = rules(inp, cfg).filter((x) => x.rule === 'role-changed');
  assert.deepEqual(f.map((x) => [x.node, x.severity]).sort(), [['n1', 'critical'], ['n2', 'warning']]);
  const during = rules({ ...inp, swaps: [{ id: 's1', state: 'fencing', startedAt: T0 - 1000 }] }, defaultAlertConfig()).filter((x) => x.rule === 'role-changed');
  assert.equal(during.length, 0, 'a role change during a swap is expected');
  // Reported by the agent after the journal marked the swap done: still the swap.
  const ended = (endedAt: number) => rules({ ...inp, swaps: [{ id: 's1', state: 'done', startedAt: endedAt - 30_000, endedAt }] }, defaultAlertConfig()).filter((x) => x.rule === 'role-changed');
  const agentInterval = defaultAlertConfig().clockSkew.agentInterval;
  assert.equal(ended(T0 - agentInterval).length, 0, 'a role change reported one agent interval after the swap ended belongs to it');
  assert.deepEqual(ended(T0 - 5 * agentInterval).map((x) => x.node), ['n2'], 'a role change long after the last swap is news');
});

test('host thresholds: CPU, memory, disk, inodes, disk I/O, process count', () => {
  const n: NodeInput = {
    node: 'h', lastSeen: T0, latest: [
      lv('h', 'node_memory_MemTotal_bytes', 1000), lv('h', 'node_memory_MemAvailable_bytes', 50),
      lv('h', 'node_filesystem_size_bytes', 100, { mountpoint: '/' }), lv('h', 'node_filesystem_avail_bytes', 5, { mountpoint: '/' }),
      lv('h', 'node_filesystem_files', 100, { mountpoint: '/' }), lv('h', 'node_filesystem_files_free', 50, { mountpoint: '/' }),
      lv('h', 'node_filesystem_size_bytes', 100, { mountpoint: '/var' }), lv('h', 'node_filesystem_avail_bytes', 50, { mountpoint: '/var' }),
      lv('h', 'node_filesystem_files', 100, { mountpoint: '/var' }), lv('h', 'node_filesystem_files_free', 2, { mountpoint: '/var' }),
    ],
    recent: {
      // 2 CPUs, 10 s steps: 20 cpu-seconds per step, idle grows 1 s per step → 95 % busy
      cpuTotal: series([0, 20, 40, 60], 10_000), cpuIdle: series([0, 1, 2, 3], 10_000),
      pids: series([120, 125, 300], 10_000),
      ioTime: { sda: series([0, 9.5, 19], 10_000), sdb: series([0, 1, 2], 10_000) },
    },
  };
  const f = rules(input([n]));
  const by = (r: string) => f.filter((x) => x.rule === r);
  assert.equal(by('cpu').length, 1);
  assert.match(by('cpu')[0]!.summary, /95 %/);
  assert.equal(by('memory').length, 1);
  assert.deepEqual(by('disk').map((x) => x.labels.mountpoint), ['/']);
  assert.deepEqual(by('inodes').map((x) => x.labels.mountpoint), ['/var']);
  assert.deepEqual(by('disk-io').map((x) => x.labels.device), ['sda']);
  assert.equal(by('process-count').length, 1);
});

test('a counter reset is not read as a negative rate', () => {
  const n: NodeInput = { node: 'h', lastSeen: T0, latest: [], recent: { cpuTotal: series([1000, 1020, 10, 30], 10_000), cpuIdle: series([900, 919, 9, 28], 10_000) } };
  assert.equal(rules(input([n])).filter((x) => x.rule === 'cpu').length, 0);
});

test('security events: new listener, file change, ssh outside ops, brute force', () => {
  const events = [
    ev('n1', 'listener.new', { proto: 'tcp', address: '0.0.0.0', port: 4444 }),
    ev('n1', 'listener.new', { proto: 'tcp', address: '127.0.0.1', port: 5555 }),
    ev('n1', 'fim.changed', { path: '/etc/factomd/factomd.conf' }, 'critical'),
    ev('n1', 'ssh.login.accepted', { source: '203.0.113.9', user: 'ops', outsideOps: false }),
    ev('n1', 'ssh.login.accepted', { source: '10.1.2.3', user: 'ops', outsideOps: false }),
    ev('n2', 'ssh.bruteforce', { source: '198.51.100.7' }),
    ...Array.from({ length: 10 }, () => ev('n3', 'ssh.login.failed', { source: '198.51.100.8' }, 'info')),
  ];
  const cfg = parseAlertConfig({ ssh: { opsCidrs: ['10.0.0.0/8'] } });
  const f = rules(input([], { events }), cfg);
  const by = (r: string) => f.filter((x) => x.rule === r);
  assert.deepEqual(by('new-listener').map((x) => x.labels.port), ['4444'], 'loopback listeners are skipped by default');
  const all = rules(input([], { events }), parseAlertConfig({ newListener: { ignoreLoopback: false } }));
  assert.deepEqual(all.filter((x) => x.rule === 'new-listener').map((x) => x.labels.port), ['4444', '5555']);
  assert.deepEqual(by('file-integrity').map((x) => x.severity), ['critical']);
  assert.deepEqual(by('ssh-outside-ops').map((x) => x.labels.source), ['203.0.113.9']);
  assert.deepEqual(by('ssh-bruteforce').map((x) => x.node).sort(), ['n2', 'n3']);
});

test('certificate expiry, swap pending, clock skew', () => {
  const skewed = factomdNode('n1', { height: 1 });
  skewed.latest = skewed.latest.map((l) => (l.name === 'node_time_seconds' ? { ...l, value: T0 / 1000 + 30 } : l));
  const behind = factomdNode('n2', { height: 1 });
  behind.latest = behind.latest.map((l) => (l.name === 'node_time_seconds' ? { ...l, value: T0 / 1000 - 12 } : l));
  const f = rules(input([skewed, behind], {
    certs: [{ name: 'a1', kind: 'agent', notAfter: T0 + 5 * 86_400_000 }, { name: 'a2', kind: 'agent', notAfter: T0 + 90 * 86_400_000 }, { name: 'old', kind: 'agent', notAfter: T0 - 1 }],
    swaps: [{ id: 'sw1', state: 'fencing', startedAt: T0 - 20 * 60_000 }, { id: 'sw0', state: 'done', startedAt: T0 - 86_400_000 }],
  }));
  assert.deepEqual(f.filter((x) => x.rule === 'cert-expiry').map((x) => [x.labels.cert, x.severity]), [['agent/a1', 'warning'], ['agent/old', 'critical']]);
  assert.deepEqual(f.filter((x) => x.rule === 'swap-pending').map((x) => x.labels.swap), ['sw1']);
  assert.deepEqual(f.filter((x) => x.rule === 'clock-skew').map((x) => x.node), ['n1'], '12 s behind is within delivery delay + 5 s');
});

test('disabled rules are skipped; bad config names its field', () => {
  const f = rules(input([factomdNode('n1', { height: 1, up: 0 })]), parseAlertConfig({ disabled: ['node-down'] }));
  assert.equal(f.filter((x) => x.rule === 'node-down').length, 0);
  assert.throws(() => parseAlertConfig({ cpu: { busy: 2 } }), (e: Error & { field?: string }) => e.field === 'cpu.busy');
  assert.throws(() => parseAlertConfig({ agentSilent: { after: 'soon' } }), (e: Error & { field?: string }) => e.field === 'agentSilent.after');
});

test('an identity loaded earlier (older info series) does not count: only the newest one per factomd', () => {
  const standby = factomdNode('standby', { height: 5 });
  standby.latest.push(lv('standby', 'factomd_identity_info', 1, { factomd: 'main', identity: ID_A, publickey: '' }, T0 - 60_000));
  const f = rules(input([factomdNode('master', { height: 5, identity: ID_A }), standby]));
  assert.equal(f.filter((x) => x.rule === 'duplicate-identity').length, 0);
});
