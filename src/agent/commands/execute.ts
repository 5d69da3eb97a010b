import { readFileSync } from 'node:fs';
import { AnoguardError, InputError } from '../../errors.js';
import { readSecretFile, writeFileAtomic } from '../../util/fs.js';
import { checkTriple, demoteConf, inspectConf, promoteConf, type IdentityTriple } from '../../failover/conf-identity.js';
import { LeasePayload, SwapEditPayload, verifyCommand, type ReplaySet, type SignedCommand } from '../../failover/command.js';
import { removeAppKey } from '../../factom/conf-edit.js';
import { readFenceState, writeFenceState, type FenceState } from './fence-state.js';

/**
 * The agent's command module: verifies signed commands (agent of one host, one authority identity)
 * and applies them to factomd.conf atomically (temp file, fsync, rename; comment-preserving edits),
 * keeps the lease, and fences: a holder that cannot renew demotes its own config before the lease
 * ends, and no factomd starts with the identity without a valid lease (fence-check).
 */

export interface CommandAgentOptions {
  host: string;
  identity: string;
  confPath: string;
  /** Fence state (0600). */
  statePath: string;
  replay: ReplaySet;
  trustedKeys: readonly string[];
  /** JSON {IdentityChainID, LocalServerPrivKey, LocalServerPublicKey} of the authority, staged 0600 on hosts that may take it. */
  identityFile?: string;
  /** Same shape, this node's own follower identity; without it a demoted node falls back to factomd's defaults. */
  followerFile?: string;
  /** The local factomd's diagnostics id and leaderheight; undefined when it does not answer. */
  localNode(): Promise<{ id: string; height: number } | undefined>;
  restartFactomd?: () => Promise<void>;
  /** Stops a factomd that does not answer when fenced (a hung node may still hold the identity in memory). */
  stopFactomd?: () => Promise<void>;
  now?: () => number;
  /** Monotonic ms (lease timing must not follow wall-clock jumps). */
  mono?: () => number;
  /** Injected in tests (disk full). */
  writeFile?: typeof writeFileAtomic;
}

export interface CommandResult {
  type: SignedCommand['type'];
  action?: string;
  changeAcksHeight?: number;
  /** The identity factomd will hold from that height on, per the file now on disk. */
  holdsIdentity: boolean;
  leaseUntil?: number;
}

export interface CommandAgent {
  execute(raw: unknown): Promise<CommandResult>;
  /** A lease grant answering a renewal sent at `sentAtMono`; valid from then, never from its arrival. */
  acceptLease(raw: unknown, sentAtMono: number): void;
  /** Monotonic end of the lease as this agent counts it (0 = none). */
  leaseEndMono(): number;
  /** Demote now (lease lost): identity out, ChangeAcksHeight = next block. */
  selfDemote(reason: string): Promise<{ changeAcksHeight: number } | undefined>;
  /**
   * After a self-demotion: when the local factomd still runs the identity past the file's
   * ChangeAcksHeight (the edit landed after the block started), demote again at the next block;
   * once the lease has ended, stop a factomd that still runs it.
   */
  enforceFence(leaseEnded: boolean): Promise<'ok' | 'redemoted' | 'stopped'>;
  holdsIdentity(): boolean;
  state(): FenceState;
}

function readTripleFile(path: string, field: string): IdentityTriple {
  let v: Record<string, unknown>;
  try { v = JSON.parse(readSecretFile(path, field)) as Record<string, unknown>; } catch (e) {
    if (e instanceof AnoguardError) throw e;
    throw new InputError('E_IDENTITY_FILE', 'not a JSON identity file', { field });
  }
  const str = (x: unknown): string => (typeof x === 'string' ? x : '');
  return checkTriple({ identityChainId: str(v.IdentityChainID), localServerPrivKey: str(v.LocalServerPrivKey), localServerPublicKey: str(v.LocalServerPublicKey) }, field);
}

export function createCommandAgent(o: CommandAgentOptions): CommandAgent {
  const id = o.identity.toLowerCase();
  const now = o.now ?? Date.now;
  const mono = o.mono ?? (() => performance.now());
  const write = o.writeFile ?? writeFileAtomic;
  let st = readFenceState(o.statePath, id);
  let leaseEnd = 0;
  // A lease remembered from before a restart counts only as long as the wall clock says so.
  if (st.leaseUntil > now()) leaseEnd = mono() + (st.leaseUntil - now());

  const readConf = (): string => readFileSync(o.confPath, 'utf8');
  const saveState = (next: FenceState): void => { writeFenceState(o.statePath, next, write); st = next; };
  const writeConf = (text: string): void => write(o.confPath, text, { mode: 0o600 });
  const holds = (): boolean => inspectConf(readConf(), o.confPath).identityChainId === id;
  const follower = (): IdentityTriple | undefined => (o.followerFile ? readTripleFile(o.followerFile, 'followerFile') : undefined);

  const localHeight = async (): Promise<number | undefined> => (await o.localNode())?.height;

  async function nextHeight(min: number): Promise<number> {
    const h = await localHeight();
    if (h !== undefined && h > st.lastHeight) st = { ...st, lastHeight: h };
    return Math.max(min, (h ?? st.lastHeight) + 1);
  }

  async function selfDemote(reason: string): Promise<{ changeAcksHeight: number } | undefined> {
    const text = readConf();
    const i = inspectConf(text, o.confPath);
    if (i.identityChainId !== id) {
      saveState({ ...st, fenced: true, leaseUntil: 0 });
      return undefined;
    }
    const h = await nextHeight(1);
    // State first: after a crash between the two writes, fence-check still demotes at boot.
    saveState({ ...st, fenced: true, leaseUntil: 0, saved: text });
    writeConf(demoteConf(text, h, follower()));
    void reason;
    return { changeAcksHeight: h };
  }

  async function enforceFence(leaseEnded: boolean): Promise<'ok' | 'redemoted' | 'stopped'> {
    if (!st.fenced) return 'ok';
    const n = await o.localNode();
    if (!n || n.id !== id) return 'ok';
    if (leaseEnded) {
      await o.stopFactomd?.();
      return 'stopped';
    }
    const text = readConf();
    const i = inspectConf(text, o.confPath);
    if (i.identityChainId !== id && i.changeAcksHeight > n.height) return 'ok';
    writeConf(demoteConf(text, n.height + 1, follower()));
    return 'redemoted';
  }

  return {
    enforceFence,
    holdsIdentity: holds,
    state: () => st,
    leaseEndMono: () => leaseEnd,
    selfDemote,
    acceptLease(raw, sentAtMono) {
      const c = verifyCommand(raw, { trustedKeys: o.trustedKeys, host: o.host, identity: id, now: now(), replay: o.replay });
      if (c.type !== 'lease') throw new AnoguardError('E_COMMAND_TYPE', 'expected a lease', { field: 'type' });
      const p = LeasePayload.parse(c.payload);
      if (p.epoch < st.epoch) throw new AnoguardError('E_LEASE_STALE', `lease epoch ${p.epoch} is older than ${st.epoch}`, { field: 'epoch' });
      leaseEnd = Math.max(leaseEnd, sentAtMono + p.ttlMs);
      const next = { ...st, epoch: p.epoch, leaseUntil: now() - (mono() - sentAtMono) + p.ttlMs };
      // Not persisting (disk full) only makes the boot-time fence check stricter: keep the lease in memory.
      try { saveState(next); } catch { st = { ...st, epoch: p.epoch }; }
    },
    async execute(raw) {
      const c = verifyCommand(raw, { trustedKeys: o.trustedKeys, host: o.host, identity: id, now: now(), replay: o.replay });
      switch (c.type) {
        case 'lease':
          // A pushed grant has no send time of ours to count from; counting from its arrival would
          // outlive the controller's view of the lease. Leases come only as renewal answers.
          throw new AnoguardError('E_COMMAND_TYPE', 'leases are accepted only as answers to a renewal', { field: 'type' });
        case 'fence': {
          if ((await localHeight()) === undefined) await o.stopFactomd?.();
          const text = readConf();
          if (inspectConf(text, o.confPath).identityChainId === id) {
            const h = await nextHeight(c.height);
            saveState({ ...st, fenced: true, leaseUntil: 0, saved: text });
            writeConf(demoteConf(text, h, follower()));
            leaseEnd = 0;
            return { type: c.type, changeAcksHeight: h, holdsIdentity: false };
          }
          saveState({ ...st, fenced: true, leaseUntil: 0 });
          leaseEnd = 0;
          return { type: c.type, holdsIdentity: false };
        }
        case 'unfence':
          saveState({ ...st, fenced: false });
          return { type: c.type, holdsIdentity: holds() };
        case 'swap-edit': {
          const p = SwapEditPayload.parse(c.payload);
          const text = readConf();
          let next: string;
          if (p.action === 'promote') {
            if (st.fenced) throw new AnoguardError('E_FENCED', 'this host fenced itself; unfence it first', { field: 'fenced' });
            if (!o.identityFile) throw new AnoguardError('E_NO_IDENTITY_FILE', 'no staged authority identity on this host', { field: 'identityFile' });
            if (leaseEnd <= mono()) throw new AnoguardError('E_NO_LEASE', 'no valid lease: refusing to take the identity', { field: 'lease' });
            next = promoteConf(text, readTripleFile(o.identityFile, 'identityFile'), c.height);
          } else if (p.action === 'demote') {
            next = demoteConf(text, c.height, follower());
          } else {
            if (!st.saved) throw new AnoguardError('E_NOTHING_SAVED', 'no saved config to restore', { field: 'saved' });
            const back = inspectConf(st.saved, 'saved');
            if (back.identityChainId === id && (st.fenced || leaseEnd <= mono())) throw new AnoguardError('E_NO_LEASE', 'restoring would put the identity back without a valid lease', { field: 'lease' });
            next = st.saved;
          }
          saveState({ ...st, saved: text });
          writeConf(next);
          if (p.restart && o.restartFactomd) await o.restartFactomd();
          return { type: c.type, action: p.action, changeAcksHeight: c.height, holdsIdentity: holds() };
        }
      }
      throw new AnoguardError('E_COMMAND_TYPE', 'unknown command', { field: 'type' });
    },
  };
}

export interface FenceCheckResult {
  /** True: factomd may start. */
  ok: boolean;
  holdsIdentity: boolean;
  demoted: boolean;
  reason: string;
}

/**
 * For systemd ExecStartPre (and the chaos harness before every node start): a config that holds
 * the authority identity without a valid, unfenced lease is demoted (identity lines removed: at boot
 * factomd loads the identity straight from the file) and the start is refused; the next start then
 * runs a follower. Never starts a node holding the identity on a wall-clock lease that has ended.
 */
export function fenceCheck(o: { confPath: string; statePath: string; identity: string; now?: number; writeFile?: typeof writeFileAtomic }): FenceCheckResult {
  const id = o.identity.toLowerCase();
  const write = o.writeFile ?? writeFileAtomic;
  const text = readFileSync(o.confPath, 'utf8');
  const i = inspectConf(text, o.confPath);
  if (!i.parses) {
    // factomd would run on defaults (no identity, but no RPC auth either): not ours to start.
    return { ok: false, holdsIdentity: false, demoted: false, reason: `factomd.conf does not parse: ${i.error ?? ''}` };
  }
  if (i.identityChainId !== id) return { ok: true, holdsIdentity: false, demoted: false, reason: 'the config does not hold the authority identity' };
  const st = readFenceState(o.statePath, id);
  const now = o.now ?? Date.now();
  if (!st.fenced && st.leaseUntil > now) return { ok: true, holdsIdentity: true, demoted: false, reason: `lease valid for ${Math.round((st.leaseUntil - now) / 1000)} s` };
  let t = text;
  for (const k of ['IdentityChainID', 'LocalServerPrivKey', 'LocalServerPublicKey']) t = removeAppKey(t, k);
  if (inspectConf(t, o.confPath).identityChainId === id) throw new AnoguardError('E_FENCE', 'could not remove the identity from the config', { field: o.confPath });
  writeFenceState(o.statePath, { ...st, fenced: true, leaseUntil: 0, saved: text }, write);
  write(o.confPath, t, { mode: 0o600 });
  return { ok: false, holdsIdentity: false, demoted: true, reason: st.fenced ? 'this host is fenced' : 'no valid lease' };
}
