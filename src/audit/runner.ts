import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';

/**
 * How facts are gathered: read-only commands (argument arrays, never a shell string built from
 * input) and file reads. The same checks run on local and SSH runners.
 */
export interface RunResult { code: number; stdout: string; stderr: string }

export interface Runner {
  /** `local` or `user@host:port`, for messages. */
  readonly where: string;
  run(cmd: string, args: readonly string[]): Promise<RunResult>;
  /** The file's text; rejects when it cannot be read (the reason becomes the skip detail). */
  readFile(path: string): Promise<string>;
  /**
   * POST `body` to a URL on the audited host's loopback, without credentials and without checking the
   * certificate (the question is only "does it answer?"). Resolves with the HTTP status, or 0 when
   * nothing answered.
   */
  httpPost(url: string, body: string): Promise<number>;
  close(): Promise<void>;
}

const TIMEOUT_MS = 5_000;
const MAX_OUTPUT = 16 * 1024 * 1024;

export function createLocalRunner(): Runner {
  return {
    where: 'local',
    run: (cmd, args) =>
      new Promise((resolve) => {
        execFile(cmd, [...args], { timeout: TIMEOUT_MS, maxBuffer: MAX_OUTPUT, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
          const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
          let code = 0;
          if (e) code = typeof e.code === 'number' ? e.code : e.code === 'ENOENT' ? 127 : 1;
          resolve({ code, stdout: String(stdout), stderr: e && e.code === 'ENOENT' ? `${cmd}: not found` : String(stderr) });
        });
      }),
    readFile: (path) => readFile(path, 'utf8'),
    httpPost: (url, body) =>
      new Promise((resolve) => {
        const u = new URL(url);
        const mod = u.protocol === 'https:' ? https : http;
        const req = mod.request(u, { method: 'POST', timeout: 2_000, rejectUnauthorized: false, headers: { 'content-type': 'text/plain' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('timeout', () => req.destroy());
        req.on('error', () => resolve(0));
        req.end(body);
      }),
    close: async () => {},
  };
}
