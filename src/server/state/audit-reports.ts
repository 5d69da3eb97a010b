import { AuditReportSchema, SEVERITIES, type AuditReport, type Severity } from '../../audit/report-schema.js';
import type { AppDb } from './appdb.js';

/**
 * The latest `anoguard audit` report of each node, as pushed over mTLS (`POST /ingest/v1/audit`).
 * One row per node: a new push replaces the previous one; the dashboard shows only the latest.
 */
export interface StoredAuditReport {
  /** The node: the CN of the certificate that pushed it, never the report's own `host`. */
  node: string;
  /** Server clock, ms. */
  receivedAt: number;
  report: AuditReport;
}

export function saveAuditReport(db: AppDb, node: string, report: AuditReport, receivedAt: number): void {
  db.prepare('INSERT INTO audit_reports (node, received_at, json) VALUES (?, ?, ?) ON CONFLICT(node) DO UPDATE SET received_at = excluded.received_at, json = excluded.json')
    .run(node, receivedAt, JSON.stringify(report));
}

export function latestAuditReport(db: AppDb, node: string): StoredAuditReport | undefined {
  const row = db.prepare('SELECT received_at, json FROM audit_reports WHERE node = ?').get(node) as { received_at: number; json: string } | undefined;
  if (!row) return undefined;
  // Rows were schema-checked on the way in; parsing again keeps an edited or older row from reaching the page malformed.
  const r = AuditReportSchema.safeParse(JSON.parse(row.json));
  return r.success ? { node, receivedAt: row.received_at, report: r.data } : undefined;
}

export interface AuditSummary {
  /** When the server received it (ms); `t` and `message` keep the shape the node page already renders. */
  t: number;
  message: string;
  score: number;
  profile: string;
  /** The host name the audit itself saw (`hostname`), for comparison with the node name. */
  reportedHost: string;
  counts: { pass: number; fail: number; skipped: number };
  failedBySeverity: Record<Severity, number>;
  failed: { id: string; title: string; severity: Severity; detail: string }[];
}

/** What the node page shows: score, failed checks by severity (most severe first), time. */
export function summarizeAudit(s: StoredAuditReport): AuditSummary {
  const { report } = s;
  const failed = report.results.filter((r) => r.status === 'fail')
    .sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity))
    .map((r) => ({ id: r.id, title: r.title, severity: r.severity, detail: r.detail }));
  const failedBySeverity = Object.fromEntries(SEVERITIES.map((sev) => [sev, failed.filter((f) => f.severity === sev).length])) as Record<Severity, number>;
  const counts = { pass: 0, fail: 0, skipped: 0 };
  for (const r of report.results) counts[r.status]++;
  const bySev = SEVERITIES.filter((sev) => failedBySeverity[sev] > 0).map((sev) => `${failedBySeverity[sev]} ${sev}`);
  const message = `score ${report.score} (profile ${report.profile}); ${counts.fail === 0 ? 'no failed checks' : `failed: ${bySev.join(', ')}`}; ${counts.pass} passed, ${counts.skipped} skipped`;
  return { t: s.receivedAt, message, score: report.score, profile: report.profile, reportedHost: report.host, counts, failedBySeverity, failed };
}
