import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createFactomdClient } from '../../src/factomd/client.js';
import type { Bundle } from '../../src/identity/bundle.js';
import { submitBundle } from '../../src/identity/submit.js';
import { startFakeFactomd } from './fake-factomd.js';
import { cleanup, loadVectors, tempDir, vector, vectorCreateBundle } from './helpers.js';

const V = loadVectors();
const F = V.fixedInputs;
const AT = F.commitTimestampMillis + 60_000;

const createBundle = (): Bundle => vectorCreateBundle('local');

describe('bundle submit (idempotent)', () => {
  it('survives lost answers, never commits twice, resumes, and reads the effect back', async () => {
    const dir = tempDir('submit');
    const fake = await startFakeFactomd({ blockTimeSeconds: F.identityTimestampSeconds });
    try {
      const bundle = createBundle();
      const bundlePath = join(dir, 'create.json');
      const client = createFactomdClient({ url: fake.url, timeoutMs: 5000, retries: 1 });
      const base = { bundle, bundlePath, client, now: () => AT, pollMs: 5, ackTimeoutMs: 5000, sleep: async () => {} };

      // Run 1: factomd processes the third commit but the answer is lost: the run fails.
      fake.dropNext.set('commit-chain', 0);
      fake.dropNext.set('commit-entry', 1);
      await assert.rejects(submitBundle(base));
      assert.ok(existsSync(`${bundlePath}.receipt.json`));

      // Run 2: resumes; the lost commit is found by its ack, a lost reveal answer is tolerated.
      fake.dropNext.set('reveal-entry', 1);
      const r2 = await submitBundle(base);
      for (const it of bundle.items) assert.equal(fake.commitRequests.get(it.entryHash), 1, `${it.kind} committed once`);
      assert.deepEqual(r2.receipt.effect?.rejected, []);
      assert.equal(r2.receipt.effect?.applied.length, bundle.items.length);
      assert.equal(r2.show?.state.blockSigningKey?.publicKey, vector(V, 'server.new-block-signing-key').expected.blockSigningPublicKeyHex);
      assert.deepEqual(r2.show?.missingForPromotion, []);

      // Run 3: nothing left to do.
      const r3 = await submitBundle(base);
      assert.deepEqual(r3.submitted, []);
      assert.equal(r3.alreadyLanded.length, bundle.items.length);

      // Receipt lost: factomd is asked, still nothing is sent twice.
      rmSync(`${bundlePath}.receipt.json`);
      const r4 = await submitBundle(base);
      assert.deepEqual(r4.submitted, []);
      for (const it of bundle.items) {
        assert.equal(fake.commitRequests.get(it.entryHash), 1);
        assert.ok((fake.revealRequests.get(it.entryHash) ?? 0) <= 2);
      }
    } finally {
      await fake.close();
      cleanup(dir);
    }
  });

  it('a commit factomd already holds (-32011 Repeated Commit) counts as done', async () => {
    const dir = tempDir('submit2');
    const fake = await startFakeFactomd({ blockTimeSeconds: F.identityTimestampSeconds });
    try {
      const bundle = createBundle();
      const client = createFactomdClient({ url: fake.url, timeoutMs: 5000, retries: 1 });
      // Someone else committed item 0 already (e.g. a crashed run whose receipt was lost before the ack).
      await client.commitChain(bundle.items[0]!.commitHex!);
      const r = await submitBundle({ bundle, bundlePath: join(dir, 'b.json'), client, now: () => AT, pollMs: 5, sleep: async () => {}, skipEffectCheck: true });
      assert.equal(r.submitted.length, bundle.items.length);
      assert.match(r.receipt.items[0]!.note ?? '', /Repeated Commit/);
    } finally {
      await fake.close();
      cleanup(dir);
    }
  });

  it('refuses when the EC balance is too low, and refuses expired bundles before sending anything', async () => {
    const dir = tempDir('submit3');
    const fake = await startFakeFactomd({ blockTimeSeconds: F.identityTimestampSeconds, balance: 5 });
    try {
      const bundle = createBundle();
      const client = createFactomdClient({ url: fake.url, timeoutMs: 5000, retries: 1 });
      await assert.rejects(submitBundle({ bundle, bundlePath: join(dir, 'b.json'), client, now: () => AT }), /holds 5 EC; this bundle needs 27/);
      await assert.rejects(submitBundle({ bundle, bundlePath: join(dir, 'c.json'), client, now: () => AT + 2 * 3600_000 }), /in the past/);
      assert.equal(fake.commitRequests.size, 0);
    } finally {
      await fake.close();
      cleanup(dir);
    }
  });
});
