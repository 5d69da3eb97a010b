import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AgentHandle } from '../agent/run.js';
import { parseAgentConfig } from '../agent/config.js';
import { startAgent } from '../agent/run.js';
import type { Logger } from '../log.js';
import { initCa, issueCert } from '../pki/ca.js';
import { pkiPaths } from '../pki/layout.js';
import { startSim, stopSim, type SimHandle } from '../sim/index.js';
import { tlsFilesFromPkiDir, type TlsFiles } from '../server/tls.js';
import { prepareDemoFailover, type DemoFailover } from './failover.js';

/**
 * The demo network `anoguard start` brings up when nothing real is configured: a simulated Factom
 * network with a master authority node, its standby, two followers and two other authority
 * servers, each watched by an in-process agent with its own certificate from a throw-away PKI.
 * The agents of master and standby also keep the failover lease and take the controller's signed
 * commands, editing the simulator nodes' own factomd.conf files (see ./failover.ts).
 * Everything lives under DATA/demo and is recreated on every start.
 */

/** sim node → agent (host) name; the first three sim nodes hold the federated identities. */
export const DEMO_NODES: { sim: string; host: string; part: string }[] = [
  { sim: 'n1', host: 'master', part: 'authority (our identity)' },
  { sim: 'n2', host: 'other-auth-1', part: 'another operator\'s authority' },
  { sim: 'n3', host: 'other-auth-2', part: 'another operator\'s authority' },
  { sim: 'n4', host: 'standby', part: 'standby brain (follower, ready to swap)' },
  { sim: 'n5', host: 'follower-1', part: 'follower' },
  { sim: 'n6', host: 'follower-2', part: 'follower' },
];

export interface DemoPki { dir: string; serverTls: TlsFiles; agents: Record<string, { cert: string; key: string }>; ca: string }

/** A CA, the server certificate and one agent certificate per host; the passphrase is never stored. */
export async function createDemoPki(dir: string, hosts: string[]): Promise<DemoPki> {
  const passphrase = randomBytes(24).toString('base64url');
  // The floor openKeystore accepts: this CA lives for one demo run on loopback.
  const scrypt = { N: 1 << 14, r: 8, p: 1 };
  await initCa({ dir, passphrase, commonName: 'anoguard demo CA', scrypt });
  await issueCert({ dir, passphrase, kind: 'server', name: 'server', sans: ['ip:127.0.0.1', 'dns:localhost'] });
  const agents: DemoPki['agents'] = {};
  for (const h of hosts) {
    const c = await issueCert({ dir, passphrase, kind: 'agent', name: h });
    agents[h] = { cert: c.cert, key: c.key };
  }
  return { dir, serverTls: tlsFilesFromPkiDir(dir, 'server'), agents, ca: pkiPaths(dir).caCert };
}

export interface DemoNetwork {
  sim: SimHandle;
  simDir: string;
  pki: DemoPki;
  /** Topology, operator key and the agents' control sections for the server's failover controller. */
  failover: DemoFailover;
  startAgents(ingestUrl: string): Promise<void>;
  stop(): Promise<void>;
}

/** Fresh demo directory, PKI and simulated network; agents start once the server's ingest URL is known. */
export async function startDemoNetwork(o: { dataDir: string; logger: Logger; blockTimeMs?: number; agentIntervalMs?: number }): Promise<DemoNetwork> {
  const root = resolve(o.dataDir, 'demo');
  const simDir = join(root, 'sim');
  if (existsSync(simDir)) await stopSim(simDir).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const pki = await createDemoPki(join(root, 'pki'), DEMO_NODES.map((n) => n.host));
  const blockTimeMs = o.blockTimeMs ?? 10_000;
  const sim = await startSim({ dir: simDir, nodes: DEMO_NODES.length, authorities: 3, blockTimeMs });
  let failover: DemoFailover;
  try {
    failover = prepareDemoFailover({ root, simDir, blockTimeMs });
  } catch (e) {
    await stopSim(simDir).catch(() => undefined);
    throw e;
  }
  const agents: AgentHandle[] = [];
  return {
    sim, simDir, pki, failover,
    async startAgents(ingestUrl) {
      // The lease keepers last: a holder's agent counts its first lease's grace from its own start,
      // which must not be spent waiting for the other agents to start.
      const order = [...DEMO_NODES].sort((a, b) => Number(a.host in failover.control) - Number(b.host in failover.control));
      for (const n of order) {
        const entry = sim.nodes.find((e) => e.name === n.sim);
        if (!entry) continue;
        const cfg = parseAgentConfig({
          name: n.host, server: ingestUrl,
          tls: { ca: pki.ca, cert: pki.agents[n.host]!.cert, key: pki.agents[n.host]!.key },
          interval: `${(o.agentIntervalMs ?? 3000) / 1000}s`,
          stateDir: join(root, 'agents', n.host),
          factomd: [{ name: n.sim, url: entry.api, timeout: '2s' }],
          ...(failover.control[n.host] ? { control: failover.control[n.host] } : {}),
        }, 'demo');
        agents.push(await startAgent(cfg, { log: o.logger.child({ agent: n.host }) }));
      }
    },
    async stop() {
      await Promise.allSettled(agents.map((a) => a.stop()));
      await stopSim(simDir).catch(() => undefined);
    },
  };
}
