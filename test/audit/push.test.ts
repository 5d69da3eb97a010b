import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pushReport, pushUrl, readPushTls } from '../../src/audit/push.js';
import type { AuditReport, AuditResult } from '../../src/audit/types.js';
import { startAnoguard, type Started } from '../../src/demo/start.js';
import { isAnoguardError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { initCa, issueCert, revokeCert } from '../../src/pki/ca.js';
import { tlsFilesFromPkiDir } from '../../src/server/tls.js';
import { runCli } from '../helpers/cli.js';

const PASS = 'audit push test CA passphrase';
/** The lowest cost the keystore accepts: these tests are about the push, not the KDF. */
const FAST = { N: 1 << 14, r: 8, p: 1 };
const root = mkdtempSync(join(tmpdir(), 'audit-push-'));
const pki = join(root, 'pki');
const otherPki = join(root, 'other-pki');

let server: Started;
let cookie = '';

const result = (id: string, severity: AuditResult['severity'], status: AuditResult['status']): AuditResult =>
  ({ id, title: `check ${id}`, severity, status, detail: `${status} detail of ${id}`, refs: [] });
/** Written by hand: 2 critical and 1 medium failure, 1 pass, 1 skipped. */
const REPORT: AuditReport = {
  host: 'what-the-host-calls-itself', profile: 'ano', score: 42.5,
  results: [
    result('ANO-SSH-002', 'critical', 'fail'), result('ANO-FW-001', 'critical', 'fail'), result('ANO-SSH-009', 'medium', 'fail'),
    result('ANO-SSH-003', 'high', 'pass'), result('ANO-DOCKER-001', 'critical', 'skipped'),
  ],
};

const tls = (dir: string, name: string) => readPushTls({ ca: join(pki, 'ca.crt'), cert: join(dir, 'certs', `${name}.crt`), key: join(dir, 'private', `${name}.key`) });

async function nodePage(node: string): Promise<{ audit: Record<string, unknown> | null }> {
  const r = await fetch(`${server.webUrl}/api/nodes/${encodeURIComponent(node)}`, { headers: { cookie } });
  assert.equal(r.status, 200);
  return await r.json() as { audit: Record<string, unknown> | null };
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  assert.ok(isAnoguardError(e), `expected the push to be refused, got ${String(e)}`);
  assert.equal(e.code, 'E_AUDIT_PUSH');
  assert.equal(e.field, 'push');
  return e.shortMessage;
}

before(async () => {
  await initCa({ dir: pki, passphrase: PASS, scrypt: FAST });
  await initCa({ dir: otherPki, passphrase: PASS, scrypt: FAST });
  await issueCert({ dir: pki, passphrase: PASS, kind: 'server', name: 'localhost', sans: ['IP:127.0.0.1'] });
  for (const n of ['auth-a', 'auth-b', 'gone']) await issueCert({ dir: pki, passphrase: PASS, kind: 'agent', name: n });
  await issueCert({ dir: otherPki, passphrase: PASS, kind: 'agent', name: 'auth-a' });
  await revokeCert({ dir: pki, passphrase: PASS, target: 'gone' });
  server = await startAnoguard({
    dataDir: join(root, 'data'), demo: false, logger: createLogger('audit-push-test', { level: 'silent' }),
    tls: tlsFilesFromPkiDir(pki, 'localhost'), pkiDir: pki, store: `sqlite:${join(root, 'store.db')}`,
    web: { host: '127.0.0.1', port: 0 }, ingest: { host: '127.0.0.1', port: 0 },
  });
  const password = readFileSync(server.passwordFile!, 'utf8').trim();
  const r = await fetch(`${server.webUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: server.adminUser, password }) });
  assert.equal(r.status, 200);
  cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
});

after(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('anoguard audit --push (mTLS to the server, shown on the node page)', { timeout: 180_000 }, () => {
  it('stores the report under the certificate\'s name, not the body\'s host, and the node page shows score, failures by severity and time', async () => {
    const before = Date.now();
    const ack = await pushReport(server.ingestUrl, REPORT, tls(pki, 'auth-b'));
    assert.equal(ack.node, 'auth-b');
    assert.equal(ack.score, 42.5);
    const page = await nodePage('auth-b');
    const a = page.audit!;
    assert.equal(a.score, 42.5);
    assert.equal(a.profile, 'ano');
    assert.equal(a.reportedHost, 'what-the-host-calls-itself');
    assert.ok(typeof a.t === 'number' && a.t >= before && a.t <= Date.now());
    assert.deepEqual(a.failedBySeverity, { critical: 2, high: 0, medium: 1, low: 0, info: 0 });
    assert.deepEqual((a.failed as { id: string }[]).map((f) => f.id).sort(), ['ANO-FW-001', 'ANO-SSH-002', 'ANO-SSH-009']);
    assert.deepEqual(a.counts, { pass: 1, fail: 3, skipped: 1 });
    assert.match(String(a.message), /score 42\.5/);
    assert.match(String(a.message), /2 critical, 1 medium/);
    assert.equal((await nodePage('what-the-host-calls-itself')).audit, null);

    // A new push replaces it: the page shows the latest.
    await pushReport(server.ingestUrl, { ...REPORT, score: 100, results: [result('ANO-SSH-003', 'high', 'pass')] }, tls(pki, 'auth-b'));
    const latest = (await nodePage('auth-b')).audit!;
    assert.equal(latest.score, 100);
    assert.deepEqual(latest.failed, []);
  });

  it('the CLI audits this machine and pushes with --pki-dir/--cert-name; the page shows what it printed', async () => {
    const r = await runCli(['audit', '--role', 'authority', '--json', '--push', server.ingestUrl, '--pki-dir', pki, '--cert-name', 'auth-a'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /stored as the latest audit of node auth-a/);
    const printed = JSON.parse(r.stdout) as AuditReport;
    const a = (await nodePage('auth-a')).audit!;
    assert.equal(a.score, printed.score);
    assert.equal(a.reportedHost, printed.host);
    const failedIds = printed.results.filter((x) => x.status === 'fail').map((x) => x.id).sort();
    assert.deepEqual((a.failed as { id: string }[]).map((f) => f.id).sort(), failedIds);
    for (const sev of ['critical', 'high', 'medium', 'low'] as const) {
      assert.equal((a.failedBySeverity as Record<string, number>)[sev], printed.results.filter((x) => x.status === 'fail' && x.severity === sev).length, sev);
    }
  });

  it('refuses a certificate from another CA, a revoked one and none at all; nothing is stored', async () => {
    await pushReport(server.ingestUrl, REPORT, tls(pki, 'auth-a'));
    const stored = (await nodePage('auth-a')).audit!;
    await refusal(pushReport(server.ingestUrl, { ...REPORT, score: 1 }, tls(otherPki, 'auth-a')));
    await refusal(pushReport(server.ingestUrl, { ...REPORT, score: 2 }, tls(pki, 'gone')));
    // No client certificate at all (empty PEM: the client offers none).
    await refusal(pushReport(server.ingestUrl, { ...REPORT, score: 3 }, { ca: readFileSync(join(pki, 'ca.crt'), 'utf8'), cert: '', key: '' }));
    assert.equal((await nodePage('auth-a')).audit!.score, stored.score);
    assert.equal((await nodePage('gone')).audit, null);
  });

  it('checks the body: a bad field is named, an oversized report is refused', async () => {
    const bad = await refusal(pushReport(server.ingestUrl, { ...REPORT, score: 250 }, tls(pki, 'auth-b')));
    assert.match(bad, /answered 400: body\.score: .*E_BAD_AUDIT/);
    const huge = { ...REPORT, results: Array.from({ length: 200 }, () => ({ ...result('ANO-HOST-001', 'low', 'fail'), detail: 'x'.repeat(15_000) })) };
    const big = await refusal(pushReport(server.ingestUrl, huge, tls(pki, 'auth-b')));
    assert.match(big, /answered 413/);
    assert.equal((await nodePage('auth-b')).audit!.score, 100);
  });

  it('usage: --push needs https and a certificate; a key readable by others is refused', () => {
    const usage = (fn: () => unknown, field: string, re: RegExp) => assert.throws(fn, (e: unknown) => isAnoguardError(e) && e.field === field && re.test(e.shortMessage));
    usage(() => pushUrl('http://127.0.0.1:1'), 'push', /must be an https:\/\/ URL/);
    usage(() => pushUrl('not a url'), 'push', /not a URL/);
    usage(() => readPushTls({}), 'ca', /--push needs --ca/);
    usage(() => readPushTls({ pkiDir: pki }), 'cert-name', /--pki-dir needs --cert-name/);
    const loose = join(root, 'loose.key');
    copyFileSync(join(pki, 'private', 'auth-a.key'), loose);
    chmodSync(loose, 0o644);
    usage(() => readPushTls({ pkiDir: pki, certName: 'auth-a', key: loose }), 'key', /must be 0600/);
    assert.equal(readPushTls({ pkiDir: pki, certName: 'auth-a' }).cert, readFileSync(join(pki, 'certs', 'auth-a.crt'), 'utf8'));
  });

  it('the CLI refuses TLS flags without --push (exit 2, one line naming the flag)', async () => {
    const r = await runCli(['audit', '--cert-name', 'auth-a']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cert-name: only used with --push/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});
