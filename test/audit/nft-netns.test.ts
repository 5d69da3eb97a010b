import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatherFacts } from '../../src/audit/facts.js';
import { runChecks } from '../../src/audit/run.js';
import { renderNftables } from '../../src/render/nftables.js';
import { findHost } from '../../src/topology/derive.js';
import { loadTopology } from '../../src/topology/load.js';
import { ROOT } from '../helpers/cli.js';
import { FIXTURES } from './fixtures.js';
import { createNetns, netnsRunner, removeNetns } from './netns.js';

/**
 * Real rulesets loaded with `nft -f` in a private network namespace, read back with
 * `nft list ruleset` (which reformats them) and audited against the example topology.
 */
describe('firewall checks on rulesets loaded in a namespace', { timeout: 60_000 }, () => {
  let ns = '';
  let dir = '';
  const topology = loadTopology(`${ROOT}examples/topology.yaml`);
  const hostEntry = findHost(topology, 'auth-a')!;
  const ctx = { profile: 'ano' as const, role: undefined, topology, hostEntry };
  const ids = ['ANO-FW-001', 'ANO-FW-003', 'ANO-SSH-005'];

  before(() => {
    ns = createNetns();
    dir = mkdtempSync(join(tmpdir(), 'audit-nft-'));
  });
  after(() => {
    removeNetns(ns);
    rmSync(dir, { recursive: true, force: true });
  });

  const load = (file: string): void => {
    execFileSync('ip', ['netns', 'exec', ns, 'nft', 'flush', 'ruleset'], { timeout: 10_000 });
    execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', file], { timeout: 10_000 });
  };
  const audit = async () => {
    const facts = await gatherFacts(netnsRunner(ns), { host: 'auth-a', topology, hostEntry, sshdConfig: '/nonexistent' });
    assert.ok(facts.firewall.ok, facts.firewall.ok ? '' : facts.firewall.reason);
    return new Map(runChecks(facts, ctx).filter((r) => ids.includes(r.id)).map((r) => [r.id, r]));
  };

  it('an empty namespace has no firewall: default-drop fails', async () => {
    execFileSync('ip', ['netns', 'exec', ns, 'nft', 'flush', 'ruleset'], { timeout: 10_000 });
    const r = await audit();
    assert.equal(r.get('ANO-FW-001')!.status, 'fail');
    assert.equal(r.get('ANO-FW-003')!.status, 'fail');
  });

  it('the ruleset anoguard renders for the host passes', async () => {
    const file = join(dir, 'rendered.nft');
    writeFileSync(file, renderNftables(topology, hostEntry));
    load(file);
    const r = await audit();
    for (const id of ids) assert.equal(r.get(id)!.status, 'pass', `${id}: ${r.get(id)!.detail}`);
  });

  it('a policy-accept ruleset with open API ports fails', async () => {
    load(join(FIXTURES, 'nft-bad.nft'));
    const r = await audit();
    assert.equal(r.get('ANO-FW-001')!.status, 'fail');
    assert.equal(r.get('ANO-FW-003')!.status, 'fail');
    assert.match(r.get('ANO-FW-003')!.detail, /8088/);
    assert.equal(r.get('ANO-SSH-005')!.status, 'fail', r.get('ANO-SSH-005')!.detail);
  });

  it('the hand-written hardened fixture passes default-drop', async () => {
    load(join(FIXTURES, 'nft-good.nft'));
    const r = await audit();
    assert.equal(r.get('ANO-FW-001')!.status, 'pass');
  });
});
