import { randomBytes } from 'node:crypto';
import { Option, type Command } from 'commander';
import { InputError } from '../errors.js';
import { bytesToHex, describeKind, isSecretKind, keyPairFromSeed, summarizeKey, type SecretKind } from '../factom/index.js';
import { readStdin, writeFileAtomic } from '../util/fs.js';
import { emit } from './print.js';

const SECRET_KIND_OF_TYPE: Record<string, SecretKind> = { fct: 'Fs', ec: 'Es', identity: 'sk1' };

/** The `key` command group: generate a key into a 0600 file, inspect a key read from stdin. */
export function register(program: Command): void {
  const key = program.command('key').description('generate and inspect Factom keys and addresses');

  key
    .command('generate')
    .description('write a new secret to FILE (mode 0600, never overwritten) and print only its public form')
    .addOption(new Option('--type <type>', 'fct (Fs/FA), ec (Es/EC) or identity (sk1/id1)').choices(['fct', 'ec', 'identity']).makeOptionMandatory())
    .requiredOption('--out <file>', 'file for the secret (must not exist)')
    .action((opts: { type: string; out: string }, cmd: Command) => {
      const kind = SECRET_KIND_OF_TYPE[opts.type]!;
      // The only randomness of the key path, at the edge: the protocol core takes the seed as input.
      const seed = new Uint8Array(randomBytes(32));
      const pair = keyPairFromSeed(kind, seed);
      writeFileAtomic(opts.out, `${pair.secret}\n`, { mode: 0o600, exclusive: true });
      seed.fill(0);
      const publicKeyHex = pair.public.publicKey ? bytesToHex(pair.public.publicKey) : undefined;
      emit(cmd, { type: opts.type, kind: pair.public.kind, public: pair.public.text, publicKeyHex, file: opts.out }, () => {
        const lines = [pair.public.text];
        if (opts.type === 'identity' && publicKeyHex) lines.push(`public key: ${publicKeyHex}`);
        return lines.join('\n');
      });
    });

  key
    .command('inspect')
    .description('read ONE key or address from stdin and print its kind and public form (never the secret)')
    .argument('[key]', 'refused: keys are read from stdin only (anoguard key inspect < FILE)')
    .action(async (refused: string | undefined, _opts: unknown, cmd: Command) => {
      if (refused !== undefined) {
        // argv is visible to every local user (ps, /proc): a secret there is already leaked.
        throw new InputError('E_KEY_ON_ARGV', 'keys are read from stdin, never from the command line (anoguard key inspect < FILE); treat a secret typed there as exposed', { field: 'argv', exitCode: 2 });
      }
      const text = (await readStdin(4096)).trim();
      if (text.length === 0) throw new InputError('E_NO_INPUT', 'no key on stdin (pipe one key or address in)', { field: 'stdin' });
      if (/\s/.test(text)) throw new InputError('E_BAD_INPUT', 'expected exactly one key or address on stdin', { field: 'stdin' });
      const out = summarizeKey(text, 'stdin');
      emit(cmd, out, () => [
        `kind:         ${out.kind} (${describeKind(out.kind).replace(/^an? /, '')})${isSecretKind(out.kind) ? ' — secret not shown' : ''}`,
        `public:       ${out.public}`,
        ...(out.publicKeyHex ? [`publicKeyHex: ${out.publicKeyHex}`] : []),
      ].join('\n'));
    });
}
