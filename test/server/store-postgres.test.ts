import { after, before, describe } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/server/store/postgres.js';
import { startPostgres, type TestPostgres } from './pg-helper.js';
import { storeSuite } from './store-suite.js';

let server: TestPostgres;
let admin: pg.Client;
let n = 0;
before(async () => {
  server = startPostgres('srv-pgstore');
  admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
});
after(async () => {
  await admin?.end();
  server?.stop();
});

describe('PostgreSQL store (a real PostgreSQL 15 started by the test)', () => {
  // A fresh database per test: same isolation as a fresh SQLite file.
  storeSuite(async (opts) => {
    const db = `t${++n}`;
    await admin.query(`CREATE DATABASE ${db}`);
    return openPostgresStore(server.url.replace('/postgres?', `/${db}?`), { ...opts, max: 4 });
  });
});
