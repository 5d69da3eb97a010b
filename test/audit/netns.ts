import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createLocalRunner, type Runner } from '../../src/audit/runner.js';

/** A network namespace named `audit-<rand>` with loopback up; always remove it with `removeNetns`. */
export function createNetns(): string {
  const name = `audit-${randomBytes(4).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name], { timeout: 10_000 });
  try {
    execFileSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up'], { timeout: 10_000 });
  } catch (e) {
    removeNetns(name);
    throw e;
  }
  return name;
}

export function removeNetns(name: string): void {
  try {
    execFileSync('ip', ['netns', 'del', name], { timeout: 10_000 });
  } catch {
    // already gone
  }
}

/** The local runner, but every command runs inside the namespace (what a host with that network would show). */
export function netnsRunner(ns: string): Runner {
  const local = createLocalRunner();
  return { ...local, where: `netns ${ns}`, run: (cmd, args) => local.run('ip', ['netns', 'exec', ns, cmd, ...args]) };
}
