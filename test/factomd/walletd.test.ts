import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createWalletdClient } from '../../src/factomd/walletd.js';
import { createFactomdClient } from '../../src/factomd/client.js';
import { FactomdError } from '../../src/factomd/errors.js';
import { InputError } from '../../src/errors.js';
import { replyResult, startFakeServer, type FakeServer, type SeenRequest } from './fake-server.js';

const EC = 'EC2DKSYyRcNWf7RS963VFYgMExoHRYLHVeCfQ9PGPmNzwrcmgm2r';
const ES = 'Es2Rf7iM6PdsqfYCo3D1tnAR65SkLENyWJG1deUzpRMQmbh9F3eG';
const CHAIN = 'cd'.repeat(32);
const call = (method: string, params: object) => ({ jsonrpc: '2.0', id: 0, method, params });

function walletd(req: SeenRequest, res: import('node:http').ServerResponse): void {
  const answers: Record<string, unknown> = {
    properties: { walletversion: '2.2.17', walletapiversion: '2.0' },
    address: { public: EC, secret: ES },
    'compose-chain': { commit: call('commit-chain', { message: '01'.repeat(200) }), reveal: call('reveal-chain', { entry: '00'.repeat(40) }) },
    'compose-entry': { commit: call('commit-entry', { message: '01'.repeat(136) }), reveal: call('reveal-entry', { entry: '00'.repeat(40) }) },
    'entry-credit-balance': { balance: 1000 },
  };
  replyResult(req, res, answers[req.rpcMethod ?? '']);
}

describe('walletd client', () => {
  let srv: FakeServer;
  before(async () => { srv = await startFakeServer(walletd); });
  after(() => srv.close());
  beforeEach(() => { srv.handler = walletd; srv.seen.length = 0; });

  it('properties', async () => {
    assert.equal((await createWalletdClient({ url: srv.url }).properties()).walletapiversion, '2.0');
    assert.equal(srv.seen[0]?.url, '/v2');
  });

  it('address confirms walletd holds the key, and never hands the secret back', async () => {
    const r = await createWalletdClient({ url: srv.url }).address(EC);
    assert.deepEqual(r, { public: EC, hasSecret: true });
    assert.doesNotMatch(JSON.stringify(r), /Es2/);
  });

  it('compose-chain sends hex ext IDs and content and the EC public address; result is typed', async () => {
    const w = createWalletdClient({ url: srv.url });
    const c = await w.composeChain({ extIdsHex: ['AB', '00'], contentHex: '68' }, EC);
    assert.equal(c.commit.params.message.length, 400);
    assert.equal(c.reveal.method, 'reveal-chain');
    assert.deepEqual(srv.seen[0]?.rpcParams, { chain: { firstentry: { extids: ['ab', '00'], content: '68' } }, ecpub: EC });
    const e = await w.composeEntry(CHAIN, { extIdsHex: [], contentHex: '' }, EC);
    assert.equal(e.commit.method, 'commit-entry');
    assert.deepEqual(srv.seen[1]?.rpcParams, { entry: { chainid: CHAIN, extids: [], content: '' }, ecpub: EC });
  });

  it('compose is never retried', async () => {
    srv.handler = (_req, res) => { res.writeHead(503); res.end(); };
    await assert.rejects(createWalletdClient({ url: srv.url, retries: 4, retryDelayMs: 1 }).composeEntry(CHAIN, { extIdsHex: [], contentHex: '00' }, EC),
      (e: unknown) => e instanceof FactomdError && e.code === 'E_FACTOMD_HTTP');
    assert.equal(srv.seen.length, 1);
  });

  it('refuses a secret as the paying address, an oversize entry and non-hex, before sending', async () => {
    const w = createWalletdClient({ url: srv.url });
    await assert.rejects(w.composeChain({ extIdsHex: [], contentHex: '00' }, ES), (e: unknown) => e instanceof InputError && e.field === 'ecAddress');
    await assert.rejects(w.composeEntry(CHAIN, { extIdsHex: [], contentHex: '00'.repeat(10_241) }, EC), (e: unknown) => e instanceof InputError && e.field === 'entry');
    await assert.rejects(w.composeEntry(CHAIN, { extIdsHex: ['zz'], contentHex: '' }, EC), (e: unknown) => e instanceof InputError && e.field === 'extIdsHex.0');
    assert.equal(srv.seen.length, 0);
  });

  it('entry-credit-balance goes to factomd, not walletd', async () => {
    const factomd = await startFakeServer((req, res) => replyResult(req, res, { balance: 5 }));
    try {
      const w = createWalletdClient({ url: srv.url, factomd: createFactomdClient({ url: factomd.url }) });
      assert.equal((await w.entryCreditBalance(EC)).balance, 5);
      assert.equal(factomd.seen[0]?.rpcMethod, 'entry-credit-balance');
      assert.equal(srv.seen.length, 0);
      await assert.rejects(createWalletdClient({ url: srv.url }).entryCreditBalance(EC), (e: unknown) => e instanceof InputError && e.field === 'factomd');
    } finally {
      await factomd.close();
    }
  });
});
