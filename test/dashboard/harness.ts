import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { createLogger } from '../../src/log.js';
import { addUser } from '../../src/server/accounts/users.js';
import { defaultAlertConfig } from '../../src/server/alerts/config.js';
import { assembleDashboard } from '../../src/server/dashboard/assemble.js';
import type { FailoverApi } from '../../src/server/dashboard/swaps.js';
import { openAppDb, type AppDb } from '../../src/server/state/appdb.js';
import { openSqliteStore } from '../../src/server/store/sqlite.js';

export const OPERATOR = { user: 'olga', password: 'operator password 123' };
export const VIEWER = { user: 'vic', password: 'viewer password 1234' };

/** The dashboard routes on a real loopback port (no ingest, no TLS), with an operator and a viewer; `staticDir` serves the built app. */
export async function startDashboard(failover: () => FailoverApi | undefined, o: { staticDir?: string } = {}): Promise<{ url: string; db: AppDb; dir: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'dash-swap-'));
  const store = openSqliteStore(join(dir, 's.db'));
  const db = openAppDb(join(dir, 'app.db'));
  await addUser(db, OPERATOR.user, 'operator', OPERATOR.password);
  await addUser(db, VIEWER.user, 'viewer', VIEWER.password);
  const dash = assembleDashboard({
    store, db, alertConfig: defaultAlertConfig(), logger: createLogger('dash-swap', { level: 'silent' }), secureCookies: false,
    staticDir: o.staticDir ?? join(dir, 'no-app'), failover,
  });
  const app = Fastify();
  await app.register(dash.plugin.plugin, dash.plugin.options);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${addr.port}`, db, dir,
    async stop() {
      await app.close();
      await dash.stop();
      await store.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Logs in with fetch: the cookie and CSRF token for the following calls. */
export async function login(url: string, who: { user: string; password: string }): Promise<{ cookie: string; csrf: string }> {
  const r = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(who) });
  if (r.status !== 200) throw new Error(`login ${who.user}: ${r.status} ${await r.text()}`);
  const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { cookie, csrf: (await r.json() as { csrf: string }).csrf };
}
