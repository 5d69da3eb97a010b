import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync, readdirSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, readSecretFile, readTail } from '../../src/util/fs.js';
import { AnoguardError } from '../../src/errors.js';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'ag-util-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('writes the content with the requested mode and leaves no temp file', () => {
    const p = join(dir, 'a.conf');
    writeFileAtomic(p, 'hello\n', { mode: 0o600 });
    assert.equal(readFileSync(p, 'utf8'), 'hello\n');
    assert.equal(statSync(p).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
  });

  it('replaces an existing file whole', () => {
    const p = join(dir, 'b.conf');
    writeFileSync(p, 'old content that is longer than the new one');
    writeFileAtomic(p, 'new');
    assert.equal(readFileSync(p, 'utf8'), 'new');
  });

  it('refuses to overwrite with exclusive and keeps the old bytes', () => {
    const p = join(dir, 'c.key');
    writeFileSync(p, 'keep me');
    assert.throws(() => writeFileAtomic(p, 'x', { exclusive: true }), (e: unknown) => e instanceof AnoguardError && e.code === 'E_EXISTS');
    assert.equal(readFileSync(p, 'utf8'), 'keep me');
  });

  it('fails with a typed error in a missing directory and writes nothing', () => {
    const p = join(dir, 'no', 'such', 'file');
    assert.throws(() => writeFileAtomic(p, 'x'), (e: unknown) => e instanceof AnoguardError && e.code === 'E_WRITE' && e.field === p);
  });

  it('leaves the target untouched when the directory is read-only', () => {
    // As root, permission bits do not stop writes; a file in place of the directory does.
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'not a dir');
    assert.throws(() => writeFileAtomic(join(blocker, 'x'), 'y'), AnoguardError);
    assert.equal(readFileSync(blocker, 'utf8'), 'not a dir');
  });
});

describe('readSecretFile', () => {
  it('reads a 0600 file', () => {
    const p = join(dir, 's1');
    writeFileSync(p, 'secret', { mode: 0o600 });
    assert.equal(readSecretFile(p), 'secret');
  });

  for (const mode of [0o644, 0o640, 0o604, 0o660, 0o606]) {
    it(`refuses mode ${mode.toString(8)} and names the fix`, () => {
      const p = join(dir, `s-${mode.toString(8)}`);
      writeFileSync(p, 'secret');
      chmodSync(p, mode);
      assert.throws(
        () => readSecretFile(p, 'ec key'),
        (e: unknown) => e instanceof AnoguardError && e.code === 'E_SECRET_PERMS' && e.field === 'ec key' && /chmod 600/.test(e.shortMessage),
      );
    });
  }

  it('refuses a missing file and a directory', () => {
    assert.throws(() => readSecretFile(join(dir, 'missing')), (e: unknown) => e instanceof AnoguardError && e.code === 'E_NO_FILE');
    const d = join(dir, 'adir');
    mkdirSync(d, { mode: 0o700 });
    assert.throws(() => readSecretFile(d), (e: unknown) => e instanceof AnoguardError && e.code === 'E_NO_FILE');
  });
});

describe('readTail', () => {
  it('gives the last lines of a log joined by " | ", and nothing for a missing file', () => {
    const d = mkdtempSync(join(tmpdir(), 'ag-tail-'));
    try {
      writeFileSync(join(d, 'log'), 'one\ntwo\nthree\nlisten EADDRINUSE 127.0.0.1:1\n\n');
      assert.equal(readTail(join(d, 'log'), 2), 'three | listen EADDRINUSE 127.0.0.1:1');
      assert.equal(readTail(join(d, 'log'), 9), 'one | two | three | listen EADDRINUSE 127.0.0.1:1');
      assert.equal(readTail(join(d, 'missing'), 3), '');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
