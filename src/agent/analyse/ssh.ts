import { BlockList, isIP } from 'node:net';
import type { AgentEvent } from '../payload.js';
import type { LogLine } from './lines.js';

/**
 * sshd log analysis after OSSEC's sshd rules: 5710 (invalid user), 5716 (authentication failure),
 * 5715 (accepted), 5718 (user denied), 5758 (max attempts), and the frequency rules 5712 / 5720
 * (N of 5710 / 5716 from one source within T seconds → brute force). Pure: lines in, events out,
 * the counters live in the state object the caller keeps.
 */
export interface SshAnalyserOptions {
  /** failures from one source that make a burst (OSSEC: 6) */
  burstCount: number;
  /** burst window in seconds (OSSEC: 120) */
  burstWindowSeconds: number;
  /** CIDRs operators log in from; an accepted login from elsewhere is a warning */
  opsCidrs: string[];
}

export const DEFAULT_SSH_OPTIONS: SshAnalyserOptions = { burstCount: 6, burstWindowSeconds: 120, opsCidrs: [] };

export interface SshAnalyserState {
  /** per rule and source address: timestamps (ms) of recent failures */
  recent: Map<string, number[]>;
  /** per rule and source: until when a fired burst is not reported again */
  quietUntil: Map<string, number>;
}

export const newSshState = (): SshAnalyserState => ({ recent: new Map(), quietUntil: new Map() });

/** sshd before Debian 13 logs as `sshd`; from OpenSSH 9.8 the per-connection process is `sshd-session`. */
const SSHD_PROGRAMS = new Set(['sshd', 'sshd-session', 'sshd-auth']);

// The user name is attacker-controlled and may itself contain " from 1.2.3.4 port 22": the greedy
// (.+) anchored on the line's end makes the LAST "from ADDR port N" the source, which sshd wrote.
const TAIL = String.raw` from (\S+) port (\d+)(?: ssh2(?:: .*)?)?(?: \[preauth\])?$`;
const RE_FAILED = new RegExp(String.raw`^Failed (\S+) for (invalid user )?(.+)${TAIL}`);
const RE_ACCEPTED = new RegExp(String.raw`^Accepted (\S+) for (.+)${TAIL}`);
const RE_INVALID = /^(?:Invalid|Illegal) user (.*) from (\S+)(?: port (\d+))?(?: \[preauth\])?$/;
const RE_DENIED = /^User (.+) from (\S+) not allowed because (.*)$/;
const RE_MAXAUTH = new RegExp(String.raw`^(?:error: )?maximum authentication attempts exceeded for (invalid user )?(.+)${TAIL}`);

function makeOpsList(cidrs: string[]): BlockList {
  const bl = new BlockList();
  for (const c of cidrs) {
    const [addr, bits] = c.split('/');
    const fam = isIP(addr ?? '');
    if (fam === 0) continue;
    bl.addSubnet(addr!, Number(bits ?? (fam === 4 ? 32 : 128)), fam === 4 ? 'ipv4' : 'ipv6');
  }
  return bl;
}

/** True when `address` lies in one of the ops networks (IPv4-mapped IPv6 is checked as IPv4). */
export function inCidrs(list: BlockList, address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const a = mapped ? mapped[1]! : address;
  const fam = isIP(a);
  if (fam === 0) return false;
  return list.check(a, fam === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Returns an analyser bound to its options. Feed it lines in order; it returns the events they
 * cause. Lines from other programs are ignored (the journal unit or auth.log carries others).
 */
export function createSshAnalyser(opts: SshAnalyserOptions = DEFAULT_SSH_OPTIONS, state: SshAnalyserState = newSshState()) {
  const ops = makeOpsList(opts.opsCidrs);
  const windowMs = opts.burstWindowSeconds * 1000;

  function countFailure(rule: 5712 | 5720, source: string, t: number, user: string): AgentEvent | undefined {
    const key = `${rule} ${source}`;
    const list = (state.recent.get(key) ?? []).filter((x) => x > t - windowMs);
    list.push(t);
    state.recent.set(key, list);
    if (list.length < opts.burstCount) return undefined;
    state.recent.delete(key);
    if ((state.quietUntil.get(key) ?? 0) > t) return undefined;
    state.quietUntil.set(key, t + windowMs);
    return {
      kind: 'ssh.bruteforce', severity: 'critical', t,
      message: `${list.length} ${rule === 5712 ? 'invalid-user attempts' : 'authentication failures'} from ${source} within ${opts.burstWindowSeconds} s`,
      data: { rule, source, count: list.length, windowSeconds: opts.burstWindowSeconds, lastUser: user },
    };
  }

  function analyse(line: LogLine): AgentEvent[] {
    if (line.program !== undefined && !SSHD_PROGRAMS.has(line.program)) return [];
    const msg = line.message.trim();
    const t = line.t;
    const out: AgentEvent[] = [];
    let m: RegExpExecArray | null;
    if ((m = RE_ACCEPTED.exec(msg))) {
      const [, method, user, source, port] = m;
      const inside = inCidrs(ops, source!);
      const outside = opts.opsCidrs.length > 0 && !inside;
      out.push({
        kind: 'ssh.login.accepted', severity: outside ? 'warning' : 'info', t,
        message: `accepted ${method} login for ${user} from ${source}${outside ? ' (outside the ops networks)' : ''}`,
        data: { rule: 5715, method, user, source, port: Number(port), outsideOps: outside },
      });
    } else if ((m = RE_FAILED.exec(msg))) {
      const [, method, invalid, user, source, port] = m;
      out.push({
        kind: 'ssh.login.failed', severity: 'info', t,
        message: `failed ${method} for ${invalid ? 'invalid user ' : ''}${user} from ${source}`,
        data: { rule: 5716, method, user, invalidUser: Boolean(invalid), source, port: Number(port) },
      });
      const burst = countFailure(5720, source!, t, user!);
      if (burst) out.push(burst);
    } else if ((m = RE_INVALID.exec(msg))) {
      const [, user, source, port] = m;
      out.push({
        kind: 'ssh.login.invalid-user', severity: 'info', t,
        message: `invalid user ${user} from ${source}`,
        data: { rule: 5710, user, source, ...(port ? { port: Number(port) } : {}) },
      });
      const burst = countFailure(5712, source!, t, user!);
      if (burst) out.push(burst);
    } else if ((m = RE_DENIED.exec(msg))) {
      const [, user, source, reason] = m;
      out.push({ kind: 'ssh.login.denied', severity: 'warning', t, message: `user ${user} from ${source} not allowed`, data: { rule: 5718, user, source, reason } });
    } else if ((m = RE_MAXAUTH.exec(msg))) {
      const [, invalid, user, source, port] = m;
      out.push({
        kind: 'ssh.login.max-attempts', severity: 'warning', t,
        message: `maximum authentication attempts exceeded for ${user} from ${source}`,
        data: { rule: 5758, user, invalidUser: Boolean(invalid), source, port: Number(port) },
      });
    }
    return out;
  }

  return { analyse, state };
}
