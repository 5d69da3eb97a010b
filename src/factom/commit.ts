import { InputError, type ErrorCode } from '../errors.js';
import { bytesToHex, concatBytes, equalBytes, readU48be, u48be } from './bytes.js';
import { sha256, sha256d } from './hash.js';
import { publicKeyFromSeed, sign, verify } from './ed25519.js';
import { chainCost, chainIdFromExtIds, entryCost, entryHash, marshalEntry, type Entry } from './entry.js';

/** Commit messages (factom-protocol.md §3): entry commit 136 bytes, chain commit 200 bytes. */

export const ENTRY_COMMIT_SIZE = 136;
export const CHAIN_COMMIT_SIZE = 200;
const ENTRY_LEDGER_SIZE = 40;
const CHAIN_LEDGER_SIZE = 104;
/** factomd's replay filter: commits within ±60 minutes of node time. */
export const COMMIT_WINDOW_MS = 60 * 60 * 1000;

export interface EntryCommit {
  type: 'entry';
  version: number;
  milliTime: number;
  entryHash: Uint8Array;
  credits: number;
  ecPublicKey: Uint8Array;
  signature: Uint8Array;
  /** The signed bytes [0..40). */
  ledger: Uint8Array;
}

export interface ChainCommit {
  type: 'chain';
  version: number;
  milliTime: number;
  /** sha256d(chainId). */
  chainIdHash: Uint8Array;
  /** sha256d(entryHash ‖ chainId). */
  weld: Uint8Array;
  entryHash: Uint8Array;
  credits: number;
  ecPublicKey: Uint8Array;
  signature: Uint8Array;
  /** The signed bytes [0..104). */
  ledger: Uint8Array;
}

export type Commit = EntryCommit | ChainCommit;

export interface BuildCommitInput {
  entry: Entry;
  /** Seed of the paying EC key (Es payload). */
  ecSeed: Uint8Array;
  /** Unix time in milliseconds: a parameter, the core has no clock. */
  milliTime: number;
  /** Defaults to the cost factomd requires; more is allowed (up to the commit's range). */
  credits?: number;
}

function creditsByte(credits: number, min: number, max: number): Uint8Array {
  if (!Number.isInteger(credits) || credits < min || credits > max) {
    throw new InputError('E_BAD_CREDITS', `credits must be ${min}..${max}, got ${credits}`, { field: 'credits' });
  }
  return Uint8Array.of(credits);
}

/** 136-byte commit-entry message: ver ‖ ms(6) ‖ entryHash ‖ credits ‖ ecPub ‖ sig(ledger). */
export function buildEntryCommit(input: BuildCommitInput): Uint8Array {
  const credits = input.credits ?? entryCost(input.entry);
  if (credits < entryCost(input.entry)) {
    throw new InputError('E_BAD_CREDITS', `entry needs ${entryCost(input.entry)} EC, credits ${credits}`, { field: 'credits' });
  }
  const ledger = concatBytes(Uint8Array.of(0), u48be(input.milliTime, 'milliTime'), entryHash(input.entry), creditsByte(credits, 1, 10));
  return concatBytes(ledger, publicKeyFromSeed(input.ecSeed, 'ecSeed'), sign(input.ecSeed, ledger, 'ecSeed'));
}

/** 200-byte commit-chain message for a chain whose first entry is `entry` (its chainId must match its ExtIDs). */
export function buildChainCommit(input: BuildCommitInput): Uint8Array {
  const { entry } = input;
  if (!equalBytes(chainIdFromExtIds(entry.extIds), entry.chainId)) {
    throw new InputError('E_CHAIN_ID_MISMATCH', 'the first entry\'s chain ID is not the hash of its ExtIDs', { field: 'entry.chainId' });
  }
  const credits = input.credits ?? chainCost(entry);
  if (credits < chainCost(entry)) {
    throw new InputError('E_BAD_CREDITS', `chain needs ${chainCost(entry)} EC, credits ${credits}`, { field: 'credits' });
  }
  const eh = entryHash(entry);
  const ledger = concatBytes(
    Uint8Array.of(0),
    u48be(input.milliTime, 'milliTime'),
    sha256d(entry.chainId),
    sha256d(concatBytes(eh, entry.chainId)),
    eh,
    creditsByte(credits, 11, 20),
  );
  return concatBytes(ledger, publicKeyFromSeed(input.ecSeed, 'ecSeed'), sign(input.ecSeed, ledger, 'ecSeed'));
}

function checkSize(data: Uint8Array, size: number, what: string, field: string): void {
  if (!(data instanceof Uint8Array)) throw new InputError('E_BAD_COMMIT', `${what} must be bytes`, { field });
  if (data.length < size) throw new InputError('E_TRUNCATED', `${what} is ${data.length} bytes, expected ${size} (truncated)`, { field });
  if (data.length > size) throw new InputError('E_BAD_LENGTH', `${what} is ${data.length} bytes, expected ${size}`, { field });
}

/** Parses a 136-byte entry commit. Structure only; see checkEntryCommit for factomd's validity rules. */
export function parseEntryCommit(data: Uint8Array, field = 'commit'): EntryCommit {
  checkSize(data, ENTRY_COMMIT_SIZE, 'an entry commit', field);
  return {
    type: 'entry',
    version: data[0]!,
    milliTime: readU48be(data, 1, field),
    entryHash: data.slice(7, 39),
    credits: data[39]!,
    ecPublicKey: data.slice(40, 72),
    signature: data.slice(72, 136),
    ledger: data.slice(0, ENTRY_LEDGER_SIZE),
  };
}

/** Parses a 200-byte chain commit. Structure only; see checkChainCommit. */
export function parseChainCommit(data: Uint8Array, field = 'commit'): ChainCommit {
  checkSize(data, CHAIN_COMMIT_SIZE, 'a chain commit', field);
  return {
    type: 'chain',
    version: data[0]!,
    milliTime: readU48be(data, 1, field),
    chainIdHash: data.slice(7, 39),
    weld: data.slice(39, 71),
    entryHash: data.slice(71, 103),
    credits: data[103]!,
    ecPublicKey: data.slice(104, 136),
    signature: data.slice(136, 200),
    ledger: data.slice(0, CHAIN_LEDGER_SIZE),
  };
}

/** Either kind, told apart by length. */
export function parseCommit(data: Uint8Array, field = 'commit'): Commit {
  if (data.length === CHAIN_COMMIT_SIZE) return parseChainCommit(data, field);
  if (data.length === ENTRY_COMMIT_SIZE) return parseEntryCommit(data, field);
  throw new InputError(
    data.length < ENTRY_COMMIT_SIZE ? 'E_TRUNCATED' : 'E_BAD_LENGTH',
    `a commit is ${ENTRY_COMMIT_SIZE} (entry) or ${CHAIN_COMMIT_SIZE} (chain) bytes, got ${data.length}`,
    { field },
  );
}

/** factomd's TxID: sha256 of the signed ledger part. Hex, as the API returns it. */
export function commitTxId(commit: Commit | Uint8Array): string {
  const c = commit instanceof Uint8Array ? parseCommit(commit) : commit;
  return bytesToHex(sha256(c.ledger));
}

/** The outcome of one validity rule: reusable by the simulator, which answers the way factomd does. */
export type CheckResult = { ok: true } | { ok: false; code: ErrorCode; reason: string };
const OK: CheckResult = { ok: true };
const fail = (code: ErrorCode, reason: string): CheckResult => ({ ok: false, code, reason });

/** factomd CommitEntry.IsValid: version 0, credits 1..10, valid EC signature over the ledger. */
export function checkEntryCommit(c: EntryCommit): CheckResult {
  if (c.version !== 0) return fail('E_BAD_VERSION', `commit version ${c.version}; only 0 exists`);
  if (c.credits < 1 || c.credits > 10) return fail('E_BAD_CREDITS', `entry commit credits ${c.credits} outside 1..10`);
  if (!verify(c.ecPublicKey, c.ledger, c.signature)) return fail('E_BAD_SIGNATURE', 'EC signature does not verify');
  return OK;
}

/** factomd CommitChain.IsValid: version 0, credits 11..20, valid EC signature over the ledger. */
export function checkChainCommit(c: ChainCommit): CheckResult {
  if (c.version !== 0) return fail('E_BAD_VERSION', `commit version ${c.version}; only 0 exists`);
  if (c.credits < 11 || c.credits > 20) return fail('E_BAD_CREDITS', `chain commit credits ${c.credits} outside 11..20`);
  if (!verify(c.ecPublicKey, c.ledger, c.signature)) return fail('E_BAD_SIGNATURE', 'EC signature does not verify');
  return OK;
}

export function checkCommit(c: Commit): CheckResult {
  return c.type === 'entry' ? checkEntryCommit(c) : checkChainCommit(c);
}

/**
 * Does `entry` reveal what `c` paid for? Entry hash must match; KSize ≤ credits (entry) or
 * KSize + 10 ≤ credits (chain); a chain's ChainIDHash and weld must match and its ExtIDs must hash
 * to its chain ID (factomd CheckChainID).
 */
export function checkRevealMatchesCommit(c: Commit, entry: Entry): CheckResult {
  let m: Uint8Array;
  try {
    m = marshalEntry(entry);
  } catch (e) {
    return fail('E_ENTRY_TOO_LARGE', e instanceof Error ? e.message : 'invalid entry');
  }
  const eh = entryHash(m);
  if (!equalBytes(eh, c.entryHash)) return fail('E_ENTRY_HASH_MISMATCH', 'reveal does not match the committed entry hash');
  const kSize = entryCost(m.length - 35);
  if (c.type === 'entry') {
    if (kSize > c.credits) return fail('E_BAD_CREDITS', `entry needs ${kSize} EC, commit paid ${c.credits}`);
    return OK;
  }
  if (kSize + 10 > c.credits) return fail('E_BAD_CREDITS', `chain needs ${kSize + 10} EC, commit paid ${c.credits}`);
  if (!equalBytes(sha256d(entry.chainId), c.chainIdHash)) return fail('E_CHAIN_ID_MISMATCH', 'chain ID does not match the commit\'s ChainIDHash');
  if (!equalBytes(sha256d(concatBytes(eh, entry.chainId)), c.weld)) return fail('E_BAD_WELD', 'commit weld does not match entry hash and chain ID');
  if (!equalBytes(chainIdFromExtIds(entry.extIds), entry.chainId)) return fail('E_CHAIN_ID_MISMATCH', 'first entry ExtIDs do not hash to the chain ID');
  return OK;
}

/** factomd's replay window: |commit time − node time| ≤ 1 h (both in milliseconds). */
export function checkCommitWindow(milliTime: number, nowMs: number, windowMs = COMMIT_WINDOW_MS): CheckResult {
  const delta = milliTime - nowMs;
  if (Math.abs(delta) > windowMs) {
    const mins = Math.round(Math.abs(delta) / 60000);
    return fail('E_COMMIT_WINDOW', `commit time is ${mins} min ${delta < 0 ? 'in the past' : 'in the future'}; factomd accepts ±${windowMs / 60000} min`);
  }
  return OK;
}

/** Hex of a commit message (commit-entry / commit-chain `message` param). */
export function commitHex(commit: Uint8Array): string {
  return bytesToHex(commit);
}
