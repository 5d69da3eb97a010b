import type { Listener } from '../util/proc-net.js';
import type { Host, Role, Topology } from '../topology/schema.js';
import type { FirewallModel } from './parse/firewall.js';
import type { SshdConfig } from './parse/sshd.js';

export {
  AuditReportSchema, AuditResultSchema, PROFILES, SEVERITIES, STATUSES,
  type AuditReport, type AuditResult, type Profile, type Severity, type Status,
} from './report-schema.js';
import type { Profile, Severity, Status } from './report-schema.js';

/** A fact is either gathered or not, with the reason; a check on a missing fact is skipped, never passed. */
export type Fact<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface FileStat { path: string; mode: number; owner: string; group: string }

export interface ProcessInfo { pid: number; ppid: number; user: string; elapsedSeconds: number; comm: string; args: string }

export interface DockerContainer {
  name: string;
  image: string;
  privileged: boolean;
  networkMode: string;
  /** Published ports: host address ('' = all interfaces) and host port. */
  published: { hostIp: string; hostPort: number; containerPort: string }[];
}

export interface DockerFacts {
  /** `docker info` SecurityOptions, e.g. `name=userns`, `name=rootless`. */
  securityOptions: string[];
  /** /etc/docker/daemon.json, parsed; undefined when the file does not exist. */
  daemonJson: Record<string, unknown> | undefined;
  containers: DockerContainer[];
  /** Modes of the TLS files named in daemon.json (absent ones are left out). */
  tlsFiles: FileStat[];
}

export interface FactomdConfFacts {
  path: string;
  text: string;
  stat: FileStat | undefined;
  /** The TLS private key named in the file, with its mode, when TLS is on. */
  tlsKey: FileStat | undefined;
}

export interface Facts {
  host: string;
  /** `sshd -T`: the effective global configuration (Include and drop-ins resolved). */
  sshd: Fact<SshdConfig>;
  /** `sshd -T -C addr=<an address that is no ops IP>`: what a stranger's connection gets (Match blocks applied). */
  sshdForeign: Fact<SshdConfig>;
  firewall: Fact<FirewallModel>;
  listeners: Fact<Listener[]>;
  factomdConf: Fact<FactomdConfFacts>;
  /** What `/debug` answers without credentials on the local API port (status 0: nothing answered; not probed on MAIN). */
  debugEndpoint: Fact<{ network: string; url: string; status: number }>;
  docker: Fact<DockerFacts>;
  processes: Fact<ProcessInfo[]>;
  unattendedUpgrades: Fact<{ installed: boolean; enabled: boolean }>;
  timeSync: Fact<{ synchronized: boolean; source: string }>;
  anoguardFim: Fact<{ configured: boolean }>;
}

export interface CheckContext {
  profile: Profile;
  role: Role | undefined;
  topology: Topology | undefined;
  /** The host's entry in the topology, when the audit was started with --host. */
  hostEntry: Host | undefined;
}

export interface CheckOutcome { status: Status; detail: string }

export type CheckArea = 'ssh' | 'firewall' | 'network' | 'factomd' | 'docker' | 'host';

/** One audit check: a small module registered in checks/index.ts. */
export interface Check {
  /** Stable: `ANO-<AREA>-NNN`. Never reused for another meaning. */
  id: string;
  area: CheckArea;
  title: string;
  /** Why it matters for an ANO, one or two sentences. */
  why: string;
  severity: Severity;
  /** IDs in the public baselines: `dev-sec:sshd-07`, `CIS-Ubuntu-24.04:5.1.20`, `Lynis:SSH-7408`, `docker-bench:2.7`. */
  refs: string[];
  /** What to do, pointing at the file `anoguard render` produces. */
  remediation: string;
  run(facts: Facts, ctx: CheckContext): CheckOutcome;
}

export const pass = (detail: string): CheckOutcome => ({ status: 'pass', detail });
export const fail = (detail: string): CheckOutcome => ({ status: 'fail', detail });
export const skip = (detail: string): CheckOutcome => ({ status: 'skipped', detail });
