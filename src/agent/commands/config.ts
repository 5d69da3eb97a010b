import { z } from 'zod';
import { parseYaml, readYamlText, validateYaml } from '../../util/yaml-config.js';

const Hex64 = z.string().regex(/^[0-9a-fA-F]{64}$/, 'a 64-hex chain ID');

/** The agent's failover section (its own small YAML file): what fence-check and the command module need. */
export const FenceConfig = z.object({
  /** The factomd.conf that factomd is started with. */
  factomdConf: z.string().min(1),
  /** Fence state (lease end, fenced flag), 0600. */
  stateFile: z.string().min(1),
  /** The authority identity this host may hold. */
  identity: Hex64,
}).strict();
export type FenceConfig = z.infer<typeof FenceConfig>;

const AbsPath = z.string().startsWith('/', 'must be an absolute path');

/** `10s`, `1m`, `500ms`, `1h`. */
const Duration = z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'a duration like 10s, 1m or 500ms').transform((v) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v)!;
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']);
});

/** A program and its arguments, run without a shell (never a command string). */
const Argv = z.array(z.string().min(1).max(4096).refine((a) => !a.includes('\0'), 'no NUL bytes')).min(1, 'at least the program').max(64);

/**
 * The `control:` section of the agent YAML: the agent then keeps the identity's lease and runs the
 * signed commands of the failover controller hosted by its server, over its own mTLS connection.
 * `anoguard agent fence-check --config` reads its first three keys from the same file.
 */
export const ControlSection = z.object({
  factomdConf: AbsPath,
  stateFile: AbsPath,
  /** Nonces of accepted commands (0600), kept until each command expires. */
  replayFile: AbsPath,
  identity: Hex64,
  /** Operator public keys (hex, from `anoguard swap keygen`) whose commands this agent accepts. */
  trustedKeys: z.array(Hex64).min(1, 'at least one operator public key'),
  /** JSON {IdentityChainID, LocalServerPrivKey, LocalServerPublicKey} of the authority identity, 0600; without it this host can never be promoted. */
  identityFile: AbsPath.optional(),
  /** Same shape: this node's own follower identity, installed when it is demoted. */
  followerFile: AbsPath.optional(),
  /** Every server that hosts a controller (etcd HA); default the agent's `server`. */
  servers: z.array(z.string().url().refine((u) => u.startsWith('https://'), 'must be an https:// URL (mutual TLS)')).min(1).max(8).optional(),
  /** Which `factomd:` entry (by name) runs on this host; default the first. */
  node: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/).optional(),
  /** Renew the lease this often; default a quarter of the lease the server grants. */
  renewEvery: Duration.refine((ms) => ms >= 50, 'at least 50ms').optional(),
  /** Demote the config this long before the lease ends when renewals fail: at least 2 blocks. */
  demoteBefore: Duration.prefault('20m'),
  /** e.g. [systemctl, restart, factomd]: only used to restart on an edited file when the network stalled. */
  restartCommand: Argv.optional(),
  /** e.g. [systemctl, stop, factomd]: a fenced node whose factomd hangs with the identity is stopped. */
  stopCommand: Argv.optional(),
}).strict();
export type ControlSection = z.infer<typeof ControlSection>;

/**
 * The fence-check settings from FILE: either the small fence YAML (factomdConf, stateFile, identity)
 * or the agent's YAML with a `control:` section.
 */
export function loadFenceConfig(path: string): FenceConfig {
  const y = parseYaml(readYamlText(path, 'config'), path, { code: 'E_CONFIG_SYNTAX' });
  const raw = y.value;
  if (raw !== null && typeof raw === 'object' && 'control' in raw) {
    const c = validateYaml(y, ControlSection, { code: 'E_CONFIG', at: ['control'] });
    return { factomdConf: c.factomdConf, stateFile: c.stateFile, identity: c.identity };
  }
  return validateYaml(y, FenceConfig, { code: 'E_CONFIG' });
}
