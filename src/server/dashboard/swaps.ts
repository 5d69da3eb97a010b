import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AnoguardError } from '../../errors.js';
import { FINAL_STATES, type JournalEntry, type JournalState } from '../../failover/journal.js';
import type { SwapPlan } from '../../failover/plan.js';
import type { Logger } from '../../log.js';
import type { ServerFailover, SwapRequest as ServerSwapRequest } from '../failover/types.js';

/**
 * The dashboard's side of the failover controller: its status, planned swaps for operators, and the
 * swap/failover history from the controller's journal. The web pages and `anoguard swap … --server`
 * both go through these routes, so there is one code path for a swap started by a person.
 */

/** The server's controller (src/server/failover); undefined = not configured. */
export type FailoverApi = ServerFailover;

const SwapFields = {
  standby: z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'a host name').optional(),
  minLeadSeconds: z.number().min(0).max(3600).optional(),
};
/** The body of POST /api/swap/plan (and run, plus planId). No mode: each agent demotes to its staged follower identity. */
export const SwapRequest = z.object(SwapFields).strict() satisfies z.ZodType<ServerSwapRequest>;
export type SwapRequest = z.infer<typeof SwapRequest>;
const RunRequest = z.object({ ...SwapFields, planId: z.string().regex(/^[0-9a-f]{16}$/, 'the id of a plan from POST /api/swap/plan').optional() }).strict();

export interface SwapStep { state: JournalState; ts: number; data: Record<string, unknown> }
export interface SwapHistoryRow {
  id: string;
  kind: 'planned' | 'failover' | 'rollback';
  /** The latest state; `final` once it can no longer change. */
  state: JournalState;
  final: boolean;
  from?: string;
  to?: string;
  height?: number;
  verified: boolean;
  rolledBack: boolean;
  startedAt: number;
  endedAt?: number;
  steps: SwapStep[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** One row per swap or failover, newest first, from the journal's lines. */
export function swapHistory(entries: readonly JournalEntry[]): SwapHistoryRow[] {
  const by = new Map<string, JournalEntry[]>();
  for (const e of entries) {
    const l = by.get(e.swapId) ?? [];
    l.push(e);
    by.set(e.swapId, l);
  }
  const rows: SwapHistoryRow[] = [];
  for (const [id, es] of by) {
    const first = es[0]!;
    const last = es[es.length - 1]!;
    const step = (s: JournalState) => es.find((e) => e.state === s)?.data ?? {};
    const planned = step('planned');
    // The controller writes from/to; the local CLI swap writes holder/standby.
    const from = str(planned.from) ?? str(planned.holder) ?? str(step('fencing').from);
    const to = str(planned.to) ?? str(planned.standby) ?? str(step('edits-sent').host);
    const height = num(planned.height) ?? num(step('height-reached').height) ?? num(step('edits-sent').changeAcksHeight);
    const final = FINAL_STATES.has(last.state);
    rows.push({
      id, kind: first.kind === 'swap' ? 'planned' : first.kind, state: last.state, final,
      ...(from ? { from } : {}), ...(to ? { to } : {}), ...(height !== undefined ? { height } : {}),
      verified: es.some((e) => e.state === 'verified'), rolledBack: es.some((e) => e.state === 'rolled-back'),
      startedAt: first.ts, ...(final ? { endedAt: last.ts } : {}),
      steps: es.map((e) => ({ state: e.state, ts: e.ts, data: e.data })),
    });
  }
  return rows.sort((a, b) => b.startedAt - a.startedAt);
}

/** What the Swaps page and the CLI poll while a run is going on. */
export interface SwapRun {
  id: string;
  user: string;
  planId?: string;
  state: 'running' | 'done' | 'error';
  startedAt: number;
  endedAt?: number;
  /** The journal's id for it, once the controller has written "planned". */
  swapId?: string;
  ok?: boolean;
  detail?: string;
  plan?: SwapPlan;
  error?: { code: string; message: string; field?: string };
}

export interface SwapRoutesOptions {
  failover: () => FailoverApi | undefined;
  audit: (req: FastifyRequest, action: string, detail: Record<string, unknown>) => void;
  now: () => number;
  logger: Logger;
}

function fail(reply: FastifyReply, status: number, code: string, message: string, field?: string) {
  return reply.code(status).send({ error: { code, message, ...(field ? { field } : {}) } });
}

const NOT_CONFIGURED = 'failover not configured on this server (it needs a topology with an authority standby and the operator key)';

/** Never hand the new files out: `edit` holds the unmasked private key. */
function publicPlan(p: SwapPlan | undefined): SwapPlan | undefined {
  if (!p) return undefined;
  const { edit: _secret, ...rest } = p;
  return rest;
}

/** Bad host → 400, an agent that does not answer → 503, anything else refused (a swap running) → 409. */
const STATUS: Record<string, number> = { E_SWAP_HOST: 400, E_SWAP_UNREACHABLE: 503, E_SWAP_PENDING: 409 };

function errorOf(e: unknown): { status: number; code: string; message: string; field?: string } {
  if (e instanceof AnoguardError) {
    return { status: STATUS[e.code] ?? (e.exitCode === 2 ? 400 : 409), code: e.code, message: e.shortMessage, ...(e.field ? { field: e.field } : {}) };
  }
  return { status: 500, code: 'E_FAILOVER', message: e instanceof Error ? e.message : String(e) };
}

export const swapRoutes: FastifyPluginAsync<SwapRoutesOptions> = async (app, o) => {
  const runs: SwapRun[] = [];
  const plans = new Map<string, number>();
  const operator = async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.session?.role !== 'operator') return fail(reply, 403, 'E_FORBIDDEN', 'operators only');
    return undefined;
  };
  const need = (reply: FastifyReply): FailoverApi | undefined => {
    const f = o.failover();
    if (!f) void fail(reply, 404, 'E_NO_FAILOVER', NOT_CONFIGURED);
    return f;
  };
  const bad = (reply: FastifyReply, e: z.ZodError) => {
    const i = e.issues[0]!;
    return fail(reply, 400, 'E_BAD_INPUT', i.message, i.path.join('.') || 'body');
  };
  /** The journal id of the swap a run started: the newest swap planned since the run began. */
  const swapIdOf = (f: FailoverApi, r: SwapRun): string | undefined => {
    if (r.swapId) return r.swapId;
    const e = [...f.journal()].reverse().find((x) => x.kind === 'swap' && x.state === 'planned' && x.ts >= r.startedAt - 1000);
    return e?.swapId;
  };
  const view = (f: FailoverApi | undefined, r: SwapRun): SwapRun => {
    const swapId = f ? swapIdOf(f, r) : r.swapId;
    return { ...r, ...(swapId ? { swapId } : {}), ...(r.plan ? { plan: publicPlan(r.plan)! } : {}) };
  };

  app.get('/api/failover', async (_req, reply) => {
    const f = need(reply);
    if (!f) return reply;
    const last = runs[runs.length - 1];
    return { configured: true, status: f.status(), run: last ? view(f, last) : null };
  });

  const HistoryQuery = z.object({ limit: z.coerce.number().int().min(1).max(5000).default(200) }).strict();
  app.get('/api/swaps', async (req, reply) => {
    const q = HistoryQuery.safeParse(req.query);
    if (!q.success) return bad(reply, q.error);
    const f = need(reply);
    if (!f) return reply;
    return swapHistory(f.journal()).slice(0, q.data.limit);
  });

  app.post('/api/swap/plan', { preHandler: operator }, async (req, reply) => {
    const b = SwapRequest.safeParse(req.body ?? {});
    if (!b.success) return bad(reply, b.error);
    const f = need(reply);
    if (!f) return reply;
    const planId = randomBytes(8).toString('hex');
    try {
      const p = publicPlan(await f.plan(b.data))!;
      o.audit(req, 'swap.plan', { planId, ...b.data, ok: p.ok, height: p.height, failed: p.checks.filter((c) => !c.ok).map((c) => c.id) });
      plans.set(planId, o.now());
      for (const [k, t] of plans) if (plans.size > 100 || o.now() - t > 3_600_000) plans.delete(k);
      return { planId, ...p };
    } catch (e) {
      const x = errorOf(e);
      o.audit(req, 'swap.plan', { planId, ...b.data, error: x.code, message: x.message });
      return fail(reply, x.status, x.code, x.message, x.field);
    }
  });

  app.post('/api/swap/run', { preHandler: operator }, async (req, reply) => {
    const b = RunRequest.safeParse(req.body ?? {});
    if (!b.success) return bad(reply, b.error);
    const f = need(reply);
    if (!f) return reply;
    if (runs.some((r) => r.state === 'running')) return fail(reply, 409, 'E_SWAP_RUNNING', 'a swap started from the dashboard is still running');
    const { planId, ...req2 } = b.data;
    const run: SwapRun = { id: randomBytes(8).toString('hex'), user: req.session!.user, ...(planId ? { planId } : {}), state: 'running', startedAt: o.now() };
    runs.push(run);
    if (runs.length > 50) runs.shift();
    o.audit(req, 'swap.run', { runId: run.id, planId: planId ?? null, ...req2 });
    // A swap waits for its height (minutes on mainnet): answer at once, the pages and the CLI poll.
    void f.run(req2).then((r) => {
      Object.assign(run, { state: 'done', ok: r.ok, endedAt: o.now(), ...(r.detail !== undefined ? { detail: r.detail } : {}), ...(r.plan ? { plan: publicPlan(r.plan) } : {}) });
      const swapId = r.swapId ?? swapIdOf(f, run);
      if (swapId) run.swapId = swapId;
      o.audit(req, 'swap.run.result', { runId: run.id, planId: planId ?? null, swapId: swapId ?? null, ok: r.ok, detail: r.detail ?? '' });
    }, (e: unknown) => {
      const x = errorOf(e);
      Object.assign(run, { state: 'error', ok: false, endedAt: o.now(), detail: x.message, error: { code: x.code, message: x.message, ...(x.field ? { field: x.field } : {}) } });
      o.logger.warn({ runId: run.id, code: x.code, err: x.message }, 'swap run failed');
      o.audit(req, 'swap.run.result', { runId: run.id, planId: planId ?? null, ok: false, error: x.code, detail: x.message });
    });
    return reply.code(202).send(view(f, run));
  });

  app.get<{ Params: { id: string } }>('/api/swap/runs/:id', async (req, reply) => {
    const r = runs.find((x) => x.id === req.params.id);
    if (!r) return fail(reply, 404, 'E_NO_RUN', 'no such swap run (runs are kept in memory until the server restarts)', 'id');
    return view(o.failover(), r);
  });
};
