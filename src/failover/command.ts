import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AnoguardError, InputError } from '../errors.js';
import { publicKeyFromSeed, sign, verify } from '../factom/ed25519.js';

/**
 * Commands to agents (config edits for swaps, fencing, lease grants), signed with an ed25519 key the
 * agent trusts and bound to one host, one identity, one height and an expiry, with a nonce the agent
 * remembers until the expiry so that a captured command cannot be replayed. Signing and checking are
 * pure apart from the nonce (random, or passed in).
 */

const HEX64 = /^[0-9a-f]{64}$/;

export const COMMAND_TYPES = ['swap-edit', 'fence', 'unfence', 'lease'] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

export const SwapEditPayload = z.object({
  /** promote: install the staged authority triple; demote: remove it (or install the staged follower one); restore: put back the file saved before the last edit. */
  action: z.enum(['promote', 'demote', 'restore']),
  /** Restart factomd after the edit: only when nobody holds the identity (a stalled network never reaches the height). */
  restart: z.boolean().optional(),
}).strict();
export const LeasePayload = z.object({ ttlMs: z.number().int().min(100).max(3_600_000), epoch: z.number().int().nonnegative() }).strict();
export const EmptyPayload = z.object({}).strict();

export const CommandBody = z.object({
  v: z.literal(1),
  type: z.enum(COMMAND_TYPES),
  host: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  identity: z.string().regex(HEX64),
  /** ChangeAcksHeight for swap-edit and fence; 0 when not applicable. */
  height: z.number().int().min(0).max(0xffffffff),
  /** Unix ms. */
  expiresAt: z.number().int().positive(),
  nonce: z.string().regex(/^[0-9a-f]{32}$/),
  payload: z.record(z.string(), z.unknown()),
  /** Hex public key of the signer, so an agent trusting several keys knows which to use. */
  signer: z.string().regex(HEX64),
}).strict();
export type CommandBody = z.infer<typeof CommandBody>;

export const SignedCommand = CommandBody.extend({ signature: z.string().regex(/^[0-9a-f]{128}$/) }).strict();
export type SignedCommand = z.infer<typeof SignedCommand>;

const DOMAIN = 'anoguard-command-v1\n';

/** The bytes signed: a domain tag and the body as JSON with keys in a fixed order (payload keys sorted). */
export function commandMessage(b: CommandBody): Uint8Array {
  const payload = Object.fromEntries(Object.keys(b.payload).sort().map((k) => [k, b.payload[k]]));
  const ordered = { v: b.v, type: b.type, host: b.host, identity: b.identity, height: b.height, expiresAt: b.expiresAt, nonce: b.nonce, payload, signer: b.signer };
  return new TextEncoder().encode(DOMAIN + JSON.stringify(ordered));
}

export interface CommandInput {
  type: CommandType;
  host: string;
  identity: string;
  height?: number;
  expiresAt: number;
  payload?: Record<string, unknown>;
  nonce?: string;
}

function payloadSchema(t: CommandType): z.ZodType {
  return t === 'swap-edit' ? SwapEditPayload : t === 'lease' ? LeasePayload : EmptyPayload;
}

export function signCommand(seed: Uint8Array, c: CommandInput): SignedCommand {
  const signer = Buffer.from(publicKeyFromSeed(seed, 'operator key')).toString('hex');
  const body = CommandBody.parse({
    v: 1, type: c.type, host: c.host, identity: c.identity.toLowerCase(), height: c.height ?? 0, expiresAt: c.expiresAt,
    nonce: c.nonce ?? randomBytes(16).toString('hex'), payload: c.payload ?? {}, signer,
  });
  const p = payloadSchema(body.type).safeParse(body.payload);
  if (!p.success) throw new InputError('E_COMMAND_PAYLOAD', `bad ${body.type} payload: ${p.error.issues[0]?.message ?? ''}`, { field: 'payload' });
  return { ...body, signature: Buffer.from(sign(seed, commandMessage(body), 'operator key')).toString('hex') };
}

/** The agent's memory of nonces until their commands expire (persisted: agent/commands/replay.ts). */
export interface ReplaySet {
  has(nonce: string): boolean;
  /** Must be durable before the command acts. */
  add(nonce: string, expiresAt: number): void;
}

export interface VerifyContext {
  trustedKeys: readonly string[];
  host: string;
  identity: string;
  now: number;
  replay: ReplaySet;
  /** Longest accepted lifetime from now: bounds the replay set and what a stolen command is worth. */
  maxTtlMs?: number;
  /** Tolerated clock difference between signer and agent. */
  skewMs?: number;
}

/**
 * Accepts only a well-formed command, signed by a trusted key, for this host and identity, not
 * expired, not too far in the future, never seen before; records its nonce before returning.
 */
export function verifyCommand(raw: unknown, ctx: VerifyContext): SignedCommand {
  const refuse = (code: `E_${string}`, msg: string, field: string): never => { throw new AnoguardError(code, msg, { field }); };
  const p = SignedCommand.safeParse(raw);
  if (!p.success) refuse('E_COMMAND_FORMAT', `not a signed command: ${p.error.issues[0]?.path.join('.') ?? ''} ${p.error.issues[0]?.message ?? ''}`.trim(), 'command');
  const c = p.data!;
  if (!ctx.trustedKeys.map((k) => k.toLowerCase()).includes(c.signer)) refuse('E_COMMAND_SIGNER', 'signed by a key this agent does not trust', 'signer');
  const { signature, ...body } = c;
  if (!verify(Buffer.from(c.signer, 'hex'), commandMessage(body), Buffer.from(signature, 'hex'))) refuse('E_COMMAND_SIGNATURE', 'bad signature', 'signature');
  if (c.host !== ctx.host) refuse('E_COMMAND_HOST', `meant for host ${c.host}, not ${ctx.host}`, 'host');
  if (c.identity !== ctx.identity.toLowerCase()) refuse('E_COMMAND_IDENTITY', 'meant for another identity', 'identity');
  const skew = ctx.skewMs ?? 5_000;
  if (c.expiresAt + skew <= ctx.now) refuse('E_COMMAND_EXPIRED', 'expired', 'expiresAt');
  if (c.expiresAt - ctx.now > (ctx.maxTtlMs ?? 15 * 60_000) + skew) refuse('E_COMMAND_TTL', 'expiry too far ahead', 'expiresAt');
  const pl = payloadSchema(c.type).safeParse(c.payload);
  if (!pl.success) refuse('E_COMMAND_PAYLOAD', `bad ${c.type} payload`, 'payload');
  if ((c.type === 'swap-edit' || c.type === 'fence') && c.height < 1) refuse('E_COMMAND_HEIGHT', 'a config edit needs a ChangeAcksHeight', 'height');
  if (ctx.replay.has(c.nonce)) refuse('E_COMMAND_REPLAY', 'this command was already used', 'nonce');
  ctx.replay.add(c.nonce, c.expiresAt + skew);
  return c;
}
