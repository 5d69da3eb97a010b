import { z } from 'zod';
import { AnoguardError, InputError } from '../../errors.js';
import type { AppDb } from '../state/appdb.js';
import { checkPasswordStrength, hashPassword, verifyPassword } from './password.js';

export const ROLES = ['viewer', 'operator'] as const;
export type Role = (typeof ROLES)[number];
export const UserName = z.string().regex(/^[a-z][a-z0-9_.-]{0,31}$/, 'lowercase letters, digits, . _ - (max 32), starting with a letter');

export interface User { name: string; role: Role; createdAt: number; updatedAt: number }

function checkName(name: string): void {
  const r = UserName.safeParse(name);
  if (!r.success) throw new InputError('E_BAD_USER', r.error.issues[0]!.message, { field: 'name', exitCode: 2 });
}

export async function addUser(db: AppDb, name: string, role: Role, password: string, now = Date.now()): Promise<User> {
  checkName(name);
  if (!ROLES.includes(role)) throw new InputError('E_BAD_ROLE', 'role must be viewer or operator', { field: 'role', exitCode: 2 });
  checkPasswordStrength(password);
  if (db.prepare('SELECT 1 FROM users WHERE name = ?').get(name)) throw new AnoguardError('E_USER_EXISTS', `user ${name} already exists`, { field: 'name' });
  const hash = await hashPassword(password);
  db.prepare('INSERT INTO users (name, role, hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(name, role, hash, now, now);
  return { name, role, createdAt: now, updatedAt: now };
}

/** Changes the password and ends every session of the user. */
export async function setPassword(db: AppDb, name: string, password: string, now = Date.now()): Promise<void> {
  checkName(name);
  checkPasswordStrength(password);
  const hash = await hashPassword(password);
  const r = db.prepare('UPDATE users SET hash = ?, updated_at = ? WHERE name = ?').run(hash, now, name);
  if (r.changes === 0) throw new AnoguardError('E_NO_USER', `no user ${name}`, { field: 'name' });
  db.prepare('DELETE FROM sessions WHERE user = ?').run(name);
}

export function removeUser(db: AppDb, name: string): void {
  checkName(name);
  const r = db.prepare('DELETE FROM users WHERE name = ?').run(name);
  if (r.changes === 0) throw new AnoguardError('E_NO_USER', `no user ${name}`, { field: 'name' });
  db.prepare('DELETE FROM sessions WHERE user = ?').run(name);
}

export function listUsers(db: AppDb): User[] {
  return (db.prepare('SELECT name, role, created_at, updated_at FROM users ORDER BY name').all() as { name: string; role: Role; created_at: number; updated_at: number }[])
    .map((r) => ({ name: r.name, role: r.role, createdAt: r.created_at, updatedAt: r.updated_at }));
}

// Verifying against a fixed hash when the user is unknown keeps the answer time the same.
const DUMMY = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export async function authenticate(db: AppDb, name: string, password: string): Promise<User | undefined> {
  const row = db.prepare('SELECT name, role, hash, created_at, updated_at FROM users WHERE name = ?').get(name) as
    { name: string; role: Role; hash: string; created_at: number; updated_at: number } | undefined;
  const ok = await verifyPassword(password, row?.hash ?? DUMMY);
  return row && ok ? { name: row.name, role: row.role, createdAt: row.created_at, updatedAt: row.updated_at } : undefined;
}
