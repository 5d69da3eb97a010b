import { createHash } from 'node:crypto';
import { publicKeyFromSeed } from '../factom/ed25519.js';
import { bytesToHex } from '../factom/bytes.js';

/** sha256("FNode0"): the harmless non-authority id factomd uses when IdentityChainID is invalid at boot (§1.3). */
export const FNODE0_ID = createHash('sha256').update('FNode0').digest('hex');
export const ZERO_ID = '0'.repeat(64);

/** Thrown inside a node to reproduce a Go panic: the text goes to stderr verbatim and the process exits 2. */
export class GoPanic extends Error {
  constructor(readonly text: string) {
    super(text);
  }
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

/** Identity at boot: straight from the file; invalid or empty falls back to sha256("FNode0") (§1.3, §2.1 item 5). */
export function bootIdentity(id: string): string {
  return HEX64.test(id) ? id.toLowerCase() : FNODE0_ID;
}

/** Go's encoding/hex DecodeString error text: invalid bytes are reported before the odd length. */
function goHexError(s: string): string | undefined {
  for (let i = 0; i + 1 < s.length; i += 2) {
    for (const c of [s[i]!, s[i + 1]!]) {
      if (!/[0-9a-fA-F]/.test(c)) {
        const cp = c.codePointAt(0)!;
        return `encoding/hex: invalid byte: U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
      }
    }
  }
  if (s.length % 2 === 1) {
    const last = s[s.length - 1]!;
    if (!/[0-9a-fA-F]/.test(last)) return `encoding/hex: invalid byte: U+${last.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${last}'`;
    return 'encoding/hex: odd length hex string';
  }
  return undefined;
}

const NIL_PANIC = (frame: string): string =>
  'panic: runtime error: invalid memory address or nil pointer dereference\n' +
  '[signal SIGSEGV: segmentation violation code=0x1 addr=0x8 pc=0x0]\n\n' +
  'goroutine 1 [running]:\n' +
  'github.com/FactomProject/factomd/state.(*State).initServerKeys(...)\n' +
  '\t/go/src/github.com/FactomProject/factomd/state/state.go:2222\n' +
  `${frame}\n`;

/**
 * Public key derived from LocalServerPrivKey (32-byte seed or 64-byte key, hex). factomd leaves a nil
 * key for anything else and dereferences it (`initServerKeys`), which is a nil-pointer panic (case 5).
 */
export function publicKeyOf(privHex: string, frame: string): string {
  const hex = privHex.trim();
  if (goHexError(hex) === undefined && (hex.length === 64 || hex.length === 128)) {
    const seed = Buffer.from(hex.slice(0, 64), 'hex');
    return bytesToHex(publicKeyFromSeed(new Uint8Array(seed)));
  }
  throw new GoPanic(NIL_PANIC(frame));
}

/**
 * The identity reload at ChangeAcksHeight (FD state/stateConsensus.go CheckForIDChange; case 5):
 * empty → zero hash, no crash; non-hex / odd length → panic; bad key → nil-pointer panic.
 */
export function reloadIdentity(idText: string, privHex: string): { id: string; publicKey: string } {
  const frame = 'github.com/FactomProject/factomd/state.(*State).CheckForIDChange(...)\n\t/go/src/github.com/FactomProject/factomd/state/stateConsensus.go:2256';
  let id: string;
  if (idText === '') id = ZERO_ID;
  else {
    const err = goHexError(idText);
    if (err) {
      throw new GoPanic(`panic: ${err}\n\ngoroutine 1 [running]:\n${frame}\ngithub.com/FactomProject/factomd/state.(*State).MoveStateToHeight(...)\n`);
    }
    // A short but valid hex id is left-aligned into the 32-byte hash, as NewShaHash copies bytes.
    id = idText.toLowerCase().padEnd(64, '0').slice(0, 64);
  }
  return { id, publicKey: publicKeyOf(privHex, frame) };
}
