import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, verifyPassword } from '../../src/server/accounts/password.js';
import { addUser, authenticate, listUsers, removeUser, setPassword } from '../../src/server/accounts/users.js';
import { createSession, csrfMatches, endSession, readSession, SESSION_TTL_MS } from '../../src/server/accounts/sessions.js';
import { listAudit, recordAudit } from '../../src/server/accounts/audit.js';
import { openAppDb } from '../../src/server/state/appdb.js';

test('scrypt hashes: salted, verifiable, wrong password refused', async () => {
  const a = await hashPassword('correct horse battery');
  const b = await hashPassword('correct horse battery');
  assert.notEqual(a, b);
  assert.match(a, /^scrypt\$32768\$8\$1\$/);
  assert.equal(await verifyPassword('correct horse battery', a), true);
  assert.equal(await verifyPassword('correct horse batterY', a), false);
  assert.equal(await verifyPassword('x', 'plain'), false);
});

test('users: add, authenticate, change password (ends sessions), remove', async () => {
  const db = openAppDb(':memory:');
  try {
    await addUser(db, 'alice', 'operator', 'long enough password');
    await assert.rejects(addUser(db, 'alice', 'viewer', 'long enough password'), /already exists/);
    await assert.rejects(addUser(db, 'bob', 'viewer', 'short'), (e: Error & { field?: string }) => e.field === 'password');
    await assert.rejects(addUser(db, 'Bad Name', 'viewer', 'long enough password'), (e: Error & { field?: string }) => e.field === 'name');
    assert.equal((await authenticate(db, 'alice', 'long enough password'))?.role, 'operator');
    assert.equal(await authenticate(db, 'alice', 'wrong password!!'), undefined);
    assert.equal(await authenticate(db, 'nobody', 'long enough password'), undefined);
    const s = createSession(db, 'alice');
    assert.equal(readSession(db, s.id)?.user, 'alice');
    await setPassword(db, 'alice', 'another long password');
    assert.equal(readSession(db, s.id), undefined, 'a password change ends the sessions');
    assert.equal((await authenticate(db, 'alice', 'another long password'))?.name, 'alice');
    removeUser(db, 'alice');
    assert.deepEqual(listUsers(db), []);
    assert.throws(() => removeUser(db, 'alice'), /no user/);
  } finally {
    db.close();
  }
});

test('sessions expire; ids are stored hashed; CSRF token compared exactly', async () => {
  const db = openAppDb(':memory:');
  try {
    await addUser(db, 'viv', 'viewer', 'long enough password');
    const s = createSession(db, 'viv', 1000);
    const row = db.prepare('SELECT id_hash FROM sessions').get() as { id_hash: string };
    assert.notEqual(row.id_hash, s.id);
    const live = readSession(db, s.id, 2000)!;
    assert.equal(live.role, 'viewer');
    assert.equal(csrfMatches(live, s.csrf), true);
    assert.equal(csrfMatches(live, undefined), false);
    assert.equal(csrfMatches(live, `${s.csrf}x`), false);
    assert.equal(readSession(db, s.id, 1000 + SESSION_TTL_MS), undefined);
    endSession(db, s.id);
    assert.equal(readSession(db, s.id, 2000), undefined);
  } finally {
    db.close();
  }
});

test('audit log keeps operator actions newest first', () => {
  const db = openAppDb(':memory:');
  try {
    recordAudit(db, { at: 1, user: 'op', action: 'silence.add', detail: { rule: 'cpu' }, ip: '127.0.0.1' });
    recordAudit(db, { at: 2, user: 'op', action: 'silence.remove', detail: { id: 'x' }, ip: '127.0.0.1' });
    assert.deepEqual(listAudit(db).map((e) => [e.action, e.detail]), [['silence.remove', { id: 'x' }], ['silence.add', { rule: 'cpu' }]]);
  } finally {
    db.close();
  }
});
