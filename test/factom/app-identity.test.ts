import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildAppIdentityChain, buildAppKeyReplacement, parseChainId } from '../../src/factom/index.js';
import { AnoguardError } from '../../src/errors.js';
import { assertCommitMatches, assertEntryMatches } from './assert-vectors.js';
import { vector } from './vectors.js';

describe('application identities (factom-identity-lib app)', () => {
  it('identity chain: ExtIDs, JSON content, chain commit', () => {
    const v = vector('app.identity-chain');
    const entry = buildAppIdentityChain({ names: v.inputs.name, keys: v.inputs.keys });
    assert.equal(Buffer.from(entry.content).toString('utf8'), v.expected.contentUtf8);
    assertEntryMatches(entry, v.expected.firstEntry);
    assertCommitMatches(entry, v, true);
  });

  it('key replacement: signature over chainIdHex + old + new', () => {
    const v = vector('app.replace-key');
    const entry = buildAppKeyReplacement({
      chainId: parseChainId(v.inputs.chainId), oldKey: v.inputs.oldKey, newKey: v.inputs.newKey, signerSecret: v.inputs.signerSecret,
    });
    assert.equal(Buffer.from(entry.extIds[3]!).toString('hex'), v.expected.signatureHex);
    assert.equal(Buffer.from(entry.extIds[4]!).toString('utf8'), v.inputs.signerPublic);
    assertEntryMatches(entry, v.expected.entry);
    assertCommitMatches(entry, v, false);
  });

  it('refuses an idsec where an idpub belongs', () => {
    const v = vector('app.replace-key');
    assert.throws(() => buildAppIdentityChain({ names: ['x'], keys: [v.inputs.signerSecret] }),
      (e: unknown) => e instanceof AnoguardError && e.code === 'E_WRONG_KIND' && e.field === 'keys.0');
  });
});
