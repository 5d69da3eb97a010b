import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createControlPanelClient } from '../../src/factomd/control-panel.js';
import { FactomdError } from '../../src/factomd/errors.js';
import { InputError } from '../../src/errors.js';
import { sampleText, startFakeServer, type FakeServer } from './fake-server.js';

/** Answers /factomd?item=X with cp-X.json and /factomdBatch with cp-batch.json, like factomd's port 8090. */
function replayControlPanel(req: { url: string }, res: import('node:http').ServerResponse): void {
  const u = new URL(req.url, 'http://x');
  let body: string | undefined;
  if (u.pathname === '/factomd') {
    try { body = sampleText(`cp-${u.searchParams.get('item') ?? ''}.json`); } catch { body = undefined; }
  } else if (u.pathname === '/factomdBatch' && u.searchParams.get('batch') === 'myHeight,leaderHeight,completeHeight,servercount') {
    body = sampleText('cp-batch.json');
  }
  if (body === undefined) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
}

describe('control panel client', () => {
  let srv: FakeServer;
  before(async () => { srv = await startFakeServer(replayControlPanel); });
  after(() => srv.close());
  beforeEach(() => { srv.handler = replayControlPanel; srv.seen.length = 0; });

  it('reads items with GET /factomd?item=… and types them', async () => {
    const cp = createControlPanelClient({ url: srv.url });
    assert.deepEqual(await cp.item('myHeight'), { Height: 1 });
    assert.equal(srv.seen[0]?.method, 'GET');
    assert.equal(srv.seen[0]?.url, '/factomd?item=myHeight');
    assert.deepEqual(await cp.item('servercount'), { fed: 1, aud: 0 });
    const dump = await cp.item('dataDump');
    assert.match(dump.DataDump4.MyNode ?? '', /38bab1455b7bd7e5efd15c53c777c79d0c988e9210f1da49a99d95b3a6417be9/);
    assert.equal((await cp.item('peerTotals')).BytesSentTotal, 0);
    assert.deepEqual(await cp.item('peers'), []);
    assert.equal(await cp.item('nextNode'), 0);
  });

  it('reads a batch in one request, typed per position', async () => {
    const cp = createControlPanelClient({ url: srv.url });
    const [my, leader, complete, count] = await cp.batch(['myHeight', 'leaderHeight', 'completeHeight', 'servercount'] as const);
    assert.equal(my.Height, 1);
    assert.equal(leader.Height, 1);
    assert.equal(complete.Height, 1);
    assert.equal(count.fed, 1);
    assert.equal(srv.seen.length, 1);
    assert.equal(srv.seen[0]?.url, '/factomdBatch?batch=myHeight,leaderHeight,completeHeight,servercount');
  });

  it('cannot send the state-changing disconnect item', async () => {
    const cp = createControlPanelClient({ url: srv.url });
    // @ts-expect-error: not a read-only item, refused by the types too
    await assert.rejects(cp.item('disconnect'), (e: unknown) => e instanceof InputError && e.field === 'item');
    assert.equal(srv.seen.length, 0);
  });

  it('a wrong answer becomes a typed error naming the position', async () => {
    srv.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[{"Height":1},{"Height":"x"}]');
    };
    const cp = createControlPanelClient({ url: srv.url, retries: 0 });
    await assert.rejects(cp.batch(['myHeight', 'leaderHeight']), (e: unknown) => e instanceof FactomdError && e.code === 'E_FACTOMD_BAD_RESPONSE' && e.field === '1.Height');
    await assert.rejects(cp.batch(['myHeight', 'leaderHeight', 'servercount']), (e: unknown) => e instanceof FactomdError && e.code === 'E_FACTOMD_BAD_RESPONSE');
  });

  it('HTTP 401 from the panel (realm "factomd Control Panel") → E_FACTOMD_AUTH', async () => {
    srv.handler = (_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="factomd Control Panel"' });
      res.end('401 Unauthorized.\n');
    };
    await assert.rejects(createControlPanelClient({ url: srv.url }).item('myHeight'),
      (e: unknown) => e instanceof FactomdError && e.code === 'E_FACTOMD_AUTH' && /Control Panel/.test(e.message));
  });
});
