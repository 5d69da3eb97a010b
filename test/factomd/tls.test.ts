import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createFactomdClient } from '../../src/factomd/client.js';
import { FactomdError } from '../../src/factomd/errors.js';
import { startFakeServer, type FakeServer } from './fake-server.js';

/** A throw-away self-signed P-256 certificate for 127.0.0.1 / localhost, made by openssl. */
function makeCert(dir: string, name: string): { key: string; cert: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', key, '-out', cert,
  ], { stdio: 'ignore', timeout: 20_000 });
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

async function failsWith(p: Promise<unknown>, code: string): Promise<FactomdError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof FactomdError, String(e));
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail('expected a failure');
}

describe('factomd client over TLS', () => {
  let dir: string;
  let server: { key: string; cert: string };
  let other: { key: string; cert: string };
  let srv: FakeServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'factomd-tls-'));
    server = makeCert(dir, 'factomd-test');
    other = makeCert(dir, 'factomd-other');
    srv = await startFakeServer(undefined, server);
  });
  after(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => { srv.seen.length = 0; });

  it('trusts the server with its certificate given as CA', async () => {
    const h = await createFactomdClient({ url: srv.url, ca: server.cert }).heights();
    assert.equal(h.directoryblockheight, 1);
  });

  it('refuses an untrusted certificate (system store, or the wrong CA) before sending anything', async () => {
    await failsWith(createFactomdClient({ url: srv.url, retries: 0, user: 'u', password: 'p' }).heights(), 'E_FACTOMD_TLS');
    await failsWith(createFactomdClient({ url: srv.url, retries: 0, ca: other.cert }).heights(), 'E_FACTOMD_TLS');
    assert.equal(srv.seen.length, 0, 'no request (and no credentials) reached the server');
  });

  it('accepts the right pinned SHA-256 (openssl-independent fingerprint, with colons) without a CA', async () => {
    const pin = new X509Certificate(server.cert).fingerprint256;
    const h = await createFactomdClient({ url: srv.url, pinnedCertSha256: pin }).heights();
    assert.equal(h.leaderheight, 1);
  });

  it('refuses a wrong pin, with or without a CA, and sends nothing', async () => {
    const wrong = new X509Certificate(other.cert).fingerprint256;
    const e = await failsWith(createFactomdClient({ url: srv.url, retries: 2, retryDelayMs: 1, pinnedCertSha256: wrong, user: 'u', password: 'p' }).heights(), 'E_FACTOMD_TLS');
    assert.equal(e.field, 'pinnedCertSha256');
    assert.equal(e.attempts, 1, 'a TLS refusal is not retried');
    const withCa = await failsWith(createFactomdClient({ url: srv.url, retries: 0, ca: server.cert, pinnedCertSha256: wrong }).heights(), 'E_FACTOMD_TLS');
    assert.equal(withCa.field, 'pinnedCertSha256');
    assert.equal(srv.seen.length, 0);
  });

  it('plain http against a TLS port fails cleanly with a typed error', async () => {
    await assert.rejects(
      createFactomdClient({ url: srv.url.replace('https', 'http'), retries: 0, timeoutMs: 2000 }).heights(),
      (e: unknown) => e instanceof FactomdError && ['E_FACTOMD_UNREACHABLE', 'E_FACTOMD_HTTP', 'E_FACTOMD_BAD_RESPONSE'].includes(e.code),
    );
  });
});
