import { chownSync, chmodSync, readFileSync, statSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { InputError } from '../errors.js';
import { lintFactomdConf, lintFails, type LintFinding } from '../factom/conf-lint.js';
import { removeAppKey, setAppKey } from '../factom/conf-edit.js';
import { foldEqual } from '../factom/gcfg.js';
import { readStdin, writeFileAtomic } from '../util/fs.js';
import { color, emit } from './print.js';

/** Keys whose value must never be on argv (visible in `ps`, shell history, audit logs). */
const SECRET_KEYS = ['LocalServerPrivKey', 'FactomdRpcPass'];
/** Keys that must not be emptied: an empty identity or key breaks the node at the swap (use unset). */
const NO_EMPTY_KEYS = ['LocalServerPrivKey', 'IdentityChainID'];

function readConf(file: string): { text: string; mode: number; uid: number; gid: number } {
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new InputError('E_NO_FILE', `${file} is not a regular file`, { field: 'FILE', exitCode: 2 });
    return { text: readFileSync(file, 'utf8'), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError('E_NO_FILE', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field: 'FILE', exitCode: 2, cause: e });
  }
}

/** Atomic replace that keeps the file's mode (umask would narrow it) and, as root, its owner. */
function writeConf(file: string, text: string, st: { mode: number; uid: number; gid: number }): void {
  writeFileAtomic(file, text, { mode: st.mode });
  chmodSync(file, st.mode);
  if (process.getuid?.() === 0) chownSync(file, st.uid, st.gid);
}

function formatFinding(file: string, f: LintFinding): string {
  const sev = f.severity === 'error' ? color.red('error') : f.severity === 'warning' ? color.yellow('warning') : color.dim('info');
  const where = f.line !== undefined ? `${file}:${f.line}` : file;
  return `${where}: ${sev} [${f.id}] ${f.message}${f.fix ? `\n    fix: ${f.fix}` : ''}`;
}

/** The `conf` command group: lint a factomd.conf, set or remove one [app] key in place. */
export function register(program: Command): void {
  const conf = program.command('conf').description('check and edit factomd.conf the way factomd reads it (gcfg)');

  conf
    .command('lint')
    .description('report silently ignored keys, syntax errors (factomd falls back to defaults), swap pitfalls and insecure settings; exit 1 on any error or warning')
    .argument('<file>', 'factomd.conf to check')
    .addOption(new Option('--role <role>', 'what the node should be: authority makes missing identity, key or auth errors').choices(['authority', 'follower']))
    .action((file: string, opts: { role?: 'authority' | 'follower' }, cmd: Command) => {
      const { text } = readConf(file);
      const findings = lintFactomdConf(text, { path: file, ...(opts.role ? { role: opts.role } : {}) });
      emit(cmd, { file, findings }, () => (findings.length === 0
        ? `${file}: ${color.green('clean')} (no findings)`
        : findings.map((f) => formatFinding(file, f)).join('\n')));
      if (lintFails(findings)) process.exitCode = 1;
    });

  conf
    .command('set')
    .description('set KEY in [app] (in place, keeping comments and layout); LocalServerPrivKey and FactomdRpcPass are read from stdin, never argv')
    .argument('<file>', 'factomd.conf to edit')
    .argument('<key>', '[app] key, e.g. ChangeAcksHeight')
    .argument('[value]', 'the value (omit for secrets: pipe them on stdin)')
    .action(async (file: string, key: string, value: string | undefined, _opts: unknown, cmd: Command) => {
      const secret = SECRET_KEYS.find((k) => foldEqual(key, k));
      let v = value;
      if (secret) {
        if (v !== undefined) {
          throw new InputError('E_SECRET_ON_ARGV', `refusing ${secret} on the command line (visible in ps and shell history); pipe it on stdin`, { field: 'value', exitCode: 2 });
        }
        v = (await readStdin(64 * 1024)).replace(/\r?\n$/, '');
      }
      if (v === undefined) throw new InputError('E_USAGE', 'missing VALUE', { field: 'value', exitCode: 2 });
      const guarded = NO_EMPTY_KEYS.find((k) => foldEqual(key, k));
      if (guarded && v.trim() === '') {
        throw new InputError('E_CONF_VALUE', `refusing to set ${guarded} to an empty value (factomd ${guarded === 'IdentityChainID' ? 'swaps to a zero identity' : 'crashes'} at ChangeAcksHeight); use "conf unset"`, { field: 'value', exitCode: 2 });
      }
      const st = readConf(file);
      const out = setAppKey(st.text, key, v);
      const changed = out !== st.text;
      if (changed) writeConf(file, out, st);
      emit(cmd, { file, key, action: 'set', changed }, () => `${file}: ${changed ? `set ${key}` : `${key} already had that value`}`);
    });

  conf
    .command('unset')
    .description('remove KEY from [app] (factomd then uses its default); inline comments are kept')
    .argument('<file>', 'factomd.conf to edit')
    .argument('<key>', '[app] key')
    .action((file: string, key: string, _opts: unknown, cmd: Command) => {
      const st = readConf(file);
      const out = removeAppKey(st.text, key);
      const changed = out !== st.text;
      if (changed) writeConf(file, out, st);
      emit(cmd, { file, key, action: 'unset', changed }, () => `${file}: ${changed ? `removed ${key}` : `${key} was not set`}`);
    });
}
