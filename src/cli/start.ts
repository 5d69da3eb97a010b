import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { createLogger } from '../log.js';
import { startAnoguard } from '../demo/start.js';
import type { Listen } from '../server/run.js';
import { ROLES, addUser, listUsers, removeUser, setPassword, type Role } from '../server/accounts/users.js';
import { grafanaDashboard } from '../server/dashboard/grafana.js';
import { openAppDb } from '../server/state/appdb.js';
import { readStdin, writeFileAtomic } from '../util/fs.js';
import { emit, note } from './print.js';
import { parseListen } from './listen.js';
import { failoverFlags } from './failover-flags.js';

/** Password from stdin when piped, else typed at the TTY twice without echo; never from argv. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const text = (await readStdin(4096)).replace(/\r?\n$/, '');
    if (text.includes('\n')) throw new InputError('E_BAD_PASSWORD', 'one line expected on stdin', { field: 'stdin', exitCode: 2 });
    return text;
  }
  const ask = (q: string) => new Promise<string>((res) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void };
    process.stderr.write(q);
    out._writeToOutput = () => undefined;
    rl.question('', (a) => { rl.close(); process.stderr.write('\n'); res(a); });
  });
  const a = await ask('password: ');
  const b = await ask('again: ');
  if (a !== b) throw new InputError('E_MISMATCH', 'the two passwords differ', { field: 'password', exitCode: 2 });
  return a;
}

const dbPath = (dataDir: string) => join(resolve(dataDir), 'app.db');

/**
 * `anoguard start` (what `npm start` runs), plus the account and Grafana commands of the dashboard
 * part: `user add|passwd|remove|list`, `grafana export`.
 */
export function register(program: Command): void {
  program
    .command('start')
    .description('run the server with the dashboard (a labelled demo network when no PKI is configured in DATA/pki)')
    .option('--data-dir <dir>', 'state directory (SQLite store, accounts, demo)', './data')
    .option('--web-listen <host:port>', 'dashboard listener; off loopback it needs --web-tls-*', parseListen('web-listen'), { host: '127.0.0.1', port: 8080 })
    .option('--listen <host:port>', 'agents\' mTLS ingest listener (default 127.0.0.1:8443, any free port in the demo)', parseListen('listen'))
    .option('--alerts <file>', 'alerts.yaml: rule thresholds, notifiers')
    .option('--web-tls-cert <file>', 'PEM certificate chain for HTTPS on the dashboard')
    .option('--web-tls-key <file>', 'PEM key (0600) for HTTPS on the dashboard')
    .option('--demo', 'always run the demo network')
    .option('--no-demo', 'never run the demo network')
    .option('--topology <file>', 'topology with authority.failover: hosts the failover controller (not with the demo)')
    .option('--operator-key <file>', '0600 operator key from `anoguard swap keygen`; with --topology')
    .option('--etcd <url>', 'etcd endpoint for controller high availability; with --topology')
    .action(async (o: { dataDir: string; webListen: Listen; listen?: Listen; alerts?: string; webTlsCert?: string; webTlsKey?: string; demo?: boolean; topology?: string; operatorKey?: string; etcd?: string }, cmd: Command) => {
      if ((o.webTlsCert === undefined) !== (o.webTlsKey === undefined)) {
        throw new InputError('E_TLS_PAIR', 'give both --web-tls-cert and --web-tls-key', { field: o.webTlsCert === undefined ? 'web-tls-cert' : 'web-tls-key', exitCode: 2 });
      }
      // stdout carries the URL and password-file lines (and --json); logs go to stderr.
      const logger = createLogger('start', {}, pino.destination(2));
      const s = await startAnoguard({
        dataDir: o.dataDir, web: o.webListen, logger,
        ...(o.listen ? { ingest: o.listen } : {}), ...(o.alerts ? { alertsFile: o.alerts } : {}),
        ...(o.demo !== undefined ? { demo: o.demo } : {}),
        ...(o.webTlsCert && o.webTlsKey ? { webTls: { cert: o.webTlsCert, key: o.webTlsKey } } : {}),
        ...failoverFlags(o),
      });
      emit(cmd, { url: s.webUrl, ingest: s.ingestUrl, demo: s.demo, user: s.adminUser, passwordFile: s.passwordFile ?? null, nodes: s.nodes }, () => [
        s.demo ? 'anoguard start — DEMO: a simulated Factom network on this machine (not real nodes)' : 'anoguard start',
        `  dashboard  ${s.webUrl}`,
        s.passwordFile ? `  login      ${s.adminUser} / password in ${s.passwordFile} (0600)` : '  login      with an account from `anoguard user add`',
        `  ingest     ${s.ingestUrl} (mTLS)`,
        ...(s.demo ? ['  nodes      ' + s.nodes.map((n) => `${n.host} (${n.part})`).join(', ')] : []),
        ...(s.demo && s.failover ? ['  failover   planned brain swaps master ⇄ standby on the Swaps page (automatic failover off)'] : []),
        '  Ctrl-C stops everything started here.',
      ].join('\n'));
      await new Promise<void>((res) => {
        const stop = () => { note('anoguard start: stopping'); res(); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await s.stop();
    });

  const user = program.command('user').description('dashboard accounts (roles viewer, operator); passwords from stdin or the TTY');
  const dataDir = (c: Command) => c.option('--data-dir <dir>', 'state directory of the server', './data');
  const role = (v: string): Role => {
    if (!(ROLES as readonly string[]).includes(v)) throw new InputError('E_BAD_ROLE', 'role must be viewer or operator', { field: 'role', exitCode: 2 });
    return v as Role;
  };
  dataDir(user.command('add <name>').description('add an account').option('--role <role>', 'viewer or operator', role, 'viewer'))
    .action(async (name: string, o: { dataDir: string; role: Role }, cmd: Command) => {
      const pw = await readPassword();
      const db = openAppDb(dbPath(o.dataDir));
      try {
        const u = await addUser(db, name, o.role, pw);
        emit(cmd, { user: u.name, role: u.role }, () => `added ${u.name} (${u.role})`);
      } finally { db.close(); }
    });
  dataDir(user.command('passwd <name>').description('set a new password (ends the user\'s sessions)'))
    .action(async (name: string, o: { dataDir: string }, cmd: Command) => {
      const pw = await readPassword();
      const db = openAppDb(dbPath(o.dataDir));
      try {
        await setPassword(db, name, pw);
        emit(cmd, { user: name, changed: true }, () => `password of ${name} changed; sessions ended`);
      } finally { db.close(); }
    });
  dataDir(user.command('remove <name>').description('remove an account and its sessions'))
    .action((name: string, o: { dataDir: string }, cmd: Command) => {
      const db = openAppDb(dbPath(o.dataDir));
      try {
        removeUser(db, name);
        emit(cmd, { user: name, removed: true }, () => `removed ${name}`);
      } finally { db.close(); }
    });
  dataDir(user.command('list').description('list accounts'))
    .action((o: { dataDir: string }, cmd: Command) => {
      const db = openAppDb(dbPath(o.dataDir));
      try {
        const us = listUsers(db);
        emit(cmd, us, () => (us.length === 0 ? 'no accounts' : us.map((u) => `${u.name.padEnd(16)} ${u.role}`).join('\n')));
      } finally { db.close(); }
    });

  program.command('grafana').description('Grafana integration')
    .command('export').description('print (or write) a Grafana dashboard JSON over the server\'s /metrics')
    .option('--out <file>', 'write to this file instead of stdout')
    .action((o: { out?: string }, cmd: Command) => {
      const json = `${JSON.stringify(grafanaDashboard(), null, 2)}\n`;
      if (o.out) {
        writeFileAtomic(o.out, json, { mode: 0o644 });
        emit(cmd, { written: o.out }, () => `wrote ${o.out}`);
      } else {
        process.stdout.write(json);
      }
    });
}
