import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { startListeners } from './api.js';
import { changeAcksHeightOf, loadSimConf } from './conf.js';
import { bootIdentity, GoPanic, publicKeyOf, reloadIdentity } from './identity.js';
import { NetworkFile, NodeFile, paths, readJsonFile } from './layout.js';
import { refreshMinute, roleAt, type NodeState } from './state.js';
import { NetToNode, readLines, send, type MinuteMsg } from './wire.js';

/**
 * One simulated factomd node (its own process): boots from DIR/<name>/.factom/m2/factomd.conf with
 * factomd's semantics, follows the network's minutes, re-reads the config at every block and swaps
 * identity at ChangeAcksHeight, and dies the way factomd dies (Go panic text, exit 2).
 */

function panicExit(text: string): never {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  process.exit(2);
}

function readConf(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export async function runNode(dir: string, name: string, opts: { networkAddress?: string } = {}): Promise<void> {
  const nodeFile = readJsonFile(paths.nodeFile(dir, name), NodeFile, 'node.json');
  const confPath = paths.conf(dir, name);
  const startedAt = Date.now();
  process.stdout.write(`Start time: ${new Date(startedAt).toISOString()}\nfactom config: ${confPath}\n`);
  const boot = loadSimConf(readConf(confPath), confPath);
  const printedErrors = new Set<string>();
  if (boot.fallback) {
    process.stdout.write(boot.fallback.message);
    printedErrors.add(boot.fallback.error);
  }
  const cfg = boot.config;
  // Flags win over the file, even after a fallback to defaults (case 6).
  const network = nodeFile.flags.network;
  let identity = bootIdentity(cfg.IdentityChainID);
  let publicKey: string;
  try {
    publicKey = publicKeyOf(cfg.LocalServerPrivKey, 'github.com/FactomProject/factomd/state.(*State).LoadConfig(...)');
  } catch (e) {
    if (e instanceof GoPanic) panicExit(e.text);
    throw e;
  }
  const salt = randomBytes(8).toString('hex');
  process.stdout.write(`Network : ${network}\nThe Instance ID of this node is ${salt}\n           Node name ${name}\n         FNode0 Salt ${salt}\n`);

  let sock: Socket | undefined;
  let askSeq = 0;
  const pending = new Map<number, (r: { ok: boolean; value: unknown }) => void>();

  const s: NodeState = {
    name,
    confPath,
    home: paths.home(dir, name),
    bootConfig: cfg,
    network,
    blockTimeMs: 1000,
    identity,
    publicKey,
    height: 0,
    minute: 0,
    synced: false,
    lastBlockFromDbState: false,
    blockStartMs: 0,
    minuteStartMs: 0,
    minuteSeenAt: 0,
    networkHeight: 0,
    stall: null,
    onlineAudits: [],
    authorities: [],
    history: [],
    slowMs: 0,
    skewS: 0,
    ask(op, args) {
      return new Promise((resolve) => {
        if (!sock || sock.destroyed) { resolve({ ok: false, value: { code: -32603, message: 'Internal error', data: 'not connected' } }); return; }
        const id = ++askSeq;
        const t = setTimeout(() => { pending.delete(id); resolve({ ok: false, value: { code: -32603, message: 'Internal error' } }); }, 5000);
        pending.set(id, (r) => { clearTimeout(t); resolve(r); });
        send(sock, { t: 'ask', id, op, args });
      });
    },
  };

  /**
   * What factomd does on entering block `h` (MoveStateToHeight → CheckForIDChange): re-read
   * ChangeAcksHeight; at exactly h == ChangeAcksHeight (v6.4+ equality, §2.1) reload the identity.
   * Runs for every height, also while catching up by DBStates (behaviour/README item 8).
   */
  // Parsing is pure: an unchanged file gives the same load, so only a changed file is parsed again.
  let lastText: string | undefined;
  let lastLoad = boot;
  function enterHeight(h: number): void {
    const text = readConf(confPath);
    if (text === undefined || text !== lastText) {
      lastLoad = loadSimConf(text, confPath);
      lastText = text;
    }
    const load = lastLoad;
    if (load.fallback) {
      // At runtime: the same message, once per distinct error, and no swap (case 6).
      if (!printedErrors.has(load.fallback.error)) {
        printedErrors.add(load.fallback.error);
        process.stdout.write(load.fallback.message);
      }
      return;
    }
    const cah = changeAcksHeightOf(load);
    if (cah === 0 || cah !== h) return;
    try {
      const next = reloadIdentity(load.config.IdentityChainID, load.config.LocalServerPrivKey);
      identity = next.id;
      publicKey = next.publicKey;
      s.identity = identity;
      s.publicKey = publicKey;
    } catch (e) {
      if (e instanceof GoPanic) panicExit(e.text);
      throw e;
    }
  }

  let lastReport = '';
  /**
   * Authorities report every minute (the network needs their "signature" to advance). A follower
   * signs nothing, so it reports only what changed (a new block, identity or sync state): fewer
   * wakeups on an idle network.
   */
  function report(): void {
    if (!sock) return;
    const key = `${s.height}|${s.identity}|${s.synced}`;
    if (roleAt(s, s.height) === 'Follower' && key === lastReport) return;
    lastReport = key;
    send(sock, { t: 'report', height: s.height, minute: s.minute, synced: s.synced, identity: s.identity, publicKey: s.publicKey });
  }

  let target: MinuteMsg | undefined;
  let catchTimer: NodeJS.Timeout | undefined;

  function adopt(m: MinuteMsg): void {
    const now = Date.now();
    s.minute = m.minute;
    s.blockStartMs = m.blockStartMs;
    s.minuteStartMs = m.minuteStartMs;
    s.minuteSeenAt = now;
    s.stall = m.stall;
    s.onlineAudits = m.online;
  }

  /** DBState catch-up: answers at once with heights 0, then climbs in a few steps (case 7: 0→1→4→7→8 in ~1.5 blocks). */
  function catchUpStep(): void {
    catchTimer = undefined;
    if (!target) return;
    const gap = target.height - s.height;
    if (gap <= 0) {
      s.synced = true;
      s.lastBlockFromDbState = true;
      adopt(target);
      report();
      return;
    }
    const step = Math.max(1, Math.ceil(gap / 3));
    for (let k = 0; k < step; k++) enterHeight(++s.height);
    s.minute = 0;
    report();
    catchTimer = setTimeout(catchUpStep, Math.max(50, s.blockTimeMs * 0.4));
  }

  function onMinute(m: MinuteMsg): void {
    target = m;
    s.networkHeight = m.height;
    refreshMinute(s);
    // Minute 0 of the next block always follows (a follower hears only minute 0 of each block).
    const successor = (m.height === s.height && m.minute >= s.minute) || (m.height === s.height + 1 && m.minute === 0);
    if (s.synced && successor) {
      if (m.height > s.height) {
        s.height = m.height;
        s.lastBlockFromDbState = false;
        enterHeight(m.height);
      }
      adopt(m);
      report();
      return;
    }
    if (s.synced && m.height < s.height) {
      // `lag` fault: the network feeds an older view; the node simply sits there.
      adopt(m);
      s.height = m.height;
      report();
      return;
    }
    s.synced = false;
    s.minuteStartMs = 0;
    s.blockStartMs = 0;
    catchTimer ??= setTimeout(catchUpStep, Math.max(50, s.blockTimeMs * 0.4));
  }

  function onMessage(raw: unknown): void {
    const p = NetToNode.safeParse(raw);
    if (!p.success) return;
    const m = p.data;
    switch (m.t) {
      case 'welcome':
        s.blockTimeMs = m.blockTimeMs;
        s.authorities = m.authorities;
        s.history = m.history;
        onMinute(m.now);
        break;
      case 'minute': onMinute(m); break;
      case 'auth': s.authorities = m.authorities; s.history = m.history; break;
      case 'stall':
        s.stall = m.stall;
        if (m.stall && s.synced && m.height === s.height) {
          // Frozen at the stuck minute (the local estimate may have run one minute ahead).
          s.minute = m.minute;
          s.minuteStartMs = m.minuteStartMs;
          s.minuteSeenAt = Math.min(Date.now(), m.minuteStartMs); // one host clock (clock-skew only moves nowMs)
        }
        break;
      case 'die': panicExit(m.text); break;
      case 'fault':
        if (m.slowMs !== undefined) s.slowMs = m.slowMs;
        if (m.skewS !== undefined) s.skewS = m.skewS;
        break;
      case 'reply': {
        const cb = pending.get(m.id);
        pending.delete(m.id);
        cb?.({ ok: m.ok, value: m.value });
        break;
      }
    }
  }

  let netAddr = opts.networkAddress ?? nodeFile.networkAddress ?? '';
  let reconnectTimer: NodeJS.Timeout | undefined;
  function dial(): void {
    reconnectTimer = undefined;
    if (!netAddr) {
      try {
        const nf = readJsonFile(paths.network(dir), NetworkFile, 'network.json');
        netAddr = `${nf.host}:${nf.port}`;
      } catch {
        reconnectTimer = setTimeout(dial, 1000);
        return;
      }
    }
    const i = netAddr.lastIndexOf(':');
    const c = connect({ host: netAddr.slice(0, i), port: Number(netAddr.slice(i + 1)) });
    c.setNoDelay(true);
    c.on('connect', () => {
      sock = c;
      lastReport = '';
      send(c, { t: 'hello', name, pid: process.pid, salt, startedAt });
    });
    readLines(c, onMessage);
    const retry = (): void => {
      if (sock === c) sock = undefined;
      // Losing the network means falling behind; redial on a slow timer (no busy loop).
      reconnectTimer ??= setTimeout(dial, 1000);
    };
    c.on('error', retry);
    c.on('close', retry);
  }

  try {
    await startListeners(s, cfg, { api: nodeFile.flags.port, controlPanel: nodeFile.flags.controlPanelPort, metrics: nodeFile.flags.metricsPort }, nodeFile.host);
  } catch (e) {
    process.stderr.write(`listen: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  dial();

  // SIGINT is factomd's graceful path (exit 0, ~3 s at 10 s blocks: scaled to 0.3 block); SIGTERM is
  // not hooked and kills at once, exit status 143 (case 9).
  process.once('SIGINT', () => {
    process.stdout.write('Received SIGINT (Ctrl+C).  Shutting down...\n<Break>\nGracefully shutting down the server...\n' +
      'Initiating a graceful shutdown of node FNode0. The exit code is 0.\nWaiting...\nClosing the Database on FNode0\n');
    if (catchTimer) clearTimeout(catchTimer);
    if (reconnectTimer) clearTimeout(reconnectTimer);
    setTimeout(() => {
      process.stdout.write('Database on FNode0 closed\nFNode0 closed\nWaiting to Shut Down\n');
      sock?.destroy();
      process.exit(0);
    }, Math.min(3000, Math.max(200, s.blockTimeMs * 0.3)));
  });
}
