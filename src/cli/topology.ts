import type { Command } from 'commander';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { InputError } from '../errors.js';
import { loadTopology } from '../topology/load.js';
import { isBlocking, lintTopology } from '../topology/lint.js';
import { topologyJsonSchema } from '../topology/schema.js';
import { renderTopology } from '../render/render.js';
import { writeRendered } from '../render/write.js';
import { readSecretFile, writeFileAtomic } from '../util/fs.js';
import { applyHost, type Confirmer } from '../apply/apply.js';
import { color, emit, note, wantsJson } from './print.js';

/** `anoguard topology lint|schema`, `anoguard render`, `anoguard apply`. */
export function register(program: Command): void {
  const topology = program.command('topology').description('the topology file: lint it, export its JSON Schema');

  topology
    .command('lint')
    .description('check a topology against what an ANO wants (exit 1 on warnings or errors)')
    .argument('<topology>', 'topology file (YAML)')
    .action(function (this: Command, file: string) {
      const t = loadTopology(file);
      const findings = lintTopology(t);
      const blocking = findings.filter(isBlocking);
      emit(this, { file, ok: blocking.length === 0, findings }, () => {
        if (findings.length === 0) return color.green(`${file}: no findings`);
        return findings
          .map((f) => {
            const sev = f.severity === 'error' ? color.red(f.severity) : f.severity === 'warning' ? color.yellow(f.severity) : f.severity;
            return `${sev} ${f.id} ${f.field}: ${f.message}`;
          })
          .join('\n');
      });
      if (blocking.length > 0) process.exitCode = 1;
    });

  topology
    .command('schema')
    .description('print the JSON Schema of topology files (for editors)')
    .option('--out <file>', 'write it to a file instead of stdout')
    .action(function (this: Command, opts: { out?: string }) {
      const text = `${JSON.stringify(topologyJsonSchema(), null, 2)}\n`;
      if (opts.out !== undefined) {
        writeFileAtomic(resolve(opts.out), text);
        emit(this, { written: opts.out }, () => `wrote ${opts.out}`);
      } else {
        process.stdout.write(text);
      }
    });

  program
    .command('render')
    .description('render every host\'s factomd.conf, nftables, sshd, Docker, systemd and cloud firewall files')
    .argument('<topology>', 'topology file (YAML)')
    .requiredOption('--out <dir>', 'output folder; files go to DIR/<host>/')
    .option('--host <name>', 'render one host only')
    .action(function (this: Command, file: string, opts: { out: string; host?: string }) {
      if (opts.out.trim() === '') throw new InputError('E_USAGE', 'must not be empty', { field: '--out', exitCode: 2 });
      const t = loadTopology(file);
      const rendered = renderTopology(t, opts.host);
      const written = writeRendered(resolve(opts.out), rendered);
      const findings = lintTopology(t).filter(isBlocking);
      emit(this, { out: resolve(opts.out), hosts: written, lintFindings: findings.length }, () =>
        [
          ...written.map((w) => `${color.bold(w.host)} (${w.role}): ${w.files.join(', ')}`),
          ...(findings.length > 0 ? [color.yellow(`${findings.length} lint finding(s): run \`anoguard topology lint ${file}\``)] : []),
        ].join('\n'),
      );
    });

  program
    .command('apply')
    .description('install a host\'s rendered files over SSH (host key pinned); firewall changes revert unless confirmed')
    .argument('<host>', 'host name from the topology')
    .requiredOption('--topology <file>', 'topology file (YAML)')
    .option('--identity <file>', 'SSH private key file (mode 0600); default: the ssh-agent at SSH_AUTH_SOCK')
    .option('--address <addr>', 'connect here instead of the host\'s address from the topology')
    .option('--port <n>', 'connect on this SSH port (e.g. 22 for the first run, before SSH moves)', parsePort)
    .option('--user <name>', 'login user (default: the host\'s first ssh user)')
    .option('--sudo', 'run remote steps through sudo -n')
    .option('--root <dir>', 'install under this prefix on the host (staging)')
    .option('--revert-after <seconds>', 'the host restores the previous firewall after this many seconds unless confirmed', parseSeconds, 60)
    .option('--confirm', 'confirm the firewall automatically once a fresh SSH connection succeeds')
    .option('--dry-run', 'show the diff only')
    .action(async function (this: Command, hostName: string, opts: ApplyCliOptions) {
      const t = loadTopology(opts.topology);
      const privateKey = opts.identity !== undefined ? readSecretFile(opts.identity, '--identity') : undefined;
      const agent = privateKey === undefined ? process.env.SSH_AUTH_SOCK : undefined;
      if (privateKey === undefined && !agent) {
        throw new InputError('E_USAGE', 'no SSH key: pass --identity FILE or run an ssh-agent', { field: '--identity', exitCode: 2 });
      }
      const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true && !wantsJson(this);
      const confirm: 'auto' | 'never' | Confirmer = opts.confirm ? 'auto' : interactive ? askConfirm : 'never';
      const report = await applyHost(t, hostName, {
        revertAfterSec: opts.revertAfter,
        confirm,
        ...(privateKey !== undefined ? { privateKey } : {}),
        ...(agent ? { agent } : {}),
        ...(opts.address !== undefined ? { address: opts.address } : {}),
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.user !== undefined ? { user: opts.user } : {}),
        ...(opts.root !== undefined ? { root: opts.root } : {}),
        ...(opts.sudo ? { sudo: true } : {}),
        ...(opts.dryRun ? { dryRun: true } : {}),
      });
      emit(this, report, () => [
        report.diff,
        `${color.bold(report.host)} (${report.target}): ${report.changed.length} changed, ${report.unchanged.length} unchanged${opts.dryRun ? ' (dry run)' : ''}`,
        report.firewall === 'confirmed' ? color.green('firewall loaded and confirmed') : '',
        report.firewall === 'not-confirmed' ? color.yellow(`firewall loaded but NOT confirmed: the host restores the previous ruleset in ${report.revertAfterSec ?? '?'} s`) : '',
      ].filter((l) => l !== '').join('\n'));
      if (report.firewall === 'not-confirmed') process.exitCode = 1;
    });
}

interface ApplyCliOptions {
  topology: string;
  identity?: string;
  address?: string;
  port?: number;
  user?: string;
  sudo?: boolean;
  root?: string;
  revertAfter: number;
  confirm?: boolean;
  dryRun?: boolean;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new InputError('E_USAGE', 'must be a port number 1-65535', { field: '--port', exitCode: 2 });
  return n;
}

function parseSeconds(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 5 || n > 3600) throw new InputError('E_USAGE', 'must be 5-3600 seconds', { field: '--revert-after', exitCode: 2 });
  return n;
}

/** Asks on the terminal; no answer before the revert is a no. */
const askConfirm: Confirmer = ({ host, revertAfterSec }) =>
  new Promise((resolveAnswer) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const timer = setTimeout(() => { rl.close(); resolveAnswer(false); }, Math.max(1, revertAfterSec - 5) * 1000);
    note(`Firewall of ${host} loaded. It reverts in ${revertAfterSec} s.`);
    rl.question('Keep it? A fresh SSH connection is tried first. [y/N] ', (answer) => {
      clearTimeout(timer);
      rl.close();
      resolveAnswer(/^y(es)?$/i.test(answer.trim()));
    });
  });
