import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync, writeFileSync, appendFileSync, renameSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_LOGS, memoryState } from './helpers/ctx.js';
import { parseSyslogLine, parseJournalLine, type LogLine } from '../../src/agent/analyse/lines.js';
import { createSshAnalyser } from '../../src/agent/analyse/ssh.js';
import { createFactomdLogAnalyser } from '../../src/agent/analyse/factomd.js';
import { tailFile, readJournal } from '../../src/agent/logsource.js';
import { EventSchema, type AgentEvent } from '../../src/agent/payload.js';

interface Case { line: string; expected: { kind: string; severity?: string; data?: Record<string, unknown> }[]; lineNo: number }

/** Reads an annotated fixture: each log line is preceded by "#> -" or one "#> {json}" per expected event. */
function loadCases(file: string): Case[] {
  const cases: Case[] = [];
  let pending: Case['expected'] | undefined;
  readFileSync(join(FIXTURE_LOGS, file), 'utf8').split('\n').forEach((l, i) => {
    if (l.startsWith('#> ')) {
      pending ??= [];
      const body = l.slice(3).trim();
      if (body !== '-') pending.push(JSON.parse(body) as Case['expected'][number]);
    } else if (l.startsWith('#') || l.trim() === '') {
      // comment
    } else {
      assert.ok(pending, `${file}:${i + 1}: log line without an expectation`);
      cases.push({ line: l, expected: pending, lineNo: i + 1 });
      pending = undefined;
    }
  });
  return cases;
}

function assertEvents(file: string, c: Case, got: AgentEvent[]): void {
  const where = `${file}:${c.lineNo}`;
  assert.equal(got.length, c.expected.length, `${where}: expected ${c.expected.map((e) => e.kind).join(',') || 'nothing'}, got ${got.map((e) => e.kind).join(',') || 'nothing'}`);
  c.expected.forEach((exp, i) => {
    const e = got[i]!;
    EventSchema.parse(e);
    assert.equal(e.kind, exp.kind, where);
    if (exp.severity) assert.equal(e.severity, exp.severity, `${where} severity`);
    for (const [k, v] of Object.entries(exp.data ?? {})) assert.deepEqual(e.data[k], v, `${where} data.${k}`);
  });
}

const NOW = Date.parse('2026-11-26T12:00:00Z');

describe('sshd log analysis (OSSEC 57xx) on the annotated fixture', () => {
  const cases = loadCases('sshd-auth.txt');
  it('has a meaningful fixture', () => assert.ok(cases.length >= 30));
  it('every line produces exactly its expected events, in order', () => {
    const a = createSshAnalyser({ burstCount: 6, burstWindowSeconds: 120, opsCidrs: ['10.8.0.0/16', '2001:db8:aa::/48'] });
    for (const c of cases) assertEvents('sshd-auth.txt', c, a.analyse(parseSyslogLine(c.line, NOW)));
  });
  it('events carry the log time, not the reading time', () => {
    const a = createSshAnalyser({ burstCount: 6, burstWindowSeconds: 120, opsCidrs: [] });
    const [e] = a.analyse(parseSyslogLine('2026-11-26T10:00:01.123456+00:00 fed1 sshd[1]: Accepted publickey for ops from 10.8.0.5 port 1 ssh2', NOW));
    assert.equal(e!.t, Date.parse('2026-11-26T10:00:01.123Z'));
  });
  it('without ops CIDRs an accepted login is info', () => {
    const a = createSshAnalyser({ burstCount: 6, burstWindowSeconds: 120, opsCidrs: [] });
    const [e] = a.analyse({ t: 1, program: 'sshd', message: 'Accepted password for ops from 203.0.113.9 port 1 ssh2' });
    assert.equal(e!.severity, 'info');
  });
  it('journald JSON entries (string and byte-array MESSAGE) go through the same analyser', () => {
    const a = createSshAnalyser({ burstCount: 6, burstWindowSeconds: 120, opsCidrs: ['10.0.0.0/8'] });
    const lines = readFileSync(join(FIXTURE_LOGS, 'sshd.journal.jsonl'), 'utf8').trim().split('\n').map((l) => parseJournalLine(l, NOW)!);
    assert.equal(lines[0]!.cursor, 's=1a2b;i=101;b=3c4d;m=10;t=5f1;x=aa');
    assert.equal(lines[0]!.t, 1_795_730_400_123);
    const events = lines.flatMap((l) => a.analyse(l));
    assert.deepEqual(events.map((e) => [e.kind, e.severity, e.data.source]), [
      ['ssh.login.accepted', 'warning', '203.0.113.50'],
      ['ssh.login.failed', 'info', '192.0.2.9'],
    ]);
  });
});

describe('factomd log patterns on the annotated fixture', () => {
  it('every line produces exactly its expected events', () => {
    const a = createFactomdLogAnalyser();
    for (const c of loadCases('factomd.txt')) assertEvents('factomd.txt', c, a.analyse({ t: NOW, message: c.line }));
    assert.deepEqual(a.flush(), []);
  });
  it('a config-fallback headline whose detail never comes is still reported at flush', () => {
    const a = createFactomdLogAnalyser();
    const lines: LogLine[] = ["Reading from '/x/factomd.conf'", 'Cannot open custom config file,'].map((message) => ({ t: NOW, message }));
    assert.deepEqual(lines.flatMap((l) => a.analyse(l)), []);
    const [e] = a.flush();
    assert.equal(e!.kind, 'factomd.config-fallback');
    assert.equal(e!.data.path, '/x/factomd.conf');
  });
});

describe('log sources', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-logs-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('tails a file from its end, follows appends, rename rotation (rest of .1 first) and truncation', async () => {
    const p = join(dir, 'auth.log');
    const state = memoryState();
    writeFileSync(p, 'old 1\nold 2\n');
    assert.deepEqual(await tailFile(p, state, 'k'), []); // history is not replayed
    appendFileSync(p, 'new 1\nnew 2\npartial');
    assert.deepEqual(await tailFile(p, state, 'k'), ['new 1', 'new 2']);
    appendFileSync(p, ' line\nlast before rotation\n');
    renameSync(p, `${p}.1`); // logrotate: rename, then a new file
    writeFileSync(p, 'first after rotation\n');
    assert.deepEqual(await tailFile(p, state, 'k'), ['partial line', 'last before rotation', 'first after rotation']);
    writeFileSync(p, 'copytruncate\n'); // same inode, shorter: start again at 0
    assert.deepEqual(await tailFile(p, state, 'k'), ['copytruncate']);
    assert.deepEqual(await tailFile(p, state, 'k'), []);
  });

  it('reads journald after the stored cursor, with arguments as an array (fake journalctl)', async () => {
    const fake = join(dir, 'journalctl');
    const argsLog = join(dir, 'args.log');
    writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argsLog}'\ncat '${join(FIXTURE_LOGS, 'sshd.journal.jsonl')}'\n`);
    chmodSync(fake, 0o755);
    const state = memoryState();
    const first = await readJournal({ unit: 'ssh', journalctl: fake }, state, 'j', NOW);
    assert.deepEqual(first, []); // first call only positions the cursor
    assert.equal(state.get('j'), 's=1a2b;i=102;b=3c4d;m=11;t=5f2;x=bb');
    const second = await readJournal({ unit: 'ssh', journalctl: fake }, state, 'j', NOW);
    assert.equal(second.length, 2);
    assert.equal(second[0]!.program, 'sshd-session');
    const calls = readFileSync(argsLog, 'utf8').trim().split('\n');
    assert.match(calls[0]!, /-u ssh .*-n 1$/);
    assert.match(calls[1]!, /-u ssh --after-cursor s=1a2b;i=102;b=3c4d;m=11;t=5f2;x=bb$/);
  });
});
