import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';

describe('anoguard CLI frame', () => {
  it('prints help and exits 0', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: anoguard/);
  });

  it('exits 2 on an unknown command, without a stack trace', async () => {
    const r = await runCli(['no-such-command']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('start prints an overview and a status line', async () => {
    const r = await runCli(['start', '--json']);
    assert.equal(r.code, 0);
    const out = JSON.parse(r.stdout) as { status: string; commands: string[] };
    assert.equal(typeof out.status, 'string');
    assert.ok(Array.isArray(out.commands));
  });
});
