import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { createFactomdClient, createDebugClient, REDACTED } from '../../src/factomd/client.js';
import { FactomdError } from '../../src/factomd/errors.js';
import { InputError } from '../../src/errors.js';
import {
  startFakeServer, replaySamples, replyResult, replyError, sample, type FakeServer, type SeenRequest,
} from './fake-server.js';

/** Asserts that `p` rejects with a FactomdError of `code`, and returns it for further checks. */
async function rejectsWith(p: Promise<unknown>, code: string): Promise<FactomdError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof FactomdError, `expected a FactomdError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

const result = (file: string) => (sample(file) as { result: unknown }).result;
const EC = 'EC2DKSYyRcNWf7RS963VFYgMExoHRYLHVeCfQ9PGPmNzwrcmgm2r';
const FA = 'FA2jK2HcLnRdS94dEcU27rF3meoJfpUcZPSinpb7AwQvPRY6RL1Q';
const ES = 'Es2Rf7iM6PdsqfYCo3D1tnAR65SkLENyWJG1deUzpRMQmbh9F3eG';
const HASH = 'ab'.repeat(32);

describe('factomd client: replayed real answers', () => {
  let srv: FakeServer;
  before(async () => { srv = await startFakeServer(); });
  after(() => srv.close());
  beforeEach(() => { srv.handler = replaySamples; srv.seen.length = 0; });

  it('every typed read returns the sample, parsed, over POST /v2 with JSON-RPC 2.0', async () => {
    const c = createFactomdClient({ url: srv.url });
    const h = await c.heights();
    assert.deepEqual(h, result('v2-heights.json'));
    assert.equal(srv.seen[0]?.method, 'POST');
    assert.equal(srv.seen[0]?.url, '/v2');
    assert.match(srv.seen[0]?.body ?? '', /"jsonrpc":"2.0"/);
    assert.deepEqual(await c.currentMinute(), result('v2-current-minute.json'));
    assert.deepEqual(await c.properties(), result('v2-properties.json'));
    assert.deepEqual(await c.diagnostics(), result('v2-diagnostics.json'));
    assert.deepEqual(await c.authorities(), result('v2-authorities.json'));
    assert.deepEqual(await c.directoryBlockHead(), result('v2-directory-block-head.json'));
    assert.deepEqual(await c.entryCreditRate(), result('v2-entry-credit-rate.json'));
    assert.deepEqual(await c.tpsRate(), result('v2-tps-rate.json'));
    assert.deepEqual(await c.pendingEntries(), result('v2-pending-entries.json'));
    const d = await c.dblockByHeight(1);
    assert.equal(d.dblock.header.dbheight, 1);
    assert.deepEqual(srv.seen.at(-1)?.rpcParams, { height: 1 });
    const a = await c.ablockByHeight(1, { noraw: true });
    assert.equal(a.ablock.header.dbheight, 1);
    assert.deepEqual(srv.seen.at(-1)?.rpcParams, { height: 1, noraw: true });
    const p = await c.pendingTransactions();
    assert.equal(p?.[0]?.status, 'TransactionACK');
  });

  it('nanosecond times survive as numbers (rounded by JSON to ~256 ns, documented)', async () => {
    const cm = await createFactomdClient({ url: srv.url }).currentMinute();
    // The sample's text says 1795724402216669492; compare as exact decimal to the nearest double.
    assert.ok(BigInt(cm.currenttime) - 1795724402216669492n < 1024n && 1795724402216669492n - BigInt(cm.currenttime) < 1024n);
  });

  it('a URL path replaces /v2 (for a gateway under a prefix)', async () => {
    await createFactomdClient({ url: `${srv.url}/factomd/v2` }).heights();
    assert.equal(srv.seen[0]?.url, '/factomd/v2');
  });

  it('sends Basic auth when a user is given, and never puts the password anywhere else', async () => {
    const c = createFactomdClient({ url: srv.url, user: 'ops', password: 's3cret' });
    await c.heights();
    assert.equal(srv.seen[0]?.headers.authorization, `Basic ${Buffer.from('ops:s3cret').toString('base64')}`);
    assert.doesNotMatch(srv.seen[0]?.body ?? '', /s3cret/);
    assert.doesNotMatch(c.url, /s3cret|ops/);
  });

  it('balance, entry, entry-block, chain-head and ack send the right params and parse typed answers', async () => {
    srv.handler = (req, res) => {
      const answers: Record<string, unknown> = {
        'entry-credit-balance': { balance: 42 },
        'factoid-balance': { balance: 7 },
        entry: { chainid: HASH, content: '68656c6c6f', extids: ['01'] },
        'entry-block': { header: { blocksequencenumber: 0, chainid: HASH, prevkeymr: '00'.repeat(32), timestamp: 1, dbheight: 3 }, entrylist: [{ entryhash: HASH, timestamp: 1 }] },
        'chain-head': { chainhead: HASH, chaininprocesslist: false },
        ack: { committxid: HASH, entryhash: HASH, commitdata: { status: 'DBlockConfirmed' }, entrydata: { status: 'DBlockConfirmed' } },
      };
      replyResult(req, res, answers[req.rpcMethod ?? '']);
    };
    const c = createFactomdClient({ url: srv.url });
    assert.equal((await c.entryCreditBalance(EC)).balance, 42);
    assert.deepEqual(srv.seen.at(-1)?.rpcParams, { address: EC });
    assert.equal((await c.factoidBalance(FA)).balance, 7);
    assert.equal((await c.entry(HASH)).content, '68656c6c6f');
    assert.equal((await c.entryBlock(HASH)).header.dbheight, 3);
    assert.equal((await c.chainHead(HASH)).chaininprocesslist, false);
    assert.equal((await c.ack(HASH, 'c')).commitdata?.status, 'DBlockConfirmed');
    assert.deepEqual(srv.seen.at(-1)?.rpcParams, { hash: HASH, chainid: 'c' });
  });

  it('a secret Es… address is refused before anything is sent', async () => {
    const c = createFactomdClient({ url: srv.url });
    await assert.rejects(c.entryCreditBalance(ES), (e: unknown) => e instanceof InputError && e.field === 'address' && /secret/.test(e.message));
    assert.equal(srv.seen.length, 0);
  });

  it('bad arguments (short hash, wrong commit size, negative height) are refused locally', async () => {
    const c = createFactomdClient({ url: srv.url });
    await assert.rejects(c.entry('abcd'), (e: unknown) => e instanceof InputError && e.field === 'hash');
    await assert.rejects(c.commitEntry('00'.repeat(200)), (e: unknown) => e instanceof InputError && e.field === 'message');
    await assert.rejects(c.dblockByHeight(-1), (e: unknown) => e instanceof InputError && e.field === 'height');
    assert.equal(srv.seen.length, 0);
  });

  it('call() passes any method through and checks only the envelope', async () => {
    const c = createFactomdClient({ url: srv.url });
    assert.deepEqual(await c.call('heights'), result('v2-heights.json'));
  });

  it('debug client reads /debug and redacts the private key and RPC password of configuration', async () => {
    srv.handler = (req, res) => {
      const files: Record<string, string> = {
        'network-info': 'debug-network-info.json', configuration: 'debug-configuration.json',
        'federated-servers': 'debug-federated-servers.json', summary: 'debug-summary.json',
      };
      replyResult(req, res, result(files[req.rpcMethod ?? ''] ?? 'debug-delay.json'));
    };
    const d = createDebugClient({ url: srv.url });
    const ni = await d.networkInfo();
    assert.equal(srv.seen[0]?.url, '/debug');
    assert.equal(ni.NetworkName, 'LOCAL');
    assert.equal((await d.federatedServers()).FederatedServers?.[0]?.Online, true);
    assert.match((await d.summary()).Summary, /FNode0/);
    const conf = await d.configuration();
    assert.equal(conf.App.LocalServerPrivKey, REDACTED);
    assert.equal(conf.App.FactomdRpcPass, '', 'an empty password stays visibly empty');
    assert.equal(conf.App.LocalServerPublicKey, 'cc1985cdfae4e32b5a454dfda8ce5e1361558482684f3367649c3ad852c8e31a');
    assert.doesNotMatch(JSON.stringify(conf), /4c38c72fc5cdad68f13b74674d3ffb1f3d63a112710868c9b08946553448d26d/);
  });
});

describe('factomd client: hostile and broken answers become typed errors', () => {
  let srv: FakeServer;
  before(async () => { srv = await startFakeServer(); });
  after(() => srv.close());
  beforeEach(() => { srv.seen.length = 0; });
  const client = (extra: object = {}) => createFactomdClient({ url: srv.url, retries: 0, timeoutMs: 2000, ...extra });
  const raw = (status: number, body: string, headers: Record<string, string> = {}) => (_req: SeenRequest, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };

  it('garbage (not JSON) → E_FACTOMD_BAD_RESPONSE on body', async () => {
    srv.handler = raw(200, '<html>hello</html>');
    const e = await rejectsWith(client().heights(), 'E_FACTOMD_BAD_RESPONSE');
    assert.equal(e.field, 'body');
  });

  it('truncated JSON (connection closed early, no length) → E_FACTOMD_BAD_RESPONSE', async () => {
    srv.handler = (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: req.rpcId, result: result('v2-heights.json') }).slice(0, 40));
    };
    await rejectsWith(client().heights(), 'E_FACTOMD_BAD_RESPONSE');
  });

  it('body shorter than its Content-Length → truncated, E_FACTOMD_BAD_RESPONSE', async () => {
    srv.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.write('{"jsonrpc":"2.0","id":1,"res');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const e = await rejectsWith(client().heights(), 'E_FACTOMD_BAD_RESPONSE');
    assert.match(e.message, /truncated/);
  });

  it('oversized body (declared, and streamed without a length) → E_FACTOMD_TOO_LARGE', async () => {
    srv.handler = raw(200, `{"jsonrpc":"2.0","id":1,"result":"${'x'.repeat(5000)}"}`);
    await rejectsWith(client({ maxResponseBytes: 1024 }).heights(), 'E_FACTOMD_TOO_LARGE');
    srv.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no length announced
      let n = 0;
      const t = setInterval(() => {
        if (n++ > 50 || res.destroyed) { clearInterval(t); res.end(); return; }
        res.write('x'.repeat(1024));
      }, 1);
    };
    await rejectsWith(client({ maxResponseBytes: 4096 }).heights(), 'E_FACTOMD_TOO_LARGE');
  });

  it('a slow body → E_FACTOMD_TIMEOUT within the deadline', async () => {
    srv.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"jsonrpc":');
      // never finishes; the server's close() ends it
    };
    const t0 = Date.now();
    await rejectsWith(client({ timeoutMs: 300 }).heights(), 'E_FACTOMD_TIMEOUT');
    assert.ok(Date.now() - t0 < 2000);
  });

  it('HTTP 401 with WWW-Authenticate → E_FACTOMD_AUTH: "required" without creds, "failed" with', async () => {
    srv.handler = (_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="factomd RPC"', 'content-type': 'text/plain' });
      res.end('401 Unauthorized.\n');
    };
    const e1 = await rejectsWith(client().heights(), 'E_FACTOMD_AUTH');
    assert.match(e1.message, /authentication required/);
    assert.match(e1.message, /factomd RPC/);
    const e2 = await rejectsWith(client({ user: 'u', password: 'wrong' }).heights(), 'E_FACTOMD_AUTH');
    assert.match(e2.message, /authentication failed/);
    assert.doesNotMatch(e2.message, /wrong/);
    assert.equal(e2.httpStatus, 401);
  });

  it('JSON-RPC -32602 with data → E_FACTOMD_RPC carrying code, message and data', async () => {
    srv.handler = (req, res) => replyError(req, res, { code: -32602, message: 'Invalid params', data: 'Invalid Address' });
    const e = await rejectsWith(client().entryCreditBalance(EC), 'E_FACTOMD_RPC');
    assert.deepEqual(e.rpc, { code: -32602, message: 'Invalid params', data: 'Invalid Address' });
    assert.equal(e.httpStatus, 400);
    assert.match(e.toLine(), /Invalid params: Invalid Address \(JSON-RPC -32602\)/);
  });

  it('JSON-RPC -32011 Repeated Commit on a commit → E_FACTOMD_RPC, sent once', async () => {
    srv.handler = (req, res) => replyError(req, res, { code: -32011, message: 'Repeated Commit', data: 'A commit with equal or greater payment already exists' });
    const e = await rejectsWith(createFactomdClient({ url: srv.url, retries: 3, retryDelayMs: 1 }).commitEntry('00'.repeat(136)), 'E_FACTOMD_RPC');
    assert.equal(e.rpc?.code, -32011);
    assert.equal(srv.seen.length, 1);
    assert.deepEqual(srv.seen[0]?.rpcParams, { message: '00'.repeat(136) });
  });

  it('a string where a number belongs → E_FACTOMD_BAD_RESPONSE naming result.<field>', async () => {
    srv.handler = (req, res) => replyResult(req, res, { ...(result('v2-heights.json') as object), leaderheight: '1' });
    const e = await rejectsWith(client().heights(), 'E_FACTOMD_BAD_RESPONSE');
    assert.equal(e.field, 'result.leaderheight');
  });

  it('a deep field of the wrong type is named by its full path', async () => {
    const d = result('v2-diagnostics.json') as { authset: { leaders: Array<Record<string, unknown>> } };
    const bad = { ...d, authset: { ...d.authset, leaders: [{ ...d.authset.leaders[0], id: 'nothex' }] } };
    srv.handler = (req, res) => replyResult(req, res, bad);
    const e = await rejectsWith(client().diagnostics(), 'E_FACTOMD_BAD_RESPONSE');
    assert.equal(e.field, 'result.authset.leaders.0.id');
  });

  it('no result and no error, a wrong jsonrpc version, or another id → E_FACTOMD_BAD_RESPONSE', async () => {
    srv.handler = raw(200, '{"jsonrpc":"2.0","id":1}');
    assert.equal((await rejectsWith(client().heights(), 'E_FACTOMD_BAD_RESPONSE')).field, 'result');
    srv.handler = (req, res) => raw(200, JSON.stringify({ jsonrpc: '1.0', id: req.rpcId, result: result('v2-heights.json') }))(req, res);
    assert.equal((await rejectsWith(client().heights(), 'E_FACTOMD_BAD_RESPONSE')).field, 'jsonrpc');
    srv.handler = raw(200, JSON.stringify({ jsonrpc: '2.0', id: 999_999, result: result('v2-heights.json') }));
    assert.equal((await rejectsWith(client().heights(), 'E_FACTOMD_BAD_RESPONSE')).field, 'id');
  });

  it('control characters in a hostile error message never reach the terminal line', async () => {
    srv.handler = (req, res) => replyError(req, res, { code: -32603, message: 'Internal error\u001b[2J\u001b]0;pwned\u0007', data: 'x\ny' });
    const e = await rejectsWith(client().heights(), 'E_FACTOMD_RPC');
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(e.toLine(), /[\u0000-\u001f]/);
  });

  it('a "__proto__" key in an answer cannot change the prototype of what we return', async () => {
    const conf = result('debug-configuration.json') as { App: object };
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { ...conf, App: { ...conf.App } } })
      .replace('"App":{', '"App":{"__proto__":{"polluted":true},');
    srv.handler = raw(200, body);
    const c = await createDebugClient({ url: srv.url, retries: 0 }).configuration();
    assert.equal((c.App as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(c.App), Object.prototype);
  });

  it('an unexpected HTTP status without JSON-RPC → E_FACTOMD_HTTP', async () => {
    srv.handler = raw(404, '', { 'content-type': 'text/plain' });
    assert.equal((await rejectsWith(client().heights(), 'E_FACTOMD_HTTP')).httpStatus, 404);
    srv.handler = raw(200, '');
    assert.match((await rejectsWith(client().heights(), 'E_FACTOMD_BAD_RESPONSE')).message, /empty/);
    srv.handler = raw(502, 'Bad Gateway', { 'content-type': 'text/plain' });
    const e = await rejectsWith(client().heights(), 'E_FACTOMD_HTTP');
    assert.equal(e.httpStatus, 502);
  });
});

describe('factomd client: retries only for idempotent reads', () => {
  let srv: FakeServer;
  before(async () => { srv = await startFakeServer(); });
  after(() => srv.close());
  beforeEach(() => { srv.seen.length = 0; });
  const unavailable = (_req: SeenRequest, res: ServerResponse) => {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('busy');
  };

  it('a read is retried `retries` times, then fails with the attempt count', async () => {
    srv.handler = unavailable;
    const e = await rejectsWith(createFactomdClient({ url: srv.url, retries: 2, retryDelayMs: 1 }).heights(), 'E_FACTOMD_HTTP');
    assert.equal(srv.seen.length, 3);
    assert.equal(e.attempts, 3);
  });

  it('a read that fails once then succeeds returns the value', async () => {
    srv.handler = (req, res) => (srv.seen.length === 1 ? unavailable(req, res) : replaySamples(req, res));
    const h = await createFactomdClient({ url: srv.url, retries: 2, retryDelayMs: 1 }).heights();
    assert.equal(h.directoryblockheight, 1);
    assert.equal(srv.seen.length, 2);
  });

  it('commit-chain, commit-entry, reveal-chain and reveal-entry are sent exactly once', async () => {
    srv.handler = unavailable;
    const c = createFactomdClient({ url: srv.url, retries: 5, retryDelayMs: 1 });
    await rejectsWith(c.commitChain('00'.repeat(200)), 'E_FACTOMD_HTTP');
    await rejectsWith(c.commitEntry('00'.repeat(136)), 'E_FACTOMD_HTTP');
    await rejectsWith(c.revealChain('00'.repeat(40)), 'E_FACTOMD_HTTP');
    await rejectsWith(c.revealEntry('00'.repeat(40)), 'E_FACTOMD_HTTP');
    await rejectsWith(c.call('factoid-submit', { transaction: '00' }), 'E_FACTOMD_HTTP');
    assert.deepEqual(srv.seen.map((r) => r.rpcMethod), ['commit-chain', 'commit-entry', 'reveal-chain', 'reveal-entry', 'factoid-submit']);
  });

  it('a commit that times out is not retried either', async () => {
    srv.handler = () => { /* never answers */ };
    await rejectsWith(createFactomdClient({ url: srv.url, retries: 3, retryDelayMs: 1, timeoutMs: 200 }).commitEntry('00'.repeat(136)), 'E_FACTOMD_TIMEOUT');
    assert.equal(srv.seen.length, 1);
  });

  it('JSON-RPC errors and auth failures are not retried (they would fail the same way)', async () => {
    srv.handler = (req, res) => replyError(req, res, { code: -32008, message: 'Entry not found' });
    await rejectsWith(createFactomdClient({ url: srv.url, retries: 3, retryDelayMs: 1 }).entry(HASH), 'E_FACTOMD_RPC');
    assert.equal(srv.seen.length, 1);
  });

  it('a closed port → E_FACTOMD_UNREACHABLE after the retries', async () => {
    // Port 1: below the ephemeral range and bound by no test, so it stays closed (a port closed a
    // moment ago can be taken by another process of a busy test run).
    const port = 1;
    const e = await rejectsWith(createFactomdClient({ url: `http://127.0.0.1:${port}`, retries: 1, retryDelayMs: 1 }).heights(), 'E_FACTOMD_UNREACHABLE');
    assert.equal(e.attempts, 2);
    assert.match(e.message, /ECONNREFUSED/);
  });
});

describe('factomd client: options', () => {
  it('refuses credentials in the URL, odd schemes, and a CA or pin on plain http', () => {
    const bad = (o: Parameters<typeof createFactomdClient>[0], field: string) =>
      assert.throws(() => createFactomdClient(o), (e: unknown) => e instanceof InputError && e.field === field && e.exitCode === 2);
    bad({ url: 'http://u:p@127.0.0.1:8088' }, 'url');
    bad({ url: 'ftp://127.0.0.1' }, 'url');
    bad({ url: 'not a url' }, 'url');
    bad({ url: 'http://127.0.0.1:8088', ca: 'x' }, 'ca');
    bad({ url: 'https://127.0.0.1:8088', pinnedCertSha256: 'abc' }, 'pinnedCertSha256');
    bad({ url: 'http://127.0.0.1:8088', timeoutMs: 0 }, 'timeoutMs');
    bad({ url: 'http://127.0.0.1:8088', password: 'p' }, 'user');
  });
});
