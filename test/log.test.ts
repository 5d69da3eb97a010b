import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../src/log.js';

function capture(): { stream: Writable; text: () => string } {
  let buf = '';
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { buf += chunk.toString(); cb(); } });
  return { stream, text: () => buf };
}

describe('createLogger', () => {
  it('redacts secret fields at the top level and one level down', () => {
    const c = capture();
    const log = createLogger('test', { level: 'info' }, c.stream);
    log.info({ password: 'hunter2', node: { LocalServerPrivKey: '4c38c72fc5cdad68f13b74674d3ffb1f3d63a112710868c9b08946553448d26d' }, rpcPass: 'p4ss', height: 7 }, 'x');
    const out = c.text();
    assert.ok(!out.includes('hunter2'));
    assert.ok(!out.includes('4c38c72fc5cdad68'));
    assert.ok(!out.includes('p4ss'));
    assert.match(out, /"height":7/);
    assert.match(out, /\[REDACTED\]/);
    assert.match(out, /"component":"test"/);
  });
});
