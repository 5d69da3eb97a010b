import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { InputError } from '../../errors.js';

/** The agent's failover section (its own small YAML file): what fence-check and the command module need. */
export const FenceConfig = z.object({
  /** The factomd.conf that factomd is started with. */
  factomdConf: z.string().min(1),
  /** Fence state (lease end, fenced flag), 0600. */
  stateFile: z.string().min(1),
  /** The authority identity this host may hold. */
  identity: z.string().regex(/^[0-9a-fA-F]{64}$/, 'a 64-hex chain ID'),
}).strict();
export type FenceConfig = z.infer<typeof FenceConfig>;

export function loadFenceConfig(path: string): FenceConfig {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    throw new InputError('E_CONFIG_READ', 'cannot read the config file', { field: path, cause: e, exitCode: 2 });
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new InputError('E_CONFIG_SYNTAX', doc.errors[0]!.message.split('\n')[0]!, { field: path, exitCode: 2 });
  const p = FenceConfig.safeParse(doc.toJS());
  if (!p.success) {
    const i = p.error.issues[0]!;
    throw new InputError('E_CONFIG', i.message, { field: i.path.join('.') || path, exitCode: 2 });
  }
  return p.data;
}
