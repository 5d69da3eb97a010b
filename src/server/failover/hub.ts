import { AnoguardError } from '../../errors.js';
import type { SignedCommand } from '../../failover/command.js';
import type { AgentCommandResult, AgentLink, AgentStatus } from '../../failover/controller.js';
import type { ControlRequest, ControlResponse } from '../../failover/control-wire.js';

/**
 * The server's end of the control channel: one AgentLink per topology host for the controller, fed
 * by the agents' calls. A status is what the agent last reported, asked afresh through its pending
 * long-poll when the controller wants one; a command waits in the host's queue until the agent's
 * next call takes it, and `execute` resolves with the result the agent reports for its nonce.
 * Agents that stopped calling are "unreachable": the controller's health model takes it from there.
 */

export interface ControlHubOptions {
  hosts: readonly string[];
  leaseTtlMs: number;
  blockMs: number;
  /** The controller's renewal: a signed lease or undefined. Set once the controller exists. */
  renew?: (host: string) => Promise<SignedCommand | undefined>;
  /** How long an agent may stay silent before it counts as unreachable; default 3 × its renewal period. */
  silentMs?: number;
  /** How long to wait for a status asked afresh; default 2 s. */
  statusTimeoutMs?: number;
  /** How long to wait for a command's result; default 20 s. */
  executeTimeoutMs?: number;
  now?: () => number;
  mono?: () => number;
  onError?: (host: string, e: unknown) => void;
}

export interface HostView {
  host: string;
  lastSeen?: number;
  reachable: boolean;
  status?: AgentStatus;
}

export interface ControlHub {
  links: AgentLink[];
  /** One agent call (the route checked the certificate): records, then answers, possibly after a long-poll. */
  handle(host: string, req: ControlRequest, signal?: AbortSignal): Promise<ControlResponse>;
  setRenew(fn: (host: string) => Promise<SignedCommand | undefined>): void;
  knows(host: string): boolean;
  view(): HostView[];
  close(): void;
}

interface Pending { resolve: (r: AgentCommandResult) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
interface HostState {
  status?: AgentStatus;
  lastSeen?: number;
  lastSeenMono?: number;
  renewEveryMs?: number;
  queue: SignedCommand[];
  pending: Map<string, Pending>;
  waiters: ((s: AgentStatus | undefined) => void)[];
  statusWanted: boolean;
  wake?: () => void;
}

export function createControlHub(o: ControlHubOptions): ControlHub {
  const now = o.now ?? Date.now;
  const mono = o.mono ?? (() => performance.now());
  let renew = o.renew;
  let closed = false;
  const hosts = new Map<string, HostState>(o.hosts.map((h) => [h, { queue: [], pending: new Map(), waiters: [], statusWanted: false }]));
  const silentMs = (s: HostState): number => o.silentMs ?? 3 * (s.renewEveryMs ?? o.leaseTtlMs / 4);
  const reachable = (s: HostState): boolean => s.lastSeenMono !== undefined && mono() - s.lastSeenMono <= silentMs(s);
  const state = (host: string): HostState => {
    const s = hosts.get(host);
    if (!s) throw new AnoguardError('E_CONTROL_HOST', `${host} is not a failover host of the topology`, { field: 'host' });
    return s;
  };

  function link(host: string): AgentLink {
    const s = state(host);
    return {
      host,
      async status() {
        if (closed || !reachable(s)) throw new AnoguardError('E_AGENT_UNREACHABLE', `the agent of ${host} has not called in`, { field: host });
        const fresh = await new Promise<AgentStatus | undefined>((resolve) => {
          const timer = setTimeout(() => { s.waiters = s.waiters.filter((w) => w !== done); resolve(undefined); }, o.statusTimeoutMs ?? 2000);
          const done = (st: AgentStatus | undefined): void => { clearTimeout(timer); resolve(st); };
          s.waiters.push(done);
          s.statusWanted = true;
          s.wake?.();
        });
        if (fresh) return fresh;
        if (s.status && reachable(s)) return s.status;
        throw new AnoguardError('E_AGENT_UNREACHABLE', `the agent of ${host} does not answer`, { field: host });
      },
      execute(cmd) {
        if (closed) return Promise.reject(new AnoguardError('E_CONTROL_CLOSED', 'the server is stopping', { field: host }));
        return new Promise<AgentCommandResult>((resolve, reject) => {
          const timer = setTimeout(() => {
            s.pending.delete(cmd.nonce);
            // Not taken yet: it never will be. Taken: the agent may still act on it (it expires on its own).
            s.queue = s.queue.filter((c) => c.nonce !== cmd.nonce);
            reject(new AnoguardError('E_AGENT_TIMEOUT', `no result from the agent of ${host}`, { field: host }));
          }, o.executeTimeoutMs ?? 20_000);
          s.pending.set(cmd.nonce, { resolve, reject, timer });
          s.queue.push(cmd);
          s.wake?.();
        });
      },
    };
  }
  const links = o.hosts.map(link);

  function reply(s: HostState, lease?: SignedCommand, withCommands = true): ControlResponse {
    const commands = withCommands ? s.queue.splice(0, 32) : [];
    const statusWanted = s.statusWanted;
    if (withCommands) s.statusWanted = false;
    return { v: 1, serverTime: now(), ...(lease ? { lease } : {}), commands, statusWanted, leaseTtlMs: o.leaseTtlMs, blockMs: o.blockMs };
  }

  return {
    links,
    knows: (h) => hosts.has(h),
    setRenew(fn) { renew = fn; },
    async handle(host, req, signal) {
      const s = state(host);
      s.lastSeen = now();
      s.lastSeenMono = mono();
      s.renewEveryMs = req.renewEveryMs;
      // A renewal carries only what the agent knows without asking factomd (it must never wait on a
      // slow node); the full report comes with the other calls and answers everyone waiting for one.
      if (!req.lease || !s.status) s.status = { ...req.status, host };
      if (!req.lease) for (const w of s.waiters.splice(0)) w(s.status);
      for (const r of req.results) {
        const p = s.pending.get(r.nonce);
        if (!p) continue;
        s.pending.delete(r.nonce);
        clearTimeout(p.timer);
        if (r.ok) p.resolve({ holdsIdentity: r.holdsIdentity ?? false, ...(r.changeAcksHeight !== undefined ? { changeAcksHeight: r.changeAcksHeight } : {}) });
        else p.reject(new AnoguardError((r.error?.code.startsWith('E_') ? r.error.code : 'E_AGENT_REFUSED') as `E_${string}`, r.error?.message ?? 'refused by the agent', { field: host }));
      }
      if (req.lease) {
        // Renewals are answered at once: the agent counts its lease from when it sent this call.
        let lease: SignedCommand | undefined;
        try { lease = renew ? await renew(host) : undefined; } catch (e) { o.onError?.(host, e); }
        return reply(s, lease, false);
      }
      if (req.waitMs > 0 && s.queue.length === 0 && !s.statusWanted && !closed && !signal?.aborted) {
        // One long-poll per host: a newer one (agent restarted, connection replaced) ends the older.
        s.wake?.();
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            if (s.wake === done) s.wake = undefined;
            resolve();
          };
          const timer = setTimeout(done, req.waitMs);
          signal?.addEventListener('abort', done, { once: true });
          s.wake = done;
        });
      }
      // A caller gone meanwhile would never receive the commands: keep them for its next call.
      return reply(s, undefined, !signal?.aborted);
    },
    view: () => [...hosts].map(([host, s]) => ({ host, reachable: reachable(s), ...(s.lastSeen !== undefined ? { lastSeen: s.lastSeen } : {}), ...(s.status ? { status: s.status } : {}) })),
    close() {
      closed = true;
      for (const s of hosts.values()) {
        s.wake?.();
        for (const w of s.waiters.splice(0)) w(undefined);
        for (const p of s.pending.values()) { clearTimeout(p.timer); p.reject(new AnoguardError('E_CONTROL_CLOSED', 'the server is stopping', { field: 'control' })); }
        s.pending.clear();
      }
    },
  };
}
