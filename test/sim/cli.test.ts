import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { readTruth, stopSim } from '../../src/sim/index.js';
import { result, simTempDir, waitUntil } from './helpers.js';

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

describe('anoguard sim (CLI)', () => {
  const tmp = simTempDir('cli');
  after(async () => {
    await stopSim(tmp.dir).catch(() => undefined);
    tmp.cleanup();
  });

  test('usage errors exit 2 with the field named', async () => {
    const r = await runCli(['sim', 'up', '--dir', tmp.dir, '--nodes', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nodes/);
  });

  test('up → sim.json, status, fault, promote, down', async () => {
    const up = await runCli(['sim', 'up', '--dir', tmp.dir, '--nodes', '3', '--authorities', '1', '--block-time', '1s', '--json'], { timeoutMs: 60_000 });
    assert.equal(up.code, 0, up.stderr);
    const sim = JSON.parse(readFileSync(join(tmp.dir, 'sim.json'), 'utf8'));
    assert.deepEqual(JSON.parse(up.stdout).nodes, sim.nodes);
    assert.ok(Number.isInteger(sim.network.pid));
    assert.equal(sim.nodes.length, 3);
    for (const n of sim.nodes) {
      assert.deepEqual(Object.keys(n).sort(), ['api', 'controlPanel', 'home', 'identity', 'metrics', 'name', 'pid'].sort());
      assert.match(n.api, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(alive(n.pid));
      // A real factomd.conf, holding a private key: mode 0600.
      assert.equal(statSync(join(n.home, 'factomd.conf')).mode & 0o777, 0o600);
      assert.equal((await result(n.api, 'properties')).factomdapiversion, '2.0');
    }
    const st = await runCli(['sim', 'status', '--dir', tmp.dir, '--json']);
    assert.equal(st.code, 0, st.stderr);
    assert.equal(JSON.parse(st.stdout).nodes.length, 3);

    const f = await runCli(['sim', 'fault', 'n3', 'slow', '10', '--dir', tmp.dir]);
    assert.equal(f.code, 0, f.stderr);
    const bad = await runCli(['sim', 'fault', 'n3', 'explode', '--dir', tmp.dir]);
    assert.equal(bad.code, 2);
    assert.ok(readTruth(tmp.dir).events.some((e) => e.event === 'fault' && e.fault === 'slow' && e.node === 'n3' && typeof e.height === 'number'));

    // promote: n3's identity joins the federated set at the next block; n3 becomes Leader.
    const n3 = sim.nodes[2];
    const p = await runCli(['sim', 'promote', n3.identity, '--dir', tmp.dir, '--json']);
    assert.equal(p.code, 0, p.stderr);
    const from = JSON.parse(p.stdout).fromHeight as number;
    await waitUntil('n3 leads', async () => (await result(n3.api, 'diagnostics')).role === 'Leader', 8000);
    assert.ok((await result(n3.api, 'diagnostics')).leaderheight >= from);
    const auth = (await result(sim.nodes[0].api, 'authorities')).authorities.map((a: { chainid: string; status: string }) => [a.chainid, a.status]);
    assert.deepEqual(auth.find((a: string[]) => a[0] === n3.identity), [n3.identity, 'federated']);

    const down = await runCli(['sim', 'down', '--dir', tmp.dir, '--json']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(JSON.parse(down.stdout).stopped.length, 4);
    await waitUntil('all gone', () => [sim.network.pid, ...sim.nodes.map((n: { pid: number }) => n.pid)].every((pid) => !alive(pid)), 5000);
  });
});
