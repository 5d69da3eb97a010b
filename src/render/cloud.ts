import { cidrFamily } from '../topology/cidr.js';
import { portPolicy, type InboundRule } from '../topology/policy.js';
import type { Host, Topology } from '../topology/schema.js';
import { stableJson } from './json.js';

/**
 * Cloud firewalls, the outer layer in front of nftables: the same inbound allow-list (portPolicy).
 * AWS security groups allow only, so the outbound p2p restriction of authority nodes stays in nftables.
 * Terraform output uses one resource per rule and never inline ingress blocks: mixing the two on
 * one security group makes Terraform overwrite rules (hashicorp/terraform #11011).
 */

const tfName = (s: string): string => s.replace(/[^a-zA-Z0-9_]/g, '_');

function sourcesOf(rule: InboundRule): { v4: string[]; v6: string[] } {
  if (rule.sources === 'any') return { v4: ['0.0.0.0/0'], v6: ['::/0'] };
  return { v4: rule.sources.filter((c) => cidrFamily(c) === 4), v6: rule.sources.filter((c) => cidrFamily(c) === 6) };
}

/** Input for `aws ec2 create-security-group` + `authorize-security-group-ingress --cli-input-json`. */
export function renderAwsSecurityGroup(t: Topology, h: Host): string | undefined {
  if (h.provider !== 'aws') return undefined;
  const policy = portPolicy(t, h);
  const perms = policy.inbound.map((r) => {
    const s = sourcesOf(r);
    return {
      FromPort: r.port,
      IpProtocol: r.proto,
      IpRanges: s.v4.map((c) => ({ CidrIp: c, Description: r.service })),
      Ipv6Ranges: s.v6.map((c) => ({ CidrIpv6: c, Description: r.service })),
      ToPort: r.port,
    };
  }).filter((p) => p.IpRanges.length + p.Ipv6Ranges.length > 0);
  return stableJson({
    Description: `anoguard ${h.role} ${h.name}`,
    GroupName: `anoguard-${h.name}`,
    IpPermissions: perms,
  });
}

export function renderAwsTerraform(t: Topology, h: Host): string | undefined {
  if (h.provider !== 'aws') return undefined;
  const sg = tfName(`anoguard_${h.name}`);
  const ingress: Record<string, unknown> = {};
  for (const r of portPolicy(t, h).inbound) {
    const s = sourcesOf(r);
    [...s.v4.map((c) => ['cidr_ipv4', c] as const), ...s.v6.map((c) => ['cidr_ipv6', c] as const)].forEach(([k, c], i) => {
      ingress[tfName(`${sg}_${r.service}_${r.port}_${i}`)] = {
        [k]: c,
        description: `${r.service}: ${r.why}`,
        from_port: r.port,
        ip_protocol: r.proto,
        security_group_id: `\${aws_security_group.${sg}.id}`,
        to_port: r.port,
      };
    });
  }
  return stableJson({
    variable: { vpc_id: { type: 'string', description: 'VPC of the host' } },
    resource: {
      aws_security_group: { [sg]: { name: `anoguard-${h.name}`, description: `anoguard ${h.role} ${h.name}`, vpc_id: '${var.vpc_id}' } },
      aws_vpc_security_group_ingress_rule: ingress,
      aws_vpc_security_group_egress_rule: {
        [`${sg}_egress_v4`]: { security_group_id: `\${aws_security_group.${sg}.id}`, cidr_ipv4: '0.0.0.0/0', ip_protocol: '-1', description: 'egress; p2p egress is limited by nftables' },
      },
    },
  });
}

interface GcpRule {
  name: string;
  direction: 'INGRESS';
  priority: number;
  sourceRanges: string[];
  targetTags: string[];
  allowed?: { IPProtocol: string; ports: string[] }[];
  denied?: { IPProtocol: string }[];
  description: string;
}

/** GCP VPC firewall rules; the instance carries the network tag `anoguard-<host>`. */
function gcpRules(t: Topology, h: Host): GcpRule[] {
  const tag = `anoguard-${h.name}`;
  const rules: GcpRule[] = [];
  for (const r of portPolicy(t, h).inbound) {
    const s = sourcesOf(r);
    // GCP rules take one address family each.
    for (const [fam, list] of [['v4', s.v4], ['v6', s.v6]] as const) {
      if (list.length === 0) continue;
      rules.push({
        name: `${tag}-${r.service}-${fam}`,
        direction: 'INGRESS',
        priority: 1000,
        sourceRanges: list,
        targetTags: [tag],
        allowed: [{ IPProtocol: r.proto, ports: [String(r.port)] }],
        description: `${r.service}: ${r.why}`,
      });
    }
  }
  // Explicit deny below the allows, so a permissive default network rule cannot open anything else.
  for (const [fam, range] of [['v4', '0.0.0.0/0'], ['v6', '::/0']] as const) {
    rules.push({ name: `${tag}-deny-all-${fam}`, direction: 'INGRESS', priority: 65000, sourceRanges: [range], targetTags: [tag], denied: [{ IPProtocol: 'all' }], description: 'default deny' });
  }
  return rules;
}

export function renderGcpFirewall(t: Topology, h: Host): string | undefined {
  if (h.provider !== 'gcp') return undefined;
  return stableJson(gcpRules(t, h).map((r) => ({ ...r, network: 'default' })));
}

export function renderGcpTerraform(t: Topology, h: Host): string | undefined {
  if (h.provider !== 'gcp') return undefined;
  const res: Record<string, unknown> = {};
  for (const r of gcpRules(t, h)) {
    res[tfName(r.name)] = {
      name: r.name,
      network: '${var.network}',
      direction: r.direction,
      priority: r.priority,
      source_ranges: r.sourceRanges,
      target_tags: r.targetTags,
      description: r.description,
      ...(r.allowed ? { allow: r.allowed.map((a) => ({ protocol: a.IPProtocol, ports: a.ports })) } : {}),
      ...(r.denied ? { deny: r.denied.map((d) => ({ protocol: d.IPProtocol })) } : {}),
    };
  }
  return stableJson({
    variable: { network: { type: 'string', description: 'VPC network of the host', default: 'default' } },
    resource: { google_compute_firewall: res },
  });
}
