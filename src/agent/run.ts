import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createLogger, type Logger } from '../log.js';
import { InputError } from '../errors.js';
import { readSecretFile } from '../util/fs.js';
import type { AgentConfig } from './config.js';
import { DEFAULT_WATCH_FILES } from './config.js';
import { openStateDb, createDbState, type Db } from './statedb.js';
import { openOutbox, type Outbox, type OutboxStats } from './outbox.js';
import { createShipper, drainOutbox, type Shipper, type TlsMaterial } from './ship.js';
import { collectOnce, createProbeContext } from './collect.js';
import { startMetricsServer } from './metrics.js';
import { sample, type Probe } from './probe.js';
import { HOST_PROBES, createFactomdProbe, createFimProbe, createSshLogProbe, createFactomdLogProbe } from './probes/index.js';
import type { FactomdNode, FactomdSource } from './factomd-source.js';
import type { Sample } from './payload.js';
import { startControlModule, type ControlClient } from './commands/client.js';

/** The full probe list for a config: host probes, then what the config enables. */
export function buildProbes(cfg: AgentConfig, o: { factomdSource?: FactomdSource; passwdPath?: string } = {}): Probe[] {
  const probes: Probe[] = [...HOST_PROBES];
  if (cfg.factomd.length > 0) {
    const nodes: FactomdNode[] = cfg.factomd.map((n, i) => ({
      name: n.name, url: n.url, timeoutMs: n.timeout,
      ...(n.user !== undefined ? { user: n.user } : {}),
      ...(n.passwordFile !== undefined ? { password: readSecretFile(n.passwordFile, `factomd.${i}.passwordFile`).trim() } : {}),
      ...(n.metricsUrl !== undefined ? { metricsUrl: n.metricsUrl } : {}),
    }));
    probes.push(createFactomdProbe(nodes, o.factomdSource));
  }
  probes.push(createFimProbe({
    paths: cfg.watch.files.length > 0 ? cfg.watch.files : DEFAULT_WATCH_FILES,
    criticalPaths: cfg.watch.critical,
    authorizedKeysUsers: cfg.watch.authorizedKeysUsers,
    ...(o.passwdPath !== undefined ? { passwdPath: o.passwdPath } : {}),
  }));
  if (cfg.logs.ssh) {
    probes.push(createSshLogProbe(cfg.logs.ssh, { burstCount: cfg.bruteforce.failures, burstWindowSeconds: cfg.bruteforce.window / 1000, opsCidrs: cfg.opsCidrs }));
  }
  if (cfg.logs.factomd) probes.push(createFactomdLogProbe(cfg.logs.factomd));
  return probes;
}

/** Reads the agent's TLS files; the private key must be 0600 (refused otherwise). */
export function loadTls(cfg: AgentConfig): TlsMaterial {
  const read = (p: string, field: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch (e) {
      throw new InputError('E_NO_FILE', `cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field });
    }
  };
  return { ca: read(cfg.tls.ca, 'tls.ca'), cert: read(cfg.tls.cert, 'tls.cert'), key: readSecretFile(cfg.tls.key, 'tls.key') };
}

export interface AgentHandle {
  /** runs one collection now and appends it to the outbox; returns its seq */
  collectNow(): Promise<number>;
  /** wakes the shipper */
  kick(): void;
  outbox: Outbox;
  /** stops timers, finishes the collection in progress, aborts shipping, closes the DB; returns the final outbox state */
  stop(): Promise<OutboxStats>;
  metricsAddress?: { host: string; port: number };
}

export interface StartOptions {
  log?: Logger;
  factomdSource?: FactomdSource;
  /** tests: no timer, collections only through collectNow() */
  manual?: boolean;
  /** tests: faster backoff */
  baseDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
  probes?: Probe[];
}

/**
 * Starts the agent: one collection every `interval` (aligned to wall-clock multiples so all
 * agents sample at the same instants), each appended to the outbox, and a shipper that drains the
 * outbox whenever there is something to send.
 */
export async function startAgent(cfg: AgentConfig, o: StartOptions = {}): Promise<AgentHandle> {
  const log = o.log ?? createLogger('agent');
  const now = o.now ?? Date.now;
  const tls = loadTls(cfg);
  const probes = o.probes ?? buildProbes(cfg, o.factomdSource ? { factomdSource: o.factomdSource } : {});
  const db: Db = openStateDb(cfg.stateDir);
  const state = createDbState(db, 'probe.');
  const outbox = openOutbox(db, cfg.outbox);
  const shipper: Shipper = createShipper(cfg.server, tls);
  const stopCtl = new AbortController();
  let latest: Sample[] = [];
  let metricsServer: Server | undefined;
  let collections = 0;

  async function collectNow(): Promise<number> {
    const t = now();
    const start = process.hrtime.bigint();
    const ctx = createProbeContext({ procRoot: cfg.procRoot, state, now: t });
    const r = await collectOnce(probes, ctx, { index: collections++ });
    const cpu = process.cpuUsage();
    const stats = outbox.stats();
    r.samples.push(
      sample('anoguard_agent_collection_seconds', Number(process.hrtime.bigint() - start) / 1e9, t),
      sample('anoguard_agent_cpu_seconds_total', (cpu.user + cpu.system) / 1e6, t),
      sample('anoguard_agent_resident_memory_bytes', process.memoryUsage.rss(), t),
      sample('anoguard_agent_outbox_pending_batches', stats.pending, t),
      sample('anoguard_agent_outbox_bytes', stats.bytes, t),
      sample('anoguard_agent_outbox_dropped_batches_total', stats.droppedBatches, t),
    );
    latest = r.samples;
    const seq = outbox.append(r.samples, r.events, t);
    for (const [probe, err] of Object.entries(r.errors)) log.debug({ probe, err }, 'probe failed');
    return seq;
  }

  // One drain loop at a time; a kick while it runs makes it go round again.
  let draining: Promise<void> | undefined;
  let again = false;
  function kick(): void {
    if (stopCtl.signal.aborted) return;
    if (draining) { again = true; return; }
    draining = (async () => {
      do {
        again = false;
        await drainOutbox(outbox, shipper, stopCtl.signal, {
          agentName: cfg.name, log,
          ...(o.baseDelayMs !== undefined ? { baseDelayMs: o.baseDelayMs } : {}),
          ...(o.maxDelayMs !== undefined ? { maxDelayMs: o.maxDelayMs } : {}),
        });
      } while (again && !stopCtl.signal.aborted);
    })().catch((e: unknown) => log.error({ err: (e as Error).message }, 'shipping loop failed')).finally(() => { draining = undefined; });
  }

  let timer: NodeJS.Timeout | undefined;
  let collecting: Promise<unknown> | undefined;
  function schedule(): void {
    if (stopCtl.signal.aborted) return;
    const wait = cfg.interval - (now() % cfg.interval);
    timer = setTimeout(() => {
      collecting = collectNow().then(kick, (e: unknown) => log.error({ err: (e as Error).message }, 'collection failed')).finally(() => { collecting = undefined; schedule(); });
    }, wait);
  }

  let metricsAddress: { host: string; port: number } | undefined;
  if (cfg.metrics) {
    metricsServer = await startMetricsServer(cfg.metrics.listen, () => latest);
    const a = metricsServer.address();
    if (a && typeof a === 'object') metricsAddress = { host: a.address, port: a.port };
  }
  if (!o.manual) {
    // A first collection at once, so a restarted agent reports without waiting a whole interval.
    collecting = collectNow().then(kick, (e: unknown) => log.error({ err: (e as Error).message }, 'collection failed')).finally(() => { collecting = undefined; schedule(); });
  }
  kick();
  // Failover: the lease and the controller's signed commands over the same mTLS identity.
  const control: ControlClient | undefined = cfg.control && !o.manual ? startControlModule(cfg, tls, log.child({ component: 'control' })) : undefined;
  log.info({ name: cfg.name, server: cfg.server, intervalMs: cfg.interval, probes: probes.map((p) => p.id), pending: outbox.stats().pending }, 'agent started');

  return {
    collectNow,
    kick,
    outbox,
    ...(metricsAddress ? { metricsAddress } : {}),
    async stop() {
      if (stopCtl.signal.aborted) throw new Error('agent already stopped');
      stopCtl.abort();
      if (timer) clearTimeout(timer);
      await control?.stop();
      await collecting;
      await draining;
      shipper.close();
      if (metricsServer) await new Promise<void>((r) => metricsServer.close(() => r()));
      const s = outbox.stats();
      // Closing checkpoints the WAL into the main file: the outbox is whole on disk.
      db.close();
      log.info({ pending: s.pending, nextSeq: s.nextSeq }, 'agent stopped');
      return s;
    },
  };
}

/**
 * One collection with a throw-away in-memory state, nothing stored or sent: what `agent --once`
 * prints to check a config. It must not touch the real baselines, or the daemon would miss the
 * changes this run saw first.
 */
export async function previewCollection(cfg: AgentConfig, o: { factomdSource?: FactomdSource } = {}) {
  const mem = new Map<string, unknown>();
  const state = { get: <T>(k: string) => mem.get(k) as T | undefined, set: (k: string, v: unknown) => { mem.set(k, v); } };
  const probes = buildProbes(cfg, o);
  const ctx = createProbeContext({ procRoot: cfg.procRoot, state, now: Date.now() });
  return collectOnce(probes, ctx);
}
