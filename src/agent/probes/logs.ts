import { sample, type Probe } from '../probe.js';
import { readLogSource, type LogSource } from '../logsource.js';
import { createSshAnalyser, newSshState, type SshAnalyserOptions } from '../analyse/ssh.js';
import { createFactomdLogAnalyser } from '../analyse/factomd.js';
import type { AgentEvent } from '../payload.js';

/** Per collection, at most this many individual login events; a flood is summarised (the bursts still fire). */
const MAX_LOGIN_EVENTS = 200;

function capLoginEvents(events: AgentEvent[], t: number): AgentEvent[] {
  const isLogin = (e: AgentEvent) => e.kind === 'ssh.login.failed' || e.kind === 'ssh.login.invalid-user';
  const logins = events.filter(isLogin);
  if (logins.length <= MAX_LOGIN_EVENTS) return events;
  const keep = new Set(logins.slice(0, MAX_LOGIN_EVENTS));
  const out = events.filter((e) => !isLogin(e) || keep.has(e));
  out.push({ kind: 'ssh.login.suppressed', severity: 'warning', t, message: `${logins.length - MAX_LOGIN_EVENTS} more failed logins not listed`, data: { count: logins.length - MAX_LOGIN_EVENTS } });
  return out;
}

export function createSshLogProbe(source: LogSource, opts: SshAnalyserOptions): Probe {
  // Burst counters live in memory: after a restart a burst starts counting again, as in OSSEC.
  const analyser = createSshAnalyser(opts, newSshState());
  return {
    id: 'ssh-log',
    describe: 'sshd log analysis (OSSEC 5710/5712/5715/5716/5720): failed and accepted logins, brute force',
    async collect(ctx) {
      const lines = await readLogSource(source, ctx.state, 'log.ssh', ctx.now);
      const events = capLoginEvents(lines.flatMap((l) => analyser.analyse(l)), ctx.now);
      const count = (k: string) => events.filter((e) => e.kind === k).length;
      return {
        samples: [
          sample('anoguard_ssh_failed_logins', count('ssh.login.failed') + count('ssh.login.invalid-user'), ctx.now),
          sample('anoguard_ssh_accepted_logins', count('ssh.login.accepted'), ctx.now),
        ],
        events,
      };
    },
  };
}

export function createFactomdLogProbe(source: LogSource): Probe {
  const analyser = createFactomdLogAnalyser();
  return {
    id: 'factomd-log',
    describe: 'factomd log patterns: panics, duplicate identity, config fallback to defaults',
    async collect(ctx) {
      // factomd writes plain stdout lines, no syslog header, unless it goes through the journal.
      const src: LogSource = 'file' in source && source.format === undefined ? { ...source, format: 'plain' } : source;
      const lines = await readLogSource(src, ctx.state, 'log.factomd', ctx.now);
      const events = [...lines.flatMap((l) => analyser.analyse(l)), ...analyser.flush()];
      return { samples: [], events };
    },
  };
}
