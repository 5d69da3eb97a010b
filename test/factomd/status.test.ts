import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getNodeStatus, nodeStatusSchema } from '../../src/factomd/status.js';
import { createFactomdClient } from '../../src/factomd/client.js';
import { FactomdError } from '../../src/factomd/errors.js';
import { startFakeServer, replaySamples, replyError, replyResult, sample, type FakeServer } from './fake-server.js';

/** Serves one behaviour snapshot (heights, diagnostics, current-minute) plus the properties sample. */
function replaySnapshot(file: string) {
  const snap = sample(`behaviour/${file}`) as Record<string, { result: unknown }>;
  return (req: Parameters<typeof replaySamples>[0], res: Parameters<typeof replaySamples>[1]) => {
    const part = snap[req.rpcMethod ?? ''];
    if (part) replyResult(req, res, part.result);
    else replaySamples(req, res);
  };
}

describe('getNodeStatus', () => {
  let srv: FakeServer;
  before(async () => { srv = await startFakeServer(); });
  after(() => srv.close());

  it('combines heights, current-minute, diagnostics and properties of a healthy leader', async () => {
    srv.handler = replaySamples;
    const s = await getNodeStatus(createFactomdClient({ url: srv.url }));
    assert.ok(nodeStatusSchema.safeParse(s).success);
    assert.equal(s.height, 1);
    assert.equal(s.leaderHeight, 1);
    assert.equal(s.minute, 3);
    assert.equal(s.role, 'Leader');
    assert.equal(s.identity, '38bab1455b7bd7e5efd15c53c777c79d0c988e9210f1da49a99d95b3a6417be9');
    assert.equal(s.publicKey, 'cc1985cdfae4e32b5a454dfda8ce5e1361558482684f3367649c3ad852c8e31a');
    assert.equal(s.version, 'BuiltWithoutVersion');
    assert.deepEqual(s.sync, { status: 'Processing', missing: [], received: null, expected: null, stalled: false, behind: 0, synced: true });
    // currenttime − currentminutestarttime of the sample: 2.201 s
    assert.equal(s.minuteAgeSeconds, 2.201);
    assert.equal(s.diagnosticsAvailable, true);
    assert.deepEqual(s.authset, { leaders: 1, audits: 0, auditsOnline: 0 });
  });

  it('reports the stalled brain swap of case 4: Syncing DBSigs, the missing identity, stall detected', async () => {
    srv.handler = replaySnapshot('case4-brainswap-restart/api-n3-205630-after-n2-restart+80s.json');
    const s = await getNodeStatus(createFactomdClient({ url: srv.url }));
    assert.equal(s.role, 'Follower');
    assert.equal(s.sync.status, 'Syncing DBSigs');
    assert.deepEqual(s.sync.missing, ['8888881570f89283f3a516b6e5ed240f43f5ad7cb05132378c4a006abe7c2b93']);
    assert.equal(s.sync.stalled, true);
    assert.equal(s.sync.synced, false);
    assert.equal(s.sync.received, 1);
    assert.equal(s.sync.expected, 2);
    assert.deepEqual(s.authset, { leaders: 2, audits: 1, auditsOnline: 1 });
  });

  it('tolerates a node without diagnostics (factomd < 6.4: Method not found)', async () => {
    srv.handler = (req, res) => (req.rpcMethod === 'diagnostics'
      ? replyError(req, res, { code: -32601, message: 'Method not found' })
      : replaySamples(req, res));
    const s = await getNodeStatus(createFactomdClient({ url: srv.url }));
    assert.equal(s.diagnosticsAvailable, false);
    assert.equal(s.role, null);
    assert.equal(s.identity, null);
    assert.equal(s.sync.status, 'unknown');
    assert.equal(s.height, 1);
    assert.ok(nodeStatusSchema.safeParse(s).success);
  });

  it('any other diagnostics failure is a failure, not a silent null', async () => {
    srv.handler = (req, res) => (req.rpcMethod === 'diagnostics'
      ? replyError(req, res, { code: -32603, message: 'Internal error' })
      : replaySamples(req, res));
    await assert.rejects(getNodeStatus(createFactomdClient({ url: srv.url, retries: 0 })), (e: unknown) => e instanceof FactomdError && e.rpc?.code === -32603);
  });
});
