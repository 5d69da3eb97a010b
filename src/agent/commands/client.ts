import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request, Agent as HttpsAgent } from 'node:https';
import { AnoguardError, InputError } from '../../errors.js';
import { inspectConf } from '../../failover/conf-identity.js';
import { CONTROL_PATH, ControlResponse, firstIssue, type AgentStatusWire, type CommandResultWire, type ControlRequest } from '../../failover/control-wire.js';
import type { SignedCommand } from '../../failover/command.js';
import type { AgentStatus } from '../../failover/controller.js';
import { createFactomdClient } from '../../factomd/client.js';
import type { Logger } from '../../log.js';
import { readSecretFile } from '../../util/fs.js';
import type { AgentConfig } from '../config.js';
import type { TlsMaterial } from '../ship.js';
import { createCommandAgent, type CommandAgent } from './execute.js';
import { startLeaseKeeper, type LeaseKeeper } from './lease-keeper.js';
import { openReplaySet } from './replay.js';
import { agentStatus } from './status.js';

/**
 * The agent's end of the control channel (it only connects out, over its mTLS identity): a lease
 * renewal every `renewEvery`, and a long-poll that brings the controller's signed commands and its
 * requests for a fresh status. Every command is verified by the command module exactly as before;
 * the channel adds no authority.
 */

export interface ControlCall { (body: ControlRequest, timeoutMs: number, signal?: AbortSignal): Promise<ControlResponse> }

/** POST /v1/control with the agent's client certificate; the server must chain to our CA. */
export function createControlCaller(serverUrl: string, tls: TlsMaterial): { call: ControlCall; close(): void } {
  const url = new URL(CONTROL_PATH, serverUrl);
  // Two sockets: the renewal must never queue behind a long-poll.
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 2, ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: true });
  const call: ControlCall = (body, timeoutMs, signal) => {
    const data = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', agent, timeout: timeoutMs, ...(signal ? { signal } : {}), headers: { 'content-type': 'application/json', 'content-length': String(data.length) } }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => { size += c.length; if (size <= 1 << 20) chunks.push(c); });
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let v: unknown;
          try { v = JSON.parse(text); } catch { v = undefined; }
          if (res.statusCode !== 200) {
            const err = (v as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
            reject(new AnoguardError('E_CONTROL_HTTP', `server answered ${res.statusCode ?? 0}: ${err?.code ?? ''} ${err?.message ?? text.slice(0, 200)}`.trim(), { field: err?.field ?? 'server' }));
            return;
          }
          const p = ControlResponse.safeParse(v);
          if (!p.success) { const i = firstIssue(p.error); reject(new AnoguardError('E_CONTROL_REPLY', `malformed control answer: ${i.field} ${i.message}`, { field: i.field })); return; }
          resolve(p.data);
        });
      });
      req.on('timeout', () => req.destroy(new Error('control call timed out')));
      req.on('error', reject);
      req.end(data);
    });
  };
  return { call, close: () => agent.destroy() };
}

/** Runs argv without a shell (systemctl restart factomd, …). */
export function runArgv(argv: readonly string[], field: string, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs }, (e, _out, err) => {
      if (e) reject(new AnoguardError('E_COMMAND_FAILED', `${argv[0]!} failed: ${(String(err).trim().split('\n').pop() ?? '') || e.message}`, { field, cause: e }));
      else resolve();
    });
  });
}

export interface ControlClientOptions {
  host: string;
  /** One per server hosting a controller (several with etcd: the active one grants, the others answer without a lease). */
  calls: readonly ControlCall[];
  agent: CommandAgent;
  /** Full status (asks the local factomd). */
  status: () => Promise<AgentStatus>;
  /** What the agent knows without factomd (the file and fence state): sent with renewals. */
  quickStatus: () => AgentStatus;
  renewEveryMs?: number;
  demoteBeforeMs: number;
  pollWaitMs?: number;
  log?: Logger;
}

export interface ControlClient {
  keeper: LeaseKeeper;
  stop(): Promise<void>;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> => new Promise((r) => {
  if (signal.aborted) { r(); return; }
  const t = setTimeout(done, ms);
  function done(): void { clearTimeout(t); signal.removeEventListener('abort', done); r(); }
  signal.addEventListener('abort', done, { once: true });
});

const wire = (s: AgentStatus): AgentStatusWire => ({
  host: s.host, holdsIdentity: s.holdsIdentity, fenced: s.fenced,
  ...(s.changeAcksHeight !== undefined ? { changeAcksHeight: s.changeAcksHeight } : {}),
  ...(s.maskedConf !== undefined ? { maskedConf: s.maskedConf } : {}),
  ...(s.diagnostics ? { diagnostics: s.diagnostics } : {}),
  ...(s.currentMinute ? { currentMinute: s.currentMinute } : {}),
});

export function startControlClient(o: ControlClientOptions): ControlClient {
  const stop = new AbortController();
  let serverLeaseTtl: number | undefined;
  // Until the server told its lease, renew often: a holder must not lose a lease it could keep.
  const renewEvery = (): number => o.renewEveryMs ?? (serverLeaseTtl !== undefined ? Math.max(50, Math.floor(serverLeaseTtl / 4)) : 1000);
  const pollWait = o.pollWaitMs ?? 20_000;
  const note = (r: ControlResponse): void => { serverLeaseTtl = r.leaseTtlMs; };

  const keeper = startLeaseKeeper({
    agent: o.agent,
    renewEveryMs: renewEvery,
    demoteBeforeMs: o.demoteBeforeMs,
    renew: () => {
      const body: ControlRequest = { v: 1, host: o.host, lease: true, waitMs: 0, status: wire(o.quickStatus()), results: [], renewEveryMs: renewEvery() };
      // The keeper waits for a renewal up to max(renewEvery, demoteBefore); each call gets 80 % of
      // that, and the first lease that arrives is taken at once: a server that does not answer
      // (partitioned, frozen) never delays the lease of the one that does, and a slow answer (a
      // CPU-starved host or server) still counts — the lease is counted from when it was asked for.
      const budget = Math.max(40, Math.floor(Math.max(renewEvery(), o.demoteBeforeMs) * 0.8));
      const bounded = (call: ControlCall): Promise<ControlResponse> => new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('control call timed out')), budget);
        call(body, budget, stop.signal).then(resolve, reject).finally(() => clearTimeout(t));
      });
      return new Promise<SignedCommand | undefined>((resolve, reject) => {
        let left = o.calls.length;
        let answered = false;
        let firstError: unknown;
        for (const call of o.calls) {
          bounded(call).then((r) => {
            answered = true;
            note(r);
            // Only the active controller grants (etcd): the first lease is the one that counts.
            if (r.lease) resolve(r.lease);
          }, (e: unknown) => { firstError ??= e; }).finally(() => {
            if (--left > 0) return;
            if (answered) resolve(undefined); else reject(firstError instanceof Error ? firstError : new Error(String(firstError)));
          });
        }
      });
    },
    onEvent: (e) => {
      if (e.kind === 'renewed') o.log?.debug('lease renewed');
      else if (e.kind === 'renew-failed') o.log?.warn({ detail: e.detail }, 'lease renewal failed');
      else o.log?.warn({ kind: e.kind, detail: e.detail }, 'fence');
    },
  });

  async function run(c: ControlResponse['commands'][number]): Promise<CommandResultWire> {
    try {
      const r = await o.agent.execute(c);
      o.log?.info({ type: c.type, height: c.height, action: r.action, holdsIdentity: r.holdsIdentity }, 'command executed');
      return { nonce: c.nonce, ok: true, holdsIdentity: r.holdsIdentity, ...(r.changeAcksHeight !== undefined ? { changeAcksHeight: r.changeAcksHeight } : {}) };
    } catch (e) {
      const code = e instanceof AnoguardError ? e.code : 'E_AGENT';
      const message = (e instanceof Error ? e.message : String(e)).slice(0, 500);
      o.log?.warn({ type: c.type, code, message }, 'command refused');
      return { nonce: c.nonce, ok: false, error: { code: code.slice(0, 64), message } };
    }
  }

  const poll = async (call: ControlCall): Promise<void> => {
    let results: CommandResultWire[] = [];
    let failures = 0;
    while (!stop.signal.aborted) {
      const started = performance.now();
      let st: AgentStatus;
      try { st = await o.status(); } catch (e) {
        o.log?.warn({ err: e instanceof Error ? e.message : String(e) }, 'status failed');
        st = o.quickStatus();
      }
      const sending = results;
      results = [];
      let r: ControlResponse;
      try {
        r = await call({ v: 1, host: o.host, lease: false, waitMs: pollWait, status: wire(st), results: sending.slice(0, 32), renewEveryMs: renewEvery() }, pollWait + 15_000, stop.signal);
        results.push(...sending.slice(32));
        failures = 0;
      } catch (e) {
        if (stop.signal.aborted) break;
        results = [...sending, ...results];
        failures++;
        if (failures === 1 || failures % 20 === 0) o.log?.warn({ err: e instanceof Error ? e.message : String(e) }, 'control call failed');
        await sleep(Math.min(renewEvery(), 250 * 2 ** Math.min(failures, 4)), stop.signal);
        continue;
      }
      note(r);
      for (const c of r.commands) results.push(await run(c));
      // Never spin: a server that answers at once is called again after a short pause.
      const spent = performance.now() - started;
      if (spent < 20 && r.commands.length === 0 && !r.statusWanted) await sleep(20 - spent, stop.signal);
    }
  };
  const polling = Promise.all(o.calls.map(poll));

  return {
    keeper,
    async stop() {
      stop.abort();
      keeper.stop();
      await polling.catch(() => undefined);
    },
  };
}

/** Everything `anoguard agent` starts for a `control:` section; stopped with the agent. */
export function startControlModule(cfg: AgentConfig, tls: TlsMaterial, log?: Logger): ControlClient {
  const c = cfg.control;
  if (!c) throw new InputError('E_AGENT_CONFIG', 'no control section', { field: 'control', exitCode: 2 });
  const node = c.node !== undefined ? cfg.factomd.find((n) => n.name === c.node) : cfg.factomd[0];
  if (!node) throw new InputError('E_AGENT_CONFIG', c.node !== undefined ? `no factomd entry named ${c.node}` : 'control needs a factomd entry (the node on this host)', { field: c.node !== undefined ? 'control.node' : 'factomd', exitCode: 2 });
  const password = node.passwordFile !== undefined ? readSecretFile(node.passwordFile, 'factomd.passwordFile').trim() : undefined;
  const factomd = createFactomdClient({ url: node.url, timeoutMs: Math.min(node.timeout, 3000), retries: 0, ...(node.user !== undefined ? { user: node.user } : {}), ...(password !== undefined ? { password } : {}) });
  const identity = c.identity.toLowerCase();
  const agent = createCommandAgent({
    host: cfg.name, identity, confPath: c.factomdConf, statePath: c.stateFile, replay: openReplaySet(c.replayFile), trustedKeys: c.trustedKeys.map((k) => k.toLowerCase()),
    ...(c.identityFile !== undefined ? { identityFile: c.identityFile } : {}),
    ...(c.followerFile !== undefined ? { followerFile: c.followerFile } : {}),
    localNode: async () => {
      try { const d = await factomd.diagnostics(); return { id: d.id, height: d.leaderheight }; } catch { return undefined; }
    },
    ...(c.restartCommand ? { restartFactomd: () => runArgv(c.restartCommand!, 'control.restartCommand') } : {}),
    ...(c.stopCommand ? { stopFactomd: () => runArgv(c.stopCommand!, 'control.stopCommand') } : {}),
  });
  const callers = (c.servers ?? [cfg.server]).map((u) => createControlCaller(u, tls));
  const client = startControlClient({
    host: cfg.name, calls: callers.map((x) => x.call), agent, demoteBeforeMs: c.demoteBefore,
    ...(c.renewEvery !== undefined ? { renewEveryMs: c.renewEvery } : {}),
    status: () => agentStatus(cfg.name, identity, c.factomdConf, agent, factomd),
    quickStatus: () => {
      let holds = true;
      let cah = 0;
      // An unreadable file is reported as holding: the controller must not count it as free.
      try { const i = inspectConf(readFileSync(c.factomdConf, 'utf8'), c.factomdConf); holds = i.identityChainId === identity; cah = i.changeAcksHeight; } catch { /* as holding */ }
      return { host: cfg.name, holdsIdentity: holds, changeAcksHeight: cah, fenced: agent.state().fenced };
    },
    ...(log ? { log } : {}),
  });
  return {
    keeper: client.keeper,
    async stop() { await client.stop(); for (const x of callers) x.close(); },
  };
}
