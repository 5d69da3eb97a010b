import { closeSync, constants, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync, readFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AnoguardError, InputError } from '../errors.js';

export interface AtomicWriteOptions {
  /** File mode of the result; default 0o644. Secrets use 0o600. */
  mode?: number;
  /** Refuse when the target exists (key files). */
  exclusive?: boolean;
}

/**
 * Writes `data` to `path` so that a reader sees either the old file or the whole new one, never a
 * part: temp file in the same directory (same filesystem, so rename is atomic), fsync, rename, fsync
 * of the directory. On any failure the temp file is removed and the target is untouched.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const mode = opts.mode ?? 0o644;
  if (opts.exclusive && existsSync(path)) {
    throw new AnoguardError('E_EXISTS', 'refusing to overwrite an existing file', { field: path });
  }
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (opts.exclusive && existsSync(path)) {
      throw new AnoguardError('E_EXISTS', 'refusing to overwrite an existing file', { field: path });
    }
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    if (e instanceof AnoguardError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new AnoguardError('E_WRITE', `cannot write file: ${err.code ?? err.message}`, { field: path, cause: e });
  }
  try {
    const dfd = openSync(dir, constants.O_RDONLY);
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch { /* some filesystems refuse fsync on directories; the rename already happened */ }
}

/**
 * Reads a file that holds a secret. Refuses a file that group or others can read (or write), the way
 * ssh refuses a world-readable private key: a secret that other users could read is already leaked.
 */
export function readSecretFile(path: string, field = 'secret file'): string {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new InputError('E_NO_FILE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field, cause: e });
  }
  if (!st.isFile()) throw new InputError('E_NO_FILE', `${path} is not a regular file`, { field });
  if ((st.mode & 0o077) !== 0) {
    throw new InputError(
      'E_SECRET_PERMS',
      `${path} has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; a secret file must be 0600 (chmod 600 ${path})`,
      { field },
    );
  }
  return readFileSync(path, 'utf8');
}

/** Reads all of stdin as text (secrets and keys come this way, never through argv). */
export async function readStdin(maxBytes = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > maxBytes) throw new InputError('E_TOO_LARGE', `stdin larger than ${maxBytes} bytes`, { field: 'stdin' });
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The last LINES lines of a (log) file joined by " | ", for an error that says why a process died; '' when unreadable. */
export function readTail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}
