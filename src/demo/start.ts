import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AnoguardError, InputError } from '../errors.js';
import type { Logger } from '../log.js';
import { generatePassword } from '../server/accounts/password.js';
import { addUser, listUsers, setPassword } from '../server/accounts/users.js';
import { defaultAlertConfig, loadAlertConfig, parseAlertConfig, type AlertConfig } from '../server/alerts/config.js';
import { isLoopback } from '../server/build.js';
import { assembleDashboard } from '../server/dashboard/assemble.js';
import { runServer, type Listen, type RunningServer, type RunServerOptions } from '../server/run.js';
import { openAppDb } from '../server/state/appdb.js';
import { openStore } from '../server/store/open.js';
import type { StoreOptions } from '../server/store/types.js';
import { tlsFilesFromPkiDir, type TlsFiles } from '../server/tls.js';
import { readOperatorKey, startFailoverService, type FailoverService } from '../server/failover/service.js';
import type { ServerFailover } from '../server/failover/types.js';
import type { ControlHub } from '../server/failover/hub.js';
import { loadTopology } from '../topology/load.js';
import type { SimHandle } from '../sim/index.js';
import { readSecretFile, writeFileAtomic } from '../util/fs.js';
import { DEMO_NODES, startDemoNetwork, type DemoNetwork } from './run.js';

export interface StartOptions {
  dataDir: string;
  web: Listen;
  ingest?: Listen;
  /** true: always the demo; false: never; undefined: demo when DATA/pki holds no server certificate */
  demo?: boolean;
  alertsFile?: string;
  /** PEM files for HTTPS on the web listener; required when it is not loopback */
  webTls?: { cert: string; key: string };
  logger: Logger;
  /** Outside the demo: the store URL (default `sqlite:DATA/anoguard.db`). */
  store?: string;
  storeOptions?: StoreOptions;
  /** Outside the demo: the ingest TLS files (default: the `server` certificate of DATA/pki). */
  tls?: TlsFiles;
  /** PKI directory whose certificates the expiry alert watches (default DATA/pki). */
  pkiDir?: string;
  metricsToken?: string;
  maxInFlight?: number;
  /** demo tuning (tests) */
  blockTimeMs?: number;
  agentIntervalMs?: number;
  evaluateEveryMs?: number;
  /**
   * The failover controller: topology with authority.failover, the operator key (0600), optional etcd
   * for HA. Refused with the demo, which hosts its own (DATA/demo: master ⇄ standby, auto off).
   */
  failover?: { topologyFile: string; operatorKeyFile: string; etcd?: string };
  /** Prometheus remote-write out (issue 3); see src/server/remote-write/. */
  remoteWrite?: RunServerOptions['remoteWrite'];
}

export interface Started {
  webUrl: string;
  ingestUrl: string;
  demo: boolean;
  /** where the generated admin password was written (0600), when one was */
  passwordFile?: string;
  adminUser: string;
  sim?: SimHandle;
  nodes: { host: string; part: string }[];
  /** The hosted failover controller: with `failover` options, and always in the demo. */
  failover?: ServerFailover;
  /** Its control channel (tests and tools: the controller's AgentLinks). */
  control?: ControlHub;
  stop(): Promise<void>;
}

const ADMIN = 'admin';

/**
 * What `npm start` runs: the server with the dashboard on SQLite under DATA. Without a configured
 * PKI (DATA/pki from `anoguard pki init` with a `server` certificate) it starts the labelled demo.
 */
export async function startAnoguard(o: StartOptions): Promise<Started> {
  const dataDir = resolve(o.dataDir);
  if (!isLoopback(o.web.host) && o.webTls === undefined) {
    throw new InputError('E_NEEDS_TLS', `serving the dashboard on ${o.web.host} needs TLS (--web-tls-cert/--web-tls-key); control surfaces belong on loopback or a VPN`, { field: 'web-listen', exitCode: 2 });
  }
  const realPki = join(dataDir, 'pki');
  const demo = o.demo ?? !existsSync(tlsFilesFromPkiDir(realPki, 'server').cert);
  if (o.failover && demo) {
    throw new InputError('E_USAGE', 'the demo runs its own failover controller; --topology/--operator-key need a real deployment (a PKI in DATA/pki or --no-demo)', { field: 'topology', exitCode: 2 });
  }
  let cfg: AlertConfig = o.alertsFile ? loadAlertConfig(o.alertsFile) : defaultAlertConfig();
  if (demo && !o.alertsFile) {
    // Demo pace: agents every 3 s and 10 s blocks, so alerts must react in seconds, not minutes.
    cfg = parseAlertConfig({ evaluateEvery: `${(o.evaluateEveryMs ?? 3000) / 1000}s`, agentSilent: { after: '30s' }, clockSkew: { agentInterval: '5s' } });
  }
  const db = openAppDb(join(dataDir, 'app.db'));
  let net: DemoNetwork | undefined;
  let server: RunningServer | undefined;
  let dash: ReturnType<typeof assembleDashboard> | undefined;
  let fsvc: FailoverService | undefined;
  const cleanup = async () => {
    await fsvc?.stop();
    await dash?.stop();
    await net?.stop();
    await server?.close();
    db.close();
  };
  try {
    let passwordFile: string | undefined;
    const users = listUsers(db);
    if (demo || users.length === 0) {
      const password = generatePassword();
      if (users.some((u) => u.name === ADMIN)) await setPassword(db, ADMIN, password);
      else await addUser(db, ADMIN, 'operator', password);
      passwordFile = join(dataDir, 'admin-password');
      writeFileAtomic(passwordFile, `${password}\n`, { mode: 0o600 });
    }
    if (demo) net = await startDemoNetwork({ dataDir, logger: o.logger, ...(o.blockTimeMs ? { blockTimeMs: o.blockTimeMs } : {}), ...(o.agentIntervalMs ? { agentIntervalMs: o.agentIntervalMs } : {}) });
    const pkiDir = net ? net.pki.dir : o.pkiDir ?? realPki;
    const tls = net ? net.pki.serverTls : o.tls ?? tlsFilesFromPkiDir(realPki, 'server');
    const store = await openStore(net ? `sqlite:${join(dataDir, 'demo', 'anoguard.db')}` : o.store ?? `sqlite:${join(dataDir, 'anoguard.db')}`, o.storeOptions);
    // The demo's files (DATA/demo) go through the same loading as an operator's: no demo shortcuts.
    const foFiles = net ? net.failover : o.failover;
    if (foFiles) {
      const topology = loadTopology(foFiles.topologyFile);
      const operatorSeed = readOperatorKey(foFiles.operatorKeyFile);
      try {
        fsvc = await startFailoverService({
          topology, operatorSeed, dataDir: net ? join(dataDir, 'demo') : dataDir, logger: o.logger,
          ...(o.failover?.etcd ? { etcd: o.failover.etcd } : {}),
        });
      } catch (e) {
        await store.close();
        throw e;
      }
    }
    const failoverApi = fsvc?.api;
    dash = assembleDashboard({ store, db, alertConfig: cfg, logger: o.logger, secureCookies: o.webTls !== undefined, demo, pkiDir, failover: () => failoverApi });
    try {
      server = await runServer({
        store, logger: o.logger, tls, ingest: o.ingest ?? { host: '127.0.0.1', port: demo ? 0 : 8443 }, web: o.web, plugins: [dash.plugin], appDb: db,
        ...(fsvc ? { control: fsvc.hub } : {}),
        ...(o.remoteWrite ? { remoteWrite: o.remoteWrite } : {}),
        ...(o.metricsToken !== undefined ? { metricsToken: o.metricsToken } : {}), ...(o.maxInFlight !== undefined ? { maxInFlight: o.maxInFlight } : {}),
        ...(o.webTls ? { webHttps: { cert: readPem(o.webTls.cert, 'web-tls-cert'), key: readSecretFile(o.webTls.key, 'web-tls-key') } } : {}),
      });
    } catch (e) {
      await store.close();
      throw e;
    }
    if (net) await net.startAgents(server.ingestUrl);
    const s = server;
    let stopped = false;
    return {
      webUrl: s.webUrl, ingestUrl: s.ingestUrl, demo, adminUser: ADMIN, ...(passwordFile ? { passwordFile } : {}),
      ...(net ? { sim: net.sim } : {}),
      nodes: net ? DEMO_NODES.map((n) => ({ host: n.host, part: n.part })) : [],
      ...(fsvc ? { failover: fsvc.api, control: fsvc.hub } : {}),
      async stop() {
        if (stopped) return;
        stopped = true;
        await cleanup();
      },
    };
  } catch (e) {
    await cleanup().catch(() => undefined);
    throw e;
  }
}

function readPem(path: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new AnoguardError('E_NO_FILE', `cannot read ${path}`, { field, cause: e });
  }
}
