import { lintFactomdConf, type LintFinding } from '../../factom/conf-lint.js';
import { fail, pass, skip, type CheckContext, type CheckOutcome, type FactomdConfFacts, type Facts } from '../types.js';

/** conf-lint findings for the gathered factomd.conf, with the role's strictness. */
export function confFindings(c: FactomdConfFacts, ctx: CheckContext): LintFinding[] {
  const role = ctx.hostEntry?.role ?? ctx.role;
  return lintFactomdConf(c.text, { path: c.path, ...(role === 'authority' || role === 'follower' ? { role } : {}) });
}

const describe = (x: LintFinding): string => `${x.id}${x.line ? ` (line ${x.line})` : ''}: ${x.message}`;

/** Fails when any finding with one of `ids` is present (at any severity). */
export function failOnLint(f: Facts, ctx: CheckContext, ids: readonly string[], passText: string): CheckOutcome {
  if (!f.factomdConf.ok) return skip(f.factomdConf.reason);
  const conf = f.factomdConf.value;
  const hits = confFindings(conf, ctx).filter((x) => ids.includes(x.id));
  return hits.length > 0 ? fail(`${conf.path}: ${hits.map(describe).join('; ')}`) : pass(`${conf.path}: ${passText}`);
}
