import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { bootIdentity, GoPanic, reloadIdentity } from '../../src/sim/identity.js';

const KEY = '4c38c72fc5cdad68f13b74674d3ffb1f3d63a112710868c9b08946553448d26d';
// Public key of the LOCAL bootstrap key, from factomd-samples/debug-configuration.json.
const PUB = 'cc1985cdfae4e32b5a454dfda8ce5e1361558482684f3367649c3ad852c8e31a';

test('boot: invalid or empty IdentityChainID falls back to sha256("FNode0") (§1.3)', () => {
  const fnode0 = createHash('sha256').update('FNode0').digest('hex');
  assert.equal(bootIdentity(''), fnode0);
  assert.equal(bootIdentity('xyz'), fnode0);
  assert.equal(bootIdentity('8'.repeat(64)), '8'.repeat(64));
});

test('reload at ChangeAcksHeight: empty id → zero hash, no crash; key → derived public key (case 5)', () => {
  const r = reloadIdentity('', KEY);
  assert.equal(r.id, '0'.repeat(64));
  assert.equal(r.publicKey, PUB);
});

test('reload: non-hex id panics with Go\'s exact text (case 5)', () => {
  assert.throws(() => reloadIdentity(`x${'8'.repeat(63)}`, KEY), (e: unknown) => e instanceof GoPanic && e.text.startsWith("panic: encoding/hex: invalid byte: U+0078 'x'\n"));
});

test('reload: empty key is a nil-pointer panic (case 5)', () => {
  assert.throws(() => reloadIdentity('8'.repeat(64), ''), (e: unknown) => e instanceof GoPanic && e.text.startsWith('panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV'));
});
