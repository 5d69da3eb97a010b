import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeCommand, recordNodePid } from '../../src/sim/index.js';

/** Helpers of the simulator tests: every temp dir is named `sim-…`, every process is stopped by the caller. */

export function simTempDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `sim-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A JSON answer: the tests check it field by field against factomd's samples, so it stays untyped. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface RpcAnswer {
  status: number;
  headers: Headers;
  body: Json;
  text: string;
}

export async function rpc(base: string, method: string, params?: unknown, opts: { path?: string; auth?: string; raw?: string } = {}): Promise<RpcAnswer> {
  const body = opts.raw ?? JSON.stringify({ jsonrpc: '2.0', id: 7, method, ...(params === undefined ? {} : { params }) });
  const headers: Record<string, string> = { 'content-type': 'text/plain' };
  if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
  const r = await fetch(`${base}${opts.path ?? '/v2'}`, { method: 'POST', body, headers, signal: AbortSignal.timeout(5000) });
  const text = await r.text();
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  return { status: r.status, headers: r.headers, body: parsed, text };
}

export async function result(base: string, method: string, params?: unknown, path = '/v2'): Promise<Json> {
  const r = await rpc(base, method, params, { path });
  if (r.status !== 200) throw new Error(`${method}: HTTP ${r.status} ${r.text}`);
  return r.body.result;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` every `everyMs` until it returns a value other than undefined/false; bounded. */
export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

export interface Attached {
  child: ChildProcess;
  startedAt: number;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Runs node `name` of `dir` as a child of the test, to read its exit status and output. */
export async function runAttached(dir: string, name: string): Promise<Attached> {
  const { command, args } = await nodeCommand(dir, name);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  recordNodePid(dir, name, child.pid!);
  return { child, startedAt: Date.now(), stdout: () => out, stderr: () => err, exit };
}

/** Rewrites `[app]` keys of a factomd.conf in place (keeps the rest), like an operator's edit. */
export function editConf(path: string, set: Record<string, string | undefined>): void {
  let text = readFileSync(path, 'utf8');
  for (const [k, v] of Object.entries(set)) {
    const re = new RegExp(`^;?\\s*${k}\\s*=.*$`, 'm');
    const line = v === undefined ? '' : `${k.padEnd(38)}= ${v}`;
    text = re.test(text) ? text.replace(re, line) : text.replace('[app]\n', `[app]\n${line}\n`);
  }
  writeFileSync(path, text, { mode: 0o600 });
}

export function readConf(path: string): string {
  return readFileSync(path, 'utf8');
}

/** The keys of a sample answer's result, to compare shapes with the simulator's. */
export function sampleKeys(json: string, at: (r: Json) => object = (r: Json) => r.result as object): string[] {
  return Object.keys(at(JSON.parse(json))).sort();
}
