import { z } from 'zod';
import { parseNetSockets, type Listener } from '../util/proc-net.js';
import { loadFactomdConfig } from '../factom/factomd-conf.js';
import { factomdPaths } from '../render/factomd-conf.js';
import type { Host, Topology } from '../topology/schema.js';
import { parseIptablesSave, parseNftRuleset, type FirewallModel } from './parse/firewall.js';
import { parseSshdT, sshdList, type SshdConfig } from './parse/sshd.js';
import type { Runner } from './runner.js';
import type {
  DockerContainer, DockerFacts, Fact, FactomdConfFacts, Facts, FileStat, ProcessInfo,
} from './types.js';

/**
 * Gathering facts: read-only commands and file reads through a Runner. Nothing here writes to the
 * host. Each fact that cannot be gathered carries the reason, which its checks report as skipped.
 */

export interface GatherOptions {
  /** Name for the report; default: the host's `hostname`. */
  host?: string;
  /** The config file the running sshd uses (`sshd -T -f`); default sshd's own default. */
  sshdConfig?: string;
  factomdConf?: string;
  topology?: Topology;
  hostEntry?: Host;
}

/**
 * An address from the benchmarking range (RFC 2544), which no operator uses as an ops IP: what
 * sshd grants a connection from it is what it grants a stranger.
 */
export const FOREIGN_ADDR = '198.18.255.254';

const ok = <T>(value: T): Fact<T> => ({ ok: true, value });
const no = <T>(reason: string): Fact<T> => ({ ok: false, reason });
const firstLine = (s: string): string => s.trim().split('\n')[0] ?? '';
const why = (cmd: string, r: { code: number; stderr: string }): string =>
  r.code === 127 ? `${cmd} not found on the host` : `${cmd} failed (exit ${r.code}): ${firstLine(r.stderr) || 'no message'}`;

async function sshdFacts(r: Runner, cfg: string | undefined, conn?: string): Promise<Fact<SshdConfig>> {
  const args = ['-T', ...(cfg ? ['-f', cfg] : []), ...(conn ? ['-C', conn] : [])];
  let res = await r.run('/usr/sbin/sshd', args);
  if (res.code === 127) res = await r.run('sshd', args);
  if (res.code !== 0) return no(why('sshd -T', res));
  const c = parseSshdT(res.stdout);
  return c.size > 0 ? ok(c) : no('sshd -T printed nothing');
}

async function firewallFacts(r: Runner): Promise<Fact<FirewallModel>> {
  const nft = await r.run('nft', ['list', 'ruleset']);
  let nftModel: FirewallModel | undefined;
  if (nft.code === 0) {
    nftModel = parseNftRuleset(nft.stdout);
    if (nftModel.chains.length > 0) return ok(nftModel);
  }
  // A host on legacy iptables shows nothing in nft.
  const ipt = await r.run('iptables-save', []);
  if (ipt.code === 0) {
    const m = parseIptablesSave(ipt.stdout);
    if (m.chains.some((c) => c.rules.length > 0 || c.policy === 'drop')) return ok(m);
  }
  if (nftModel) return ok(nftModel);
  return no(`${why('nft list ruleset', nft)}; ${why('iptables-save', ipt)}`);
}

async function listenerFacts(r: Runner): Promise<Fact<Listener[]>> {
  let tcp: string;
  try {
    tcp = await r.readFile('/proc/net/tcp');
  } catch (e) {
    return no(`cannot read /proc/net/tcp: ${(e as Error).message}`);
  }
  const tcp6 = await r.readFile('/proc/net/tcp6').catch(() => '');
  return ok([...parseNetSockets(tcp, 'tcp'), ...parseNetSockets(tcp6, 'tcp6')]);
}

/** `stat -c '%a %U %G'` → mode (octal), owner, group. */
export function parseStat(path: string, text: string): FileStat | undefined {
  const m = /^([0-7]{3,4}) (\S+) (\S+)/.exec(text.trim());
  return m ? { path, mode: parseInt(m[1]!, 8), owner: m[2]!, group: m[3]! } : undefined;
}

async function statFile(r: Runner, path: string): Promise<FileStat | undefined> {
  const res = await r.run('stat', ['-L', '-c', '%a %U %G', '--', path]);
  return res.code === 0 ? parseStat(path, res.stdout) : undefined;
}

function confCandidates(opts: GatherOptions): string[] {
  if (opts.factomdConf) return [opts.factomdConf];
  return [
    ...(opts.topology ? [factomdPaths(opts.topology).conf] : []),
    '/etc/factomd/factomd.conf', '/root/.factom/m2/factomd.conf', '/var/lib/factomd/.factom/m2/factomd.conf',
  ];
}

async function factomdConfFacts(r: Runner, opts: GatherOptions): Promise<Fact<FactomdConfFacts>> {
  const candidates = confCandidates(opts);
  const reasons: string[] = [];
  for (const path of candidates) {
    let text: string;
    try {
      text = await r.readFile(path);
    } catch (e) {
      reasons.push(`${path}: ${(e as Error).message.replace(/^.*?: /, '')}`);
      continue;
    }
    const app = loadFactomdConfig(text, { path }).config.App;
    const tlsKey = app.FactomdTlsEnabled && app.FactomdTlsPrivateKey ? await statFile(r, app.FactomdTlsPrivateKey) : undefined;
    return ok({ path, text, stat: await statFile(r, path), tlsKey });
  }
  return no(opts.factomdConf ? `cannot read ${reasons[0]}` : `no factomd.conf found (${candidates.join(', ')})`);
}

async function debugFacts(r: Runner, conf: Fact<FactomdConfFacts>): Promise<Facts['debugEndpoint']> {
  if (!conf.ok) return no(`needs factomd.conf: ${conf.reason}`);
  const app = loadFactomdConfig(conf.value.text, { path: conf.value.path }).config.App;
  const url = `${app.FactomdTlsEnabled ? 'https' : 'http'}://127.0.0.1:${app.PortNumber}/debug`;
  if (app.Network === 'MAIN') return ok({ network: 'MAIN', url, status: 0 });
  const status = await r.httpPost(url, JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'network-info' }));
  return ok({ network: app.Network, url, status });
}

const PortBinding = z.object({ HostIp: z.string().optional(), HostPort: z.string().optional() }).loose();
const PortMap = z.record(z.string(), z.array(PortBinding).nullable());
/** The few fields of `docker inspect` the checks read; the rest of its large, version-dependent shape is ignored. */
const DockerInspectSchema = z.array(z.object({
  Id: z.string().optional(),
  Name: z.string().optional(),
  Config: z.object({ Image: z.string().optional() }).loose().nullish(),
  HostConfig: z.object({ Privileged: z.boolean().optional(), NetworkMode: z.string().optional(), PortBindings: PortMap.nullish() }).loose().nullish(),
  NetworkSettings: z.object({ Ports: PortMap.nullish() }).loose().nullish(),
}).loose());

/** `docker inspect` JSON → the fields the checks read. Throws on text that is not an inspect array. */
export function parseDockerInspect(text: string): DockerContainer[] {
  return DockerInspectSchema.parse(JSON.parse(text)).map((c) => {
    const ports = c.NetworkSettings?.Ports ?? c.HostConfig?.PortBindings ?? {};
    const published = Object.entries(ports).flatMap(([containerPort, binds]) =>
      (binds ?? []).map((b) => ({ hostIp: b.HostIp ?? '', hostPort: Number(b.HostPort ?? 0), containerPort })));
    return {
      name: (c.Name ?? c.Id ?? '').replace(/^\//, ''),
      image: c.Config?.Image ?? '',
      privileged: c.HostConfig?.Privileged === true,
      networkMode: c.HostConfig?.NetworkMode ?? '',
      published,
    };
  });
}

async function dockerFacts(r: Runner): Promise<Fact<DockerFacts>> {
  const info = await r.run('docker', ['info', '--format', '{{json .}}']);
  if (info.code === 127) return no('docker is not installed');
  if (info.code !== 0) return no(why('docker info', info));
  let securityOptions: string[] = [];
  try {
    securityOptions = ((JSON.parse(info.stdout) as { SecurityOptions?: string[] }).SecurityOptions ?? []);
  } catch {
    return no('docker info did not print JSON');
  }
  let daemonJson: Record<string, unknown> | undefined;
  try {
    daemonJson = JSON.parse(await r.readFile('/etc/docker/daemon.json')) as Record<string, unknown>;
  } catch {
    daemonJson = undefined;
  }
  const ids = await r.run('docker', ['ps', '-q', '--no-trunc']);
  let containers: DockerContainer[] = [];
  const idList = ids.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  if (idList.length > 0) {
    const ins = await r.run('docker', ['inspect', ...idList]);
    if (ins.code !== 0) return no(why('docker inspect', ins));
    try {
      containers = parseDockerInspect(ins.stdout);
    } catch (e) {
      return no(`docker inspect printed something unexpected: ${firstLine((e as Error).message)}`);
    }
  }
  const tlsPaths = ['tlscacert', 'tlscert', 'tlskey'].map((k) => daemonJson?.[k]).filter((v): v is string => typeof v === 'string');
  const tlsFiles = (await Promise.all(tlsPaths.map((p) => statFile(r, p)))).filter((s): s is FileStat => s !== undefined);
  return ok({ securityOptions, daemonJson, containers, tlsFiles });
}

/** `ps -eo pid=,ppid=,user=,etimes=,comm=,args=` → processes. */
export function parsePs(text: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\S+)\s*(.*)$/.exec(line);
    if (m) out.push({ pid: Number(m[1]), ppid: Number(m[2]), user: m[3]!, elapsedSeconds: Number(m[4]), comm: m[5]!, args: m[6]! });
  }
  return out;
}

async function processFacts(r: Runner): Promise<Fact<ProcessInfo[]>> {
  const res = await r.run('ps', ['-eo', 'pid=,ppid=,user:32=,etimes=,comm=,args=']);
  return res.code === 0 ? ok(parsePs(res.stdout)) : no(why('ps', res));
}

async function unattendedFacts(r: Runner): Promise<Facts['unattendedUpgrades']> {
  const pkg = await r.run('dpkg-query', ['-W', '-f=${Status}', 'unattended-upgrades']);
  if (pkg.code === 127) return no('dpkg-query not found: not a Debian-family host');
  const installed = pkg.code === 0 && /\binstalled\b/.test(pkg.stdout) && !/not-installed|config-files/.test(pkg.stdout);
  const dump = await r.run('apt-config', ['dump']);
  if (dump.code !== 0) return no(why('apt-config dump', dump));
  const m = /^APT::Periodic::Unattended-Upgrade "([^"]*)";/m.exec(dump.stdout);
  return ok({ installed, enabled: m !== null && m[1] !== '0' && m[1] !== '' });
}

async function timeFacts(r: Runner): Promise<Facts['timeSync']> {
  const td = await r.run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value']);
  if (td.code === 0 && /^(yes|no)$/m.test(td.stdout)) return ok({ synchronized: /^yes$/m.test(td.stdout), source: 'timedatectl' });
  const ch = await r.run('chronyc', ['-n', 'tracking']);
  if (ch.code === 0) return ok({ synchronized: /^Leap status\s*:\s*Normal/m.test(ch.stdout), source: 'chronyc' });
  return no(`${why('timedatectl', td)}; ${why('chronyc', ch)}`);
}

async function fimFacts(r: Runner): Promise<Facts['anoguardFim']> {
  try {
    await r.readFile('/etc/anoguard/agent.yaml');
    return ok({ configured: true });
  } catch {
    return ok({ configured: false });
  }
}

async function hostName(r: Runner, opts: GatherOptions): Promise<string> {
  if (opts.host) return opts.host;
  const res = await r.run('hostname', []);
  return res.code === 0 && res.stdout.trim() ? res.stdout.trim() : r.where;
}

/** Gathers every fact, in parallel where independent. */
export async function gatherFacts(r: Runner, opts: GatherOptions = {}): Promise<Facts> {
  const sshdP = sshdFacts(r, opts.sshdConfig);
  const confP = factomdConfFacts(r, opts);
  const [host, sshd, firewall, listeners, factomdConf, docker, processes, unattendedUpgrades, timeSync, anoguardFim] = await Promise.all([
    hostName(r, opts), sshdP, firewallFacts(r), listenerFacts(r), confP, dockerFacts(r), processFacts(r),
    unattendedFacts(r), timeFacts(r), fimFacts(r),
  ]);
  const user = opts.hostEntry?.ssh.users[0] ?? (sshd.ok ? sshdList(sshd.value, 'allowusers')[0]?.split('@')[0] : undefined) ?? 'root';
  const [sshdForeign, debugEndpoint] = await Promise.all([
    sshd.ok ? sshdFacts(r, opts.sshdConfig, `user=${user},host=audit.invalid,addr=${FOREIGN_ADDR}`) : Promise.resolve(no<SshdConfig>(sshd.reason)),
    debugFacts(r, factomdConf),
  ]);
  return { host, sshd, sshdForeign, firewall, listeners, factomdConf, debugEndpoint, docker, processes, unattendedUpgrades, timeSync, anoguardFim };
}
