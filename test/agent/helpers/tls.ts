import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createCaCertificate, createLeafCertificate, exportPkcs8, generateP256, pemEncode, randomSerial,
} from '../../../src/pki/certs.js';

export interface TestPki { caPem: string; server: { cert: string; key: string }; agent: { cert: string; key: string } }

async function leaf(ca: { cert: Awaited<ReturnType<typeof createCaCertificate>>; key: CryptoKey }, kind: 'server' | 'agent', name: string) {
  const keys = await generateP256();
  const now = new Date();
  const cert = await createLeafCertificate({
    ca, kind, name, publicKey: keys.publicKey, serial: randomSerial(),
    sans: kind === 'server' ? [{ type: 'ip', value: '127.0.0.1' }, { type: 'dns', value: 'localhost' }] : [],
    notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + 86_400_000),
  });
  return { cert: cert.toString('pem'), key: pemEncode(await exportPkcs8(keys.privateKey), 'PRIVATE KEY') };
}

/** A throw-away CA with one server (127.0.0.1) and one agent certificate, through src/pki. */
export async function makeTestPki(agentName: string): Promise<TestPki> {
  const keys = await generateP256();
  const cert = await createCaCertificate({ commonName: 'agent-test CA', keys, now: new Date(), days: 1 });
  const ca = { cert, key: keys.privateKey };
  return { caPem: cert.toString('pem'), server: await leaf(ca, 'server', 'agent-test-server'), agent: await leaf(ca, 'agent', agentName) };
}

/** Writes the agent's files the way an operator would: key 0600. */
export function writeAgentTls(dir: string, pki: TestPki): { ca: string; cert: string; key: string } {
  const paths = { ca: join(dir, 'ca.pem'), cert: join(dir, 'agent.pem'), key: join(dir, 'agent.key') };
  writeFileSync(paths.ca, pki.caPem);
  writeFileSync(paths.cert, pki.agent.cert);
  writeFileSync(paths.key, pki.agent.key, { mode: 0o600 });
  return paths;
}
