/** One log record handed to the analysers: when it was written, by which program, and the text. */
export interface LogLine {
  /** unix ms */
  t: number;
  program?: string;
  message: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Parses one syslog line as rsyslog writes /var/log/auth.log: the RFC 3339 form Debian 12+ uses
 * (`2026-11-26T10:00:00.123456+00:00 host sshd[12]: msg`) or the classic one (`Nov 26 10:00:00 host
 * sshd[12]: msg`, no year: the year of `nowMs`, local time, one year back when that lands in the future).
 * A line that is neither keeps its text with t = nowMs.
 */
export function parseSyslogLine(raw: string, nowMs: number): LogLine {
  const iso = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))\s+\S+\s+([^\s:[]+)(?:\[\d+\])?:\s?(.*)$/.exec(raw);
  if (iso) {
    const t = Date.parse(iso[1]!);
    return { t: Number.isFinite(t) ? t : nowMs, program: iso[2]!, message: iso[3]! };
  }
  const classic = /^([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d\d):(\d\d):(\d\d)\s+\S+\s+([^\s:[]+)(?:\[\d+\])?:\s?(.*)$/.exec(raw);
  if (classic) {
    const month = MONTHS.indexOf(classic[1]!);
    const now = new Date(nowMs);
    let d = new Date(now.getFullYear(), month, Number(classic[2]), Number(classic[3]), Number(classic[4]), Number(classic[5]));
    if (d.getTime() > nowMs + 86_400_000) d = new Date(now.getFullYear() - 1, month, Number(classic[2]), Number(classic[3]), Number(classic[4]), Number(classic[5]));
    return { t: month >= 0 ? d.getTime() : nowMs, program: classic[6]!, message: classic[7]! };
  }
  return { t: nowMs, message: raw };
}

/** journald stores non-UTF-8 or binary messages as an array of bytes. */
function journalText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((b) => typeof b === 'number')) return Buffer.from(v).toString('utf8');
  return undefined;
}

/** Parses one line of `journalctl -o json`; returns the cursor too so the reader can resume after it. */
export function parseJournalLine(raw: string, nowMs: number): (LogLine & { cursor?: string }) | undefined {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const message = journalText(o.MESSAGE);
  if (message === undefined) return undefined;
  const us = Number(o.__REALTIME_TIMESTAMP);
  const program = journalText(o.SYSLOG_IDENTIFIER) ?? journalText(o._COMM);
  return {
    t: Number.isFinite(us) && us > 0 ? Math.floor(us / 1000) : nowMs,
    message,
    ...(program !== undefined ? { program } : {}),
    ...(typeof o.__CURSOR === 'string' ? { cursor: o.__CURSOR } : {}),
  };
}
