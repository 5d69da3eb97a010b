/** Shared fixtures of the identity tests: vectors from SHARED, key files in private temp dirs. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED } from '../helpers/cli.js';
import { bytesToHex } from '../../src/factom/index.js';
import { assembleBundle, type Bundle } from '../../src/identity/bundle.js';
import { planCreateIdentity } from '../../src/identity/plan.js';

export interface Vector {
  id: string;
  inputs: Record<string, unknown>;
  expected: Record<string, unknown> & {
    entry?: { chainId: string; extIdsHex: string[]; contentHex: string; entryHash: string };
    commitHex?: string;
    revealHex?: string;
    ecCost?: number;
  };
}
export interface VectorFile {
  fixedInputs: {
    commitTimestampMillis: number;
    identityTimestampSeconds: number;
    levelSeedsHex: string[];
    ecSeedHex: string;
    blockSigningKeySeedHex: string;
    btcHash160Hex: string;
    mhashSeedHex: string;
  };
  vectors: Vector[];
}

export function loadVectors(): VectorFile {
  return JSON.parse(readFileSync(join(SHARED, 'vectors', 'factom-vectors.json'), 'utf8')) as VectorFile;
}

export function vector(file: VectorFile, id: string): Vector {
  const v = file.vectors.find((x) => x.id === id);
  if (!v) throw new Error(`vector ${id} missing`);
  return v;
}

/** A private temp dir with the area prefix; remove with `rmSync(dir, {recursive: true})`. */
export function tempDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `anoguard-identity-${tag}-`));
  chmodSync(d, 0o700);
  return d;
}

export function writeSecret(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text, { mode: 0o600 });
  chmodSync(p, 0o600);
  return p;
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const hb = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

/** The identity-creation bundle built from the vector file's fixed inputs (nonces from the vectors). */
export function vectorCreateBundle(network: Bundle['network']): Bundle {
  const V = loadVectors();
  const F = V.fixedInputs;
  const plan = planCreateIdentity({
    identitySeeds: F.levelSeedsHex.map(hb),
    rootNonce: hb(vector(V, 'server.identity-root-chain').expected.nonceHex as string),
    managementNonce: hb(vector(V, 'server.server-management-chain').expected.nonceHex as string),
    blockSigningPublicKey: hb(vector(V, 'server.new-block-signing-key').expected.blockSigningPublicKeyHex as string),
    bitcoin: { keyLevel: 0, keyType: 0, hash160: hb(F.btcHash160Hex) },
    mhash: hb(vector(V, 'server.new-matryoshka-hash').expected.mhashHex as string),
    timestampSeconds: F.identityTimestampSeconds,
    signer: { ecSeed: hb(F.ecSeedHex), commitTimeMs: F.commitTimestampMillis },
  });
  return assembleBundle({
    network,
    createdAtMs: F.commitTimestampMillis,
    identity: { rootChainId: bytesToHex(plan.rootChainId), managementChainId: bytesToHex(plan.managementChainId), idKey1Hex: bytesToHex(plan.idKey1) },
    items: plan.items,
  });
}

/** The ExtIDs before the nonce of the vectors' root and management chains, for the grinder tests. */
export function grindFixtures(): { rootVec: Vector; mgmtVec: Vector; rootBefore: Uint8Array[]; mgmtBefore: Uint8Array[] } {
  const V = loadVectors();
  const rootVec = vector(V, 'server.identity-root-chain');
  const mgmtVec = vector(V, 'server.server-management-chain');
  return {
    rootVec, mgmtVec,
    rootBefore: [Uint8Array.of(0), new TextEncoder().encode('Identity Chain'), ...(rootVec.inputs.identityKeysHex as string[]).map(hb)],
    mgmtBefore: [Uint8Array.of(0), new TextEncoder().encode('Server Management'), hb(mgmtVec.inputs.rootChainId as string)],
  };
}
