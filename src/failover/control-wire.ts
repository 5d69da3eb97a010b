import { z } from 'zod';
import { currentMinuteSchema, diagnosticsSchema } from '../factomd/schemas.js';
import { SignedCommand } from './command.js';

/**
 * The control channel between an agent and the server that hosts the failover controller, carried
 * by the agent's outgoing mTLS connection (`POST /v1/control` on the ingest listener; an authority
 * node accepts nothing inbound). The caller is the certificate's name, never a field of the body.
 * Nothing here carries authority: leases and commands stay signed by the operator key and the
 * agent verifies each one as it always does.
 */

export const CONTROL_PATH = '/v1/control';
/** One request or answer: a status with a masked factomd.conf and a few commands fit many times over. */
export const MAX_CONTROL_BYTES = 256 * 1024;
/** Longest long-poll the server honours. */
export const MAX_WAIT_MS = 30_000;

const HostName = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ - (max 64)');

/** What the agent reports (the controller's AgentStatus). */
export const AgentStatusWire = z.object({
  host: HostName,
  holdsIdentity: z.boolean(),
  changeAcksHeight: z.number().int().min(0).max(0xffffffff).optional(),
  fenced: z.boolean(),
  /** factomd.conf with the private key replaced by zeros. */
  maskedConf: z.string().max(64 * 1024).optional(),
  diagnostics: diagnosticsSchema.optional(),
  currentMinute: currentMinuteSchema.optional(),
}).strict();
export type AgentStatusWire = z.infer<typeof AgentStatusWire>;

/** The outcome of one command, matched to it by nonce. */
export const CommandResultWire = z.object({
  nonce: z.string().regex(/^[0-9a-f]{32}$/),
  ok: z.boolean(),
  holdsIdentity: z.boolean().optional(),
  changeAcksHeight: z.number().int().min(0).max(0xffffffff).optional(),
  error: z.object({ code: z.string().max(64), message: z.string().max(500) }).strict().optional(),
}).strict();
export type CommandResultWire = z.infer<typeof CommandResultWire>;

export const ControlRequest = z.object({
  v: z.literal(1),
  /** Must be the caller's certificate name; a certificate for X speaks only for X. */
  host: HostName,
  /** This call renews the lease (answered at once, never held). */
  lease: z.boolean(),
  /** Long-poll: hold the answer up to this long until a command or a status request comes. */
  waitMs: z.number().int().min(0).max(MAX_WAIT_MS),
  status: AgentStatusWire,
  results: z.array(CommandResultWire).max(32),
  /** The agent's renewal period, so the server can tell when it has gone silent. */
  renewEveryMs: z.number().int().min(10).max(3_600_000),
}).strict();
export type ControlRequest = z.infer<typeof ControlRequest>;

export const ControlResponse = z.object({
  v: z.literal(1),
  /** Unix ms on the server (information: leases are counted on the agent's monotonic clock). */
  serverTime: z.number(),
  /** A signed lease when `lease` was asked and this host holds it. */
  lease: SignedCommand.optional(),
  commands: z.array(SignedCommand).max(32),
  /** Answer again at once with a fresh status (the controller is about to decide on it). */
  statusWanted: z.boolean(),
  /** The controller's timing, so an agent without its own renewEvery can use 1/4 of the lease. */
  leaseTtlMs: z.number().int().positive(),
  blockMs: z.number().int().positive(),
}).strict();
export type ControlResponse = z.infer<typeof ControlResponse>;

/** The first problem of a failed parse as `field: message`, for one-line errors. */
export function firstIssue(e: z.ZodError): { field: string; message: string } {
  const i = e.issues[0];
  return { field: i && i.path.length > 0 ? i.path.join('.') : 'body', message: i?.message ?? 'invalid' };
}
