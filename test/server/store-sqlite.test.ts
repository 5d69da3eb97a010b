import { after, describe } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/server/store/sqlite.js';
import { storeSuite } from './store-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'anoguard-srv-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

describe('SQLite store', () => {
  storeSuite(async (opts) => openSqliteStore(join(dir, `s${++n}.db`), opts));
});
