import { CHECKS } from './checks/index.js';
import { SEVERITIES, type AuditReport, type Check, type Severity } from './types.js';

/** Exit code for `--fail-on`: 1 when a check at or above that severity failed, else 0. */
export function exitCodeFor(report: AuditReport, failOn: Severity | undefined): 0 | 1 {
  if (!failOn) return 0;
  const limit = SEVERITIES.indexOf(failOn);
  return report.results.some((r) => r.status === 'fail' && SEVERITIES.indexOf(r.severity) <= limit) ? 1 : 0;
}

export interface TextOptions {
  /** ANSI colours; the CLI passes false when NO_COLOR is set or stdout is not a TTY. */
  color: boolean;
  /** Also list the passed checks. */
  verbose?: boolean;
}

const SGR: Record<string, number> = { red: 31, yellow: 33, green: 32, dim: 2, bold: 1 };

/** Human text: failures grouped by severity (most severe first) with their fix, then skipped, then the score. */
export function renderText(report: AuditReport, opts: TextOptions, checks: readonly Check[] = CHECKS): string {
  const paint = (c: keyof typeof SGR, s: string): string => (opts.color ? `\u001b[${SGR[c]}m${s}\u001b[0m` : s);
  const byId = new Map(checks.map((c) => [c.id, c]));
  const out: string[] = [paint('bold', `anoguard audit ${report.host} (profile ${report.profile})`), ''];
  for (const sev of SEVERITIES) {
    const failed = report.results.filter((r) => r.status === 'fail' && r.severity === sev);
    if (failed.length === 0) continue;
    out.push(paint(sev === 'critical' || sev === 'high' ? 'red' : 'yellow', `${sev.toUpperCase()} (${failed.length})`));
    for (const r of failed) {
      out.push(`  FAIL ${r.id}  ${r.title}`, `       ${r.detail}`);
      const fix = byId.get(r.id)?.remediation;
      if (fix) out.push(paint('dim', `       fix: ${fix}`));
    }
    out.push('');
  }
  const skipped = report.results.filter((r) => r.status === 'skipped');
  if (skipped.length > 0) {
    out.push(paint('dim', `SKIPPED (${skipped.length})`));
    for (const r of skipped) out.push(paint('dim', `  SKIP ${r.id}  ${r.title}: ${r.detail}`));
    out.push('');
  }
  const passed = report.results.filter((r) => r.status === 'pass');
  if (opts.verbose) {
    out.push(paint('green', `PASSED (${passed.length})`));
    for (const r of passed) out.push(`  PASS ${r.id}  ${r.title}: ${r.detail}`);
    out.push('');
  }
  const failedCount = report.results.filter((r) => r.status === 'fail').length;
  out.push(`${paint('bold', `score ${report.score}`)}  ${passed.length} passed, ${failedCount} failed, ${skipped.length} skipped`);
  return `${out.join('\n')}\n`;
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
/** GitHub code scanning reads this property to rank security results (CVSS-like 0–10). */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

/** SARIF 2.1.0: one run, one rule per check (help = remediation, tags = baseline ids), one result per check. */
export function toSarif(report: AuditReport, toolVersion: string, checks: readonly Check[] = CHECKS): Record<string, unknown> {
  const index = new Map(checks.map((c, i) => [c.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'anoguard',
            version: toolVersion,
            rules: checks.map((c) => ({
              id: c.id,
              name: c.id.replace(/-/g, ''),
              shortDescription: { text: c.title },
              fullDescription: { text: c.why },
              help: { text: c.remediation },
              defaultConfiguration: { level: LEVEL[c.severity] },
              properties: { tags: ['security', ...c.refs], 'security-severity': SECURITY_SEVERITY[c.severity], severity: c.severity },
            })),
          },
        },
        results: report.results.map((r) => ({
          ruleId: r.id,
          ...(index.has(r.id) ? { ruleIndex: index.get(r.id) } : {}),
          kind: r.status === 'fail' ? 'fail' : r.status === 'pass' ? 'pass' : 'notApplicable',
          level: r.status === 'fail' ? LEVEL[r.severity] : 'none',
          message: { text: `${r.title}: ${r.detail}` },
          locations: [{ logicalLocations: [{ name: report.host, kind: 'resource' }] }],
        })),
        properties: { host: report.host, profile: report.profile, score: report.score },
      },
    ],
  };
}

/** The check catalogue (for `--list-checks` and docs/audit.md). */
export function listChecks(checks: readonly Check[] = CHECKS): { id: string; area: string; severity: Severity; title: string; refs: string[]; remediation: string }[] {
  return checks.map((c) => ({ id: c.id, area: c.area, severity: c.severity, title: c.title, refs: [...c.refs], remediation: c.remediation }));
}
