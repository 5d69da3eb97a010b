import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AnoguardError } from '../errors.js';
import { AuthorityRecord } from './wire.js';

/** Files of a simulated network under DIR. One place for their names and shapes. */

export const SimIdentity = AuthorityRecord.extend({ privateKey: z.string() });
export type SimIdentity = z.infer<typeof SimIdentity>;

export const SetupFile = z.object({
  blockTimeMs: z.number().int().min(100),
  host: z.string(),
  network: z.literal('LOCAL'),
  identities: z.array(AuthorityRecord),
  fed: z.array(z.string()),
  audit: z.array(z.string()),
  /** EC public keys (hex) funded at genesis, with their credits. */
  funded: z.record(z.string(), z.number().int().nonnegative()),
});
export type SetupFile = z.infer<typeof SetupFile>;

export const NetworkFile = z.object({ pid: z.number().int(), host: z.string(), port: z.number().int(), blockTimeMs: z.number().int() });
export type NetworkFile = z.infer<typeof NetworkFile>;

export const NodeFile = z.object({
  name: z.string(),
  host: z.string(),
  /** The node's "command line": like factomd flags, these win over factomd.conf (case 6). */
  flags: z.object({ network: z.string(), port: z.number().int(), controlPanelPort: z.number().int(), metricsPort: z.number().int() }),
  /** host:port of the network process; empty = read DIR/network.json. */
  networkAddress: z.string().optional(),
});
export type NodeFile = z.infer<typeof NodeFile>;

export const SimNodeEntry = z.object({
  name: z.string(),
  pid: z.number().int(),
  home: z.string(),
  api: z.string(),
  controlPanel: z.string(),
  metrics: z.string(),
  identity: z.string(),
  /** Network namespace the node runs in (`ip netns exec`), when not the host's. */
  netns: z.string().optional(),
});
export type SimNodeEntry = z.infer<typeof SimNodeEntry>;

export const SimFile = z.object({
  network: z.object({ pid: z.number().int(), address: z.string(), blockTimeMs: z.number().int() }),
  nodes: z.array(SimNodeEntry),
});
export type SimFile = z.infer<typeof SimFile>;

export const paths = {
  setup: (dir: string) => join(dir, 'setup.json'),
  network: (dir: string) => join(dir, 'network.json'),
  sim: (dir: string) => join(dir, 'sim.json'),
  truth: (dir: string) => join(dir, 'truth.jsonl'),
  nodeDir: (dir: string, name: string) => join(dir, name),
  nodeFile: (dir: string, name: string) => join(dir, name, 'node.json'),
  home: (dir: string, name: string) => join(dir, name, '.factom', 'm2'),
  conf: (dir: string, name: string) => join(dir, name, '.factom', 'm2', 'factomd.conf'),
  log: (dir: string, name: string) => join(dir, name, 'factomd.log'),
};

export function readJsonFile<T>(path: string, schema: z.ZodType<T>, field: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new AnoguardError('E_SIM_MISSING', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field, cause: e });
  }
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new AnoguardError('E_SIM_CORRUPT', `${path} is not a valid simulator file`, { field, details: parsed.error.message });
  return parsed.data;
}
