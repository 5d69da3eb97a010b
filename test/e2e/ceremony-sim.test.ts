import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSim, type SimHandle } from '../../src/sim/index.js';
import { encodeKey, hexToBytes, publicKeyFromSeed, bytesToHex } from '../../src/factom/index.js';
import { runCli, SHARED } from '../helpers/cli.js';

// The whole ceremony against the simulator: offline create → online verify, submit, show →
// promotion → authorities. Keys and nonces from the reference vectors' fixed inputs (the nonces
// avoid a minute of grinding); times are now, since the node checks the ±1 h / ±12 h windows.
const vectors = JSON.parse(readFileSync(join(SHARED, 'vectors/factom-vectors.json'), 'utf8')) as {
  fixedInputs: { levelSeedsHex: string[]; ecSeedHex: string; blockSigningKeySeedHex: string; btcHash160Hex: string; mhashSeedHex: string };
  vectors: { id: string; expected: { nonceHex?: string; chainId?: string } }[];
};
const fx = vectors.fixedInputs;
const vec = (id: string) => vectors.vectors.find((v) => v.id === id)!.expected;
const dir = mkdtempSync(join(tmpdir(), 'ag-e2e-ceremony-'));
const keys = join(dir, 'keys');
const secretWrite = (p: string, s: string) => writeFileSync(p, `${s}\n`, { mode: 0o600 });

describe('identity ceremony against the simulator', () => {
  let sim: SimHandle;
  let ecPublic: string;
  before(async () => {
    mkdirSync(keys, { mode: 0o700 });
    fx.levelSeedsHex.forEach((s, i) => secretWrite(join(keys, `sk${i + 1}`), encodeKey(`sk${i + 1}` as 'sk1', hexToBytes(s))));
    secretWrite(join(keys, 'block-signing-key'), fx.blockSigningKeySeedHex);
    secretWrite(join(keys, 'matryoshka-seed'), fx.mhashSeedHex);
    secretWrite(join(dir, 'ec.key'), encodeKey('Es', hexToBytes(fx.ecSeedHex)));
    ecPublic = encodeKey('EC', publicKeyFromSeed(hexToBytes(fx.ecSeedHex)));
    sim = await startSim({ nodes: 2, authorities: 1, blockTimeMs: 1000, dir: join(dir, 'sim'), fund: { [ecPublic]: 500 } });
  });
  after(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates offline, submits online, reads back and gets promoted', async () => {
    const bundle = join(dir, 'create.json');
    const created = await runCli(['identity', 'create', '--keys', keys, '--ec-key', join(dir, 'ec.key'),
      '--nonce-hex', vec('server.identity-root-chain').nonceHex!, '--management-nonce-hex', vec('server.server-management-chain').nonceHex!,
      '--btc-hash160', fx.btcHash160Hex, '--network', 'LOCAL', '--out', bundle, '--json']);
    assert.equal(created.code, 0, created.stderr);
    const rootId = vec('server.identity-root-chain').chainId!;
    const b = JSON.parse(readFileSync(bundle, 'utf8')) as { items: { kind: string; chainId: string }[] };
    assert.equal(b.items[0]!.chainId, rootId);
    for (const s of [...fx.levelSeedsHex, fx.ecSeedHex, fx.blockSigningKeySeedHex]) assert.ok(!readFileSync(bundle, 'utf8').includes(s), 'no secret in the bundle');

    const verified = await runCli(['bundle', 'verify', bundle, '--json']);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);

    const api = sim.nodes[1]!.api;
    const submitted = await runCli(['bundle', 'submit', bundle, '--factomd', api, '--json'], { timeoutMs: 120_000 });
    assert.equal(submitted.code, 0, submitted.stdout + submitted.stderr);
    // Idempotent: a second run submits nothing and reports everything as landed.
    const again = await runCli(['bundle', 'submit', bundle, '--factomd', api, '--json'], { timeoutMs: 120_000 });
    assert.equal(again.code, 0, again.stderr);
    const againJson = JSON.parse(again.stdout) as { submitted: unknown[] | number };
    assert.equal(Array.isArray(againJson.submitted) ? againJson.submitted.length : againJson.submitted, 0);

    const shown = await runCli(['identity', 'show', rootId, '--factomd', api, '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    const state = JSON.stringify(JSON.parse(shown.stdout));
    const signingPub = bytesToHex(publicKeyFromSeed(hexToBytes(fx.blockSigningKeySeedHex)));
    assert.ok(state.includes(signingPub), 'the block signing key took effect');

    await sim.promote(rootId, { audit: true });
    let found: { chainid: string; signingkey: string } | undefined;
    for (let i = 0; i < 40 && !found; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const res = await fetch(`${api}/v2`, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'authorities' }) });
      const j = (await res.json()) as { result: { authorities: { chainid: string; signingkey: string }[] } };
      found = j.result.authorities.find((a) => a.chainid === rootId);
    }
    assert.ok(found, 'the identity is in authorities after promotion');
    assert.equal(found.signingkey, signingPub);
  });
});
