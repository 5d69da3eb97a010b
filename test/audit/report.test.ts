import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { CHECKS } from '../../src/audit/checks/index.js';
import { exitCodeFor, listChecks, renderText, toSarif } from '../../src/audit/report.js';
import { buildReport, runChecks, scoreOf } from '../../src/audit/run.js';
import { AuditReportSchema, type AuditResult } from '../../src/audit/types.js';
import { authorityCtx, badFacts, goodFacts } from './fixtures.js';

/**
 * The parts of the SARIF 2.1.0 schema (sarif-schema-2.1.0.json, OASIS) a consumer relies on:
 * version, runs[].tool.driver.name, rules with ids, results with a message, enumerated level/kind,
 * ruleIndex pointing at the rule with the same id. Written from the standard's text; nothing fetched.
 */
const Message = z.object({ text: z.string().min(1) });
const Sarif = z.object({
  $schema: z.string().url().optional(),
  version: z.literal('2.1.0'),
  runs: z.array(z.object({
    tool: z.object({
      driver: z.object({
        name: z.string().min(1),
        version: z.string().optional(),
        rules: z.array(z.object({
          id: z.string().min(1),
          name: z.string().optional(),
          shortDescription: Message.optional(),
          fullDescription: Message.optional(),
          help: z.object({ text: z.string().min(1), markdown: z.string().optional() }).optional(),
          defaultConfiguration: z.object({ level: z.enum(['none', 'note', 'warning', 'error']) }).strict().optional(),
          properties: z.object({ tags: z.array(z.string()) }).loose().optional(),
        }).strict()),
      }).strict(),
    }).strict(),
    results: z.array(z.object({
      ruleId: z.string(),
      ruleIndex: z.number().int().min(0).optional(),
      kind: z.enum(['notApplicable', 'pass', 'fail', 'review', 'open', 'informational']).optional(),
      level: z.enum(['none', 'note', 'warning', 'error']).optional(),
      message: Message,
      locations: z.array(z.object({
        logicalLocations: z.array(z.object({ name: z.string(), kind: z.string().optional() }).strict()).optional(),
      }).strict()).optional(),
    }).strict()),
    properties: z.record(z.string(), z.unknown()).optional(),
  }).strict()).min(1),
}).strict();

const result = (severity: AuditResult['severity'], status: AuditResult['status']): AuditResult => ({ id: 'ANO-X-001', title: 't', severity, status, detail: 'd', refs: [] });

describe('score', () => {
  it('is the weighted share of passed checks, skipped left out', () => {
    assert.equal(scoreOf([result('critical', 'pass'), result('low', 'fail')]), Math.round((10 / 11) * 1000) / 10);
    assert.equal(scoreOf([result('critical', 'fail'), result('low', 'pass'), result('high', 'skipped')]), Math.round((1 / 11) * 1000) / 10);
    assert.equal(scoreOf([result('high', 'skipped')]), 100);
  });
  it('hardened host scores 100, misconfigured host 0', () => {
    assert.equal(buildReport(goodFacts(), authorityCtx).score, 100);
    assert.equal(buildReport(badFacts(), authorityCtx).score, 0);
  });
});

describe('--fail-on', () => {
  const report = { host: 'h', profile: 'ano' as const, score: 50, results: [result('medium', 'fail'), result('critical', 'skipped'), result('critical', 'pass')] };
  it('exits 1 only when a check at or above the severity failed', () => {
    assert.equal(exitCodeFor(report, 'critical'), 0);
    assert.equal(exitCodeFor(report, 'high'), 0);
    assert.equal(exitCodeFor(report, 'medium'), 1);
    assert.equal(exitCodeFor(report, 'low'), 1);
    assert.equal(exitCodeFor(report, undefined), 0);
  });
});

describe('JSON contract', () => {
  it('matches {host, profile, score, results:[{id,title,severity,status,detail,refs}]}', () => {
    const r = buildReport(badFacts(), authorityCtx);
    AuditReportSchema.strict().parse(r);
    for (const x of r.results) assert.deepEqual(Object.keys(x).sort(), ['detail', 'id', 'refs', 'severity', 'status', 'title']);
  });
});

describe('SARIF 2.1.0', () => {
  it('validates, has one rule per check with tags = refs, and maps severity to level', () => {
    const report = buildReport(badFacts(), authorityCtx);
    const sarif = Sarif.parse(toSarif(report, '0.1.0'));
    const run = sarif.runs[0]!;
    assert.equal(run.tool.driver.rules.length, CHECKS.length);
    for (const res of run.results) {
      const rule = run.tool.driver.rules[res.ruleIndex!]!;
      assert.equal(rule.id, res.ruleId);
    }
    const ssh2 = run.tool.driver.rules.find((r) => r.id === 'ANO-SSH-002')!;
    assert.ok(ssh2.properties!.tags.includes('dev-sec:sshd-27'));
    assert.equal(run.results.find((r) => r.ruleId === 'ANO-SSH-002')!.level, 'error');
    assert.equal(run.results.find((r) => r.ruleId === 'ANO-SSH-010')!.level, 'note');
    assert.equal(run.results.find((r) => r.ruleId === 'ANO-SSH-006')!.level, 'warning');
  });
  it('passed and skipped results are level none with their kind', () => {
    const facts = goodFacts();
    facts.timeSync = { ok: false, reason: 'no timedatectl' };
    const run = Sarif.parse(toSarif(buildReport(facts, authorityCtx), '0.1.0')).runs[0]!;
    assert.deepEqual({ ...run.results.find((r) => r.ruleId === 'ANO-HOST-003'), message: undefined, locations: undefined, ruleIndex: undefined },
      { ruleId: 'ANO-HOST-003', kind: 'notApplicable', level: 'none', message: undefined, locations: undefined, ruleIndex: undefined });
    assert.equal(run.results.find((r) => r.ruleId === 'ANO-SSH-001')!.kind, 'pass');
  });
});

describe('text', () => {
  const text = renderText(buildReport(badFacts(), authorityCtx), { color: false });
  it('groups failures by severity, most severe first, with the fix', () => {
    const order = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'].map((h) => text.indexOf(`\n${h} (`));
    for (const i of order) assert.ok(i > 0);
    assert.deepEqual([...order].sort((a, b) => a - b), order);
    assert.match(text, /FAIL ANO-SSH-002/);
    assert.match(text, /fix: .*anoguard render/);
    assert.match(text, /^score 0 /m);
  });
  it('has no escape codes without colour, and some with it', () => {
    const ESC = String.fromCharCode(27);
    assert.ok(!text.includes(`${ESC}[`));
    assert.ok(renderText(buildReport(badFacts(), authorityCtx), { color: true }).includes(`${ESC}[31m`));
  });
});

describe('profiles decide contested values', () => {
  const tries = (n: number, profile: 'ano' | 'devsec' | 'cis-l1' | 'lynis-strict'): string => {
    const f = goodFacts();
    const c = new Map(f.sshd.ok ? f.sshd.value : []);
    c.set('maxauthtries', [String(n)]);
    f.sshd = { ok: true, value: c };
    return runChecks(f, { ...authorityCtx, profile }).find((r) => r.id === 'ANO-SSH-009')!.status;
  };
  it('MaxAuthTries 3: dev-sec wants ≤ 2, CIS ≤ 4, Lynis ≤ 3', () => {
    assert.equal(tries(3, 'devsec'), 'fail');
    assert.equal(tries(3, 'cis-l1'), 'pass');
    assert.equal(tries(3, 'lynis-strict'), 'pass');
    assert.equal(tries(4, 'cis-l1'), 'pass');
    assert.equal(tries(4, 'ano'), 'fail');
    assert.equal(tries(2, 'devsec'), 'pass');
  });
  it('PermitRootLogin prohibit-password: dev-sec accepts, ano does not', () => {
    const f = goodFacts();
    const c = new Map(f.sshd.ok ? f.sshd.value : []);
    c.set('permitrootlogin', ['prohibit-password']);
    f.sshd = { ok: true, value: c };
    assert.equal(runChecks(f, { ...authorityCtx, profile: 'devsec' }).find((r) => r.id === 'ANO-SSH-003')!.status, 'pass');
    assert.equal(runChecks(f, authorityCtx).find((r) => r.id === 'ANO-SSH-003')!.status, 'fail');
  });
  it('port 22: Lynis fails it, CIS does not check it', () => {
    const f = badFacts();
    assert.equal(runChecks(f, { ...authorityCtx, profile: 'lynis-strict' }).find((r) => r.id === 'ANO-SSH-001')!.status, 'fail');
    assert.equal(runChecks(f, { ...authorityCtx, profile: 'cis-l1' }).find((r) => r.id === 'ANO-SSH-001')!.status, 'pass');
  });
});

describe('catalogue listing', () => {
  it('lists every check with its refs', () => {
    const l = listChecks();
    assert.equal(l.length, CHECKS.length);
    assert.ok(l.every((c) => c.remediation.length > 0));
  });
});
