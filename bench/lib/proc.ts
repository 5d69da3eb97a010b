import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Spawns a process and resolves once `ready` matches its output; the caller kills it. */
export function startProcess(cmd: string, args: string[], ready: RegExp, opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ child: ChildProcess; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let out = '';
    let isReady = false;
    // After the ready line the output is drained but not kept: a gateway's access log would
    // otherwise pile up in this process and slow the load generator.
    const on = (d: Buffer) => {
      if (isReady) return;
      out += d.toString();
      if (ready.test(out)) { isReady = true; resolve({ child, output: out }); }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.on('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${out.slice(-2000)}`)));
    setTimeout(() => reject(new Error(`${cmd} not ready: ${out.slice(-2000)}`)), opts.timeoutMs ?? 30_000).unref();
  });
}

export function writeResult(name: string, value: unknown): void {
  const dir = process.env.BENCH_RESULTS_DIR ?? join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ date: new Date().toISOString(), ...value as object }, null, 2)}\n`);
}
