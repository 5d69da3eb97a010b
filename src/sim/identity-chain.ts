import { REGISTRATION_CHAIN_ID_HEX } from '../factom/identity-messages.js';
import { applyIdentityChains, missingForPromotion } from '../factom/identity-state.js';
import { encodeKey } from '../factom/keys.js';
import type { Ledger } from './ledger.js';
import type { AuthorityRecord } from './wire.js';

/**
 * The authority record of an identity registered on the simulated chain, read with the protocol
 * core's reducer (factomd's identityManagerEntryBlock.go rules). Promotion needs what factomd needs
 * (`missingForPromotion`): otherwise the reasons, and nothing is promoted.
 */
export function identityFromLedger(ledger: Ledger, chainId: string): { ok: true; record: AuthorityRecord } | { ok: false; missing: string[] } {
  const blockTimes = ledger.blockTimes();
  const rootEntries = ledger.chainEntries(chainId);
  const registrationEntries = ledger.chainEntries(REGISTRATION_CHAIN_ID_HEX);
  if (rootEntries.length === 0) return { ok: false, missing: ['identity root chain'] };
  let state = applyIdentityChains({ rootEntries, mgmtEntries: [], registrationEntries, blockTimes });
  if (state.managementChainId) {
    state = applyIdentityChains({ rootEntries, mgmtEntries: ledger.chainEntries(state.managementChainId), registrationEntries, blockTimes });
  }
  const missing = missingForPromotion(state);
  if (missing.length > 0 || !state.blockSigningKey) return { ok: false, missing };
  return {
    ok: true,
    record: {
      chainid: chainId,
      signingkey: state.blockSigningKey.publicKey,
      manageid: state.managementChainId ?? '0'.repeat(64),
      matroyshka: state.matryoshkaHash?.mhash ?? '0'.repeat(64),
      efficiency: state.efficiency.value,
      coinbaseaddress: state.coinbaseAddress ? encodeKey('FA', new Uint8Array(Buffer.from(state.coinbaseAddress.rcdHash, 'hex'))) : '',
    },
  };
}
