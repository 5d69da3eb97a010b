import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { createChannel } from '../../src/server/notify/channels.js';
import { deliverAll, recentDeliveries, sendWithRetry } from '../../src/server/notify/deliver.js';
import type { Notification } from '../../src/server/notify/types.js';
import { openAppDb } from '../../src/server/state/appdb.js';

const dir = mkdtempSync(join(tmpdir(), 'notify-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
function secret(name: string, value: string): string {
  const p = join(dir, name);
  writeFileSync(p, value, { mode: 0o600 });
  return p;
}

interface Received { path: string; headers: IncomingMessage['headers']; body: string }
/** A local HTTP receiver; `fail` answers 500 to the first N requests. */
async function receiver(fail = 0): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      n++;
      got.push({ path: req.url ?? '', headers: req.headers, body });
      res.statusCode = n <= fail ? 500 : 200;
      res.end(n <= fail ? 'boom' : '{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address() as { port: number };
  after(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${a.port}`, got, server };
}

const note: Notification = {
  groupKey: 'rule=stall', severity: 'critical', status: 'firing', title: '1 alert(s) firing: stall on n1', lines: ['FIRING critical stall n1 frozen'],
  alerts: [{ key: 'stall|n1|', rule: 'stall', node: 'n1', severity: 'critical', state: 'firing', summary: 'n1 frozen', startsAt: 1 }],
};
const fast = { baseDelayMs: 1, maxDelayMs: 5, attempts: 3 };

test('webhook: JSON body with a verifiable HMAC-SHA256 signature over timestamp.body', async () => {
  const r = await receiver();
  const ch = createChannel({ type: 'webhook', name: 'hook', url: `${r.url}/hook`, secretFile: secret('hook', 's3cret\n') });
  const res = await sendWithRetry(ch, note, fast);
  assert.deepEqual(res, { channel: 'hook', ok: true, attempts: 1 });
  const got = r.got[0]!;
  const ts = String(got.headers['x-anoguard-timestamp']);
  const want = `sha256=${createHmac('sha256', 's3cret').update(`${ts}.${got.body}`).digest('hex')}`;
  assert.equal(got.headers['x-anoguard-signature'], want);
  assert.equal((JSON.parse(got.body) as { alerts: unknown[] }).alerts.length, 1);
});

test('slack, telegram and PagerDuty Events v2 payloads', async () => {
  const r = await receiver();
  const slack = createChannel({ type: 'slack', name: 'sl', webhookUrlFile: secret('slack', `${r.url}/services/T/B/X`) });
  const tg = createChannel({ type: 'telegram', name: 'tg', botTokenFile: secret('tg', '123:ABC'), chatId: '-100', apiBase: r.url });
  const pd = createChannel({ type: 'pagerduty', name: 'pd', routingKeyFile: secret('pd', 'R0UTING'), url: `${r.url}/v2/enqueue` });
  for (const c of [slack, tg, pd]) assert.equal((await sendWithRetry(c, note, fast)).ok, true);
  const [s, t, p] = r.got;
  assert.equal(s!.path, '/services/T/B/X');
  assert.match((JSON.parse(s!.body) as { text: string }).text, /FIRING:critical/);
  assert.equal(t!.path, '/bot123:ABC/sendMessage');
  assert.equal((JSON.parse(t!.body) as { chat_id: string }).chat_id, '-100');
  const pdBody = JSON.parse(p!.body) as { routing_key: string; event_action: string; dedup_key: string; payload: { severity: string; source: string } };
  assert.equal(pdBody.routing_key, 'R0UTING');
  assert.equal(pdBody.event_action, 'trigger');
  assert.equal(pdBody.dedup_key, 'stall|n1|');
  assert.equal(pdBody.payload.severity, 'critical');
  const resolved: Notification = { ...note, status: 'resolved', alerts: [{ ...note.alerts[0]!, state: 'resolved' }] };
  await sendWithRetry(pd, resolved, fast);
  assert.equal((JSON.parse(r.got[3]!.body) as { event_action: string }).event_action, 'resolve');
});

test('email through a local SMTP server', async () => {
  const mails: string[] = [];
  const smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, _s, cb) {
      let d = '';
      stream.on('data', (c: Buffer) => { d += c.toString(); });
      stream.on('end', () => { mails.push(d); cb(); });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  try {
    const port = (smtp.server.address() as { port: number }).port;
    const ch = createChannel({ type: 'email', name: 'mail', host: '127.0.0.1', port, secure: false, requireTls: false, from: 'anoguard@example.test', to: ['ops@example.test'] });
    const res = await sendWithRetry(ch, note, fast);
    assert.equal(res.ok, true, res.error);
    assert.equal(mails.length, 1);
    assert.match(mails[0]!, /Subject: \[anoguard firing:critical\]/);
    assert.match(mails[0]!, /n1 frozen/);
  } finally {
    await new Promise<void>((r) => smtp.close(() => r()));
  }
});

test('a failing receiver is retried with backoff, then succeeds', async () => {
  const r = await receiver(2);
  const delays: number[] = [];
  const ch = createChannel({ type: 'webhook', name: 'flaky', url: r.url });
  const res = await sendWithRetry(ch, note, { attempts: 5, baseDelayMs: 100, maxDelayMs: 150, sleep: async (ms) => { delays.push(ms); } });
  assert.deepEqual(res, { channel: 'flaky', ok: true, attempts: 3 });
  assert.deepEqual(delays, [100, 150], 'exponential, capped');
});

test('a receiver that always fails: the failure is recorded and visible', async () => {
  const r = await receiver(1000);
  const db = openAppDb(':memory:');
  try {
    const ok = await receiver();
    const res = await deliverAll([createChannel({ type: 'webhook', name: 'down', url: r.url }), createChannel({ type: 'webhook', name: 'up', url: ok.url })], note, db, { ...fast, now: () => 42 });
    assert.deepEqual(res.map((x) => [x.channel, x.ok, x.attempts]), [['down', false, 3], ['up', true, 1]]);
    assert.equal(r.got.length, 3);
    const rows = recentDeliveries(db);
    const down = rows.find((x) => x.notifier === 'down')!;
    assert.equal(down.ok, 0);
    assert.match(down.error, /HTTP 500/);
    assert.equal(down.at, 42);
  } finally {
    db.close();
  }
});

test('an unreachable receiver fails with a connection error, not a hang', async () => {
  const r = await receiver();
  const url = r.url;
  await new Promise<void>((res) => r.server.close(() => res()));
  const res = await sendWithRetry(createChannel({ type: 'webhook', name: 'gone', url }), note, { ...fast, timeoutMs: 2000 });
  assert.equal(res.ok, false);
  assert.ok(res.error && res.error.length > 0);
});

test('a group-readable secret file is refused, naming the field', () => {
  const p = join(dir, 'loose');
  writeFileSync(p, 'x', { mode: 0o644 });
  assert.throws(() => createChannel({ type: 'pagerduty', name: 'pd2', routingKeyFile: p, url: 'http://127.0.0.1:9/' }), (e: Error & { field?: string }) => e.field === 'notifiers.pd2.routingKeyFile');
});
