import { AnoguardError } from '../errors.js';
import { LeaseRecord, type LeaseStore } from './lease-store.js';

/**
 * Controller high availability through etcd (Debian etcd-server, v3 JSON gateway; no client library):
 * one active controller per identity, chosen by an etcd lease on a key created only if absent, and
 * the identity's lease record kept in etcd so that whoever takes over knows how long to wait.
 * A controller whose keep-alives fail steps down after half the etcd TTL, before etcd can give
 * the key to another one. Every grant first writes the record to etcd in a transaction that holds
 * only while the election key is still ours, bound to our etcd lease: a controller cut off from
 * etcd cannot hand out a lease, and one that lost the key without noticing yet (a paused process)
 * has its write refused by etcd itself, whatever its own clock says.
 */

export interface EtcdOptions {
  /** e.g. http://127.0.0.1:2379 */
  endpoint: string;
  /** Injected in tests (a partition). */
  fetch?: typeof fetch;
  timeoutMs?: number;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

async function call(o: EtcdOptions, path: string, body: unknown): Promise<Record<string, unknown>> {
  const f = o.fetch ?? fetch;
  let r: Response;
  try {
    r = await f(`${o.endpoint}/v3/${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(o.timeoutMs ?? 1000) });
  } catch (e) {
    throw new AnoguardError('E_ETCD_DOWN', `etcd unreachable: ${e instanceof Error ? e.message : String(e)}`, { field: 'etcd', cause: e });
  }
  const v = (await r.json().catch(() => ({}))) as Record<string, unknown>;
  if (!r.ok || v.error !== undefined) throw new AnoguardError('E_ETCD', `etcd ${path}: ${JSON.stringify(v.error ?? v.message ?? r.status)}`, { field: 'etcd' });
  return v;
}

/** What a guarded write compares in etcd: the election key still holds `me` under `leaseId`. */
export interface EtcdLeadership { key: string; me: string; leaseId: string }

export interface EtcdElection {
  isActive: () => boolean;
  /** The leadership a guarded write must still hold in etcd; undefined when not active. */
  leadership: () => EtcdLeadership | undefined;
  stop(): Promise<void>;
}

/** Campaigns for `key` with value `me`; re-campaigns after losing etcd. */
export function startEtcdElection(o: EtcdOptions & { key: string; me: string; ttlSeconds: number; mono?: () => number }): EtcdElection {
  const mono = o.mono ?? (() => performance.now());
  let leaseId: string | undefined;
  let lastOk = -Infinity;
  let leader = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const stepDownMs = (o.ttlSeconds * 1000) / 2;

  async function round(): Promise<void> {
    // etcd counts the TTL from when it handles the call, which is after we send it: counting from
    // the send keeps our view of the lease no longer than etcd's, however late the answer arrives.
    const sent = mono();
    try {
      if (!leaseId) {
        const g = await call(o, 'lease/grant', { TTL: o.ttlSeconds });
        leaseId = String(g.ID);
        lastOk = sent;
      } else {
        const k = await call(o, 'lease/keepalive', { ID: leaseId });
        const res = (k.result ?? k) as Record<string, unknown>;
        if (res.TTL === undefined || Number(res.TTL) <= 0) { leaseId = undefined; leader = false; return; }
        lastOk = sent;
      }
      if (!leader) {
        const t = await call(o, 'kv/txn', {
          compare: [{ key: b64(o.key), target: 'CREATE', create_revision: '0' }],
          success: [{ request_put: { key: b64(o.key), value: b64(o.me), lease: leaseId } }],
          failure: [{ request_range: { key: b64(o.key) } }],
        });
        if (t.succeeded === true) leader = true;
        else {
          const rr = ((t.responses as { response_range?: { kvs?: { value?: string; lease?: string }[] } }[] | undefined)?.[0]?.response_range?.kvs ?? [])[0];
          // Ours from before a restart of this process: only if it is bound to our current lease.
          leader = rr?.value !== undefined && unb64(rr.value) === o.me && rr.lease === leaseId;
        }
      }
    } catch {
      /* counted by lastOk */
    }
    if (mono() - lastOk > stepDownMs) { leader = false; leaseId = undefined; }
  }

  const loop = (): void => {
    if (stopped) return;
    void round().finally(() => { if (!stopped) timer = setTimeout(loop, Math.max(100, (o.ttlSeconds * 1000) / 6)); });
  };
  loop();
  const isActive = (): boolean => leader && !stopped && mono() - lastOk <= stepDownMs;
  return {
    isActive,
    leadership: () => (isActive() && leaseId ? { key: o.key, me: o.me, leaseId } : undefined),
    async stop() {
      stopped = true;
      leader = false;
      if (timer) clearTimeout(timer);
      if (leaseId) await call(o, 'lease/revoke', { ID: leaseId }).catch(() => undefined);
    },
  };
}

/**
 * The identity's lease record in etcd (`key`), written before any grant leaves the controller, and
 * only while `leadership()` is still true in etcd (refused with E_ETCD_NOT_LEADER otherwise).
 */
export function etcdLeaseStore(o: EtcdOptions & { key: string; leadership: () => EtcdLeadership | undefined }): LeaseStore {
  return {
    async read() {
      const r = await call(o, 'kv/range', { key: b64(o.key) });
      const kv = (r.kvs as { value?: string }[] | undefined)?.[0];
      if (!kv?.value) return undefined;
      return LeaseRecord.parse(JSON.parse(unb64(kv.value)));
    },
    async write(rec) {
      const l = o.leadership();
      if (!l) throw new AnoguardError('E_ETCD_NOT_LEADER', 'not the active controller: the lease record is not written', { field: 'etcd' });
      const t = await call(o, 'kv/txn', {
        compare: [
          { key: b64(l.key), target: 'VALUE', result: 'EQUAL', value: b64(l.me) },
          { key: b64(l.key), target: 'LEASE', result: 'EQUAL', lease: l.leaseId },
        ],
        success: [{ request_put: { key: b64(o.key), value: b64(JSON.stringify(rec)) } }],
      });
      if (t.succeeded !== true) throw new AnoguardError('E_ETCD_NOT_LEADER', 'etcd says another controller (or none) holds the election key: the lease record is not written', { field: 'etcd' });
    },
  };
}
