import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SHARED } from './cli.js';

/** Reads a captured factomd answer from ../shared/factomd-samples. */
export function sample(name: string): { result?: unknown } & Record<string, unknown> {
  return JSON.parse(readFileSync(join(SHARED, 'factomd-samples', name), 'utf8')) as { result?: unknown } & Record<string, unknown>;
}

export interface FakeFactomd {
  url: string;
  calls: Map<string, number>;
  setHeight(h: number): void;
  close(): Promise<void>;
}

/**
 * A stand-in for a follower's /v2 endpoint that answers from the real samples (same shapes), counts
 * calls per method, and lets a test move its height. Unknown methods get factomd's -32601.
 */
export async function startFakeFactomd(opts: { height?: number } = {}): Promise<FakeFactomd> {
  const heights = sample('v2-heights.json').result as Record<string, number>;
  const properties = sample('v2-properties.json').result;
  const minute = sample('v2-current-minute.json').result as Record<string, unknown>;
  const tps = sample('v2-tps-rate.json').result;
  let height = opts.height ?? heights.leaderheight ?? 10;
  const calls = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: { id?: unknown; method?: string; params?: unknown };
      try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body; } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request"}}');
        return;
      }
      const m = body.method ?? '';
      calls.set(m, (calls.get(m) ?? 0) + 1);
      const ok = (result: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: body.id, result }));
      switch (m) {
        case 'heights': ok({ ...heights, directoryblockheight: height - 1, leaderheight: height, entryblockheight: height - 1, entryheight: height - 1 }); break;
        case 'properties': ok(properties); break;
        case 'current-minute': ok({ ...minute, leaderheight: height }); break;
        case 'tps-rate': ok(tps); break;
        case 'entry-credit-balance': ok({ balance: 1000 }); break;
        case 'commit-entry': ok({ message: 'Entry Commit Success', txid: '00'.repeat(32), entryhash: '11'.repeat(32) }); break;
        default:
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: body.id ?? null, error: { code: -32601, message: 'Method not found' } }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    setHeight: (h) => { height = h; },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
