import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from './cli.js';

/**
 * Starts `anoguard --json ARGS…` (a long-running command such as `server` or `start`) as its own
 * process and resolves with the JSON object it prints once it listens. Rejects with its stderr when
 * it exits first or prints nothing within the timeout.
 */
export function spawnJsonCommand<T>(args: string[], timeoutMs = 60_000): Promise<{ proc: ChildProcess; json: T }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', `${ROOT}src/cli/main.ts`, '--json', ...args], {
      cwd: ROOT, env: { ...process.env, NODE_ENV: 'test' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`${args[0]} did not start: ${err}`)); }, timeoutMs);
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        const json = JSON.parse(out) as T;
        clearTimeout(timer);
        resolve({ proc, json });
      } catch { /* not complete yet */ }
    });
    proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${args[0]} exited ${code}: ${err}`)); });
  });
}
