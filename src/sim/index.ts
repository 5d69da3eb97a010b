/** The factomd-compatible simulator: library API for tests and the CLI. */
export { startSim, stopSim, openSim, controlNetwork, isOurProcess, prepareNode, nodeCommand, recordNodePid, renderConf, type StartSimOptions, type SimHandle } from './up.js';
export { readTruth, findDoubleSigners, assertNoDoubleSigning, signerAt, type Truth, type SignRecord, type DoubleSign } from './truth.js';
export { runNetwork, FED_DUP_DEATH_BLOCKS, AUDIT_DUP_DEATH_BLOCKS } from './network.js';
export { runNode } from './node.js';
export { FNODE0_ID, ZERO_ID } from './identity.js';
export type { SimFile, SimNodeEntry } from './layout.js';
