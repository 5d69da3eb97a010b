import { isIP } from 'node:net';
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { loadYamlConfig } from '../../util/yaml-config.js';
import { NotifierConfigSchema } from '../notify/types.js';

const duration = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'a duration like 90s, 15m, 2h or 30d')])
  .transform((v) => {
    if (typeof v === 'number') return v * 1000;
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v)!;
    return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  });
const ratio = z.number().min(0).max(1);
const cidr = z.string().refine((c) => isIP(c.split('/')[0] ?? '') !== 0, 'not an IP address or CIDR');

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof SEVERITIES)[number];

/**
 * Every threshold of every rule, with defaults chosen for a 10 s agent interval and factomd's
 * 600 s blocks; the YAML file (`alerts.yaml`) only names what it changes.
 */
export const AlertConfigSchema = z.object({
  evaluateEvery: duration.default(10_000),
  /** a notification for a still-firing alert is repeated after this long */
  repeatInterval: duration.default(4 * 3_600_000),
  /** event-born alerts (new listener, file change, …) stay firing this long after the last event */
  eventHold: duration.default(15 * 60_000),
  /** labels whose equal values put alerts into one notification */
  groupBy: z.array(z.enum(['rule', 'node', 'severity'])).default(['rule']),
  agentSilent: z.object({ after: duration.default(90_000) }).strict().default({ after: 90_000 }),
  heightLag: z.object({ blocks: z.number().int().min(1).default(2) }).strict().default({ blocks: 2 }),
  stall: z.object({ blocks: z.number().min(0.5).default(2) }).strict().default({ blocks: 2 }),
  minuteStuck: z.object({ factor: z.number().min(1).default(3) }).strict().default({ factor: 3 }),
  /** node → role it is meant to have (Leader/Audit/Follower); a change on another node is unexpected too */
  expectedRoles: z.record(z.string(), z.enum(['Leader', 'Audit', 'Follower'])).default({}),
  swapPending: z.object({ after: duration.default(15 * 60_000) }).strict().default({ after: 15 * 60_000 }),
  cpu: z.object({ busy: ratio.default(0.9) }).strict().default({ busy: 0.9 }),
  memory: z.object({ used: ratio.default(0.9) }).strict().default({ used: 0.9 }),
  disk: z.object({ used: ratio.default(0.9), inodesUsed: ratio.default(0.9) }).strict().default({ used: 0.9, inodesUsed: 0.9 }),
  diskIo: z.object({ busy: ratio.default(0.9) }).strict().default({ busy: 0.9 }),
  processes: z.object({ change: ratio.default(0.5), min: z.number().int().min(1).default(50) }).strict().default({ change: 0.5, min: 50 }),
  newListener: z.object({ ignoreLoopback: z.boolean().default(true) }).strict().default({ ignoreLoopback: true }),
  ssh: z.object({ opsCidrs: z.array(cidr).default([]), failedBurst: z.number().int().min(2).default(10) }).strict().default({ opsCidrs: [], failedBurst: 10 }),
  certExpiry: z.object({ within: duration.default(30 * 86_400_000) }).strict().default({ within: 30 * 86_400_000 }),
  clockSkew: z.object({ max: duration.default(5_000), agentInterval: duration.default(10_000) }).strict().default({ max: 5_000, agentInterval: 10_000 }),
  notifiers: z.array(NotifierConfigSchema).default([]),
  /** rules switched off by name */
  disabled: z.array(z.string()).default([]),
}).strict();
export type AlertConfig = z.infer<typeof AlertConfigSchema>;

export function defaultAlertConfig(): AlertConfig {
  return AlertConfigSchema.parse({});
}

export function parseAlertConfig(value: unknown, source = 'alerts'): AlertConfig {
  const r = AlertConfigSchema.safeParse(value ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new InputError('E_ALERT_CONFIG', issue.message, { field: issue.path.length > 0 ? issue.path.join('.') : source, exitCode: 2 });
  }
  return r.data;
}

/** Reads and validates alerts.yaml; errors carry the file and line (and the field path). */
export function loadAlertConfig(path: string): AlertConfig {
  return loadYamlConfig(path, AlertConfigSchema, { code: 'E_ALERT_CONFIG', fileField: 'alerts' });
}
