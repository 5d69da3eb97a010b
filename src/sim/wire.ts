import type { Socket } from 'node:net';
import { z } from 'zod';

/**
 * The message fabric between the network process and the node processes: newline-delimited JSON over
 * one TCP connection per node (so a node can live in a network namespace and reach the network at a
 * given address). Shapes are zod schemas; both ends parse what they receive.
 */

export const AuthorityRecord = z.object({
  chainid: z.string(),
  signingkey: z.string(),
  manageid: z.string(),
  matroyshka: z.string(),
  efficiency: z.number().int(),
  coinbaseaddress: z.string(),
});
export type AuthorityRecord = z.infer<typeof AuthorityRecord>;

/** The authority set from `height` on (applied at minute 0 of that block). */
export const AuthSnapshot = z.object({ height: z.number().int(), fed: z.array(z.string()), audit: z.array(z.string()) });
export type AuthSnapshot = z.infer<typeof AuthSnapshot>;

export const StallInfo = z.object({
  status: z.enum(['Processing', 'Syncing EOMs', 'Syncing DBSigs']),
  received: z.number().int().optional(),
  expected: z.number().int().optional(),
  missing: z.array(z.string()).optional(),
});
export type StallInfo = z.infer<typeof StallInfo>;

const Minute = z.object({
  t: z.literal('minute'),
  height: z.number().int(),
  minute: z.number().int(),
  blockStartMs: z.number(),
  minuteStartMs: z.number(),
  stall: StallInfo.nullable(),
  online: z.array(z.string()),
});
export type MinuteMsg = z.infer<typeof Minute>;

export const NetToNode = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('welcome'),
    blockTimeMs: z.number().int(),
    authorities: z.array(AuthorityRecord),
    history: z.array(AuthSnapshot),
    now: Minute,
  }),
  Minute,
  z.object({ t: z.literal('auth'), authorities: z.array(AuthorityRecord), history: z.array(AuthSnapshot) }),
  z.object({ t: z.literal('stall'), stall: StallInfo.nullable(), height: z.number().int(), minute: z.number().int(), blockStartMs: z.number(), minuteStartMs: z.number() }),
  z.object({ t: z.literal('die'), kind: z.enum(['dup-fed', 'dup-audit']), text: z.string() }),
  z.object({ t: z.literal('fault'), slowMs: z.number().int().optional(), skewS: z.number().optional() }),
  z.object({ t: z.literal('reply'), id: z.number().int(), ok: z.boolean(), value: z.unknown() }),
]);
export type NetToNode = z.infer<typeof NetToNode>;

export const NodeToNet = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('hello'),
    name: z.string(),
    pid: z.number().int(),
    salt: z.string(),
    startedAt: z.number(),
  }),
  z.object({
    t: z.literal('report'),
    height: z.number().int(),
    minute: z.number().int(),
    synced: z.boolean(),
    identity: z.string(),
    publicKey: z.string(),
  }),
  z.object({ t: z.literal('ask'), id: z.number().int(), op: z.string(), args: z.record(z.string(), z.unknown()) }),
  /** Control clients (the CLI): fault, promote, fund, status, stop. */
  z.object({ t: z.literal('ctl'), id: z.number().int(), op: z.string(), args: z.record(z.string(), z.unknown()) }),
]);
export type NodeToNet = z.infer<typeof NodeToNet>;

/** Frames a socket as NDJSON: calls `onMessage` with each parsed line; bad lines are dropped. */
export function readLines(sock: Socket, onLine: (value: unknown) => void): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    // A peer that never sends a newline must not grow memory without bound.
    if (buf.length > 8 << 20) { sock.destroy(); return; }
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.length === 0) continue;
      try {
        onLine(JSON.parse(line));
      } catch {
        /* a malformed line is dropped, like a bad p2p parcel */
      }
    }
  });
}

export function send(sock: Socket, msg: unknown): void {
  if (!sock.destroyed && sock.writable) sock.write(`${JSON.stringify(msg)}\n`);
}
