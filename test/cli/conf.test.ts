import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, ROOT, SHARED } from '../helpers/cli.js';

const FIX = join(ROOT, 'test', 'fixtures', 'factomd');
const N7 = join(SHARED, 'factomd-samples', 'behaviour', 'case6-config-errors', 'n7-factomd.conf');

describe('anoguard conf', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'anoguard-conf-cli-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('lint: clean file → exit 0, JSON {file, findings: []}', async () => {
    const file = join(FIX, 'good.conf');
    const r = await runCli(['conf', 'lint', file, '--json', '--role', 'authority']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { file, findings: [] });
  });

  it('lint: findings → exit 1, with ids, lines and fixes', async () => {
    const r = await runCli(['conf', 'lint', N7, '--json']);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as { file: string; findings: { id: string; line?: number; severity: string }[] };
    assert.equal(out.file, N7);
    assert.ok(out.findings.some((f) => f.id === 'wrong-section' && f.line === 18 && f.severity === 'error'));
    const h = await runCli(['conf', 'lint', join(FIX, 'bad-syntax.conf')]);
    assert.equal(h.code, 1);
    assert.match(h.stdout, /bad-syntax\.conf:5: error \[syntax-error\] 5:22: string not terminated/);
  });

  it('lint: unreadable file or bad flag → exit 2, one line, no stack', async () => {
    const r = await runCli(['conf', 'lint', join(dir, 'missing.conf')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read .*missing\.conf: ENOENT/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal((await runCli(['conf', 'lint', join(FIX, 'good.conf'), '--role', 'boss'])).code, 2);
  });

  it('set: edits one key in place, keeps the file mode, leaves every other byte', async () => {
    const file = join(dir, 'n7.conf');
    copyFileSync(N7, file);
    chmodSync(file, 0o640);
    const r = await runCli(['conf', 'set', file, 'changeacksheight', '1003', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { file, key: 'changeacksheight', action: 'set', changed: true });
    assert.equal(statSync(file).mode & 0o777, 0o640);
    const orig = readFileSync(N7, 'utf8').split('\n');
    const now = readFileSync(file, 'utf8').split('\n');
    assert.deepEqual(now, [...orig.slice(0, 14), 'ChangeAcksHeight                      = 1003', ...orig.slice(14)]);
  });

  it('set: secrets come from stdin only, never argv', async () => {
    const file = join(dir, 'secret.conf');
    writeFileSync(file, '[app]\nFactomdRpcUser = admin\n', { mode: 0o600 });
    const refused = await runCli(['conf', 'set', file, 'FactomdRpcPass', 'on-argv']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /stdin/);
    assert.equal(readFileSync(file, 'utf8'), '[app]\nFactomdRpcUser = admin\n');
    const ok = await runCli(['conf', 'set', file, 'FactomdRpcPass', '--json'], { stdin: 's3cret "pass"\n' });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(!ok.stdout.includes('s3cret') && !ok.stderr.includes('s3cret'));
    assert.equal(readFileSync(file, 'utf8'), '[app]\nFactomdRpcUser = admin\nFactomdRpcPass = "s3cret \\"pass\\""\n');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const empty = await runCli(['conf', 'set', file, 'localserverprivkey'], { stdin: '\n' });
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /unset/);
  });

  it('set: unknown key or bad value → exit 2 and the file untouched', async () => {
    const file = join(dir, 'keep.conf');
    writeFileSync(file, '[app]\nNetwork = MAIN\n');
    const typo = await runCli(['conf', 'set', file, 'ChangeAckHeight', '5']);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /did you mean ChangeAcksHeight/);
    const bad = await runCli(['conf', 'set', file, 'ChangeAcksHeight', 'soon']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /failed to parse "soon" as uint32/);
    assert.equal(readFileSync(file, 'utf8'), '[app]\nNetwork = MAIN\n');
  });

  it('unset: removes the key, keeps its comment', async () => {
    const file = join(dir, 'unset.conf');
    writeFileSync(file, '[app]\nIdentityChainID = 8888 ; old id\nNetwork = MAIN\n');
    const r = await runCli(['conf', 'unset', file, 'IdentityChainID']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(file, 'utf8'), '[app]\n; old id\nNetwork = MAIN\n');
  });
});
