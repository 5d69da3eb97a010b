import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { AnoguardError } from '../errors.js';
import { publicKeyFromSeed } from '../factom/ed25519.js';
import { readIdentityTriple, type IdentityTriple } from '../failover/conf-identity.js';
import { paths as simPaths } from '../sim/layout.js';
import type { TopologyInput } from '../topology/schema.js';
import { writeFileAtomic } from '../util/fs.js';

/**
 * The files a production deployment of the failover controller starts from, made for the demo:
 * a topology with the authority pair and `authority.failover` (auto off: planned swaps only), a
 * throw-away operator key (0600), and per authority host the staged identity files and the agent's
 * `control:` section pointing at the simulator node's real factomd.conf. Nothing here short-cuts the
 * controller: the server loads these files the way `anoguard server --topology --operator-key` does.
 */

/** Topology host → simulator node: `master` runs n1's federated identity, `standby` (n4) follows. */
export const DEMO_AUTHORITY = { master: { host: 'master', sim: 'n1' }, standby: { host: 'standby', sim: 'n4' } } as const;

/** The agent's `control:` section as YAML would give it (parsed by the agent config schema). */
export interface DemoControlInput {
  factomdConf: string;
  stateFile: string;
  replayFile: string;
  identity: string;
  trustedKeys: string[];
  identityFile: string;
  followerFile: string;
  renewEvery: string;
  demoteBefore: string;
}

export interface DemoFailover {
  topologyFile: string;
  operatorKeyFile: string;
  identity: string;
  /** Agent name → its control section. */
  control: Record<string, DemoControlInput>;
}

/** Lease timings in blocks; a long lease because the demo has no automatic failover to wait for. */
const LEASE_BLOCKS = 30;
const DEMOTE_BEFORE_BLOCKS = 3;

const tripleJson = (t: IdentityTriple): string =>
  `${JSON.stringify({ IdentityChainID: t.identityChainId, LocalServerPrivKey: t.localServerPrivKey, LocalServerPublicKey: t.localServerPublicKey })}\n`;

/** A follower identity of the master's own, so a demoted master runs a real identity, not factomd's defaults. */
function freshFollower(): IdentityTriple {
  const seed = new Uint8Array(randomBytes(32));
  const t = { identityChainId: `888888${randomBytes(29).toString('hex')}`, localServerPrivKey: Buffer.from(seed).toString('hex'), localServerPublicKey: Buffer.from(publicKeyFromSeed(seed)).toString('hex') };
  seed.fill(0);
  return t;
}

function tripleOf(simDir: string, node: string): IdentityTriple {
  const t = readIdentityTriple(readFileSync(simPaths.conf(simDir, node), 'utf8'));
  if (!t) throw new AnoguardError('E_DEMO', `the simulator's ${node} has no identity in its factomd.conf`, { field: node });
  return t;
}

/** Writes everything under `root` (DATA/demo, recreated at each start). */
export function prepareDemoFailover(o: { root: string; simDir: string; blockTimeMs: number }): DemoFailover {
  const { master, standby } = DEMO_AUTHORITY;
  const authority = tripleOf(o.simDir, master.sim);
  const identity = authority.identityChainId;
  const followers: Record<string, IdentityTriple> = { [master.host]: freshFollower(), [standby.host]: tripleOf(o.simDir, standby.sim) };

  const dir = join(o.root, 'failover');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const operatorKeyFile = join(dir, 'operator.key');
  const seed = new Uint8Array(randomBytes(32));
  writeFileAtomic(operatorKeyFile, `${Buffer.from(seed).toString('hex')}\n`, { mode: 0o600, exclusive: true });
  const publicKey = Buffer.from(publicKeyFromSeed(seed)).toString('hex');
  seed.fill(0);

  const block = o.blockTimeMs;
  const ms = (n: number): string => (Math.round(n) % 1000 === 0 ? `${Math.round(n) / 1000}s` : `${Math.round(n)}ms`);
  const host = (name: string, role: 'authority' | 'follower') => ({
    name, role, site: 'demo', provider: 'other' as const, privateAddress: '127.0.0.1', ssh: { port: 2222, users: ['ops'] },
  });
  const topology: TopologyInput = {
    version: 1,
    operator: { name: 'anoguard demo', contact: 'demo only: a simulated network on this machine' },
    network: { name: 'CUSTOM', id: 'anoguard-demo' },
    sites: [{ name: 'demo', region: 'this machine' }],
    hosts: [host(master.host, 'authority'), host(standby.host, 'authority'), host('follower-1', 'follower'), host('follower-2', 'follower')],
    authority: {
      master: master.host, standby: standby.host,
      failover: {
        identity, auto: false, leaseTtl: ms(LEASE_BLOCKS * block), renewEvery: ms(block),
        marginBlocks: 2, downBlocks: 3, blockTime: ms(block),
      },
    },
    access: { opsIps: ['127.0.0.1/32'] },
  };
  const topologyFile = join(o.root, 'topology.yaml');
  writeFileAtomic(topologyFile, `# anoguard demo: generated at start, recreated every time\n${stringify(topology)}`, { mode: 0o600 });

  const control: Record<string, DemoControlInput> = {};
  for (const h of [master, standby]) {
    const home = join(o.root, 'agents', h.host, 'control');
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const identityFile = join(home, 'authority.json');
    const followerFile = join(home, 'follower.json');
    writeFileAtomic(identityFile, tripleJson(authority), { mode: 0o600 });
    writeFileAtomic(followerFile, tripleJson(followers[h.host]!), { mode: 0o600 });
    control[h.host] = {
      factomdConf: simPaths.conf(o.simDir, h.sim), stateFile: join(home, 'fence.json'), replayFile: join(home, 'replay.json'),
      identity, trustedKeys: [publicKey], identityFile, followerFile,
      // One renewal per block: a standby gets its lease within the swap's lead time of 2 blocks, and
      // a holder starting up has 4 renewal periods to get its first lease before it demotes itself.
      renewEvery: ms(block), demoteBefore: ms(DEMOTE_BEFORE_BLOCKS * block),
    };
  }
  return { topologyFile, operatorKeyFile, identity, control };
}
