import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SHARED } from '../helpers/cli.js';

export const SAMPLES = join(SHARED, 'factomd-samples');

export function sampleText(name: string): string {
  return readFileSync(join(SAMPLES, name), 'utf8');
}
export function sample(name: string): unknown {
  return JSON.parse(sampleText(name)) as unknown;
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** JSON-RPC method, when the body was a JSON-RPC call. */
  rpcMethod?: string;
  rpcId?: unknown;
  rpcParams?: unknown;
}

export type Handler = (req: SeenRequest, res: ServerResponse) => void;

export interface FakeServer {
  url: string;
  port: number;
  seen: SeenRequest[];
  handler: Handler;
  close(): Promise<void>;
}

/** Answers a JSON-RPC call with a stored sample's result, echoing the caller's id like factomd. */
export function replyResult(req: SeenRequest, res: ServerResponse, result: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', id: req.rpcId ?? null, result }));
}

export function replyError(req: SeenRequest, res: ServerResponse, error: { code: number; message: string; data?: unknown }): void {
  res.writeHead(400, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', id: req.rpcId ?? null, error }));
}

/** Replays the v2/debug samples by method name, the way factomd v6.17.1 answered. */
export const V2_SAMPLE_FILES: Record<string, string> = {
  heights: 'v2-heights.json',
  'current-minute': 'v2-current-minute.json',
  properties: 'v2-properties.json',
  diagnostics: 'v2-diagnostics.json',
  authorities: 'v2-authorities.json',
  'directory-block-head': 'v2-directory-block-head.json',
  'dblock-by-height': 'v2-dblock-by-height-1.json',
  'ablock-by-height': 'v2-ablock-by-height-1.json',
  'entry-credit-rate': 'v2-entry-credit-rate.json',
  'pending-entries': 'v2-pending-entries.json',
  'pending-transactions': 'v2-pending-transactions.json',
  'tps-rate': 'v2-tps-rate.json',
};

export const replaySamples: Handler = (req, res) => {
  const file = req.rpcMethod ? V2_SAMPLE_FILES[req.rpcMethod] : undefined;
  if (!file) {
    replyError(req, res, { code: -32601, message: 'Method not found' });
    return;
  }
  replyResult(req, res, (sample(file) as { result: unknown }).result);
};

/** A local HTTP(S) server on an ephemeral loopback port that records what it was asked. */
export async function startFakeServer(handler: Handler = replaySamples, tls?: { key: string; cert: string }): Promise<FakeServer> {
  const seen: SeenRequest[] = [];
  const state = { handler };
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const s: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      try {
        const j = JSON.parse(body) as { method?: string; id?: unknown; params?: unknown };
        s.rpcMethod = j.method;
        s.rpcId = j.id;
        s.rpcParams = j.params;
      } catch { /* GET or non-JSON */ }
      seen.push(s);
      state.handler(s, res);
    });
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    seen,
    get handler() { return state.handler; },
    set handler(h: Handler) { state.handler = h; },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
