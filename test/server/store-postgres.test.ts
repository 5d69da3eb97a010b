import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
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

describe('PostgreSQL store shared by two servers', () => {
  it('stores each batch once when two store instances receive the same batches at the same time', async () => {
    const db = `t${++n}`;
    await admin.query(`CREATE DATABASE ${db}`);
    const url = server.url.replace('/postgres?', `/${db}?`);
    const [a, b] = await Promise.all([openPostgresStore(url, { max: 3 }), openPostgresStore(url, { max: 3 })]);
    try {
      const T0 = Date.now() - 2 * 3_600_000; // recent, so the query below reads the raw tier
      const AGENTS = 6;
      const SEQS = 15;
      const stored = new Map<string, number>();
      // Every agent sends each batch to both servers at once (a retry racing its original, through
      // a load balancer), and the next one only when both have answered, as an agent's outbox does.
      await Promise.all(Array.from({ length: AGENTS }, async (_, i) => {
        const agent = `pg2-${i}`;
        for (let seq = 1; seq <= SEQS; seq++) {
          const samples = Array.from({ length: 10 }, (_, k) => ({ name: 'node_load1', labels: { k: String(k % 3) }, t: T0 + seq * 100_000 + k * 1000, value: seq + k / 10 }));
          const events = [{ kind: 'x.y', severity: 'info' as const, t: T0 + seq, message: `seq ${seq}`, data: {} }];
          const rs = await Promise.all([a.writeBatch(agent, seq, samples, events, T0 + seq), b.writeBatch(agent, seq, samples, events, T0 + seq)]);
          assert.deepEqual(rs.map((r) => r.ackedSeq), [seq, seq], `${agent} seq ${seq}`);
          assert.equal(rs.filter((r) => !r.duplicate).length, 1, `${agent} seq ${seq} stored exactly once`);
          stored.set(agent, (stored.get(agent) ?? 0) + rs.reduce((x, r) => x + r.samples, 0));
        }
      }));
      assert.deepEqual([...stored.values()], Array(AGENTS).fill(10 * SEQS));
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const raw = await c.query<{ n: string; d: string }>('SELECT count(*) AS n, count(DISTINCT (series_id, t)) AS d FROM samples_raw');
        assert.equal(Number(raw.rows[0]!.n), AGENTS * SEQS * 10);
        const ev = await c.query<{ n: string }>('SELECT count(*) AS n FROM events');
        assert.equal(Number(ev.rows[0]!.n), AGENTS * SEQS);
        const series = await c.query<{ n: string }>('SELECT count(*) AS n FROM series');
        assert.equal(Number(series.rows[0]!.n), AGENTS * 3);
      } finally {
        await c.end();
      }
      assert.deepEqual((await b.agents()).map((x) => x.lastSeq), Array(AGENTS).fill(SEQS));
      const q = await a.querySeries({ node: 'pg2-0', name: 'node_load1', labels: { k: '0' }, from: T0, to: T0 + (SEQS + 1) * 100_000, resolution: 1 });
      assert.equal(q.series[0]!.points.length, SEQS * 4); // k = 0, 3, 6, 9 of every batch
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
