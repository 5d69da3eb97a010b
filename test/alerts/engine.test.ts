import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advanceAlerts, groupForNotification, markNotified, type Alert } from '../../src/server/alerts/engine.js';
import type { Finding } from '../../src/server/alerts/rules.js';

const f = (rule: string, node: string, severity: Finding['severity'] = 'warning'): Finding => ({ rule, node, severity, key: `${rule}|${node}|`, summary: `${rule} on ${node}`, labels: {} });
const opts = { silences: [], repeatIntervalMs: 3_600_000 };

test('firing once, then deduplicated, then resolved with its times', () => {
  const a = advanceAlerts(new Map(), [f('stall', 'n1'), f('stall', 'n1')], 1000, opts);
  assert.deepEqual(a.transitions.map((t) => t.type), ['firing']);
  markNotified(a.active, a.active.keys(), 1000);
  const b = advanceAlerts(a.active, [f('stall', 'n1')], 2000, opts);
  assert.deepEqual(b.transitions, []);
  const c = advanceAlerts(b.active, [], 3000, opts);
  assert.equal(c.transitions.length, 1);
  assert.equal(c.transitions[0]!.type, 'resolved');
  assert.equal(c.transitions[0]!.alert.startsAt, 1000);
  assert.equal(c.transitions[0]!.alert.endsAt, 3000);
  assert.equal(c.active.size, 0);
});

test('repeat interval: re-notified only after it elapsed', () => {
  let s = advanceAlerts(new Map(), [f('disk', 'n1')], 0, opts);
  markNotified(s.active, s.active.keys(), 0);
  s = advanceAlerts(s.active, [f('disk', 'n1')], 3_599_999, opts);
  assert.deepEqual(s.transitions, []);
  s = advanceAlerts(s.active, [f('disk', 'n1')], 3_600_000, opts);
  assert.deepEqual(s.transitions.map((t) => t.type), ['repeat']);
});

test('silences: matched alerts are recorded but not notified, until the silence ends', () => {
  const silences = [{ id: 's1', node: 'n1', endsAt: 5000, createdBy: 'op', comment: 'maintenance' }];
  const a = advanceAlerts(new Map(), [f('cpu', 'n1'), f('cpu', 'n2')], 1000, { ...opts, silences });
  assert.equal(a.transitions.length, 2);
  assert.equal(a.active.get('cpu|n1|')!.silencedBy, 's1');
  const groups = groupForNotification(a.transitions, ['rule']);
  assert.deepEqual(groups.map((g) => g.transitions.map((t) => t.alert.node)), [['n2']]);
  markNotified(a.active, ['cpu|n2|'], 1000);
  const b = advanceAlerts(a.active, [f('cpu', 'n1'), f('cpu', 'n2')], 6000, { ...opts, silences });
  assert.deepEqual(b.transitions.map((t) => [t.type, t.alert.node]), [['repeat', 'n1']], 'muted alert notified once the silence is over');
});

test('grouping by rule and by node', () => {
  const a = advanceAlerts(new Map<string, Alert>(), [f('cpu', 'n1'), f('cpu', 'n2'), f('disk', 'n1')], 0, opts);
  assert.deepEqual(groupForNotification(a.transitions, ['rule']).map((g) => [g.groupKey, g.transitions.length]), [['rule=cpu', 2], ['rule=disk', 1]]);
  assert.deepEqual(groupForNotification(a.transitions, ['node']).map((g) => [g.groupKey, g.transitions.length]), [['node=n1', 2], ['node=n2', 1]]);
});
