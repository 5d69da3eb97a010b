/** The factomd/walletd client: the one import other capabilities need. */
export * from './errors.js';
export * from './schemas.js';
export { createTransport, certSha256, sanitizeText, type ConnectionOptions, type Transport } from './transport.js';
export {
  createFactomdClient, createDebugClient, IDEMPOTENT_V2_METHODS, REDACTED,
  type FactomdClient, type FactomdClientOptions, type DebugClient,
} from './client.js';
export { createControlPanelClient, type ControlPanelClient, type ControlPanelClientOptions } from './control-panel.js';
export { createWalletdClient, type WalletdClient, type WalletdClientOptions, type ComposeEntryInput } from './walletd.js';
export { getNodeStatus, nodeStatusSchema, type NodeStatus } from './status.js';
