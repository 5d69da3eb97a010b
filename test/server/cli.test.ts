import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';

describe('anoguard server (usage errors)', () => {
  it('refuses a bad --listen or --retention with exit 2 and the field named', async () => {
    const listen = await runCli(['server', '--listen', 'nowhere']);
    assert.equal(listen.code, 2);
    assert.match(listen.stderr, /listen: expected HOST:PORT/);
    const ret = await runCli(['server', '--retention', 'raw=40d,1m=30d']);
    assert.equal(ret.code, 2);
    assert.match(ret.stderr, /retention: each tier must be kept at least as long as the finer one/);
  });
});
