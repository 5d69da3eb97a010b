import { CHECKS } from './checks/index.js';
import type { AuditReport, AuditResult, Check, CheckContext, Facts, Severity } from './types.js';
import { skip } from './types.js';

/** Weights for the score: a critical failure costs ten times a low one; info counts for nothing. */
export const SEVERITY_WEIGHT: Record<Severity, number> = { critical: 10, high: 5, medium: 3, low: 1, info: 0 };

/** Runs every check on the facts; a check that throws is reported as skipped with the error (a bug, but the audit goes on). */
export function runChecks(facts: Facts, ctx: CheckContext, checks: readonly Check[] = CHECKS): AuditResult[] {
  return checks.map((c) => {
    let outcome;
    try {
      outcome = c.run(facts, ctx);
    } catch (e) {
      outcome = skip(`check failed: ${(e as Error).message}`);
    }
    return { id: c.id, title: c.title, severity: c.severity, status: outcome.status, detail: outcome.detail, refs: [...c.refs] };
  });
}

/** Share of the weighted checks that passed, 0–100 with one decimal; skipped checks are left out. */
export function scoreOf(results: readonly AuditResult[]): number {
  let total = 0;
  let passed = 0;
  for (const r of results) {
    if (r.status === 'skipped') continue;
    const w = SEVERITY_WEIGHT[r.severity];
    total += w;
    if (r.status === 'pass') passed += w;
  }
  return total === 0 ? 100 : Math.round((passed / total) * 1000) / 10;
}

export function buildReport(facts: Facts, ctx: CheckContext, checks: readonly Check[] = CHECKS): AuditReport {
  const results = runChecks(facts, ctx, checks);
  return { host: facts.host, profile: ctx.profile, score: scoreOf(results), results };
}
