import { z } from 'zod';

/**
 * The JSON contract of `anoguard audit --json` (issue 5), and of the report the server accepts on
 * `POST /ingest/v1/audit`. Only zod here: the server reads this contract without importing the
 * audit itself. The bounds are far above what the 41 checks write (a report is ~13 KB) and exist
 * so a pushed body cannot be made of one giant string.
 */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const PROFILES = ['ano', 'devsec', 'cis-l1', 'lynis-strict'] as const;
export type Profile = (typeof PROFILES)[number];

export const STATUSES = ['pass', 'fail', 'skipped'] as const;
export type Status = (typeof STATUSES)[number];

export const AuditResultSchema = z.object({
  id: z.string().regex(/^ANO-[A-Z]+-\d{3}$/),
  title: z.string().max(500),
  severity: z.enum(SEVERITIES),
  status: z.enum(STATUSES),
  detail: z.string().max(16_000),
  refs: z.array(z.string().max(100)).max(50),
});
export type AuditResult = z.infer<typeof AuditResultSchema>;

export const AuditReportSchema = z.object({
  host: z.string().max(253),
  profile: z.enum(PROFILES),
  score: z.number().min(0).max(100),
  results: z.array(AuditResultSchema).max(1000),
});
export type AuditReport = z.infer<typeof AuditReportSchema>;
