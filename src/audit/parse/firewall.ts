/**
 * A small model of the loaded packet filter, enough to answer "can a new TCP connection from an
 * arbitrary internet address reach port P?" and "does DOCKER-USER filter?". Built from the text of
 * `nft list ruleset` or `iptables-save`, so it works locally and over SSH. It is deliberately
 * conservative: a rule it does not understand does not match, and interface-restricted rules
 * (other than loopback) are taken as private, which is how the rendered rules use them.
 */

export type Verdict = 'accept' | 'drop' | 'reject' | 'jump' | 'return' | 'none';

export interface FwRule {
  /** Destination TCP ports; 'all' when the rule has no port match. */
  ports: number[] | 'all';
  /** 'any' when the rule has no source match (or matches 0.0.0.0/0, ::/0). */
  sources: 'any' | string[];
  /** The rule only matches some interface (or established traffic, or another protocol). */
  narrowed: boolean;
  verdict: Verdict;
  target?: string;
  text: string;
}

export interface FwChain {
  family: string;
  table: string;
  name: string;
  /** Base chain on the input hook. */
  inputHook: boolean;
  policy: 'accept' | 'drop';
  rules: FwRule[];
}

export interface FirewallModel {
  source: 'nft' | 'iptables';
  chains: FwChain[];
}

const ANY = new Set(['0.0.0.0/0', '::/0', '0.0.0.0', '::']);

function parsePorts(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(/[\s,{}]+/).filter(Boolean)) {
    const m = /^(\d+)(?:[-:](\d+))?$/.exec(part);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    // Ranges are kept as their ends plus a marker so huge ranges stay cheap; see portMatches.
    if (b - a > 1024) out.push(a, -b);
    else for (let p = a; p <= b; p++) out.push(p);
  }
  return out;
}

function portMatches(ports: number[] | 'all', port: number): boolean {
  if (ports === 'all') return true;
  for (let i = 0; i < ports.length; i++) {
    const p = ports[i]!;
    const next = ports[i + 1];
    if (next !== undefined && next < 0 && port >= p && port <= -next) return true;
    if (p === port) return true;
  }
  return false;
}

/** One nft rule line (inside a chain) → rule. */
function parseNftRule(line: string): FwRule {
  const text = line.replace(/comment "[^"]*"/g, '').replace(/counter( packets \d+ bytes \d+)?/g, '').trim();
  let verdict: Verdict = 'none';
  let target: string | undefined;
  const v = /\b(accept|drop|reject(?: with .*)?|return|(?:jump|goto) (\S+))\s*$/.exec(text);
  if (v) {
    if (v[1]!.startsWith('jump') || v[1]!.startsWith('goto')) { verdict = 'jump'; target = v[2]; } else verdict = v[1]!.split(' ')[0] as Verdict;
  }
  let ports: number[] | 'all' = 'all';
  const dport = /\b(?:tcp|th) dport (\{[^}]*\}|\S+)/.exec(text);
  if (dport) ports = parsePorts(dport[1]!);
  let sources: 'any' | string[] = 'any';
  const saddr = [...text.matchAll(/\bip6? saddr (!= )?(\{[^}]*\}|\S+)/g)];
  let narrowed = false;
  if (saddr.length > 0) {
    const list = saddr.flatMap((m) => m[2]!.replace(/[{}]/g, '').split(',').map((s) => s.trim()).filter(Boolean));
    if (saddr.some((m) => m[1])) narrowed = true;
    else if (!list.every((s) => ANY.has(s))) sources = list;
  }
  if (/\b(?:iif|iifname) (?!"?lo"?\b)/.test(text)) narrowed = true;
  if (/\b(?:iif|iifname) "?lo"?\b/.test(text)) narrowed = true;
  if (/\bct state\b/.test(text) && !/\bct state (?:\{[^}]*\bnew\b[^}]*\}|\S*\bnew\b)/.test(text)) narrowed = true;
  if (/\bct status\b/.test(text)) narrowed = true;
  if (/\b(?:udp|icmp|icmpv6|ipv6-icmp|sctp)\b/.test(text) && !/\btcp\b/.test(text)) narrowed = true;
  if (/\bmeta l4proto (?!tcp\b)/.test(text)) narrowed = true;
  if (/\bfib\b|\bmark\b|\bdaddr\b|\bxt\b/.test(text)) narrowed = true;
  return { ports, sources, narrowed, verdict, ...(target ? { target } : {}), text: line.trim() };
}

export function parseNftRuleset(text: string): FirewallModel {
  const chains: FwChain[] = [];
  let family = '';
  let table = '';
  let chain: FwChain | undefined;
  let depth = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    const t = /^table (\S+) (\S+) \{$/.exec(line);
    if (t && depth === 0) { family = t[1]!; table = t[2]!; depth = 1; continue; }
    const c = /^chain (\S+) \{$/.exec(line);
    if (c && depth === 1) {
      chain = { family, table, name: c[1]!, inputHook: false, policy: 'accept', rules: [] };
      chains.push(chain);
      depth = 2;
      continue;
    }
    if (/^(set|map|flowtable|ct helper|counter|quota|limit|secmark|synproxy)\b.*\{$/.test(line) && depth === 1) { depth = 2; chain = undefined; continue; }
    if (line === '}') {
      depth = Math.max(0, depth - 1);
      if (depth < 2) chain = undefined;
      continue;
    }
    if (line.endsWith('{')) { depth++; continue; }
    if (!chain || depth !== 2) continue;
    const hook = /^type filter hook (\S+) .*?(?:policy (accept|drop);)?$/.exec(line);
    if (hook) {
      chain.inputHook = hook[1] === 'input';
      chain.policy = hook[2] === 'drop' ? 'drop' : 'accept';
      continue;
    }
    if (/^type /.test(line)) continue;
    chain.rules.push(parseNftRule(line));
  }
  return { source: 'nft', chains };
}

/** iptables-save (filter table) → the same model; ip6tables-save text works too. */
export function parseIptablesSave(text: string): FirewallModel {
  const chains = new Map<string, FwChain>();
  let table = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) { table = line.slice(1); continue; }
    if (table !== 'filter') continue;
    const decl = /^:(\S+) (\S+)/.exec(line);
    if (decl) {
      const builtin = decl[2] !== '-';
      chains.set(decl[1]!, { family: 'ip', table: 'filter', name: decl[1]!, inputHook: decl[1] === 'INPUT', policy: builtin && decl[2] === 'DROP' ? 'drop' : 'accept', rules: [] });
      continue;
    }
    const add = /^-A (\S+) (.*)$/.exec(line);
    if (!add) continue;
    const ch = chains.get(add[1]!);
    if (!ch) continue;
    const r = add[2]!;
    const j = /(?:^|\s)-[jg] (\S+)/.exec(r);
    const tgt = j?.[1];
    const verdict: Verdict = tgt === 'ACCEPT' ? 'accept' : tgt === 'DROP' ? 'drop' : tgt === 'REJECT' ? 'reject' : tgt === 'RETURN' ? 'return' : tgt ? 'jump' : 'none';
    const dport = /--dports? (\S+)/.exec(r);
    const src = /(?:^|\s)(!\s)?-s (\S+)/.exec(r);
    let narrowed = /(?:^|\s)-i /.test(r) || /--ctstate (?!\S*NEW)\S+|--state (?!\S*NEW)\S+/.test(r) || /-p (?!tcp\b)\S+/.test(r) || /(?:^|\s)-d /.test(r);
    let sources: 'any' | string[] = 'any';
    if (src) {
      if (src[1]) narrowed = true;
      else if (!ANY.has(src[2]!)) sources = src[2]!.split(',');
    }
    ch.rules.push({
      ports: dport ? parsePorts(dport[1]!) : 'all', sources, narrowed, verdict,
      ...(verdict === 'jump' && tgt ? { target: tgt } : {}), text: line,
    });
  }
  return { source: 'iptables', chains: [...chains.values()] };
}

/** Does any base chain on the input hook exist? (No chain = no host firewall.) */
export function inputChains(m: FirewallModel): FwChain[] {
  return m.chains.filter((c) => c.inputHook);
}

function walk(m: FirewallModel, chain: FwChain, port: number, depth: number): 'accept' | 'drop' | 'continue' {
  if (depth > 8) return 'continue';
  for (const r of chain.rules) {
    if (r.narrowed || r.sources !== 'any' || !portMatches(r.ports, port)) continue;
    if (r.verdict === 'accept') return 'accept';
    if (r.verdict === 'drop' || r.verdict === 'reject') return 'drop';
    if (r.verdict === 'return') return 'continue';
    if (r.verdict === 'jump' && r.target) {
      const sub = m.chains.find((c) => c.name === r.target && c.table === chain.table && c.family === chain.family);
      if (sub) {
        const v = walk(m, sub, port, depth + 1);
        if (v !== 'continue') return v;
      }
    }
  }
  return 'continue';
}

/**
 * Can a new TCP connection from an arbitrary internet address reach `port`? Every input base chain
 * must let it through (a drop in any is final); no input chain at all means yes.
 */
export function reachableFromAnywhere(m: FirewallModel, port: number): boolean {
  for (const c of inputChains(m)) {
    const v = walk(m, c, port, 0);
    if (v === 'drop') return false;
    if (v === 'continue' && c.policy === 'drop') return false;
  }
  return true;
}

/** DOCKER-USER present, and whether it drops anything (Docker creates it holding only `return`). */
export function dockerUserChain(m: FirewallModel): { present: boolean; filtering: boolean } {
  const chains = m.chains.filter((c) => c.name === 'DOCKER-USER');
  return {
    present: chains.length > 0,
    filtering: chains.some((c) => c.rules.some((r) => r.verdict === 'drop' || r.verdict === 'reject')),
  };
}
