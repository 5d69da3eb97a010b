import type { AgentEvent } from '../payload.js';
import type { LogLine } from './lines.js';

/**
 * factomd stdout/stderr patterns worth waking someone for (strings as seen on v6.17.1, see
 * factomd-samples/behaviour/README.md). A stall, a brain swap and a misspelled config key print
 * nothing: those come from the API probe, not from here.
 */
export function createFactomdLogAnalyser() {
  /** the config fallback is four lines; the error detail arrives after the headline */
  let pending: { t: number; path?: string; lines: number } | undefined;
  let lastReadingFrom: string | undefined;

  function fallbackEvent(p: { t: number; path?: string }, detail?: { line: number; col: number; error: string }): AgentEvent {
    return {
      kind: 'factomd.config-fallback', severity: 'critical', t: p.t,
      message: `factomd could not parse its config and runs on DEFAULT settings (RPC auth off, default key)${detail ? `: line ${detail.line}: ${detail.error}` : ''}`,
      data: { ...(p.path ? { path: p.path } : {}), ...(detail ?? {}) },
    };
  }

  function analyse(line: LogLine): AgentEvent[] {
    const msg = line.message;
    const out: AgentEvent[] = [];
    if (pending) {
      const d = /^(.+):(\d+):(\d+): (.+)$/.exec(msg.trim());
      if (d) {
        out.push(fallbackEvent({ t: pending.t, path: d[1]! }, { line: Number(d[2]), col: Number(d[3]), error: d[4]! }));
        pending = undefined;
        return out;
      }
      if (msg.includes('Starting with default settings') && pending.lines < 2) {
        pending.lines++;
        return out;
      }
      out.push(fallbackEvent(pending));
      pending = undefined;
    }
    const reading = /Reading from '(.+)'/.exec(msg);
    if (reading) lastReadingFrom = reading[1]!;
    if (msg.includes('Cannot open custom config file')) {
      pending = { t: line.t, lines: 0, ...(lastReadingFrom ? { path: lastReadingFrom } : {}) };
    } else if (msg.includes('There are two leaders configured with the same Identity')) {
      out.push({
        kind: 'factomd.duplicate-identity', severity: 'critical', t: line.t,
        message: 'factomd died: another node runs with the same federated identity',
        data: { role: 'federated' },
      });
    } else if (msg.includes('We have seen a heartbeat using our Identity')) {
      out.push({
        kind: 'factomd.duplicate-identity', severity: 'critical', t: line.t,
        message: 'factomd died: another node runs with the same audit identity',
        data: { role: 'audit' },
      });
    } else if (/^panic: /.test(msg.trim()) || /\bpanic: /.test(msg)) {
      out.push({ kind: 'factomd.panic', severity: 'critical', t: line.t, message: msg.trim().slice(0, 500), data: {} });
    } else if (msg.includes('Received SIGINT') || msg.includes('Initiating a graceful shutdown')) {
      if (msg.includes('Received SIGINT')) out.push({ kind: 'factomd.shutdown', severity: 'info', t: line.t, message: 'factomd shutting down (SIGINT)', data: {} });
    }
    return out;
  }

  /** End of the available input: a fallback headline whose detail never came is reported as is. */
  function flush(): AgentEvent[] {
    if (!pending) return [];
    const e = fallbackEvent(pending);
    pending = undefined;
    return [e];
  }

  return { analyse, flush };
}
