import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHECKS } from '../../src/audit/checks/index.js';
import { runCli } from '../helpers/cli.js';

describe('anoguard audit CLI', { timeout: 120_000 }, () => {
  it('--list-checks --json prints the catalogue', async () => {
    const r = await runCli(['audit', '--list-checks', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { id: string; severity: string; refs: string[] }[];
    assert.deepEqual(list.map((c) => c.id), CHECKS.map((c) => c.id));
  });

  it('usage errors exit 2 with a one-line message naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['audit', '--profile', 'strictest'], /profile/],
      [['audit', '--host', 'auth-a'], /host: --host needs --topology/],
      [['audit', '--sarif', '--json'], /sarif/],
      [['audit', '--ssh', 'nobody', '--host-key', 'SHA256:x'], /ssh: must be user@host\[:port\]/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((r, i) => {
      assert.equal(r.code, 2, `${cases[i]![0].join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, cases[i]![1]);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    });
  });

  it('an SSH audit without a pinned host key is refused', async () => {
    const r = await runCli(['audit', '--ssh', 'ops@127.0.0.1:1', '--identity-file', '/nonexistent']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /host-key/);
  });
});
