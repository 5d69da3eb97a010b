import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHECKS } from '../../src/audit/checks/index.js';
import { parseIptablesSave } from '../../src/audit/parse/firewall.js';
import { runChecks } from '../../src/audit/run.js';
import type { Check } from '../../src/audit/types.js';
import { authorityCtx, badFacts, fixture, goodFacts, noFacts } from './fixtures.js';

describe('check catalogue', () => {
  it('has unique, well-formed ids, a why, a remediation and known severities', () => {
    const ids = CHECKS.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const c of CHECKS) {
      assert.match(c.id, /^ANO-(SSH|FW|NET|FCONF|DOCKER|HOST)-\d{3}$/);
      assert.ok(c.title.length > 5 && c.why.length > 20 && c.remediation.length > 10, c.id);
      for (const r of c.refs) assert.match(r, /^(dev-sec|CIS-Ubuntu-24\.04|Lynis|docker-bench):\S+$/, `${c.id} ref ${r}`);
    }
  });
});

describe('each check: a passing and a failing case', () => {
  const good = new Map(runChecks(goodFacts(), authorityCtx).map((r) => [r.id, r]));
  const bad = new Map(runChecks(badFacts(), authorityCtx).map((r) => [r.id, r]));
  for (const c of CHECKS) {
    it(`${c.id} passes on the hardened host`, () => assert.equal(good.get(c.id)?.status, 'pass', good.get(c.id)?.detail));
    it(`${c.id} fails on the misconfigured host`, () => assert.equal(bad.get(c.id)?.status, 'fail', bad.get(c.id)?.detail));
  }
});

describe('missing facts', () => {
  it('every check says skipped with the reason when nothing could be gathered', () => {
    for (const r of runChecks(noFacts(), authorityCtx)) {
      assert.equal(r.status, 'skipped', r.id);
      assert.ok(r.detail.length > 0, r.id);
    }
  });
  it('checks that need a role skip without one rather than guess', () => {
    const results = runChecks(goodFacts(), { ...authorityCtx, role: undefined });
    for (const id of ['ANO-FW-003', 'ANO-NET-001', 'ANO-FCONF-005']) {
      const r = results.find((x) => x.id === id);
      assert.equal(r?.status, 'skipped', id);
    }
  });
  it('a check that throws is reported as skipped, and the others still run', () => {
    const boom: Check = { ...CHECKS[0]!, id: 'ANO-TEST-001', run: () => { throw new Error('boom'); } };
    const r = runChecks(goodFacts(), authorityCtx, [boom, CHECKS[1]!]);
    assert.equal(r[0]!.status, 'skipped');
    assert.match(r[0]!.detail, /boom/);
    assert.equal(r[1]!.status, 'pass');
  });
});

describe('details name what is wrong', () => {
  const bad = new Map(runChecks(badFacts(), authorityCtx).map((r) => [r.id, r.detail]));
  it('ssh', () => {
    assert.match(bad.get('ANO-SSH-001')!, /port 22/);
    assert.match(bad.get('ANO-SSH-002')!, /passwordauthentication yes/);
    assert.match(bad.get('ANO-SSH-003')!, /permitrootlogin yes/);
    assert.match(bad.get('ANO-SSH-006')!, /aes128-cbc/);
    assert.match(bad.get('ANO-SSH-007')!, /diffie-hellman-group14-sha1/);
    assert.match(bad.get('ANO-SSH-008')!, /hmac-sha1/);
  });
  it('firewall and listeners', () => {
    assert.match(bad.get('ANO-FW-001')!, /policy accept/);
    assert.match(bad.get('ANO-FW-003')!, /8088/);
    assert.match(bad.get('ANO-NET-001')!, /0\.0\.0\.0:5432/);
    assert.match(bad.get('ANO-NET-002')!, /9876/);
  });
  it('docker', () => {
    assert.match(bad.get('ANO-DOCKER-004')!, /factomd/);
    assert.match(bad.get('ANO-DOCKER-005')!, /monitor/);
    assert.match(bad.get('ANO-DOCKER-002')!, /public repository/);
  });
  it('the single-service check ignores kernel threads and short-lived processes', () => {
    const good = runChecks(goodFacts(), authorityCtx).find((r) => r.id === 'ANO-HOST-001')!;
    assert.doesNotMatch(good.detail, /cryptominer|kworker/);
    assert.match(bad.get('ANO-HOST-001')!, /nginx/);
    assert.match(bad.get('ANO-HOST-001')!, /postgres/);
  });
});

describe('firewall from iptables-save', () => {
  it('gives the same verdicts as the nft ruleset', () => {
    const ids = ['ANO-FW-001', 'ANO-FW-002', 'ANO-FW-003', 'ANO-SSH-005'];
    const good = goodFacts();
    good.firewall = { ok: true, value: parseIptablesSave(fixture('iptables-good.txt')) };
    const bad = badFacts();
    bad.firewall = { ok: true, value: parseIptablesSave(fixture('iptables-bad.txt')) };
    bad.sshdForeign = { ok: false, reason: 'not gathered' };
    const g = runChecks(good, authorityCtx).filter((r) => ids.includes(r.id));
    const b = runChecks(bad, authorityCtx).filter((r) => ids.includes(r.id));
    for (const r of g) assert.equal(r.status, 'pass', `${r.id}: ${r.detail}`);
    for (const r of b) assert.equal(r.status, 'fail', `${r.id}: ${r.detail}`);
  });
});
