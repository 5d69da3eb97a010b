import { InputError } from '../errors.js';
import { bytesToHex, utf8ToBytes } from './bytes.js';
import { sign } from './ed25519.js';
import { chainIdFromExtIds, type Entry } from './entry.js';
import { encodeKey, expectKind, publicFormOf } from './keys.js';

/**
 * Application identities (factom-identity-lib `app`, FactomDocs ApplicationIdentity.md). Not used
 * by factomd; a different scheme from server identities ("IdentityChain" without a space, idpub keys).
 */

/** Chain: ExtIDs ["IdentityChain", name…], content {"version":1,"keys":[idpub…]} (highest priority first). */
export function buildAppIdentityChain(input: { names: readonly string[]; keys: readonly string[] }): Entry {
  if (input.keys.length === 0) throw new InputError('E_BAD_INPUT', 'an application identity needs at least one key', { field: 'keys' });
  const keys = input.keys.map((k, i) => encodeKey('idpub', expectKind(k, ['idpub'], `keys.${i}`).publicKey));
  const extIds = [utf8ToBytes('IdentityChain'), ...input.names.map(utf8ToBytes)];
  return { chainId: chainIdFromExtIds(extIds), extIds, content: utf8ToBytes(JSON.stringify({ version: 1, keys })) };
}

/** ["ReplaceKey", oldIdpub, newIdpub, sig, signerIdpub]; sig over UTF-8 of chainIdHex + old + new. */
export function buildAppKeyReplacement(input: { chainId: Uint8Array; oldKey: string; newKey: string; signerSecret: string }): Entry {
  const oldKey = encodeKey('idpub', expectKind(input.oldKey, ['idpub'], 'oldKey').publicKey);
  const newKey = encodeKey('idpub', expectKind(input.newKey, ['idpub'], 'newKey').publicKey);
  const signer = expectKind(input.signerSecret, ['idsec'], 'signerSecret');
  const signerPublic = publicFormOf(signer).text;
  const sig = sign(signer.seed, utf8ToBytes(bytesToHex(input.chainId) + oldKey + newKey));
  return {
    chainId: input.chainId,
    extIds: [utf8ToBytes('ReplaceKey'), utf8ToBytes(oldKey), utf8ToBytes(newKey), sig, utf8ToBytes(signerPublic)],
    content: new Uint8Array(0),
  };
}
