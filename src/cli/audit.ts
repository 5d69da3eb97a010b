import { Option, type Command } from 'commander';
import { auditHost, type AuditOptions } from '../audit/audit.js';
import { exitCodeFor, listChecks, renderText, toSarif } from '../audit/report.js';
import { pushReport, pushUrl, readPushTls, type PushTls } from '../audit/push.js';
import { createLocalRunner, type Runner } from '../audit/runner.js';
import { createSshRunner, parseSshTarget } from '../audit/ssh-runner.js';
import { PROFILES, SEVERITIES, type Profile, type Severity } from '../audit/types.js';
import { isAnoguardError, InputError } from '../errors.js';
import { findHost } from '../topology/derive.js';
import { loadTopology } from '../topology/load.js';
import { Roles, type Role, type Topology } from '../topology/schema.js';
import { readSecretFile } from '../util/fs.js';
import { emit, note, wantsJson } from './print.js';
import { VERSION } from './program.js';

interface AuditFlags {
  host?: string;
  topology?: string;
  ssh?: string;
  identityFile?: string;
  hostKey?: string;
  local?: boolean;
  role?: Role;
  profile: Profile;
  sarif?: boolean;
  failOn?: Severity;
  factomdConf?: string;
  sshdConfig?: string;
  listChecks?: boolean;
  verbose?: boolean;
  push?: string;
  cert?: string;
  key?: string;
  ca?: string;
  pkiDir?: string;
  certName?: string;
}

const usage = (field: string, msg: string): InputError => new InputError('E_USAGE', msg, { field, exitCode: 2 });

async function openRunner(o: AuditFlags, topology: Topology | undefined): Promise<Runner> {
  const entry = topology && o.host ? findHost(topology, o.host) : undefined;
  if (o.local || (!o.ssh && !entry)) return createLocalRunner();
  let target;
  if (o.ssh) target = parseSshTarget(o.ssh, 'ssh');
  else {
    const e = entry!;
    target = { user: e.ssh.users[0]!, host: e.publicAddress ?? e.privateAddress, port: e.ssh.port };
  }
  const hostKey = o.hostKey ?? entry?.ssh.hostKey;
  if (!hostKey) throw usage('host-key', 'an SSH audit needs the host key pinned: --host-key SHA256:… or ssh.hostKey in the topology');
  const privateKey = o.identityFile ? readSecretFile(o.identityFile, 'identity-file') : undefined;
  if (!privateKey && !process.env.SSH_AUTH_SOCK) throw usage('identity-file', 'give --identity-file (a 0600 key file) or run an ssh-agent');
  return createSshRunner({ ...target, hostKey, ...(privateKey ? { privateKey } : {}) });
}

export function register(program: Command): void {
  program
    .command('audit')
    .description('Check a live host (local or over SSH) against the ANO practices and the dev-sec/CIS/Lynis/docker-bench baselines. Read-only.')
    .option('--host <name>', 'the host in --topology (audited over SSH unless --local)')
    .option('--topology <file>', 'topology file: expected ports, users and the SSH address/host key of --host')
    .option('--ssh <user@host:port>', 'audit this host over SSH')
    .option('--identity-file <file>', 'SSH private key (0600 file); default: ssh-agent')
    .option('--host-key <fingerprint>', 'pinned SSH host key, SHA256:… (default: ssh.hostKey from the topology)')
    .option('--local', 'audit this machine, using --host only for the topology\'s expectations')
    .addOption(new Option('--role <role>', 'what the host is, when there is no topology').choices([...Roles]))
    .addOption(new Option('--profile <name>', 'which baseline decides contested values').choices([...PROFILES]).default('ano'))
    .option('--sarif', 'print SARIF 2.1.0 instead of text')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a check at or above this severity fails').choices(SEVERITIES.filter((s) => s !== 'info')))
    .option('--factomd-conf <path>', 'factomd.conf on the audited host (default: topology path, /etc/factomd, ~/.factom/m2)')
    .option('--sshd-config <path>', 'the config file the running sshd was started with (passed to sshd -T -f)')
    .option('--list-checks', 'print the check catalogue and exit')
    .option('-v, --verbose', 'also list passed checks in the text output')
    .option('--push <url>', 'also send the JSON report to the anoguard server\'s ingest listener (https://host:8443), over mTLS')
    .option('--cert <file>', 'with --push: the host\'s agent certificate (PEM)')
    .option('--key <file>', 'with --push: its private key (0600 file)')
    .option('--ca <file>', 'with --push: the anoguard CA certificate')
    .option('--pki-dir <dir>', 'with --push: PKI directory holding ca.crt, certs/NAME.crt, private/NAME.key')
    .option('--cert-name <name>', 'with --push and --pki-dir: the host\'s certificate name')
    .action(async (o: AuditFlags, cmd: Command) => {
      if (o.listChecks) {
        const list = listChecks();
        emit(cmd, list, () => list.map((c) => `${c.id.padEnd(15)} ${c.severity.padEnd(8)} ${c.title}${c.refs.length ? `  [${c.refs.join(', ')}]` : ''}`).join('\n'));
        return;
      }
      if (o.sarif && wantsJson(cmd)) throw usage('sarif', '--sarif and --json are exclusive');
      if (o.host && !o.topology) throw usage('host', '--host needs --topology');
      if (o.topology && !o.host) throw usage('topology', '--topology needs --host');
      if (o.ssh && o.local) throw usage('local', '--local and --ssh are exclusive');
      const tlsFlag = (['cert', 'key', 'ca', 'pkiDir', 'certName'] as const).find((k) => o[k] !== undefined);
      if (tlsFlag && o.push === undefined) throw usage(tlsFlag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), 'only used with --push');
      let pushTls: PushTls | undefined;
      if (o.push !== undefined) {
        pushUrl(o.push);
        pushTls = readPushTls(o);
      }
      const topology = o.topology ? loadTopology(o.topology) : undefined;
      if (topology && o.host && !findHost(topology, o.host)) throw usage('host', `no host "${o.host}" in ${o.topology}`);
      const runner = await openRunner(o, topology);
      let report;
      try {
        const opts: AuditOptions = {
          profile: o.profile,
          ...(o.role ? { role: o.role } : {}),
          ...(topology ? { topology } : {}),
          ...(o.host ? { hostName: o.host } : {}),
          ...(o.factomdConf ? { factomdConf: o.factomdConf } : {}),
          ...(o.sshdConfig ? { sshdConfig: o.sshdConfig } : {}),
        };
        report = await auditHost(runner, opts);
      } finally {
        await runner.close();
      }
      if (o.sarif) process.stdout.write(`${JSON.stringify(toSarif(report, VERSION), null, 2)}\n`);
      else emit(cmd, report, () => renderText(report, { color: !process.env.NO_COLOR && process.stdout.isTTY === true, verbose: o.verbose === true }));
      const code = exitCodeFor(report, o.failOn);
      if (code !== 0) process.exitCode = code;
      if (o.push !== undefined && pushTls) {
        // The report is already printed: a failed push is reported on stderr and exits 1, without a second JSON document on stdout.
        try {
          const ack = await pushReport(o.push, report, pushTls);
          note(`audit pushed to ${new URL(o.push).host}: stored as the latest audit of node ${ack.node}`);
        } catch (e) {
          if (!isAnoguardError(e)) throw e;
          process.stderr.write(`anoguard: ${e.toLine()}\n`);
          process.exitCode = 1;
        }
      }
    });
}
