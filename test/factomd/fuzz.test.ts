import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createFactomdClient } from '../../src/factomd/client.js';
import { createControlPanelClient } from '../../src/factomd/control-panel.js';
import { FactomdError } from '../../src/factomd/errors.js';
import { heightsSchema, diagnosticsSchema, cpHeightSchema } from '../../src/factomd/schemas.js';
import { sample, startFakeServer, type FakeServer } from './fake-server.js';

interface Reply { status: number; body: string }

/** Bodies from plain garbage through valid JSON to near-valid answers with one field replaced. */
function bodies(validResult: Record<string, unknown>): fc.Arbitrary<Reply> {
  const status = fc.constantFrom(200, 200, 200, 400, 401, 404, 500, 503);
  const nearValid = fc.tuple(fc.constantFrom(...Object.keys(validResult)), fc.jsonValue()).map(([k, v]) =>
    JSON.stringify({ jsonrpc: '2.0', id: 1, result: { ...validResult, [k]: v } }));
  const envelope = fc.record({
    jsonrpc: fc.oneof(fc.constant('2.0'), fc.string()),
    id: fc.oneof(fc.constant(1), fc.jsonValue()),
    result: fc.jsonValue(),
    error: fc.option(fc.record({ code: fc.oneof(fc.integer(), fc.jsonValue()), message: fc.oneof(fc.string(), fc.jsonValue()), data: fc.jsonValue() }), { nil: undefined }),
  }).map((o) => JSON.stringify(o));
  const body = fc.oneof(fc.string({ unit: 'binary' }), fc.json(), envelope, nearValid, nearValid.map((s) => s.slice(0, s.length >> 1)));
  return fc.record({ status, body });
}

describe('no response makes the client do anything but return a valid value or a FactomdError', () => {
  let srv: FakeServer;
  let next: Reply = { status: 200, body: '' };
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => { unhandled.push(e); };
  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    srv = await startFakeServer((_req, res) => {
      res.writeHead(next.status, { 'content-type': 'application/json' });
      res.end(next.body);
    });
  });
  after(async () => {
    await srv.close();
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, []);
  });

  const outcome = async (p: Promise<unknown>, check: (v: unknown) => boolean) => {
    try {
      const v = await p;
      assert.ok(check(v), `accepted an invalid value: ${JSON.stringify(v)}`);
    } catch (e) {
      assert.ok(e instanceof FactomdError, `threw something else: ${String(e)}`);
      assert.doesNotMatch(e.toLine(), /\n/);
    }
  };

  it('heights and diagnostics over /v2', async () => {
    const heights = (sample('v2-heights.json') as { result: Record<string, unknown> }).result;
    const diag = (sample('v2-diagnostics.json') as { result: Record<string, unknown> }).result;
    const c = createFactomdClient({ url: srv.url, retries: 0, timeoutMs: 5000, maxResponseBytes: 64 * 1024 });
    await fc.assert(fc.asyncProperty(bodies(heights), async (r) => {
      next = r;
      await outcome(c.heights(), (v) => heightsSchema.safeParse(v).success);
    }), { numRuns: 150 });
    await fc.assert(fc.asyncProperty(bodies(diag), async (r) => {
      next = r;
      await outcome(c.diagnostics(), (v) => diagnosticsSchema.safeParse(v).success);
    }), { numRuns: 100 });
  });

  it('control-panel items', async () => {
    const cp = createControlPanelClient({ url: srv.url, retries: 0, timeoutMs: 5000 });
    await fc.assert(fc.asyncProperty(fc.record({ status: fc.constantFrom(200, 500), body: fc.oneof(fc.json(), fc.string()) }), async (r) => {
      next = r;
      await outcome(cp.item('myHeight'), (v) => cpHeightSchema.safeParse(v).success);
    }), { numRuns: 100 });
  });
});
