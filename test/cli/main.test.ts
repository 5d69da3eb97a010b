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

  it('loads only the group a command needs, and all of them for help', async () => {
    const { buildProgram } = await import('../../src/cli/program.js');
    const one = await buildProgram(['key', 'inspect']);
    assert.deepEqual(one.commands.map((c) => c.name()), ['key']);
    const all = await buildProgram(['--help']);
    for (const name of ['key', 'conf', 'node', 'identity', 'bundle', 'sim', 'render', 'apply', 'audit', 'pki', 'agent', 'server', 'gateway']) {
      assert.ok(all.commands.some((c) => c.name() === name), name);
    }
  });
});
