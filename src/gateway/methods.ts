/**
 * factomd /v2 methods by what they can do to the node (factomd-ops.md §3.2). The gateway forwards
 * read-only methods by default; writes (commit/reveal, factoid-submit) only when the operator opts
 * in. Methods that inject raw wire messages or replay events are never forwarded: they are an
 * injection path (send-raw-message) or a load amplifier (replay-from-height), not a public API.
 */
export const READ_ONLY_METHODS = [
  'heights', 'current-minute', 'properties', 'tps-rate', 'entry-credit-rate', 'directory-block-head',
  'directory-block', 'entry-block', 'admin-block', 'factoid-block', 'entrycredit-block',
  'dblock-by-height', 'ablock-by-height', 'fblock-by-height', 'ecblock-by-height', 'entry', 'chain-head',
  'raw-data', 'receipt', 'anchors', 'transaction', 'entry-credit-balance', 'factoid-balance',
  'multiple-ec-balances', 'multiple-fct-balances', 'pending-entries', 'pending-transactions', 'ack',
  'entry-ack', 'factoid-ack',
] as const;

export const WRITE_METHODS = ['commit-chain', 'reveal-chain', 'commit-entry', 'reveal-entry', 'factoid-submit'] as const;

/**
 * Node-revealing reads: they tell an attacker which identity and keys a node runs, which is what an
 * ANO hides behind followers (factomd-ops.md §4.2, §9 item 7). Allowed only when listed explicitly.
 */
export const REVEALING_METHODS = ['diagnostics', 'authorities'] as const;

export const NEVER_FORWARDED = ['send-raw-message', 'replay-from-height'] as const;

export const KNOWN_METHODS: ReadonlySet<string> = new Set<string>([
  ...READ_ONLY_METHODS, ...WRITE_METHODS, ...REVEALING_METHODS, ...NEVER_FORWARDED,
]);

/** Methods whose answers are the same for every caller and change at most each minute. */
export const CACHEABLE_METHODS = ['heights', 'properties', 'current-minute', 'entry-credit-rate', 'directory-block-head', 'tps-rate'] as const;
