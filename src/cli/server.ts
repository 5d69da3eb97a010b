import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { pino } from 'pino';
import { startAnoguard } from '../demo/start.js';
import { createLogger } from '../log.js';
import type { Listen } from '../server/run.js';
import { DEFAULT_STORE_URL, redactStoreUrl } from '../server/store/open.js';
import { DEFAULT_RETENTION, type Retention } from '../server/store/types.js';
import { tlsFilesFromPkiDir, type TlsFiles } from '../server/tls.js';
import { readSecretFile } from '../util/fs.js';
import { emit, note } from './print.js';
import { parseListen } from './listen.js';
import { failoverFlags } from './failover-flags.js';
import { remoteWriteFromFlags, type RemoteWriteFlags } from '../server/remote-write/config.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** `raw=2d,1m=30d,1h=400d,events=400d` (any subset). */
function parseRetention(v: string): Retention {
  const out: Retention = { ...DEFAULT_RETENTION };
  const keys: Record<string, keyof Retention> = { raw: 'rawMs', '1m': 'minuteMs', '1h': 'hourMs', events: 'eventsMs' };
  for (const part of v.split(',')) {
    const m = /^(raw|1m|1h|events)=(\d+)([smhd])$/.exec(part.trim());
    if (m === null) throw new InputError('E_BAD_RETENTION', `bad item "${part}" (want e.g. raw=2d,1m=30d,1h=400d,events=400d)`, { field: 'retention', exitCode: 2 });
    out[keys[m[1]!]!] = Number(m[2]) * UNITS[m[3]!]!;
  }
  if (!(out.rawMs <= out.minuteMs && out.minuteMs <= out.hourMs)) {
    throw new InputError('E_BAD_RETENTION', 'each tier must be kept at least as long as the finer one', { field: 'retention', exitCode: 2 });
  }
  return out;
}

function parsePositiveInt(field: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InputError('E_BAD_NUMBER', 'expected an integer 1..10000', { field, exitCode: 2 });
    return n;
  };
}

interface ServerCliOptions extends RemoteWriteFlags {
  store: string;
  dataDir: string;
  listen: Listen;
  webListen: Listen;
  pkiDir?: string;
  certName: string;
  ca?: string;
  cert?: string;
  key?: string;
  crl?: string;
  metricsTokenFile?: string;
  maxInflight: number;
  retention?: Retention;
  alerts?: string;
  webTlsCert?: string;
  webTlsKey?: string;
  topology?: string;
  operatorKey?: string;
  etcd?: string;
}

export function register(program: Command): void {
  program
    .command('server')
    .description('run the anoguard server: mTLS ingest for agents, storage, alerts, the dashboard and /metrics (no demo)')
    .option('--store <url>', 'sqlite:PATH or postgres://user@host/db (password: PGPASSWORD or ~/.pgpass)', DEFAULT_STORE_URL)
    .option('--data-dir <dir>', 'state directory (dashboard accounts, generated admin password)', './data')
    .option('--listen <host:port>', 'agents\' mTLS ingest listener', parseListen('listen'), { host: '127.0.0.1', port: 8443 })
    .option('--web-listen <host:port>', 'operators\' listener (dashboard, /metrics); off loopback it needs --web-tls-*', parseListen('web-listen'), { host: '127.0.0.1', port: 8080 })
    .option('--pki-dir <dir>', 'PKI directory from `anoguard pki init` (ca.crt, crl.pem, certs/NAME.crt, private/NAME.key)')
    .option('--cert-name <name>', 'server certificate name in --pki-dir', 'server')
    .option('--ca <file>', 'CA certificate (overrides --pki-dir)')
    .option('--cert <file>', 'server certificate chain')
    .option('--key <file>', 'server key (0600)')
    .option('--crl <file>', 'CRL to enforce')
    .option('--metrics-token-file <file>', '0600 file with the bearer token for /metrics (required off loopback)')
    .option('--max-inflight <n>', 'batches written at once before 503 + Retry-After', parsePositiveInt('max-inflight'), 8)
    .option('--retention <spec>', 'per tier, e.g. raw=2d,1m=30d,1h=400d,events=400d', parseRetention)
    .option('--alerts <file>', 'alerts.yaml: rule thresholds, notifiers')
    .option('--web-tls-cert <file>', 'PEM certificate chain for HTTPS on the web listener')
    .option('--web-tls-key <file>', 'PEM key (0600) for HTTPS on the web listener')
    .option('--topology <file>', 'topology with authority.failover: hosts the failover controller (agents\' leases, swaps, auto failover)')
    .option('--operator-key <file>', '0600 operator key from `anoguard swap keygen` (signs leases and commands); with --topology')
    .option('--etcd <url>', 'etcd endpoint (http://127.0.0.1:2379) for controller high availability; with --topology')
    .option('--remote-write <url>', 'push the latest values to a Prometheus remote-write receiver (…/api/v1/write)')
    .option('--remote-write-token-file <file>', '0600 file with a bearer token for --remote-write')
    .option('--remote-write-basic-auth-file <file>', '0600 file with one line USER:PASSWORD for --remote-write')
    .option('--remote-write-ca <file>', 'PEM CA for an https --remote-write URL')
    .option('--remote-write-interval <dur>', 'how often the latest values are pushed (default 15s)')
    .action(async (o: ServerCliOptions, cmd: Command) => {
      const base = o.pkiDir !== undefined ? tlsFilesFromPkiDir(o.pkiDir, o.certName) : undefined;
      const pick = (v: string | undefined, d: string | undefined, field: string): string => {
        const r = v ?? d;
        if (r === undefined) throw new InputError('E_NO_TLS', `give --pki-dir or --${field}`, { field, exitCode: 2 });
        return r;
      };
      const tls: TlsFiles = {
        ca: pick(o.ca, base?.ca, 'ca'), cert: pick(o.cert, base?.cert, 'cert'), key: pick(o.key, base?.key, 'key'),
        ...((o.crl ?? base?.crl) !== undefined ? { crl: (o.crl ?? base?.crl)! } : {}),
      };
      if ((o.webTlsCert === undefined) !== (o.webTlsKey === undefined)) {
        throw new InputError('E_TLS_PAIR', 'give both --web-tls-cert and --web-tls-key', { field: o.webTlsCert === undefined ? 'web-tls-cert' : 'web-tls-key', exitCode: 2 });
      }
      const metricsToken = o.metricsTokenFile !== undefined ? readSecretFile(o.metricsTokenFile, 'metrics-token-file').trim() : undefined;
      if (metricsToken === '') throw new InputError('E_EMPTY_TOKEN', 'metrics token file is empty', { field: 'metrics-token-file', exitCode: 2 });
      const remoteWrite = remoteWriteFromFlags(o);
      // stdout carries the JSON or the summary; logs go to stderr.
      const logger = createLogger('server', {}, pino.destination(2));
      const s = await startAnoguard({
        dataDir: o.dataDir, demo: false, logger, store: o.store, tls, ingest: o.listen, web: o.webListen, maxInFlight: o.maxInflight,
        ...(o.pkiDir !== undefined ? { pkiDir: o.pkiDir } : {}),
        ...(o.retention ? { storeOptions: { retention: o.retention } } : {}),
        ...(metricsToken !== undefined ? { metricsToken } : {}),
        ...(o.alerts ? { alertsFile: o.alerts } : {}),
        ...(o.webTlsCert && o.webTlsKey ? { webTls: { cert: o.webTlsCert, key: o.webTlsKey } } : {}),
        ...failoverFlags(o),
        ...(remoteWrite ? { remoteWrite } : {}),
      });
      const store = redactStoreUrl(o.store);
      const fo = s.failover?.status();
      emit(cmd, { ingest: s.ingestUrl, web: s.webUrl, store, user: s.adminUser, passwordFile: s.passwordFile ?? null, failover: fo ? { identity: fo.identity, auto: fo.auto, ha: fo.ha } : null }, () => [
        'anoguard server',
        `  dashboard  ${s.webUrl} (also /metrics)`,
        s.passwordFile ? `  login      ${s.adminUser} / password in ${s.passwordFile} (0600)` : '  login      with an account from `anoguard user add`',
        `  ingest     ${s.ingestUrl} (mTLS)`,
        `  store      ${store}`,
        ...(fo ? [`  failover   ${fo.identity.slice(0, 12)}… master ${fo.master}${fo.standby ? `, standby ${fo.standby}` : ''}, auto ${fo.auto ? 'ON' : 'off'}, ${fo.ha} lease record`] : []),
      ].join('\n'));
      await new Promise<void>((resolve) => {
        const stop = () => {
          note('anoguard server: stopping');
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await s.stop();
    });
}

