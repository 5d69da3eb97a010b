import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BatchSchema } from '../../src/agent/payload.js';
import { fastParseBatch } from '../../src/server/ingest/fast-batch.js';

// Values near each rule's edge: the regexes' first characters and lengths, the 16-label and
// 256-character limits, integers versus fractions, negative numbers, wrong types.
const name = fc.oneof(
  fc.constantFrom('node_load1', 'node_cpu_seconds_total', 'factomd_leader_height', 'a:b', '_x', '1abc', 'bad-name', '', 'x'.repeat(128), 'x'.repeat(129), '__proto__'),
  fc.string({ maxLength: 12 }),
);
const labelName = fc.oneof(fc.constantFrom('cpu', 'mode', 'device', '_a', '9x', 'a-b', '', 'y'.repeat(64), 'y'.repeat(65), '__proto__', 'constructor'), fc.string({ maxLength: 6 }));
const labelValue = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('v'.repeat(256), 'v'.repeat(257)), fc.integer() as fc.Arbitrary<unknown>, fc.constant(null));
const labels = fc.dictionary(labelName, labelValue, { maxKeys: 18 });
const num = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double(), fc.constantFrom(0, 1.5, -1, 2 ** 53, 2 ** 53 + 2, 1e300), fc.constant('1') as fc.Arbitrary<unknown>);
const sample = fc.record(
  { name: name, labels: labels, value: num, t: num, extra: fc.constant(1) },
  { requiredKeys: [] },
);
const event = fc.record(
  {
    kind: fc.constantFrom('ssh.login.failed', 'Bad', 'x'),
    severity: fc.constantFrom('info', 'warning', 'critical', 'fatal'),
    t: num,
    message: fc.string({ maxLength: 5 }),
    data: fc.oneof(fc.constant({ a: 1 }), fc.constant([]) as fc.Arbitrary<unknown>),
  },
  { requiredKeys: ['kind', 'severity', 't', 'message'] },
);
const batch = fc.record(
  {
    v: fc.constantFrom(1, 2, '1'),
    agent: fc.constantFrom('fed1', 'a.b-c_d', '-x', '', 'é'),
    seq: num,
    sentAt: num,
    samples: fc.array(sample, { maxLength: 6 }),
    events: fc.array(event, { maxLength: 2 }),
    extra: fc.constant(true),
  },
  { requiredKeys: [] },
);

/** A well-formed batch, so the fast path is shown to accept the real traffic, not only to decline. */
const goodBatch = fc.record({
  v: fc.constant(1),
  agent: fc.constantFrom('fed1', 'auth-node-2'),
  seq: fc.integer({ min: 1, max: 1e9 }),
  sentAt: fc.integer({ min: 0, max: 2e12 }),
  samples: fc.array(fc.record(
    { name: fc.constantFrom('node_load1', 'node_cpu_seconds_total'), labels: fc.dictionary(fc.constantFrom('cpu', 'mode', 'device'), fc.string({ maxLength: 10 })), value: fc.double({ noNaN: true, noDefaultInfinity: true }), t: fc.integer({ min: 0, max: 2e12 }) },
    { requiredKeys: ['name', 'value', 't'] },
  ), { maxLength: 20 }),
  events: fc.array(fc.record({ kind: fc.constant('ssh.login.failed'), severity: fc.constant('info' as const), t: fc.integer({ min: 0, max: 2e12 }), message: fc.string({ maxLength: 20 }) }), { maxLength: 2 }),
});

describe('ingest fast path (in front of the zod BatchSchema)', () => {
  it('accepts only what BatchSchema accepts, and returns what BatchSchema returns', () => {
    let accepted = 0;
    fc.assert(fc.property(fc.oneof(batch, goodBatch as fc.Arbitrary<unknown>), (input) => {
      // JSON round trip: the fast path sees what fastify's JSON parser produces.
      const json = JSON.stringify(input);
      const fast = fastParseBatch(JSON.parse(json));
      if (fast === undefined) return;
      accepted++;
      const z = BatchSchema.safeParse(JSON.parse(json));
      assert.ok(z.success, `fast path accepted what zod refuses: ${json}`);
      assert.deepEqual(fast, z.data);
    }), { numRuns: 3000, seed: 42 });
    assert.ok(accepted > 500, `fast path accepted only ${accepted} inputs`);
  });

  it('accepts every well-formed batch', () => {
    fc.assert(fc.property(goodBatch, (input) => {
      const z = BatchSchema.parse(JSON.parse(JSON.stringify(input)));
      assert.deepEqual(fastParseBatch(JSON.parse(JSON.stringify(input))), z);
    }), { numRuns: 500, seed: 7 });
  });

  it('leaves JSON with a __proto__ key to zod', () => {
    const body = '{"v":1,"agent":"a","seq":1,"sentAt":0,"samples":[{"name":"x","labels":{"__proto__":"y"},"value":1,"t":1}],"events":[]}';
    assert.equal(fastParseBatch(JSON.parse(body)), undefined);
  });
});
