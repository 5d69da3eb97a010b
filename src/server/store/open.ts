import { InputError } from '../../errors.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { Store, StoreOptions } from './types.js';

export const DEFAULT_STORE_URL = 'sqlite:./data/anoguard.db';

/** `sqlite:PATH` (default `sqlite:./data/anoguard.db`) or `postgres://…` / `postgresql://…`. */
export async function openStore(url: string, opts: StoreOptions = {}): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') throw new InputError('E_BAD_STORE', 'sqlite: needs a file path', { field: 'store', exitCode: 2 });
    return openSqliteStore(path, opts);
  }
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgresStore(url, opts);
  throw new InputError('E_BAD_STORE', 'store must be sqlite:PATH or postgres://…', { field: 'store', exitCode: 2 });
}

/** The URL with any password masked, for logs and status output. */
export function redactStoreUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
