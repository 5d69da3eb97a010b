import assert from 'node:assert/strict';
import {
  buildChainCommit, buildEntryCommit, chainCost, checkChainCommit, checkEntryCommit, checkRevealMatchesCommit, commitTxId,
  entryCost, entryHash, marshalEntry, parseCommit, parseKey, payloadSize, publicKeyFromSeed, revealHex, unmarshalEntry,
  type Entry,
} from '../../src/factom/index.js';
import { hex, type Json } from './vectors.js';

/** Checks an `expected.entry` block against an Entry we built ourselves. */
export function assertEntryMatches(entry: Entry, e: Json): void {
  assert.equal(hex(entry.chainId), e.chainId);
  assert.deepEqual(entry.extIds.map(hex), e.extIdsHex);
  assert.deepEqual(entry.extIds.map((x) => x.length), e.extIdLengths);
  assert.equal(hex(entry.content), e.contentHex);
  const m = marshalEntry(entry);
  assert.equal(hex(m), e.marshalHex);
  assert.equal(m.length, e.marshalLength);
  assert.equal(payloadSize(entry), e.payloadSize);
  assert.equal(hex(entryHash(entry)), e.entryHash);
  const back = unmarshalEntry(m);
  assert.deepEqual(back.extIds.map(hex), e.extIdsHex);
  assert.equal(hex(back.chainId), e.chainId);
}

/** Checks the commit/reveal/JSON-RPC fields common to every vector that carries them. */
export function assertCommitMatches(entry: Entry, v: Json, isChain: boolean): void {
  const e = v.expected;
  const ec = parseKey(e.ecPrivateAddress);
  assert.equal(ec.kind, 'Es');
  if (v.inputs.ecSeedHex) assert.equal(hex(ec.payload), v.inputs.ecSeedHex);
  const cost = isChain ? chainCost(entry) : entryCost(entry);
  assert.equal(cost, e.ecCost);
  const input = { entry, ecSeed: ec.payload, milliTime: v.inputs.commitTimestampMillis ?? e.commitTimestampMillis };
  const commit = isChain ? buildChainCommit(input) : buildEntryCommit(input);
  assert.equal(commit.length, e.commitLength);
  if (e.commitHex) assert.equal(hex(commit), e.commitHex);
  if (e.signedLedgerHex) assert.equal(hex(parseCommit(commit).ledger), e.signedLedgerHex);
  assert.equal(commitTxId(commit), e.txId);
  assert.equal(revealHex(entry), e.revealHex ?? e.entry?.marshalHex ?? e.firstEntry?.marshalHex);
  const parsed = parseCommit(commit);
  assert.equal(parsed.milliTime, e.commitTimestampMillis);
  assert.equal(hex(parsed.ecPublicKey), hex(publicKeyFromSeed(ec.payload)));
  assert.deepEqual(parsed.type === 'entry' ? checkEntryCommit(parsed) : checkChainCommit(parsed), { ok: true });
  assert.deepEqual(checkRevealMatchesCommit(parsed, entry), { ok: true });
  if (e.jsonRpc) {
    assert.equal(e.jsonRpc.commit.method, isChain ? 'commit-chain' : 'commit-entry');
    assert.equal(e.jsonRpc.commit.params.message, hex(commit));
    assert.equal(e.jsonRpc.reveal.method, isChain ? 'reveal-chain' : 'reveal-entry');
    assert.equal(e.jsonRpc.reveal.params.entry, revealHex(entry));
  }
}

