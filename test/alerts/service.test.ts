import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sample } from '../../src/agent/payload.js';
import { createLogger } from '../../src/log.js';
import { parseAlertConfig } from '../../src/server/alerts/config.js';
import { addSilence, alertHistory } from '../../src/server/alerts/history.js';
import { startAlertService } from '../../src/server/alerts/service.js';
import { createChannel } from '../../src/server/notify/channels.js';
import { recentDeliveries } from '../../src/server/notify/deliver.js';
import { openAppDb } from '../../src/server/state/appdb.js';
import { openSqliteStore } from '../../src/server/store/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'alerts-svc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const fact = (node: string, t: number, height: number, identity: string, up = 1): Sample[] => {
  const l = { factomd: node };
  return [
    { name: 'factomd_up', labels: l, value: up, t }, { name: 'factomd_leader_height', labels: l, value: height, t },
    { name: 'factomd_directory_block_height', labels: l, value: height, t }, { name: 'factomd_block_seconds', labels: l, value: 600, t },
    { name: 'factomd_identity_info', labels: { ...l, identity, publickey: '' }, value: 1, t },
  ];
};

test('over a real store: duplicate identity fires, is notified (a failing receiver is recorded), persists and resolves', async () => {
  let now = Date.now();
  const store = openSqliteStore(join(dir, 's.db'), { now: () => now });
  const db = openAppDb(join(dir, 'app.db'));
  const got: string[] = [];
  const hook = createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => { b += c.toString(); });
    req.on('end', () => { got.push(b); res.end('ok'); });
  });
  const broken = createServer((_req, res) => { res.statusCode = 503; res.end(); });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
  const port = (s: typeof hook) => (s.address() as { port: number }).port;
  try {
    const cfg = parseAlertConfig({});
    const channels = [
      createChannel({ type: 'webhook', name: 'ok', url: `http://127.0.0.1:${port(hook)}/` }),
      createChannel({ type: 'webhook', name: 'broken', url: `http://127.0.0.1:${port(broken)}/` }),
    ];
    const svc = startAlertService({ store, db, cfg, channels, logger: createLogger('alerts-svc', { level: 'silent' }), now: () => now, manual: true, retry: { attempts: 2, baseDelayMs: 1 } });
    const ID = 'c'.repeat(64);
    await store.writeBatch('master', 1, fact('n1', now, 10, ID), [], now);
    await store.writeBatch('standby', 1, fact('n4', now, 10, ID), [], now);
    const t1 = await svc.evaluate();
    assert.deepEqual(t1.map((t) => [t.type, t.alert.rule, t.alert.severity]), [['firing', 'duplicate-identity', 'critical']]);
    await svc.stop(); // waits for background deliveries
    assert.equal(got.length, 1);
    assert.match(got[0]!, /duplicate-identity/);
    const rows = recentDeliveries(db);
    assert.deepEqual(rows.map((r) => [r.notifier, r.ok, r.attempts]).sort(), [['broken', 0, 2], ['ok', 1, 1]]);

    // A restarted server keeps the firing state: no second "firing" for the same alert.
    const svc2 = startAlertService({ store, db, cfg, channels: [], logger: createLogger('alerts-svc', { level: 'silent' }), now: () => now, manual: true });
    assert.equal(svc2.active().length, 1);
    now += 10_000;
    await store.writeBatch('standby', 2, fact('n4', now, 11, '0'.repeat(64)), [], now);
    await store.writeBatch('master', 2, fact('n1', now, 11, ID), [], now);
    const t2 = await svc2.evaluate();
    assert.deepEqual(t2.map((t) => [t.type, t.alert.rule]), [['resolved', 'duplicate-identity']]);
    assert.deepEqual(alertHistory(db).map((h) => h.type), ['resolved', 'firing']);

    // Silenced: recorded firing, nothing sent.
    addSilence(db, { node: 'standby', endsAt: now + 60_000, createdBy: 't', comment: '' });
    now += 10_000;
    await store.writeBatch('standby', 3, fact('n4', now, 12, ID, 1), [], now);
    await store.writeBatch('master', 3, fact('n1', now, 12, ID), [], now);
    const t3 = await svc2.evaluate();
    assert.equal(t3[0]!.alert.silencedBy !== undefined, true);
    await svc2.stop();
  } finally {
    await new Promise<void>((r) => hook.close(() => r()));
    await new Promise<void>((r) => broken.close(() => r()));
    await store.close();
    db.close();
  }
});
