import { z } from 'zod';
import { InputError } from '../errors.js';
import { loadYamlConfig } from '../util/yaml-config.js';
import { KNOWN_METHODS, NEVER_FORWARDED, READ_ONLY_METHODS, WRITE_METHODS, CACHEABLE_METHODS } from './methods.js';

const hostPort = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535),
}).strict();

const rate = z.object({
  /** sustained requests per second */
  rps: z.number().positive().max(1_000_000),
  /** extra requests allowed in a short burst (over 1 s) */
  burst: z.number().int().nonnegative().max(1_000_000).default(0),
}).strict();

/**
 * API keys are random tokens (high entropy): stored as their SHA-256, compared in constant time.
 * Basic-auth passwords are human secrets: stored as scrypt hashes (`scrypt$N$r$p$salt$hash`).
 */
const apiKey = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'names are 1–64 of A-Z a-z 0-9 _ . -'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the SHA-256 of the key, 64 lowercase hex characters (anoguard gateway hash-key)'),
  rate: rate.optional(),
  allowWrites: z.boolean().default(false),
}).strict();

const basicUser = z.object({
  user: z.string().regex(/^[^:\s]{1,64}$/, 'no colon or white space, at most 64 characters'),
  scrypt: z.string().regex(/^scrypt\$\d+\$\d+\$\d+\$[0-9a-f]{32}\$[0-9a-f]{64}$/, 'an scrypt hash from `anoguard gateway hash-password`'),
  rate: rate.optional(),
  allowWrites: z.boolean().default(false),
}).strict();

const upstream = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
  /** base URL of the follower's API, e.g. http://10.0.1.5:8088 (the gateway posts to /v2) */
  url: z.url({ protocol: /^https?$/ }),
  user: z.string().optional(),
  /** file (mode 0600) holding the upstream's FactomdRpcPass */
  passwordFile: z.string().optional(),
  /** PEM file of a CA to trust for an https upstream */
  caFile: z.string().optional(),
}).strict();

export const GatewayConfigSchema = z.object({
  listen: hostPort.default({ host: '0.0.0.0', port: 8443 }),
  tls: z.object({ cert: z.string(), key: z.string() }).strict().optional(),
  /** Plain HTTP only makes sense on loopback behind another TLS terminator; refused elsewhere. */
  insecurePlainHttp: z.boolean().default(false),
  upstreams: z.array(upstream).min(1, 'at least one upstream follower'),
  auth: z.object({
    /** false = anonymous access allowed (rate limited per IP); keys still get their own limits */
    required: z.boolean().default(true),
    apiKeys: z.array(apiKey).default([]),
    basic: z.array(basicUser).default([]),
  }).strict().default({ required: true, apiKeys: [], basic: [] }),
  limits: z.object({
    perIp: rate.default({ rps: 20, burst: 40 }),
    perKey: rate.default({ rps: 100, burst: 200 }),
    maxConnections: z.number().int().positive().default(2048),
    maxConnectionsPerIp: z.number().int().positive().default(64),
    maxBodyBytes: z.number().int().positive().max(16 * 1024 * 1024).default(64 * 1024),
    maxBatch: z.number().int().nonnegative().max(100).default(10),
    maxIdLength: z.number().int().positive().max(1024).default(128),
    maxDepth: z.number().int().positive().max(64).default(8),
    headersTimeoutMs: z.number().int().positive().default(5_000),
    requestTimeoutMs: z.number().int().positive().default(10_000),
    upstreamTimeoutMs: z.number().int().positive().default(5_000),
    maxResponseBytes: z.number().int().positive().default(8 * 1024 * 1024),
  }).strict().default({
    perIp: { rps: 20, burst: 40 }, perKey: { rps: 100, burst: 200 }, maxConnections: 2048, maxConnectionsPerIp: 64,
    maxBodyBytes: 64 * 1024, maxBatch: 10, maxIdLength: 128, maxDepth: 8, headersTimeoutMs: 5_000,
    requestTimeoutMs: 10_000, upstreamTimeoutMs: 5_000, maxResponseBytes: 8 * 1024 * 1024,
  }),
  methods: z.object({
    allow: z.array(z.string()).default([...READ_ONLY_METHODS]),
    allowWrites: z.boolean().default(false),
  }).strict().default({ allow: [...READ_ONLY_METHODS], allowWrites: false }),
  cache: z.object({
    ttlMs: z.number().int().nonnegative().max(60_000).default(300),
    methods: z.array(z.enum(CACHEABLE_METHODS)).default([...CACHEABLE_METHODS]),
  }).strict().default({ ttlMs: 300, methods: [...CACHEABLE_METHODS] }),
  health: z.object({
    intervalMs: z.number().int().positive().default(2_000),
    timeoutMs: z.number().int().positive().default(1_500),
    /** consecutive failed checks before an upstream is taken out */
    failAfter: z.number().int().positive().default(2),
    /** an upstream this many blocks behind the best one is taken out */
    maxLagBlocks: z.number().int().nonnegative().default(2),
  }).strict().default({ intervalMs: 2_000, timeoutMs: 1_500, failAfter: 2, maxLagBlocks: 2 }),
  /** Prometheus metrics on their own listener, loopback by default */
  metrics: hostPort.optional(),
  /** trust X-Forwarded-For from these proxy addresses only */
  trustProxy: z.array(z.string()).default([]),
}).strict().superRefine((c, ctx) => {
  for (const [i, m] of c.methods.allow.entries()) {
    if (!KNOWN_METHODS.has(m)) ctx.addIssue({ code: 'custom', path: ['methods', 'allow', i], message: `unknown factomd method "${m}"` });
    else if ((NEVER_FORWARDED as readonly string[]).includes(m)) ctx.addIssue({ code: 'custom', path: ['methods', 'allow', i], message: `"${m}" is never forwarded (raw message injection / replay)` });
    else if ((WRITE_METHODS as readonly string[]).includes(m) && !c.methods.allowWrites) ctx.addIssue({ code: 'custom', path: ['methods', 'allow', i], message: `"${m}" writes to the chain: set methods.allowWrites: true to forward it` });
  }
  const loopback = c.listen.host === '127.0.0.1' || c.listen.host === '::1' || c.listen.host === 'localhost';
  if (!c.tls && !(c.insecurePlainHttp && loopback)) {
    ctx.addIssue({ code: 'custom', path: ['tls'], message: 'TLS is required (plain HTTP only with insecurePlainHttp on a loopback address)' });
  }
  if (c.auth.required && c.auth.apiKeys.length === 0 && c.auth.basic.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['auth'], message: 'auth.required is true but no apiKeys or basic users are configured' });
  }
});

export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof GatewayConfigSchema>;

/** Validates an already-parsed config object; errors name the field path. */
export function parseGatewayConfig(raw: unknown, source = 'gateway config'): GatewayConfig {
  const r = GatewayConfigSchema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = issue.path.map(String).join('.') || '(root)';
  throw new InputError('E_GATEWAY_CONFIG', `${issue.message}${r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : ''}`, { field: `${source}: ${path}` });
}

/** Reads the YAML file; syntax errors name the line, schema errors the field path and its line. */
export function loadGatewayConfig(path: string): GatewayConfig {
  return loadYamlConfig(path, GatewayConfigSchema, { code: 'E_GATEWAY_CONFIG', exitCode: 1, fileField: 'config' });
}
