import { createServer, type Socket } from 'node:net';
import { createWriteStream } from 'node:fs';
import { writeFileAtomic } from '../util/fs.js';
import { identityFromLedger } from './identity-chain.js';
import { createLedger } from './ledger.js';
import { paths, readJsonFile, SetupFile, type NetworkFile } from './layout.js';
import { NodeToNet, readLines, send, type AuthSnapshot, type AuthorityRecord, type MinuteMsg, type StallInfo } from './wire.js';

/**
 * The network process: the clock (10 minutes per block), the authority set, the message fabric
 * between node processes, the shared ledger, and the record of truth (DIR/truth.jsonl).
 *
 * Consensus is reduced to what operations can observe (factomd-ops.md §11, behaviour/ cases 1–9):
 * a minute advances only when every federated identity of the block is held by a node that has
 * followed the current minute; otherwise the network stalls, with no fault and no election (cases 4
 * and 8: with 2 feds no election happened in 3.4 min; elections with ≥3 feds were never observed and
 * are not simulated).
 */

interface Conn {
  sock: Socket;
  name: string;
  pid: number;
  salt: string;
  startedAt: number;
  identity: string;
  publicKey: string;
  height: number;
  minute: number;
  synced: boolean;
  partitioned: boolean;
  lag: number;
  lagTimer?: NodeJS.Timeout;
  lastTruth?: string;
  dying: boolean;
  /** Federated duplicate newcomer: time it dies (case 1). */
  doomAt?: number;
}

/** Fed duplicate: the newcomer dies ~30 s after start at 10 s blocks (case 1, 3 of 3 runs) = 3 blocks. */
export const FED_DUP_DEATH_BLOCKS = 3;
/** Audit duplicate: the incumbent died 26–34 s after the duplicate started, at 10 s blocks (case 2). */
export const AUDIT_DUP_DEATH_BLOCKS = 2.6;

export async function runNetwork(dir: string): Promise<void> {
  const setup = readJsonFile(paths.setup(dir), SetupFile, 'setup.json');
  const blockMs = setup.blockTimeMs;
  const minuteMs = blockMs / 10;
  const authorities = new Map<string, AuthorityRecord>(setup.identities.map((i) => [i.chainid, i]));
  const history: AuthSnapshot[] = [{ height: 0, fed: [...setup.fed], audit: [...setup.audit] }];
  const ledger = createLedger(setup.funded);
  const truth = createWriteStream(paths.truth(dir), { flags: 'a' });
  const conns = new Set<Conn>();
  const holders = new Map<string, Conn>();

  let height = 1;
  let minute = 0;
  let blockStart = Date.now();
  let minuteStart = blockStart;
  let stall: StallInfo | null = null;

  const authAt = (h: number): AuthSnapshot => {
    let snap = history[0]!;
    for (const s of history) if (s.height <= h) snap = s;
    return snap;
  };
  const roleOf = (id: string, h: number): 'Leader' | 'Audit' | 'Follower' => {
    const a = authAt(h);
    return a.fed.includes(id) ? 'Leader' : a.audit.includes(id) ? 'Audit' : 'Follower';
  };
  const record = (o: Record<string, unknown>): void => { truth.write(`${JSON.stringify({ ts: Date.now(), ...o })}\n`); };
  const publicAuthorities = (): AuthorityRecord[] => [...authorities.values()];

  const minuteMsg = (c: Conn): MinuteMsg => {
    void c;
    return { t: 'minute', height, minute, blockStartMs: blockStart, minuteStartMs: minuteStart, stall, online: onlineAudits() };
  };
  function onlineAudits(): string[] {
    return authAt(height).audit.filter((id) => holders.get(id) !== undefined);
  }
  const live = (c: Conn): boolean => conns.has(c) && !c.dying && !c.partitioned;
  const atNow = (c: Conn): boolean => c.synced && c.height === height && c.minute === minute;

  /** Followers that are in sync only need minute 0 (node refreshMinute); authorities need every minute. */
  const needsEveryMinute = (c: Conn): boolean =>
    !c.synced || roleOf(c.identity, height) !== 'Follower' || roleOf(c.identity, height + 1) !== 'Follower';
  function broadcast(all: boolean): void {
    for (const c of conns) if (!c.partitioned && (all || minute === 0 || needsEveryMinute(c))) send(c.sock, minuteMsg(c));
  }

  function kill(c: Conn, kind: 'dup-fed' | 'dup-audit', text: string): void {
    c.dying = true;
    record({ event: 'die', node: c.name, kind, height, minute });
    send(c.sock, { t: 'die', kind, text });
  }

  /** Who holds each authority identity now, and what duplicates do (cases 1, 2, 4). */
  function resolveHolders(now: number): void {
    const claims = new Map<string, Conn[]>();
    for (const c of conns) {
      if (c.dying || c.partitioned) continue;
      if (roleOf(c.identity, Math.max(c.height, 1)) === 'Follower' && roleOf(c.identity, height) === 'Follower') continue;
      const list = claims.get(c.identity) ?? [];
      list.push(c);
      claims.set(c.identity, list);
    }
    for (const [id, h] of holders) if (!conns.has(h) || h.dying || h.identity !== id) holders.delete(id);
    for (const [id, list] of claims) {
      let inc = holders.get(id);
      if (!inc || !list.includes(inc)) {
        inc = list.filter((c) => c.doomAt === undefined).sort((a, b) => a.startedAt - b.startedAt)[0];
        if (!inc) continue;
        holders.set(id, inc);
      }
      const isAudit = authAt(height).audit.includes(id);
      for (const c of list) {
        if (c === inc || c.salt === inc.salt) continue;
        if (!isAudit) {
          // The newcomer sees the incumbent's Ack under its own identity with a foreign salt and panics
          // (FD state/processList.go; case 1: it dies, never the incumbent).
          c.doomAt ??= Math.max(now, c.startedAt + FED_DUP_DEATH_BLOCKS * blockMs);
          continue;
        }
        // Audit: the incumbent dies once both are at the same height (heartbeat with a foreign secret
        // at the same DBHeight, common/messages/heartbeat.go; case 2), and the duplicate takes over.
        if (c.synced && c.height === inc.height && now >= c.startedAt + AUDIT_DUP_DEATH_BLOCKS * blockMs) {
          kill(inc, 'dup-audit',
            `panic: We have seen a heartbeat using our Identity that isn't ours.\n    Node: FNode0\n    LLeaderHeight: ${inc.height}\n    Message dbHeight: ${c.height}\n\ngoroutine 1 [running]:\ngithub.com/FactomProject/factomd/common/messages.(*Heartbeat).FollowerExecute(...)\n`);
          holders.set(id, c);
          break;
        }
      }
    }
    for (const c of conns) {
      if (c.doomAt !== undefined && !c.dying && now >= c.doomAt) {
        const inc = holders.get(c.identity);
        const rnd = (n: number): string => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
        const incSalt = inc?.salt ?? rnd(16);
        // Verbatim layout of factomd's stderr, missing newlines after "for this ack" included (case 1).
        kill(c, 'dup-fed',
          `This  AckHash    ${rnd(64)}\nThis  ChainID    ${c.identity}\nThis  Salt       ${c.salt}\nThis  SaltNumber ${c.salt.slice(0, 8)}\n for this ack` +
          `Ack   ChainID    ${c.identity}\nAck   Salt       ${incSalt}\nAck   SaltNumber ${incSalt.slice(0, 8)}\n for this ack` +
          'panic: There are two leaders configured with the same Identity in this network!  This is a configuration problem!\n\n' +
          'goroutine 1 [running]:\ngithub.com/FactomProject/factomd/state.(*ProcessList).AddToProcessList(...)\n');
      }
    }
  }

  function writeTruth(): void {
    // One write per minute for all nodes: fewer syscalls on an idle network.
    const ts = Date.now();
    let lines = '';
    for (const c of conns) {
      if (!atNow(c) || c.partitioned) continue;
      // Once per node and minute, also while the network is stalled and ticks on.
      const key = `${height}:${minute}:${c.identity}`;
      if (c.lastTruth === key) continue;
      c.lastTruth = key;
      const role = roleOf(c.identity, height);
      const signed = role !== 'Follower' && holders.get(c.identity) === c && !c.dying && c.doomAt === undefined;
      lines += `${JSON.stringify({ ts, node: c.name, height, minute, identityChainId: c.identity, role, signed })}\n`;
    }
    if (lines) truth.write(lines);
  }

  let timer: NodeJS.Timeout | undefined;
  function tick(): void {
    const now = Date.now();
    resolveHolders(now);
    writeTruth();
    const fed = authAt(height).fed;
    const present = fed.filter((id) => {
      const h = holders.get(id);
      return h !== undefined && live(h) && atNow(h) && h.doomAt === undefined;
    });
    const missing = fed.filter((id) => !present.includes(id));
    if (missing.length === 0) {
      const prevStall = stall;
      stall = null;
      if (minute === 9) {
        ledger.sealBlock(height, blockStart);
        height++;
        minute = 0;
        blockStart = now;
      } else minute++;
      minuteStart = now;
      if (prevStall) record({ event: 'stall-end', height, minute });
      broadcast(prevStall !== null);
    } else {
      // Case 4: a present leader but a missing one at minute 0 → "Syncing DBSigs" with the missing ids;
      // inside the block → "Syncing EOMs". Case 8: no leader at all → followers hear nothing: "Processing".
      const next: StallInfo = present.length === 0 ? { status: 'Processing' }
        : { status: minute === 0 ? 'Syncing DBSigs' : 'Syncing EOMs', received: present.length, expected: fed.length, missing };
      if (JSON.stringify(next) !== JSON.stringify(stall)) {
        if (!stall) record({ event: 'stall', height, minute, missing });
        stall = next;
        for (const c of conns) if (!c.partitioned) send(c.sock, { t: 'stall', stall, height, minute, blockStartMs: blockStart, minuteStartMs: minuteStart });
      }
    }
    timer = setTimeout(tick, minuteMs);
  }

  function control(op: string, args: Record<string, unknown>): unknown {
    const byName = (n: unknown): Conn => {
      const c = [...conns].find((x) => x.name === n);
      if (!c) throw new Error(`node ${String(n)} is not connected to the network`);
      return c;
    };
    switch (op) {
      case 'status':
        return {
          height, minute, stall, blockTimeMs: blockMs,
          nodes: [...conns].map((c) => ({ name: c.name, pid: c.pid, identity: c.identity, height: c.height, minute: c.minute, synced: c.synced, role: roleOf(c.identity, Math.max(c.height, 1)), partitioned: c.partitioned, lag: c.lag })),
          authorities: authAt(height),
        };
      case 'fault': {
        const kind = String(args.kind);
        const c = byName(args.node);
        const arg = args.arg as number | undefined;
        record({ event: 'fault', fault: kind, node: c.name, arg, height, minute });
        switch (kind) {
          case 'crash': process.kill(c.pid, 'SIGKILL'); break;
          case 'stall': process.kill(c.pid, 'SIGSTOP'); break;
          case 'partition': c.partitioned = true; break;
          case 'lag': {
            // The node hears nothing for BLOCKS block times, then catches up by DBStates (case 7).
            c.lag = Math.max(0, Math.floor(arg ?? 0));
            c.partitioned = true;
            if (c.lagTimer) clearTimeout(c.lagTimer);
            c.lagTimer = setTimeout(() => {
              c.partitioned = false;
              c.lag = 0;
              if (conns.has(c)) send(c.sock, minuteMsg(c));
            }, c.lag * blockMs);
            break;
          }
          case 'slow': send(c.sock, { t: 'fault', slowMs: Math.max(0, Math.floor(arg ?? 0)) }); break;
          case 'clock-skew': send(c.sock, { t: 'fault', skewS: arg ?? 0 }); break;
          case 'heal':
            try { process.kill(c.pid, 'SIGCONT'); } catch { /* already gone */ }
            c.partitioned = false;
            c.lag = 0;
            if (c.lagTimer) clearTimeout(c.lagTimer);
            send(c.sock, { t: 'fault', slowMs: 0, skewS: 0 });
            send(c.sock, minuteMsg(c));
            break;
          default: throw new Error(`unknown fault ${kind}`);
        }
        return { node: c.name, fault: kind, height, minute };
      }
      case 'promote': {
        const id = String(args.chainid);
        if (!authorities.has(id)) {
          // Not one of the simulator's own identities: read it from the chain, with factomd's rules.
          const found = identityFromLedger(ledger, id);
          if (!found.ok) throw new Error(`identity ${id} cannot be promoted: missing ${found.missing.join(', ')}`);
          authorities.set(id, found.record);
        }
        const cur = authAt(height + 1);
        const audit = Boolean(args.audit);
        const snap: AuthSnapshot = {
          height: height + 1,
          fed: audit ? cur.fed.filter((x) => x !== id) : [...cur.fed.filter((x) => x !== id), id],
          audit: audit ? [...cur.audit.filter((x) => x !== id), id] : cur.audit.filter((x) => x !== id),
        };
        // Applied at minute 0 of the next block, like an admin-block server addition.
        const i = history.findIndex((s) => s.height === snap.height);
        if (i >= 0) history[i] = snap; else history.push(snap);
        record({ event: 'promote', chainid: id, as: audit ? 'audit' : 'federated', height: snap.height });
        for (const c of conns) send(c.sock, { t: 'auth', authorities: publicAuthorities(), history });
        return { chainid: id, status: audit ? 'audit' : 'federated', fromHeight: snap.height };
      }
      case 'register': {
        const rec = args as unknown as AuthorityRecord;
        authorities.set(rec.chainid, rec);
        for (const c of conns) send(c.sock, { t: 'auth', authorities: publicAuthorities(), history });
        return { chainid: rec.chainid };
      }
      case 'fund': return { balance: ledger.fund(String(args.ecPublicKey), Number(args.credits)) };
      case 'stop':
        setTimeout(() => process.exit(0), 50);
        return { stopping: true };
      default: throw new Error(`unknown control ${op}`);
    }
  }

  const server = createServer((sock) => {
    sock.setNoDelay(true);
    let conn: Conn | undefined;
    readLines(sock, (raw) => {
      const p = NodeToNet.safeParse(raw);
      if (!p.success) return;
      const m = p.data;
      if (m.t === 'hello') {
        conn = { sock, name: m.name, pid: m.pid, salt: m.salt, startedAt: m.startedAt, identity: '', publicKey: '', height: 0, minute: 0, synced: false, partitioned: false, lag: 0, dying: false };
        conns.add(conn);
        record({ event: 'connect', node: m.name, pid: m.pid, height, minute });
        send(sock, { t: 'welcome', blockTimeMs: blockMs, authorities: publicAuthorities(), history, now: minuteMsg(conn) });
      } else if (m.t === 'report' && conn) {
        if (conn.partitioned) return;
        Object.assign(conn, { height: m.height, minute: m.minute, synced: m.synced, identity: m.identity, publicKey: m.publicKey });
      } else if (m.t === 'ask' && conn) {
        let reply;
        try {
          reply = ledger.handle(m.op, m.args, Date.now(), height);
        } catch (e) {
          reply = { ok: false, error: { code: -32602, message: 'Invalid params', data: e instanceof Error ? e.message : 'invalid' } };
        }
        send(sock, { t: 'reply', id: m.id, ok: reply.ok, value: reply.ok ? reply.value : reply.error });
      } else if (m.t === 'ctl') {
        try {
          send(sock, { t: 'reply', id: m.id, ok: true, value: control(m.op, m.args) });
        } catch (e) {
          send(sock, { t: 'reply', id: m.id, ok: false, value: e instanceof Error ? e.message : String(e) });
        }
      }
    });
    const drop = (): void => {
      if (conn && conns.delete(conn)) record({ event: 'disconnect', node: conn.name, pid: conn.pid, height, minute });
    };
    sock.on('close', drop);
    sock.on('error', drop);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, setup.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const nf: NetworkFile = { pid: process.pid, host: setup.host, port, blockTimeMs: blockMs };
  writeFileAtomic(paths.network(dir), JSON.stringify(nf));
  record({ event: 'network-start', pid: process.pid, height, minute });
  timer = setTimeout(tick, minuteMs);
  const shutdown = (): void => {
    if (timer) clearTimeout(timer);
    truth.end(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
