import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AnoguardError, InputError, isAnoguardError } from '../src/errors.js';

describe('AnoguardError', () => {
  it('renders one line with field and code', () => {
    const e = new InputError('E_BAD_CHECKSUM', 'checksum does not match', { field: 'address', exitCode: 2 });
    assert.equal(e.toLine(), 'address: checksum does not match (E_BAD_CHECKSUM)');
    assert.equal(e.exitCode, 2);
    assert.ok(isAnoguardError(e));
    assert.ok(!e.toLine().includes('\n'));
  });

  it('defaults to exit code 1 and serialises without undefined fields', () => {
    const e = new AnoguardError('E_X', 'broken');
    assert.equal(e.exitCode, 1);
    assert.deepEqual(e.toJSON(), { code: 'E_X', message: 'broken' });
    assert.ok(!isAnoguardError(new Error('plain')));
  });
});
