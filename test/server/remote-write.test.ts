import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import snappy from 'snappyjs';
import { Registry } from 'prom-client';
import { createLogger } from '../../src/log.js';
import { openSqliteStore } from '../../src/server/store/sqlite.js';
import type { Store } from '../../src/server/store/types.js';
import { startRemoteWrite } from '../../src/server/remote-write/sender.js';
import { remoteWriteFromFlags } from '../../src/server/remote-write/config.js';
import { runServer } from '../../src/server/run.js';
import { runCli } from '../helpers/cli.js';
import { selfSignedCert } from '../helpers/tls.js';

const logger = createLogger('test', { level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'anoguard-srv-rw-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let nStore = 0;
const newStore = (): Store => openSqliteStore(join(dir, `rw${++nStore}.db`));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('remote-write into a real Prometheus 2.42 (--web.enable-remote-write-receiver)', () => {
  let prom: ChildProcess | undefined;
  let base = '';
  let promLog = '';
  before(async () => {
    const pdir = join(dir, 'prom');
    const port = await freePort();
    writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\n');
    prom = spawn('prometheus', [
      `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${pdir}`, `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver', '--log.level=warn',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    prom.stderr!.on('data', (d: Buffer) => { promLog = (promLog + d.toString()).slice(-4000); });
    base = `http://127.0.0.1:${port}`;
    await waitFor('prometheus ready', async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined), 60_000)
      .catch((e: Error) => { throw new Error(`${e.message}\n${promLog}`); });
  });
  after(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom!.once('exit', r));
      prom.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (prom.exitCode === null) prom.kill('SIGKILL');
    }
  });

  type Vector = { metric: Record<string, string>; value: [number, string] }[];
  const query = async (q: string, at: number): Promise<Vector> => {
    const r = await fetch(`${base}/api/v1/query?${new URLSearchParams({ query: q, time: String(at / 1000) })}`);
    const j = await r.json() as { status: string; data: { result: Vector } };
    assert.equal(j.status, 'success');
    return j.data.result;
  };

  it('pushes the latest value of every series with the /metrics names and labels, then only newer values', async () => {
    const store = newStore();
    const registry = new Registry();
    const rw = startRemoteWrite({ url: `${base}/api/v1/write`, intervalMs: 3_600_000 }, { store, logger, registry });
    try {
      const t = Date.now() - 5_000;
      await store.writeBatch('rw-1', 1, [
        { name: 'node_load1', labels: {}, value: 0.25, t: t - 10_000 },
        { name: 'node_load1', labels: {}, value: 0.5, t },
        { name: 'node_cpu_seconds_total', labels: { cpu: '0', mode: 'idle' }, value: 1234.5, t },
        { name: 'factomd_leader_height', labels: { factomd: 'm1', node: 'inner' }, value: 240012, t },
      ], [], t);
      await store.writeBatch('rw-2', 1, [{ name: 'node_load1', labels: {}, value: 2, t }], [], t);
      // A value older than /metrics' 10-minute window is not pushed either.
      await store.writeBatch('rw-3', 1, [{ name: 'node_load1', labels: {}, value: 9, t: t - 20 * 60_000 }], [], t);
      await rw.tick();
      assert.equal(rw.queued(), 0);

      const load = await waitFor('node_load1 in prometheus', async () => {
        const v = await query('node_load1', t);
        return v.length === 2 ? v : undefined;
      });
      const byNode = Object.fromEntries(load.map((v) => [v.metric.node, v]));
      assert.deepEqual(byNode['rw-1']!.metric, { __name__: 'node_load1', node: 'rw-1' });
      assert.equal(byNode['rw-1']!.value[1], '0.5');
      assert.equal(byNode['rw-2']!.value[1], '2');
      const cpu = await query('node_cpu_seconds_total', t);
      assert.deepEqual(cpu.map((v) => [v.metric, v.value[1]]), [[{ __name__: 'node_cpu_seconds_total', node: 'rw-1', cpu: '0', mode: 'idle' }, '1234.5']]);
      const fh = await query('factomd_leader_height', t);
      assert.deepEqual(fh.map((v) => v.metric), [{ __name__: 'factomd_leader_height', node: 'rw-1', factomd: 'm1', exported_node: 'inner' }]);
      // The sample keeps the agent's timestamp (only the latest one was pushed, not t - 10 s).
      assert.equal((await query('timestamp(node_load1{node="rw-1"})', t))[0]!.value[1], String(t / 1000));
      assert.equal((await query('count_over_time(node_load1{node="rw-1"}[1m])', t))[0]!.value[1], '1');

      await store.writeBatch('rw-1', 2, [{ name: 'node_load1', labels: {}, value: 0.75, t: t + 1_000 }], [], t + 1_000);
      await rw.tick();
      await rw.tick(); // nothing new: nothing queued, nothing sent twice
      const c = await waitFor('second sample', async () => {
        const v = await query('count_over_time(node_load1{node="rw-1"}[1m])', t + 1_000);
        return v[0]?.value[1] === '2' ? v : undefined;
      });
      assert.equal(c[0]!.value[1], '2');
      assert.equal((await query('node_load1{node="rw-1"}', t + 1_000))[0]!.value[1], '0.75');
      const text = await registry.metrics();
      assert.match(text, /anoguard_remote_write_samples_total\{result="sent"\} 5\b/);
      assert.match(text, /anoguard_remote_write_requests_total\{result="ok"\} 2\b/);
    } finally {
      await rw.stop(1_000);
      await store.close();
    }
  });
});

interface Seen { headers: IncomingMessage['headers']; body: Buffer }
function receiver(answer: (n: number, req: IncomingMessage) => [number, Record<string, string>?]) {
  const seen: Seen[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: Buffer.concat(chunks) });
      const [code, headers] = answer(seen.length, req);
      res.writeHead(code, headers).end(code >= 400 ? 'nope' : '');
    });
  };
  return { seen, handler };
}

async function listen(server: ReturnType<typeof createHttpServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

describe('remote-write delivery (a local receiver that misbehaves on purpose)', () => {
  it('sends the remote-write 1.0 headers and bearer token, retries 5xx and 429 with the same body, drops a 4xx', async () => {
    const store = newStore();
    const registry = new Registry();
    const { seen, handler } = receiver((n) => (n <= 2 ? [503] : n === 3 ? [429, { 'retry-after': '0' }] : n === 4 ? [204] : [400]));
    const server = createHttpServer(handler);
    const port = await listen(server);
    const rw = startRemoteWrite({ url: `http://127.0.0.1:${port}/api/v1/write`, intervalMs: 3_600_000, bearerToken: 'tok-123', minBackoffMs: 5, maxBackoffMs: 20 }, { store, logger, registry });
    try {
      const t = Date.now();
      await store.writeBatch('n1', 1, [{ name: 'node_load1', labels: {}, value: 1, t }], [], t);
      await rw.tick();
      assert.equal(seen.length, 4, 'two 503s and a 429 retried, then accepted');
      for (const s of seen) {
        assert.equal(s.headers['content-type'], 'application/x-protobuf');
        assert.equal(s.headers['content-encoding'], 'snappy');
        assert.equal(s.headers['x-prometheus-remote-write-version'], '0.1.0');
        assert.equal(s.headers.authorization, 'Bearer tok-123');
        assert.deepEqual(s.body, seen[0]!.body);
      }
      // The body is snappy (block format) around a protobuf holding the series' name and node.
      const pb = Buffer.from(snappy.uncompress(seen[0]!.body));
      for (const s of ['__name__', 'node_load1', 'node', 'n1']) assert.ok(pb.includes(Buffer.from(s)), s);
      assert.equal(rw.queued(), 0);

      await store.writeBatch('n1', 2, [{ name: 'node_load1', labels: {}, value: 2, t: t + 1 }], [], t + 1);
      await rw.tick();
      assert.equal(seen.length, 5);
      assert.equal(rw.queued(), 0, 'a 400 is never retried: the samples are dropped');
      const text = await registry.metrics();
      assert.match(text, /anoguard_remote_write_requests_total\{result="retried"\} 3\b/);
      assert.match(text, /anoguard_remote_write_samples_total\{result="rejected"\} 1\b/);
    } finally {
      await rw.stop(500);
      server.close();
      await store.close();
    }
  });

  it('keeps the queue bounded while the receiver is down (the oldest samples go) and stops within its grace time', async () => {
    const store = newStore();
    const registry = new Registry();
    // Down: every connection is reset before an answer. (A port merely closed a moment ago can be
    // taken by any other process on a busy machine, which may accept and never answer.)
    const down = createNetServer((s) => s.destroy());
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    const { port } = down.address() as AddressInfo;
    const rw = startRemoteWrite({ url: `http://127.0.0.1:${port}/api/v1/write`, intervalMs: 3_600_000, maxQueue: 3, minBackoffMs: 60_000, maxBackoffMs: 60_000 }, { store, logger, registry });
    try {
      const t = Date.now();
      await store.writeBatch('n1', 1, ['a', 'b', 'c', 'd', 'e'].map((d, i) => ({ name: 'node_network_receive_bytes_total', labels: { device: d }, value: i, t })), [], t);
      void rw.tick();
      await waitFor('first failure', async () => ((await registry.metrics()).includes('result="retried"} 1') ? true : undefined), 20_000);
      assert.equal(rw.queued(), 3);
      assert.match(await registry.metrics(), /anoguard_remote_write_samples_total\{result="dropped"\} 2\b/);
      const t0 = Date.now();
      await rw.stop(300);
      assert.ok(Date.now() - t0 < 5_000, 'stop does not wait out a 60 s backoff');
    } finally {
      // A failed assertion must not leave the sender's 60 s backoff keeping this file alive (stop is idempotent).
      await rw.stop(300);
      down.close();
      await store.close();
    }
  });

  it('speaks TLS with the given CA and sends basic auth', async () => {
    const tls = selfSignedCert('localhost');
    const store = newStore();
    const { seen, handler } = receiver(() => [204]);
    const server = createHttpsServer({ cert: tls.cert, key: tls.key }, handler);
    const port = await listen(server);
    const rw = startRemoteWrite({ url: `https://127.0.0.1:${port}/api/v1/write`, ca: tls.cert, basicAuth: { username: 'anoguard', password: 'p:w' }, intervalMs: 3_600_000 }, { store, logger });
    try {
      const t = Date.now();
      await store.writeBatch('n1', 1, [{ name: 'node_load1', labels: {}, value: 1, t }], [], t);
      await rw.tick();
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.headers.authorization, `Basic ${Buffer.from('anoguard:p:w').toString('base64')}`);
    } finally {
      await rw.stop(500);
      server.close();
      await store.close();
      rmSync(tls.dir, { recursive: true, force: true });
    }
  });
});

describe('remote-write in the server', () => {
  it('runServer pushes on its interval and shows the sender\'s counters on /metrics', async () => {
    const tls = selfSignedCert('localhost');
    const store = newStore();
    const { seen, handler } = receiver(() => [204]);
    const rx = createHttpServer(handler);
    const port = await listen(rx);
    const server = await runServer({
      store, logger, tls: { ca: tls.certPath, cert: tls.certPath, key: tls.keyPath },
      ingest: { host: '127.0.0.1', port: 0 }, web: { host: '127.0.0.1', port: 0 }, maintenanceIntervalMs: 3_600_000,
      remoteWrite: { url: `http://127.0.0.1:${port}/api/v1/write`, intervalMs: 100 },
    });
    try {
      const t = Date.now();
      await store.writeBatch('n1', 1, [{ name: 'node_load1', labels: {}, value: 1, t }], [], t);
      await waitFor('a push', async () => (seen.length > 0 ? true : undefined), 10_000);
      const text = await (await fetch(`${server.webUrl}/metrics`)).text();
      assert.match(text, /anoguard_remote_write_requests_total\{result="ok"\} [1-9]/);
      assert.match(text, /anoguard_remote_write_samples_total\{result="sent"\} 1\b/);
    } finally {
      await server.close(); // closes the store too
      rx.close();
      rmSync(tls.dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad --remote-write with exit 2 and the flag named', async () => {
    const r = await runCli(['server', '--ca', 'x.pem', '--cert', 'x.pem', '--key', 'x.key', '--store', `sqlite:${join(dir, 'cli.db')}`, '--remote-write', 'ftp://prom/api/v1/write']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /remote-write: must be an http:\/\/ or https:\/\/ URL/);
  });

  it('checks the other remote-write flags, naming the flag', () => {
    const cases: [Parameters<typeof remoteWriteFromFlags>[0], string, RegExp][] = [
      [{ remoteWrite: 'https://u:p@prom/api/v1/write' }, 'remote-write', /no credentials in the URL/],
      [{ remoteWriteTokenFile: 'tok' }, 'remote-write-token-file', /needs --remote-write URL/],
      [{ remoteWrite: 'http://127.0.0.1:9/api/v1/write', remoteWriteInterval: '5ms' }, 'remote-write-interval', /expected 1s\.\.60m/],
      [{ remoteWrite: 'http://127.0.0.1:9/api/v1/write', remoteWriteCa: 'ca.pem' }, 'remote-write-ca', /needs an https/],
    ];
    for (const [flags, field, re] of cases) {
      assert.throws(() => remoteWriteFromFlags(flags), (e: Error & { field?: string; exitCode?: number }) => e.field === field && re.test(e.message) && e.exitCode === 2, JSON.stringify(flags));
    }
    assert.equal(remoteWriteFromFlags({ remoteWrite: 'http://127.0.0.1:9/api/v1/write', remoteWriteInterval: '30s' })?.intervalMs, 30_000);
  });

  it('sends credentials only over https or loopback, and only from a 0600 file', () => {
    const tok = join(dir, 'rw.token');
    writeFileSync(tok, 'secret-token\n', { mode: 0o600 });
    assert.equal(remoteWriteFromFlags({ remoteWrite: 'http://127.0.0.1:9090/api/v1/write', remoteWriteTokenFile: tok })?.bearerToken, 'secret-token');
    assert.throws(() => remoteWriteFromFlags({ remoteWrite: 'http://10.8.0.1:9090/api/v1/write', remoteWriteTokenFile: tok }), (e: Error & { field?: string }) => e.field === 'remote-write' && /https/.test(e.message));
    const basic = join(dir, 'rw.basic');
    writeFileSync(basic, 'anoguard:pa:ss\n', { mode: 0o644 });
    assert.throws(() => remoteWriteFromFlags({ remoteWrite: 'https://prom.example/api/v1/write', remoteWriteBasicAuthFile: basic }), (e: Error & { field?: string }) => e.field === 'remote-write-basic-auth-file' && /0600/.test(e.message));
    chmodSync(basic, 0o600);
    assert.deepEqual(remoteWriteFromFlags({ remoteWrite: 'https://prom.example/api/v1/write', remoteWriteBasicAuthFile: basic })?.basicAuth, { username: 'anoguard', password: 'pa:ss' });
    assert.equal(remoteWriteFromFlags({}), undefined);
  });
});
