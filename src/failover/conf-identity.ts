import { AnoguardError, InputError } from '../errors.js';
import { getAppKey, removeAppKey, setAppKey } from '../factom/conf-edit.js';
import { foldEqual } from '../factom/gcfg.js';
import { editDistance, loadFactomdConfig } from '../factom/factomd-conf.js';

/**
 * What a factomd.conf says about the authority identity, and the edits of a brain swap. Pure: text in,
 * text out. The edits go through the comment-preserving editor, and every result is re-read with
 * factomd's own loading rules before it is returned, so a file we hand out is what factomd will read.
 */

/** The identity triple of factomd-ops.md §2.3. */
export interface IdentityTriple {
  identityChainId: string;
  localServerPrivKey: string;
  localServerPublicKey: string;
}

const SWAP_KEYS = ['IdentityChainID', 'LocalServerPrivKey', 'LocalServerPublicKey', 'ChangeAcksHeight'] as const;
const HEX64 = /^[0-9a-f]{64}$/;

export interface ConfInspection {
  /** False when factomd would fall back to its defaults (syntax or value error). */
  parses: boolean;
  error?: string;
  /** Swap keys gcfg ignores: written outside `[app]`, or misspelled (e.g. `ChangeAckHeight`). */
  ignoredKeys: { line: number; name: string; why: string }[];
  /** The identity factomd would load from this file ('' = none: a zero id, never an authority). */
  identityChainId: string;
  changeAcksHeight: number;
}

/** Reads a factomd.conf the way factomd does and reports what matters to a swap. Never throws. */
export function inspectConf(text: string, path = 'factomd.conf'): ConfInspection {
  const load = loadFactomdConfig(text, { path });
  const ignoredKeys: ConfInspection['ignoredKeys'] = [];
  for (const w of load.warnings) {
    const name = w.name ?? '';
    const exact = SWAP_KEYS.find((k) => foldEqual(k, name));
    if (exact) { ignoredKeys.push({ line: w.line, name, why: `not in [app] (section [${w.section}]): factomd ignores it` }); continue; }
    const near = SWAP_KEYS.find((k) => editDistance(k, name) <= 2);
    if (near) ignoredKeys.push({ line: w.line, name, why: `unknown key, did you mean ${near}? factomd ignores it` });
  }
  const out: ConfInspection = {
    parses: load.fallback === undefined,
    ignoredKeys,
    identityChainId: load.fallback ? '' : load.config.App.IdentityChainID.toLowerCase(),
    changeAcksHeight: load.fallback ? 0 : load.config.App.ChangeAcksHeight,
  };
  if (load.fallback) out.error = load.fallback.error;
  return out;
}

/** The triple as written in `[app]` (undefined when the file leaves the node on its defaults). */
export function readIdentityTriple(text: string): IdentityTriple | undefined {
  const id = getAppKey(text, 'IdentityChainID');
  const priv = getAppKey(text, 'LocalServerPrivKey');
  const pub = getAppKey(text, 'LocalServerPublicKey');
  if (id === undefined && priv === undefined && pub === undefined) return undefined;
  return checkTriple({ identityChainId: id ?? '', localServerPrivKey: priv ?? '', localServerPublicKey: pub ?? '' }, 'conf');
}

/**
 * Refuses a triple factomd would crash on at the swap height (behaviour case 5: non-hex id panics,
 * empty private key is a nil-pointer panic), so such a file is never written.
 */
export function checkTriple(t: IdentityTriple, field: string): IdentityTriple {
  const id = t.identityChainId.toLowerCase();
  const priv = t.localServerPrivKey.toLowerCase();
  const pub = t.localServerPublicKey.toLowerCase();
  if (!HEX64.test(id)) throw new InputError('E_SWAP_IDENTITY', 'IdentityChainID must be 64 hex characters', { field: `${field}.IdentityChainID` });
  if (!HEX64.test(priv)) throw new InputError('E_SWAP_IDENTITY', 'LocalServerPrivKey must be 64 hex characters (an empty key crashes factomd at the swap)', { field: `${field}.LocalServerPrivKey` });
  if (!HEX64.test(pub)) throw new InputError('E_SWAP_IDENTITY', 'LocalServerPublicKey must be 64 hex characters', { field: `${field}.LocalServerPublicKey` });
  return { identityChainId: id, localServerPrivKey: priv, localServerPublicKey: pub };
}

function requireHeight(h: number): number {
  if (!Number.isInteger(h) || h < 1 || h > 0xffffffff) throw new InputError('E_SWAP_HEIGHT', 'the swap height must be an integer in 1..2^32-1', { field: 'height' });
  return h;
}

function reread(text: string, expectId: string, height: number, field: string): string {
  const i = inspectConf(text, field);
  if (!i.parses) throw new AnoguardError('E_SWAP_EDIT', `the edited file would not parse: ${i.error ?? ''}`, { field });
  if (i.identityChainId !== expectId || i.changeAcksHeight !== height) {
    throw new AnoguardError('E_SWAP_EDIT', 'the edited file would not read back as intended; refusing', { field });
  }
  return text;
}

/** The holder's side: the identity's lines removed (never set empty), so it reloads defaults at `height`. Or `follower` installed instead. */
export function demoteConf(text: string, height: number, follower?: IdentityTriple): string {
  requireHeight(height);
  let t = text;
  if (follower) {
    const f = checkTriple(follower, 'follower');
    t = setAppKey(t, 'IdentityChainID', f.identityChainId);
    t = setAppKey(t, 'LocalServerPrivKey', f.localServerPrivKey);
    t = setAppKey(t, 'LocalServerPublicKey', f.localServerPublicKey);
  } else {
    for (const k of ['IdentityChainID', 'LocalServerPrivKey', 'LocalServerPublicKey']) t = removeAppKey(t, k);
  }
  t = setAppKey(t, 'ChangeAcksHeight', String(height));
  return reread(t, follower ? follower.identityChainId.toLowerCase() : '', height, 'demote');
}

/** The taker's side: the authority triple in `[app]` and ChangeAcksHeight = `height`. */
export function promoteConf(text: string, identity: IdentityTriple, height: number): string {
  requireHeight(height);
  const a = checkTriple(identity, 'identity');
  let t = setAppKey(text, 'IdentityChainID', a.identityChainId);
  t = setAppKey(t, 'LocalServerPrivKey', a.localServerPrivKey);
  t = setAppKey(t, 'LocalServerPublicKey', a.localServerPublicKey);
  t = setAppKey(t, 'ChangeAcksHeight', String(height));
  return reread(t, a.identityChainId, height, 'promote');
}

export interface SwapEdit {
  /** The old holder's new file. */
  holder: string;
  /** The standby's new file. */
  standby: string;
  mode: 'swap' | 'transfer';
}

/**
 * Both files of a brain swap at `height` (same ChangeAcksHeight in both, §2.5 item 1). `swap`
 * exchanges the triples; `transfer` moves the authority triple and removes it from the holder (the
 * standby's own triple, if any, is dropped). The authority must be in exactly one file before and after.
 */
export function swapConfs(holderText: string, standbyText: string, authorityId: string, height: number, mode: 'swap' | 'transfer'): SwapEdit {
  const id = authorityId.toLowerCase();
  const h = inspectConf(holderText, 'holder');
  const s = inspectConf(standbyText, 'standby');
  if (!h.parses) throw new InputError('E_SWAP_CONF', `the holder's factomd.conf does not parse: ${h.error ?? ''}`, { field: 'holder' });
  if (!s.parses) throw new InputError('E_SWAP_CONF', `the standby's factomd.conf does not parse: ${s.error ?? ''}`, { field: 'standby' });
  if (h.identityChainId !== id) throw new InputError('E_SWAP_IDENTITY', 'the holder\'s config does not hold the authority identity', { field: 'holder.IdentityChainID' });
  if (s.identityChainId === id) throw new InputError('E_SWAP_IDENTITY', 'the standby\'s config already holds the authority identity', { field: 'standby.IdentityChainID' });
  const authority = readIdentityTriple(holderText);
  if (!authority) throw new InputError('E_SWAP_IDENTITY', 'the holder\'s config has no identity lines', { field: 'holder' });
  const standbyOwn = readIdentityTriple(standbyText);
  const useSwap = mode === 'swap' && standbyOwn !== undefined && HEX64.test(standbyOwn.identityChainId);
  const holder = useSwap ? demoteConf(holderText, height, standbyOwn) : demoteConf(holderText, height);
  const standby = promoteConf(standbyText, authority, height);
  return { holder, standby, mode: useSwap ? 'swap' : 'transfer' };
}

/** A config with the private key value masked, for plans and logs. */
export function redactConf(text: string): string {
  return text.replace(/^(\s*LocalServerPrivKey\s*=\s*)("?)[^\s;#"]*("?)/gim, '$1$2<redacted>$3');
}

/** The config with the private key's value replaced by zeros: still parses the same way, safe to send to the controller. */
export function maskPrivateKey(text: string): string {
  return getAppKey(text, 'LocalServerPrivKey') === undefined ? text : setAppKey(text, 'LocalServerPrivKey', '0'.repeat(64));
}
