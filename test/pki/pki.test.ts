import 'reflect-metadata';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { openKeystore, sealKeystore } from '../../src/pki/keystore.js';
import { initCa, issueCert, listCerts, revokeCert } from '../../src/pki/ca.js';
import { runCli } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'anoguard-pki-'));
after(() => rmSync(root, { recursive: true, force: true }));
const PASS = 'pki test passphrase 42';
const FAST = { N: 1 << 14, r: 8, p: 1 };

describe('keystore (scrypt + AES-256-GCM)', () => {
  const secret = new Uint8Array([1, 2, 3, 4, 5, 250]);
  it('opens with the right passphrase only', () => {
    const ks = sealKeystore(secret, PASS, FAST);
    assert.deepEqual(openKeystore(JSON.stringify(ks), PASS), secret);
    assert.throws(() => openKeystore(JSON.stringify(ks), `${PASS}x`), { code: 'E_BAD_PASSPHRASE' });
  });
  it('refuses a keystore whose KDF parameters were tampered with', () => {
    const ks = sealKeystore(secret, PASS, { N: 1 << 15, r: 8, p: 1 });
    assert.throws(() => openKeystore(JSON.stringify({ ...ks, kdf: { ...ks.kdf, N: 1 << 14 } }), PASS), { code: 'E_BAD_PASSPHRASE' });
    assert.throws(() => openKeystore(JSON.stringify({ ...ks, kdf: { ...ks.kdf, N: 2 } }), PASS), { code: 'E_KEYSTORE_FORMAT' });
  });
  it('refuses a short passphrase', () => {
    assert.throws(() => sealKeystore(secret, 'short', FAST), { code: 'E_WEAK_PASSPHRASE', field: 'passphrase' });
  });
});

describe('anoguard pki (CLI)', () => {
  const dir = join(root, 'ca');
  const passFile = join(root, 'pass');
  writeFileSync(passFile, `${PASS}\n`, { mode: 0o600 });

  it('init creates a 0700 directory, a 0600 encrypted keystore and a P-256 CA certificate', async () => {
    const initDir = join(root, 'ca-cli');
    const r = await runCli(['--json', 'pki', 'init', '--dir', initDir], { stdin: `${PASS}\n` });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(initDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(initDir, 'ca.key.json')).mode & 0o777, 0o600);
    const ks = readFileSync(join(initDir, 'ca.key.json'), 'utf8');
    assert.ok(!ks.includes('PRIVATE KEY'));
    assert.equal((JSON.parse(ks) as { kdf: { name: string } }).kdf.name, 'scrypt');
    const ca = new X509Certificate(readFileSync(join(initDir, 'ca.crt')));
    assert.equal(ca.ca, true);
    assert.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(ca.verify(ca.publicKey));
    const again = await runCli(['pki', 'init', '--dir', initDir], { stdin: `${PASS}\n` });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
    // The remaining CLI tests use a CA with the cheapest KDF the keystore accepts, to stay fast.
    await initCa({ dir, passphrase: PASS, scrypt: FAST });
  });

  it('has no way to pass the passphrase on the command line', async () => {
    const r = await runCli(['pki', 'issue', 'agent', 'x', '--dir', dir, '--passphrase', PASS]);
    assert.equal(r.code, 2);
  });

  it('issues an agent certificate: clientAuth only, CA-signed, random serial, AKI = CA SKI', async () => {
    const r = await runCli(['--json', 'pki', 'issue', 'agent', 'node-1', '--dir', dir, '--passphrase-file', passFile]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { serial: string; cert: string; key: string };
    assert.equal(statSync(out.key).mode & 0o777, 0o600);
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.crt')));
    const leaf = new X509Certificate(readFileSync(out.cert));
    assert.ok(leaf.checkIssued(ca));
    assert.ok(leaf.verify(ca.publicKey));
    assert.equal(leaf.ca, false);
    assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.match(leaf.subject, /CN=node-1/);
    assert.equal(leaf.serialNumber.toLowerCase().replace(/^0+/, ''), out.serial);
    assert.ok(out.serial.length >= 30, 'about 128 random bits');
    const p = new x509.X509Certificate(readFileSync(out.cert, 'utf8'));
    const pc = new x509.X509Certificate(readFileSync(join(dir, 'ca.crt'), 'utf8'));
    const aki = p.getExtension(x509.AuthorityKeyIdentifierExtension)!;
    const ski = pc.getExtension(x509.SubjectKeyIdentifierExtension)!;
    assert.equal(aki.keyId, ski.keyId);
    const ku = p.getExtension(x509.KeyUsagesExtension)!;
    assert.equal(ku.usages, x509.KeyUsageFlags.digitalSignature);
    assert.equal(ku.critical, true);
    const days = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000;
    assert.ok(days > 396 && days < 398, `validity ${days} days`);
  });

  it('issues a server certificate with serverAuth and its SANs', async () => {
    const r = await runCli(['--json', 'pki', 'issue', 'server', 'mon.example.org', '--san', 'IP:10.0.0.5', 'localhost', '--days', '30', '--dir', dir, '--passphrase-file', passFile]);
    assert.equal(r.code, 0, r.stderr);
    const leaf = new X509Certificate(readFileSync((JSON.parse(r.stdout) as { cert: string }).cert));
    assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(leaf.subjectAltName, 'DNS:mon.example.org, IP Address:10.0.0.5, DNS:localhost');
    assert.ok(leaf.checkHost('mon.example.org'));
    assert.equal(leaf.checkIP('10.0.0.5'), '10.0.0.5');
    const gw = await runCli(['--json', 'pki', 'issue', 'gateway', 'gw-1', '--dir', dir, '--passphrase-file', passFile]);
    assert.deepEqual(new X509Certificate(readFileSync((JSON.parse(gw.stdout) as { cert: string }).cert)).keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  });

  it('refuses bad input with the field named', async () => {
    await assert.rejects(issueCert({ dir, passphrase: PASS, kind: 'agent', name: 'bad name' }), { code: 'E_BAD_NAME', field: 'name' });
    await assert.rejects(issueCert({ dir, passphrase: PASS, kind: 'server', name: 's2', sans: ['IP:999.1.1.1'] }), { code: 'E_BAD_SAN', field: 'san' });
    await assert.rejects(issueCert({ dir, passphrase: PASS, kind: 'agent', name: 'node-1' }), { code: 'E_EXISTS', field: 'name' });
    await assert.rejects(issueCert({ dir, passphrase: 'not the passphrase', kind: 'agent', name: 'n8' }), { code: 'E_BAD_PASSPHRASE' });
    const loose = join(root, 'loose-pass');
    writeFileSync(loose, PASS, { mode: 0o644 });
    const perms = await runCli(['pki', 'issue', 'agent', 'n9', '--dir', dir, '--passphrase-file', loose]);
    assert.equal(perms.code, 1);
    assert.match(perms.stderr, /passphrase-file: .* must be 0600/);
  });

  it('revokes by serial into a CA-signed CRL, and lists statuses', async () => {
    const serial = listCerts(dir).certs.find((c) => c.name === 'node-1')!.serial;
    const r = await runCli(['pki', 'revoke', serial, '--dir', dir, '--passphrase-file', passFile]);
    assert.equal(r.code, 0, r.stderr);
    const crlPem = readFileSync(join(dir, 'crl.pem'), 'utf8');
    assert.match(crlPem, /^-----BEGIN X509 CRL-----/);
    const crl = new x509.X509Crl(crlPem);
    const ca = new x509.X509Certificate(readFileSync(join(dir, 'ca.crt'), 'utf8'));
    assert.ok(await crl.verify({ publicKey: ca.publicKey }));
    assert.deepEqual(crl.entries.map((e) => e.serialNumber.toLowerCase().replace(/^0+/, '')), [serial]);
    const listed = JSON.parse((await runCli(['--json', 'pki', 'list', '--dir', dir])).stdout) as { certs: { name: string; status: string }[] };
    assert.deepEqual(listed.certs.map((c) => [c.name, c.status]), [['node-1', 'revoked'], ['mon.example.org', 'valid'], ['gw-1', 'valid']]);
    await assert.rejects(revokeCert({ dir, passphrase: PASS, target: 'node-1' }), { code: 'E_NOT_FOUND' });
    await assert.rejects(revokeCert({ dir, passphrase: PASS, target: serial }), { code: 'E_ALREADY_REVOKED' });
    // A revoked name can be issued again (a new key and serial).
    const re = await issueCert({ dir, passphrase: PASS, kind: 'agent', name: 'node-1' });
    assert.notEqual(re.serial, serial);
  });
});
