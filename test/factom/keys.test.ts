import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeKey, expectKind, identityKeyFromPublic, parseKey, parsePublicAddress, publicFormOf, publicKeyFromSeed,
  rcd1, rcdHash, keyPairFromSeed, type KeyKind,
} from '../../src/factom/index.js';
import { AnoguardError } from '../../src/errors.js';
import { sha256d } from '../../src/factom/hash.js';
import { base58 } from '@scure/base';
import { VECTORS, hex, unhex, vector } from './vectors.js';
import type { Json } from './vectors.js';

describe('addresses from vectors', () => {
  it('Factoid pair: pubkey, RCD1, RCD hash, Fs/FA text and raw forms', () => {
    const { inputs, expected: e } = vector('address.fct');
    const seed = unhex(inputs.seedHex);
    const pub = publicKeyFromSeed(seed);
    assert.equal(hex(pub), e.ed25519PublicKeyHex);
    assert.equal(hex(rcd1(pub)), e.rcd1Hex);
    assert.equal(hex(rcdHash(pub)), e.rcdHashHex);
    const pair = keyPairFromSeed('Fs', seed);
    assert.equal(pair.secret, e.privateAddress);
    assert.equal(pair.public.text, e.publicAddress);
    assert.equal(encodeKey('FA', rcdHash(pub)), e.publicAddress);
    const fa = parseKey(e.publicAddress);
    assert.equal(fa.kind, 'FA');
    assert.equal(hex(fa.payload), e.rcdHashHex);
    // raw hex forms parse to the same thing
    assert.equal(parseKey(e.privateAddressRawHex).kind, 'Fs');
    assert.equal(hex(parseKey(e.publicAddressRawHex).payload), e.rcdHashHex);
  });

  it('EC pair', () => {
    const { inputs, expected: e } = vector('address.ec');
    const seed = unhex(inputs.seedHex);
    const pair = keyPairFromSeed('Es', seed);
    assert.equal(pair.secret, e.privateAddress);
    assert.equal(pair.public.text, e.publicAddress);
    assert.equal(hex(pair.public.publicKey!), e.ed25519PublicKeyHex);
    const ec = parseKey(e.publicAddress);
    assert.equal(ec.kind, 'EC');
    assert.equal(hex(ec.payload), e.ed25519PublicKeyHex);
    assert.equal(hex(parseKey(e.privateAddressRawHex).payload), inputs.seedHex);
  });

  it('server identity keys sk1..sk4 / id1..id4', () => {
    const { inputs, expected } = vector('keys.server-identity');
    expected.levels.forEach((lv: Json, i: number) => {
      const seed = unhex(inputs.levelSeedsHex[i]);
      const pub = publicKeyFromSeed(seed);
      assert.equal(hex(pub), lv.ed25519PublicKeyHex);
      assert.equal(hex(rcd1(pub)), lv.identityKeyPreimageHex);
      assert.equal(hex(identityKeyFromPublic(pub)), lv.identityKeyHex);
      const pair = keyPairFromSeed(`sk${lv.level}` as KeyKind & `sk${number}`, seed);
      assert.equal(pair.secret, lv.secretKey);
      assert.equal(pair.public.text, lv.identityKeyHumanReadable);
      assert.equal(pair.public.kind, `id${lv.level}`);
      const p = parseKey(lv.secretKey);
      assert.equal(p.kind, `sk${lv.level}`);
      assert.equal(parseKey(lv.secretKeyRawHex).kind, `sk${lv.level}`);
      const id = parseKey(lv.identityKeyHumanReadable);
      assert.equal(id.kind, `id${lv.level}`);
      assert.equal(hex(id.payload), lv.identityKeyHex);
      assert.equal(hex(parseKey(lv.identityKeyRawHex).payload), lv.identityKeyHex);
    });
  });

  it('application identity keys idsec / idpub (raw public key)', () => {
    const { inputs, expected } = vector('keys.app-identity');
    expected.keys.forEach((k: Json, i: number) => {
      const pair = keyPairFromSeed('idsec', unhex(inputs.seedsHex[i]));
      assert.equal(pair.secret, k.idsec);
      assert.equal(pair.public.text, k.idpub);
      assert.equal(hex(pair.public.publicKey!), k.ed25519PublicKeyHex);
      assert.equal(hex(parseKey(k.idpub).payload), k.ed25519PublicKeyHex);
      assert.equal(parseKey(k.idsecRawHex).kind, 'idsec');
      assert.equal(parseKey(k.idpubRawHex).kind, 'idpub');
    });
  });

  it('published FactomDocs keys, ranges and addresses', () => {
    const { inputs, expected: e } = vector('docs.factomdocs-published-examples');
    inputs.levelSeedsHex.forEach((s: string, i: number) => {
      const kind = `sk${i + 1}` as 'sk1';
      const pair = keyPairFromSeed(kind, unhex(s));
      assert.equal(pair.secret, e.sk[i]);
      assert.equal(pair.public.text, e.id[i]);
      assert.equal(hex(identityKeyFromPublic(publicKeyFromSeed(unhex(s)))), e.identityKeysHex[i]);
    });
    assert.equal(hex(rcd1(publicKeyFromSeed(unhex(inputs.levelSeedsHex[0])))), e.level1PreimageHex);
    const zero = new Uint8Array(32);
    const ff = new Uint8Array(32).fill(0xff);
    for (const [kind, [lo, hi]] of Object.entries(e.humanReadableRanges) as [KeyKind, [string, string]][]) {
      assert.equal(encodeKey(kind, zero), lo, `${kind} zero`);
      assert.equal(encodeKey(kind, ff), hi, `${kind} ff`);
    }
    const a = e.addresses;
    assert.equal(encodeKey('FA', zero), a.FA_rcdhash_zero);
    assert.equal(encodeKey('FA', ff), a.FA_rcdhash_ff);
    assert.equal(encodeKey('EC', zero), a.EC_pub_zero);
    assert.equal(encodeKey('EC', ff), a.EC_pub_ff);
    assert.equal(encodeKey('Fs', zero), a.Fs_zero);
    assert.equal(encodeKey('Fs', ff), a.Fs_ff);
    assert.equal(encodeKey('Es', zero), a.Es_zero);
    assert.equal(encodeKey('Es', ff), a.Es_ff);
    assert.equal(encodeKey('idsec', zero), a.idsec_zero);
    assert.equal(publicFormOf(parseKey(a.idsec_zero)).text, a.idpub_of_idsec_zero);
    assert.equal(encodeKey('idsec', new Uint8Array(32).fill(1)), a.idsec_0x01);
    assert.equal(publicFormOf(parseKey(a.idsec_0x01)).text, a.idpub_of_idsec_0x01);
  });

  it('every key string in the vector file parses and re-encodes to itself', () => {
    const strings = new Set<string>();
    const walk = (x: unknown): void => {
      if (typeof x === 'string' && /^(FA|Fs|EC|Es|sk[1-4]|id[1-4]|idsec|idpub)[1-9A-HJ-NP-Za-km-z]{40,60}$/.test(x)) strings.add(x);
      else if (Array.isArray(x)) x.forEach(walk);
      else if (x && typeof x === 'object') Object.values(x).forEach(walk);
    };
    walk(VECTORS.vectors);
    assert.ok(strings.size > 20);
    for (const s of strings) {
      const p = parseKey(s);
      assert.equal(encodeKey(p.kind, p.payload), s);
      assert.ok(s.startsWith(p.kind), `${s} parsed as ${p.kind}`);
    }
  });
});

function expectCode(fn: () => unknown, code: string, extra?: RegExp): AnoguardError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AnoguardError, `not an AnoguardError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (extra) assert.match(e.message, extra);
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe('key parser errors', () => {
  const ec = vector('address.ec').expected;
  const fct = vector('address.fct').expected;

  it('bad character names the character and position', () => {
    const bad = `${ec.publicAddress.slice(0, 10)}0${ec.publicAddress.slice(11)}`;
    const e = expectCode(() => parseKey(bad, 'address'), 'E_BAD_CHARACTER', /'0' at position 11/);
    assert.equal(e.field, 'address');
    expectCode(() => parseKey(`${ec.publicAddress.slice(0, 5)}l${ec.publicAddress.slice(6)}`), 'E_BAD_CHARACTER', /position 6/);
    expectCode(() => parseKey(`${ec.publicAddress} `), 'E_BAD_CHARACTER');
  });

  it('bad length', () => {
    expectCode(() => parseKey(ec.publicAddress.slice(0, -3)), 'E_BAD_LENGTH');
    expectCode(() => parseKey(`${ec.publicAddress}zz`), 'E_BAD_LENGTH');
    expectCode(() => parseKey(''), 'E_BAD_LENGTH');
  });

  it('bad prefix', () => {
    // A well-formed base58check string of the right length with a prefix no Factom kind uses.
    const prefix = unhex('1234');
    const body = new Uint8Array([...prefix, ...new Uint8Array(32)]);
    const raw = new Uint8Array([...body, ...sha256d(body).subarray(0, 4)]);
    expectCode(() => parseKey(base58.encode(raw)), 'E_BAD_PREFIX');
    // An FA-length string whose prefix is an EC's would be an EC; a Fs-length one with sk prefix bytes is a length error.
    expectCode(() => parseKey(hex(raw)), 'E_BAD_PREFIX');
  });

  it('bad checksum (one character changed)', () => {
    const s = ec.publicAddress as string;
    const last = s.at(-1) === 'a' ? 'b' : 'a';
    expectCode(() => parseKey(s.slice(0, -1) + last), 'E_BAD_CHECKSUM');
    const raw = fct.publicAddressRawHex as string;
    expectCode(() => parseKey(raw.slice(0, -2) + (raw.endsWith('00') ? '01' : '00')), 'E_BAD_CHECKSUM');
  });

  it('a secret where a public address belongs is refused without echoing it', () => {
    const e = expectCode(() => expectKind(ec.privateAddress, ['EC'], 'ecAddress'), 'E_WRONG_KIND', /expected an EC public address, got an Es secret/);
    assert.ok(!e.message.includes(ec.privateAddress));
    assert.ok(!e.message.includes(vector('address.ec').inputs.seedHex));
    expectCode(() => parsePublicAddress(fct.privateAddress), 'E_WRONG_KIND', /Fs/);
    expectCode(() => expectKind(fct.publicAddress, ['EC'], 'ec'), 'E_WRONG_KIND', /got an FA/);
    assert.equal(expectKind(ec.publicAddress, ['EC', 'Es']).kind, 'EC');
  });
});

