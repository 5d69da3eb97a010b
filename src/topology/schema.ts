import { z } from 'zod';
import { cidrFamily } from './cidr.js';

/**
 * The topology file: the one description of an operator's hosts that render, apply and audit read.
 * This schema is the single source of its shape; the TypeScript types and the JSON Schema for
 * editors (`anoguard topology schema`) are derived from it.
 */

const Port = z.number().int().min(1).max(65535);

/** Names end up in file names, nft comments, Terraform identifiers and systemd units. */
const Name = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes, starting with a letter');

const Address = z.string().refine((s) => !s.includes('/') && cidrFamily(s) !== 0, 'must be an IPv4 or IPv6 address');

const Cidr = z.string().refine((s) => cidrFamily(s) !== 0, 'must be an IPv4/IPv6 address or CIDR (e.g. 198.51.100.7/32)');

/** Absolute paths go into config files and a remote shell command line, so only a safe alphabet. */
const AbsPath = z.string().regex(/^\/[A-Za-z0-9._/-]+$/, 'must be an absolute path of letters, digits and ._/-');

const UserName = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a POSIX user name');

/** One authorized_keys-style public key: `ssh-ed25519 AAAA…` (the comment is optional). */
const HostKey = z
  .string()
  .regex(/^(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa) [A-Za-z0-9+/]+={0,2}( \S+)?$/, 'must be an OpenSSH public key line (type base64)');

export const Roles = ['authority', 'follower', 'monitor'] as const;
export const Providers = ['aws', 'gcp', 'other'] as const;

export const SshSchema = z
  .object({
    port: Port.describe('sshd port; anything but 22'),
    users: z.array(UserName).min(1).describe('the only accounts allowed to log in (AllowUsers)'),
    hostKey: HostKey.optional().describe('the host\'s public host key; `apply` refuses a host whose key differs'),
  })
  .strict();

export const DockerSchema = z
  .object({
    rootless: z.boolean().default(false).describe('rootless Docker (then userns-remap does not apply)'),
    apiPort: Port.optional().describe('TCP port of the Docker API (TLS verify); omit to keep it on the unix socket only'),
    tlsDir: AbsPath.default('/etc/docker/tls'),
  })
  .strict();

export const HostSchema = z
  .object({
    name: Name,
    role: z.enum(Roles),
    site: Name.describe('a name from `sites`'),
    provider: z.enum(Providers),
    publicAddress: Address.optional(),
    privateAddress: Address.describe('address on the operator\'s private network (VPC, WireGuard)'),
    ssh: SshSchema,
    p2pPort: Port.optional().describe('follower only: move the p2p listener (e.g. 443)'),
    publicP2p: z.boolean().optional().describe('open p2p to the internet; default true for followers, false otherwise'),
    docker: DockerSchema.optional(),
  })
  .strict();

export const SiteSchema = z
  .object({
    name: Name,
    region: z.string().min(1).optional(),
  })
  .strict();

export const NetworkSchema = z
  .object({
    name: z.enum(['MAIN', 'TESTNET', 'CUSTOM']),
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional().describe('custom network name (-customnet); TESTNET defaults to fct_community_test'),
    bootstrapIdentity: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    bootstrapKey: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  })
  .strict();

export const FactomdSchema = z
  .object({
    version: z.string().regex(/^\d+\.\d+\.\d+$/).default('6.17.1').describe('factomd version: special peers are comma-separated from 6.12'),
    binary: AbsPath.default('/usr/local/bin/factomd'),
    user: UserName.default('factomd'),
    configDir: AbsPath.default('/etc/factomd'),
    homeDir: AbsPath.default('/var/lib/factomd'),
    p2pPort: Port.optional().describe('p2p port of the authority nodes (default: the network\'s, 8108 on MAIN)'),
    apiPort: Port.default(8088),
    controlPanelPort: Port.default(8090),
    controlPanel: z.enum(['disabled', 'readonly', 'readwrite']).default('readonly'),
    rpcUser: UserName.optional().describe('FactomdRpcUser; the password lives only in the host\'s 0600 secrets file'),
    tls: z.boolean().default(true).describe('FactomdTlsEnabled, with explicit cert and key paths under configDir/tls'),
    seedUrl: z.string().url().optional().describe('authority nodes: a seed list naming only your followers'),
    startDelay: z.number().int().min(0).default(600),
    faultTimeout: z.number().int().min(1).default(120),
  })
  .strict();

export const AccessSchema = z
  .object({
    opsIps: z.array(Cidr).describe('addresses the operators SSH from'),
    vpnCidrs: z.array(Cidr).default([]).describe('VPN ranges allowed to reach the API and control panel'),
  })
  .strict();

export const MonitoringSchema = z
  .object({
    host: Name.describe('the monitor host (anoguard server)'),
    ingestPort: Port.default(8443).describe('mTLS port agents connect out to'),
  })
  .strict();

/** `6s`, `10m`, `500ms`, `1h`: failover timings. */
const Duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'must be a duration like 6s, 10m or 500ms')
  .transform((v) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v)!;
    return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']);
  })
  .refine((ms) => ms >= 100, 'must be at least 100ms');

/** Automatic failover and lease timing of the server-hosted controller (docs/brain-swap.md). */
export const FailoverSchema = z
  .object({
    identity: z.string().regex(/^[0-9a-f]{64}$/, 'must be the authority identity chain ID (64 lower-case hex)').describe('the authority identity the master and standby share'),
    auto: z.boolean().default(false).describe('promote the standby on its own when the master is down (off: leases and planned swaps only)'),
    leaseTtl: Duration.prefault('40m').describe('lease granted to the identity holder\'s agent'),
    renewEvery: Duration.optional().describe('agents renew this often (default: a quarter of leaseTtl)'),
    marginBlocks: z.number().int().min(0).max(100).default(2).describe('blocks waited after a lease ends before promoting'),
    downBlocks: z.number().int().min(1).max(100).default(3).describe('blocks of an unanswering factomd (agent alive) before fencing'),
    blockTime: Duration.prefault('600s').describe('the network\'s block time (600s on mainnet)'),
  })
  .strict();

export const SwarmSchema = z
  .object({
    manager: Address.describe('Docker swarm manager allowed to reach the Docker API'),
  })
  .strict();

export const TopologySchema = z
  .object({
    version: z.literal(1),
    operator: z.object({ name: z.string().min(1), contact: z.string().optional() }).strict(),
    network: NetworkSchema,
    sites: z.array(SiteSchema).min(1),
    factomd: FactomdSchema.prefault({}),
    hosts: z.array(HostSchema).min(1),
    authority: z.object({ master: Name, standby: Name.optional(), failover: FailoverSchema.optional() }).strict(),
    access: AccessSchema,
    monitoring: MonitoringSchema.optional(),
    swarm: SwarmSchema.optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    // References are checked here (not as lints) because nothing can be rendered without them.
    const names = new Map<string, number>();
    t.hosts.forEach((h, i) => {
      if (names.has(h.name)) ctx.addIssue({ code: 'custom', path: ['hosts', i, 'name'], message: `duplicate host name "${h.name}"` });
      names.set(h.name, i);
      if (!t.sites.some((s) => s.name === h.site)) {
        ctx.addIssue({ code: 'custom', path: ['hosts', i, 'site'], message: `unknown site "${h.site}" (not in sites)` });
      }
      if (h.p2pPort !== undefined && h.role !== 'follower') {
        ctx.addIssue({ code: 'custom', path: ['hosts', i, 'p2pPort'], message: 'only a follower\'s p2p port can be moved (use factomd.p2pPort for the authority nodes)' });
      }
    });
    const checkRole = (path: (string | number)[], name: string | undefined, role: string): void => {
      if (name === undefined) return;
      const i = names.get(name);
      if (i === undefined) ctx.addIssue({ code: 'custom', path, message: `unknown host "${name}"` });
      else if (t.hosts[i]?.role !== role) ctx.addIssue({ code: 'custom', path, message: `host "${name}" must have role ${role}` });
    };
    checkRole(['authority', 'master'], t.authority.master, 'authority');
    checkRole(['authority', 'standby'], t.authority.standby, 'authority');
    if (t.authority.standby !== undefined && t.authority.standby === t.authority.master) {
      ctx.addIssue({ code: 'custom', path: ['authority', 'standby'], message: 'standby must be another host than master' });
    }
    t.hosts.forEach((h, i) => {
      if (h.role === 'authority' && h.name !== t.authority.master && h.name !== t.authority.standby) {
        ctx.addIssue({ code: 'custom', path: ['hosts', i, 'role'], message: `authority host "${h.name}" is neither authority.master nor authority.standby` });
      }
    });
    if (t.monitoring) checkRole(['monitoring', 'host'], t.monitoring.host, 'monitor');
    if (t.network.name === 'CUSTOM' && t.network.id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['network', 'id'], message: 'a CUSTOM network needs an id (the -customnet name)' });
    }
  });

export type Topology = z.infer<typeof TopologySchema>;
export type TopologyInput = z.input<typeof TopologySchema>;
export type Host = z.infer<typeof HostSchema>;
export type Role = Host['role'];
export type FailoverSettings = z.infer<typeof FailoverSchema>;

/** The JSON Schema editors use for completion and validation of topology files. */
export function topologyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(TopologySchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://anoguard.invalid/schemas/topology.schema.json',
    title: 'anoguard topology',
  };
}
