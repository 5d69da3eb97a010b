/**
 * kill -9 of the real server process in the middle of a stream of batches, then a restart: every
 * batch the server acknowledged is in the store, and re-sending the unacknowledged ones (what the
 * agent's outbox does) leaves every sample stored exactly once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { initCa, issueCert } from '../../src/pki/ca.js';
import { pkiPaths } from '../../src/pki/layout.js';
import { spawnJsonCommand } from '../helpers/server-process.js';
import { credsFromFiles, postJson, type ClientCreds } from './tls-client.js';

const PASS = 'crash test passphrase, srv';
const root = mkdtempSync(join(tmpdir(), 'anoguard-srv-crash-'));
const pki = join(root, 'pki');
const db = join(root, 'data', 'anoguard.db');
const PER_BATCH = 1000;
const T0 = Date.now() - 3_600_000;
const creds: Record<string, ClientCreds> = {};
let child: ChildProcess | undefined;

async function startServerProcess(): Promise<{ proc: ChildProcess; ingest: string }> {
  const { proc, json } = await spawnJsonCommand<{ ingest: string }>([
    'server', '--store', `sqlite:${db}`, '--data-dir', join(root, 'data'),
    '--listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0', '--pki-dir', pki, '--cert-name', 'localhost',
  ]);
  return { proc, ingest: json.ingest };
}

const AGENTS = ['crash-a', 'crash-b', 'crash-c'];

function batch(agent: string, seq: number) {
  const samples = [];
  for (let i = 0; i < PER_BATCH; i++) {
    const n = seq * PER_BATCH + i;
    samples.push({ name: 'node_context_switches_total', labels: { cpu: String(i % 4) }, value: n, t: T0 + n * 10 });
  }
  return { v: 1, agent, seq, sentAt: Date.now(), samples, events: [{ kind: 'test.batch', severity: 'info', t: T0 + seq, message: `batch ${seq}`, data: {} }] };
}

interface Stored { rows: number; distinct: number; values: Set<number>; events: number; lastSeq: number }
function stored(agent: string): Stored {
  const d = new Database(db, { readonly: true });
  try {
    const q = (sql: string) => d.prepare(sql).all(agent);
    const r = q('SELECT count(*) AS n, count(DISTINCT r.series_id || \':\' || r.t) AS dt FROM samples_raw r JOIN series s ON s.id = r.series_id WHERE s.node = ?')[0] as { n: number; dt: number };
    const values = new Set((q('SELECT v FROM samples_raw r JOIN series s ON s.id = r.series_id WHERE s.node = ?') as { v: number }[]).map((x) => x.v));
    const events = (q('SELECT count(*) AS n FROM events WHERE node = ?')[0] as { n: number }).n;
    const lastSeq = (q('SELECT last_seq FROM agents WHERE agent = ?')[0] as { last_seq: number } | undefined)?.last_seq ?? 0;
    return { rows: r.n, distinct: r.dt, values, events, lastSeq };
  } finally {
    d.close();
  }
}

before(async () => {
  await initCa({ dir: pki, passphrase: PASS, scrypt: { N: 1 << 14, r: 8, p: 1 } });
  await issueCert({ dir: pki, passphrase: PASS, kind: 'server', name: 'localhost', sans: ['IP:127.0.0.1'] });
  const p = pkiPaths(pki);
  for (const a of AGENTS) {
    await issueCert({ dir: pki, passphrase: PASS, kind: 'agent', name: a });
    creds[a] = credsFromFiles(p.caCert, p.cert(a), p.key(a));
  }
});

after(() => {
  child?.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

describe('server crash in the middle of a stream', () => {
  it('keeps every acknowledged sample, and a re-send after restart stores none twice', async () => {
    let s = await startServerProcess();
    child = s.proc;
    // Three agents stream at once, each one batch in flight at a time (the agent contract: the
    // server's seq watermark makes anything at or below it a duplicate).
    const acked = new Map<string, number[]>(AGENTS.map((a) => [a, []]));
    const sent = new Map<string, number>(AGENTS.map((a) => [a, 0]));
    let killed = false;
    const stream = async (agent: string) => {
      for (let seq = 1; seq <= 500 && !killed; seq++) {
        sent.set(agent, seq);
        const r = await postJson(s.ingest, creds[agent]!, '/ingest/v1/batch', batch(agent, seq), 5_000).then((x) => x, () => undefined);
        if (r === undefined) return;
        if (r.status === 200) acked.get(agent)!.push((r.body as { ackedSeq: number }).ackedSeq);
      }
    };
    const killer = (async () => {
      for (let i = 0; i < 600 && [...acked.values()].reduce((n, l) => n + l.length, 0) < 30; i++) await new Promise((r) => setTimeout(r, 50));
      s.proc.kill('SIGKILL');
      killed = true;
    })();
    await Promise.all([...AGENTS.map(stream), killer]);
    await new Promise<void>((r) => { if (s.proc.exitCode !== null || s.proc.signalCode !== null) r(); else s.proc.once('exit', () => r()); });

    const mids = new Map<string, Stored>();
    for (const agent of AGENTS) {
      // Every acknowledged batch is durably there, whole.
      const mid = stored(agent);
      mids.set(agent, mid);
      const got = acked.get(agent)!;
      assert.ok(got.length > 0, `${agent} got acks before the kill`);
      assert.ok(mid.lastSeq >= Math.max(...got), `${agent}: watermark ${mid.lastSeq} < acked ${Math.max(...got)}`);
      for (const q of got) {
        for (let i = 0; i < PER_BATCH; i++) assert.ok(mid.values.has(q * PER_BATCH + i), `${agent}: acked seq ${q} lost sample ${i}`);
      }
      assert.equal(mid.rows, mid.distinct, 'no sample twice');
      // Batches are all-or-nothing, and the watermark matches what is stored.
      assert.equal(mid.rows, mid.lastSeq * PER_BATCH);
      assert.equal(mid.events, mid.lastSeq);
    }

    // Restart; each agent re-sends from its oldest unacknowledged batch, plus the last acked one again.
    s = await startServerProcess();
    child = s.proc;
    for (const agent of AGENTS) {
      const got = acked.get(agent)!;
      const last = sent.get(agent)! + 2;
      const dupes: boolean[] = [];
      for (let q = Math.max(...got); q <= last; q++) {
        const r = await postJson(s.ingest, creds[agent]!, '/ingest/v1/batch', batch(agent, q));
        assert.equal(r.status, 200);
        dupes.push((r.body as { duplicate: boolean }).duplicate);
      }
      assert.equal(dupes[0], true, 'the acked batch re-sent is a duplicate');
      const end = stored(agent);
      assert.equal(end.lastSeq, last);
      assert.equal(end.rows, last * PER_BATCH);
      assert.equal(end.distinct, last * PER_BATCH);
      assert.equal(end.events, last);
    }
    s.proc.kill('SIGTERM');
    await new Promise<void>((r) => { if (s.proc.exitCode !== null) r(); else s.proc.once('exit', () => r()); });
    child = undefined;
  });
});
