import { readFileSync, readdirSync, statfsSync } from 'node:fs';
import { sample, type Probe, type ProbeContext, type ProbeState } from './probe.js';
import type { AgentEvent, Sample } from './payload.js';

/**
 * A context for one collection: reads are memoised so /proc/stat is read once for several probes.
 * /proc and statfs answer from kernel memory without blocking, so they are read synchronously, as
 * node_exporter does: going through the libuv thread pool cost more CPU than the read itself.
 */
export function createProbeContext(o: { procRoot: string; state: ProbeState; now: number }): ProbeContext {
  const cache = new Map<string, string>();
  return {
    now: o.now,
    procRoot: o.procRoot,
    state: o.state,
    async readText(path) {
      let text = cache.get(path);
      if (text === undefined) { text = readFileSync(path, 'utf8'); cache.set(path, text); }
      return text;
    },
    listDir: async (path) => readdirSync(path),
    statfs: async (path) => {
      const s = statfsSync(path);
      return { bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree };
    },
  };
}

export interface CollectionResult {
  samples: Sample[];
  events: AgentEvent[];
  /** probe id → error message, for probes that failed this time */
  errors: Record<string, string>;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Runs every probe due at collection `index` one after the other (cheap probes; sequential keeps the agent's CPU spikes
 * flat). A failing probe costs only its own samples: it is reported as `anoguard_agent_probe_up`
 * 0 plus an `agent.probe.error` event when it starts failing.
 */
export async function collectOnce(probes: readonly Probe[], ctx: ProbeContext, o: { timeoutMs?: number; index?: number } = {}): Promise<CollectionResult> {
  const timeoutMs = o.timeoutMs ?? 8000;
  const samples: Sample[] = [];
  const events: AgentEvent[] = [];
  const errors: Record<string, string> = {};
  for (const p of probes) {
    // Without an index (a one-off collection) every probe runs.
    if (o.index !== undefined && (p.period ?? 1) > 1 && o.index % p.period! !== 0) continue;
    const start = process.hrtime.bigint();
    try {
      const r = await withTimeout(p.collect(ctx), timeoutMs, p.id);
      samples.push(...r.samples);
      events.push(...r.events);
      samples.push(sample('anoguard_agent_probe_up', 1, ctx.now, { probe: p.id }));
      if (ctx.state.get<string>(`probe.failing.${p.id}`)) ctx.state.set(`probe.failing.${p.id}`, null);
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      errors[p.id] = msg;
      samples.push(sample('anoguard_agent_probe_up', 0, ctx.now, { probe: p.id }));
      if (!ctx.state.get<string>(`probe.failing.${p.id}`)) {
        events.push({ kind: 'agent.probe.error', severity: 'warning', t: ctx.now, message: `probe ${p.id} failed: ${msg}`.slice(0, 2000), data: { probe: p.id } });
        ctx.state.set(`probe.failing.${p.id}`, msg);
      }
    }
    samples.push(sample('anoguard_agent_probe_seconds', Number(process.hrtime.bigint() - start) / 1e9, ctx.now, { probe: p.id }));
  }
  return { samples, events, errors };
}
