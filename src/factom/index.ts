/** Public API of the pure Factom protocol core. No I/O, no clock, no randomness: pass them in. */
export * from './bytes.js';
export * from './hash.js';
export * from './ed25519.js';
export * from './keys.js';
export * from './entry.js';
export * from './commit.js';
export * from './identity-messages.js';
export * from './identity-state.js';
export * from './app-identity.js';
