import { isIP } from 'node:net';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { loadYamlConfig } from '../util/yaml-config.js';
import { ControlSection } from './commands/config.js';

/** `10s`, `1m`, `500ms` or a number of seconds. */
const duration = z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'a duration like 10s, 1m or 500ms')])
  .transform((v) => {
    if (typeof v === 'number') return v * 1000;
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v)!;
    return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  });

const cidr = z.string().refine((c) => {
  const [a, b] = c.split('/');
  const fam = isIP(a ?? '');
  if (fam === 0) return false;
  if (b === undefined) return true;
  const n = Number(b);
  return /^\d+$/.test(b) && n >= 0 && n <= (fam === 4 ? 32 : 128);
}, 'not an IP address or CIDR (10.0.0.0/8, 2001:db8::/32)');

const absPath = z.string().startsWith('/', 'must be an absolute path');

const logSource = z.union([
  z.object({ file: absPath, format: z.enum(['syslog', 'plain']).optional() }).strict(),
  z.object({ journald: z.object({ unit: z.string().min(1).optional(), identifier: z.string().min(1).optional(), journalctl: absPath.optional() }).strict() }).strict(),
]);

export const AgentConfigSchema = z.object({
  /** agent name; must equal the CN of the agent certificate */
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/, 'letters, digits, . _ - (max 64), like the certificate CN'),
  /** https://monitor.example:8443 */
  server: z.string().url().refine((u) => u.startsWith('https://'), 'must be an https:// URL (mutual TLS)'),
  tls: z.object({ ca: absPath, cert: absPath, key: absPath }).strict(),
  interval: duration.default(10_000).refine((ms) => ms >= 1000, 'at least 1s'),
  stateDir: absPath.default('/var/lib/anoguard-agent'),
  procRoot: absPath.default('/proc'),
  factomd: z.array(z.object({
    name: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/),
    url: z.string().url(),
    user: z.string().optional(),
    /** 0600 file holding the RPC password */
    passwordFile: absPath.optional(),
    metricsUrl: z.string().url().optional(),
    timeout: duration.default(5000),
  }).strict()).default([]),
  watch: z.object({
    files: z.array(absPath).default([]),
    /** secret-bearing files: factomd.conf, key files; changes are critical */
    critical: z.array(absPath).default([]),
    authorizedKeysUsers: z.array(z.string().regex(/^[a-z_][a-z0-9_.-]*\$?$/i)).default([]),
  }).strict().default({ files: [], critical: [], authorizedKeysUsers: [] }),
  logs: z.object({ ssh: logSource.optional(), factomd: logSource.optional() }).strict().default({}),
  opsCidrs: z.array(cidr).default([]),
  bruteforce: z.object({ failures: z.number().int().min(2).default(6), window: duration.default(120_000) }).strict().default({ failures: 6, window: 120_000 }),
  outbox: z.object({ maxBatches: z.number().int().min(10).default(50_000), maxBytes: z.number().int().min(1 << 20).default(256 * 1024 * 1024) }).strict()
    .default({ maxBatches: 50_000, maxBytes: 256 * 1024 * 1024 }),
  /** optional Prometheus exposition of the agent's latest samples, loopback only */
  metrics: z.object({
    listen: z.string().refine((s) => /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d{1,5}$/.test(s), 'must be a loopback address:port (127.0.0.1:9101, [::1]:9101)'),
  }).strict().optional(),
  /** Failover: lease keeping and signed commands over the server connection (docs/brain-swap.md). */
  control: ControlSection.optional(),
}).strict();

export type AgentConfig = z.infer<typeof AgentConfigSchema>;

/** The watched set an ANO almost always wants; used when `watch.files` is empty. */
export const DEFAULT_WATCH_FILES = [
  '/etc/ssh/sshd_config', '/etc/ssh/sshd_config.d/*', '/etc/docker/daemon.json',
  '/etc/systemd/system/*.service', '/etc/systemd/system/*.socket', '/etc/nftables.conf',
];

/** Validates a parsed config object; the first problem becomes one InputError naming its path. */
export function parseAgentConfig(value: unknown, source = 'config'): AgentConfig {
  const r = AgentConfigSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.join('.') : source;
    throw new InputError('E_AGENT_CONFIG', issue.message, { field, exitCode: 2 });
  }
  return r.data;
}

/** Reads and validates the YAML config file; errors carry the file and line (and the field path). */
export function loadAgentConfig(path: string): AgentConfig {
  return loadYamlConfig(path, AgentConfigSchema, { code: 'E_AGENT_CONFIG', fileField: '--config' });
}
