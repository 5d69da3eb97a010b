import { findHost } from '../topology/derive.js';
import type { Topology } from '../topology/schema.js';
import { InputError } from '../errors.js';
import { gatherFacts, type GatherOptions } from './facts.js';
import { buildReport } from './run.js';
import type { Runner } from './runner.js';
import type { AuditReport, CheckContext, Profile } from './types.js';
import type { Role } from '../topology/schema.js';

export interface AuditOptions {
  profile?: Profile;
  role?: Role;
  topology?: Topology;
  /** Name of the host in the topology. */
  hostName?: string;
  sshdConfig?: string;
  factomdConf?: string;
}

/** Gathers the facts through `runner` and runs every check: the whole audit of one host. Read-only. */
export async function auditHost(runner: Runner, opts: AuditOptions = {}): Promise<AuditReport> {
  const hostEntry = opts.topology && opts.hostName ? findHost(opts.topology, opts.hostName) : undefined;
  if (opts.topology && opts.hostName && !hostEntry) {
    throw new InputError('E_AUDIT_HOST', `no host "${opts.hostName}" in the topology`, { field: 'host', exitCode: 2 });
  }
  const gather: GatherOptions = {
    ...(opts.hostName ? { host: opts.hostName } : {}),
    ...(opts.sshdConfig ? { sshdConfig: opts.sshdConfig } : {}),
    ...(opts.factomdConf ? { factomdConf: opts.factomdConf } : {}),
    ...(opts.topology ? { topology: opts.topology } : {}),
    ...(hostEntry ? { hostEntry } : {}),
  };
  const facts = await gatherFacts(runner, gather);
  const ctx: CheckContext = { profile: opts.profile ?? 'ano', role: hostEntry?.role ?? opts.role, topology: opts.topology, hostEntry };
  return buildReport(facts, ctx);
}
