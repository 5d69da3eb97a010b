import { Argument, Option, type Command } from 'commander';
import { createInterface } from 'node:readline';
import { InputError } from '../errors.js';
import { initCa, issueCert, listCerts, revokeCert } from '../pki/ca.js';
import { CERT_KINDS, type CertKind } from '../pki/layout.js';
import { readSecretFile, readStdin } from '../util/fs.js';
import { emit, note } from './print.js';

interface PassOpts {
  passphraseFile?: string;
}

/** Prompts on the terminal without echo (the passphrase never reaches argv, env or the scrollback). */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void };
    process.stderr.write(question);
    out._writeToOutput = () => {};
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

/** Passphrase from a 0600 file, else from stdin when it is piped, else from the terminal. */
async function readPassphrase(opts: PassOpts, confirm: boolean): Promise<string> {
  let pass: string;
  if (opts.passphraseFile !== undefined) pass = readSecretFile(opts.passphraseFile, 'passphrase-file');
  else if (process.stdin.isTTY !== true) pass = await readStdin(4096);
  else {
    pass = await promptHidden('CA passphrase: ');
    if (confirm && (await promptHidden('again: ')) !== pass) {
      throw new InputError('E_PASSPHRASE_MISMATCH', 'the two passphrases differ', { field: 'passphrase', exitCode: 2 });
    }
  }
  pass = pass.replace(/\r?\n$/, '');
  if (pass.length === 0) throw new InputError('E_NO_PASSPHRASE', 'empty passphrase (give it on stdin, --passphrase-file or the terminal)', { field: 'passphrase', exitCode: 2 });
  return pass;
}

function parseDays(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 3650) throw new InputError('E_BAD_DAYS', 'days must be an integer 1..3650', { field: 'days', exitCode: 2 });
  return n;
}

const passOption = () => new Option('--passphrase-file <file>', 'CA passphrase from a 0600 file (default: stdin when piped, else a prompt)');

export function register(program: Command): void {
  const pki = program.command('pki').description('CA and certificates for mTLS between agents, server and gateway');

  pki
    .command('init')
    .description('create an ECDSA P-256 CA; its key is kept in an encrypted 0600 keystore')
    .requiredOption('--dir <dir>', 'PKI directory (created 0700)')
    .option('--cn <name>', 'CA common name', 'anoguard CA')
    .addOption(passOption())
    .action(async (o: { dir: string; cn: string } & PassOpts, cmd: Command) => {
      const passphrase = await readPassphrase(o, true);
      const r = await initCa({ dir: o.dir, passphrase, commonName: o.cn });
      emit(cmd, r, () => `CA created in ${r.dir}\n  certificate ${r.caCert} (serial ${r.serial}, until ${r.notAfter})`);
    });

  pki
    .command('issue')
    .description('issue a certificate: server (serverAuth), agent (clientAuth) or gateway (both)')
    .addArgument(new Argument('<kind>', 'server | agent | gateway').choices([...CERT_KINDS]))
    .argument('<name>', 'certificate name = CN (for an agent: its agent name)')
    .requiredOption('--dir <dir>', 'PKI directory')
    .option('--san <san...>', 'subject alternative names: DNS:host, IP:addr or bare')
    .option('--days <n>', 'validity in days', parseDays, 397)
    .addOption(passOption())
    .action(async (kind: CertKind, name: string, o: { dir: string; san?: string[]; days: number } & PassOpts, cmd: Command) => {
      const passphrase = await readPassphrase(o, false);
      const r = await issueCert({ dir: o.dir, passphrase, kind, name, sans: o.san ?? [], days: o.days });
      emit(cmd, r, () => `issued ${r.kind} certificate ${r.name} (serial ${r.serial}, until ${r.notAfter})\n  cert ${r.cert}\n  key  ${r.key} (0600)`);
    });

  pki
    .command('revoke')
    .description('revoke a certificate by name or serial and re-sign the CRL the server enforces')
    .argument('<target>', 'certificate name or serial (hex)')
    .requiredOption('--dir <dir>', 'PKI directory')
    .addOption(passOption())
    .action(async (target: string, o: { dir: string } & PassOpts, cmd: Command) => {
      const passphrase = await readPassphrase(o, false);
      const r = await revokeCert({ dir: o.dir, passphrase, target });
      emit(cmd, r, () => `revoked ${r.name} (serial ${r.serial}); crl.pem re-signed`);
      note('a running server reloads crl.pem within a few seconds');
    });

  pki
    .command('list')
    .description('list issued certificates and their status')
    .requiredOption('--dir <dir>', 'PKI directory')
    .action((o: { dir: string }, cmd: Command) => {
      const r = listCerts(o.dir);
      emit(cmd, r, () =>
        [`CA serial ${r.ca.serial} until ${r.ca.notAfter}${r.ca.modeOk ? '' : '  WARNING: keystore readable by others'}`,
          ...r.certs.map((c) => `${c.status.padEnd(8)} ${c.kind.padEnd(8)} ${c.name.padEnd(24)} ${c.serial}  until ${c.notAfter}${c.sans.length ? `  ${c.sans.join(',')}` : ''}`),
        ].join('\n'));
    });
}

