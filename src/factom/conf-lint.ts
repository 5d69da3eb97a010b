import { readGcfg, type GcfgEntry } from './gcfg.js';
import {
  DEFAULT_LOCAL_SERVER_PRIV_KEY, FACTOMD_CONF_SCHEMA, loadFactomdConfig, sectionHeaderName, suggestFactomdKey,
  editDistance,
} from './factomd-conf.js';
import { publicKeyFromSeed } from './ed25519.js';

/**
 * Lint of a factomd.conf against what factomd v6.17.1 actually does with it (factomd-ops.md §1–§2):
 * the silent failures (ignored keys, fallback to defaults), the crashes at a brain swap, and the
 * insecure settings. Every rule has a stable id, documented in docs/conf-lint.md. Pure: text in,
 * findings out; no secret value is ever put in a message.
 */

export type LintSeverity = 'error' | 'warning' | 'info';

export interface LintFinding {
  id: string;
  severity: LintSeverity;
  line?: number;
  key?: string;
  message: string;
  fix?: string;
}

export interface LintOptions {
  /** Shown in syntax-error positions, as factomd would print them. */
  path?: string;
  /** 'authority' makes missing identity/auth an error; 'follower' and undefined are lenient. */
  role?: 'authority' | 'follower';
}

/** Every rule id with its default severity and one line of what it catches. */
export const CONF_LINT_RULES = {
  'syntax-error': { severity: 'error', summary: 'gcfg cannot parse the file: factomd silently runs on built-in defaults' },
  'invalid-value': { severity: 'error', summary: 'a value gcfg cannot convert (bool, integer): same fallback to defaults' },
  'unknown-section': { severity: 'warning', summary: 'a section factomd does not have; everything in it is ignored' },
  'ignored-subsection': { severity: 'warning', summary: '[section "name"]: factomd has no subsections; everything in it is ignored' },
  'wrong-section': { severity: 'warning', summary: 'a known key under the wrong section header; ignored (error for critical keys)' },
  'misspelled-key': { severity: 'warning', summary: 'an unknown key close to a known one; ignored (error for critical keys)' },
  'unknown-key': { severity: 'warning', summary: 'an unknown key; ignored' },
  'duplicate-key': { severity: 'warning', summary: 'a key set more than once; the last one wins' },
  'identity-empty': { severity: 'error', summary: 'IdentityChainID set to an empty string (zero identity at the swap)' },
  'identity-invalid': { severity: 'error', summary: 'IdentityChainID not 64 hex characters (panic at the swap)' },
  'identity-not-authority': { severity: 'info', summary: 'IdentityChainID does not start with 888888 (error with --role authority)' },
  'identity-missing': { severity: 'error', summary: 'no IdentityChainID on an authority node (--role authority)' },
  'privkey-empty': { severity: 'error', summary: 'LocalServerPrivKey set to an empty string (crash at the swap)' },
  'privkey-invalid': { severity: 'error', summary: 'LocalServerPrivKey not 64 or 128 hex characters (crash)' },
  'privkey-default': { severity: 'error', summary: 'the public default signing key with an authority identity (info otherwise)' },
  'pubkey-mismatch': { severity: 'warning', summary: 'LocalServerPublicKey does not match the key derived from LocalServerPrivKey' },
  'network-lowercase': { severity: 'error', summary: 'Network not upper case: factomd panics at start' },
  'network-invalid': { severity: 'error', summary: 'Network not MAIN, TEST, LOCAL or CUSTOM' },
  'controlpanel-readwrite': { severity: 'warning', summary: 'ControlPanelSetting readwrite lets visitors change the node' },
  'controlpanel-unknown': { severity: 'info', summary: 'ControlPanelSetting value factomd does not know (treated as readonly)' },
  'rpc-no-auth': { severity: 'warning', summary: 'no FactomdRpcUser: API and control panel open to anyone (error with --role authority)' },
  'rpc-no-password': { severity: 'warning', summary: 'FactomdRpcUser set with an empty FactomdRpcPass' },
  'tls-off': { severity: 'warning', summary: 'FactomdTlsEnabled is false: credentials and data in clear text' },
  'tls-placeholder-path': { severity: 'error', summary: 'TLS on with the /full/path/to/ placeholder paths' },
  'loglevel-invalid': { severity: 'error', summary: '[log] logLevel that logrus rejects: factomd panics at start' },
  'loglevel-verbose': { severity: 'info', summary: '[log] logLevel info/debug logs every API request and response' },
  'changeacks-pending': { severity: 'info', summary: 'ChangeAcksHeight set: an identity change is armed for that height' },
  'special-peers-format': { severity: 'error', summary: '*SpecialPeers not a comma-separated ip:port list (v6.12+ p2p fails to start)' },
} as const satisfies Record<string, { severity: LintSeverity; summary: string }>;

export type LintRuleId = keyof typeof CONF_LINT_RULES;

/** Keys whose silent loss breaks a brain swap or opens the node. */
const CRITICAL_KEYS = new Set([
  'ChangeAcksHeight', 'IdentityChainID', 'LocalServerPrivKey', 'LocalServerPublicKey', 'FactomdRpcUser', 'FactomdRpcPass',
  'Network', 'ControlPanelSetting', 'FactomdTlsEnabled', 'FactomdTlsPrivateKey', 'FactomdTlsPublicCert',
]);

const LOGRUS_LEVELS = new Set(['panic', 'fatal', 'error', 'warn', 'warning', 'info', 'debug', 'trace', 'none']);
const NETWORKS = ['MAIN', 'TEST', 'LOCAL', 'CUSTOM'];
const HEX = /^[0-9a-fA-F]*$/;
const PEER = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Findings for a factomd.conf text, sorted by line. An empty list means clean. */
export function lintFactomdConf(text: string | Uint8Array, opts: LintOptions = {}): LintFinding[] {
  const findings: LintFinding[] = [];
  const add = (id: LintRuleId, f: Omit<LintFinding, 'id' | 'severity'> & { severity?: LintSeverity }): void => {
    findings.push({ id, severity: f.severity ?? CONF_LINT_RULES[id].severity, ...f });
  };
  const authority = opts.role === 'authority';
  const parsed = readGcfg(FACTOMD_CONF_SCHEMA, text, { filename: opts.path ?? '' });
  const entries = parsed.entries;
  const appEntries = (name: string): GcfgEntry[] => entries.filter((e) => e.canonicalSection === 'App' && e.subsection === '' && e.canonicalName === name);
  const last = (name: string): GcfgEntry | undefined => appEntries(name).at(-1);

  // 1. What makes factomd fall back to defaults.
  if (parsed.fatal) {
    const f = parsed.fatal;
    const kept = last('IdentityChainID');
    add(f.kind === 'syntax' ? 'syntax-error' : 'invalid-value', {
      line: f.line,
      ...(f.name ? { key: f.name } : {}),
      message: `${f.line}:${f.column}: ${f.message}. factomd prints "Cannot open custom config file, Starting with default settings." and keeps running on its built-in defaults: no RPC user/password (API and control panel open), the public default signing key, Network MAIN, ControlPanel readonly, ChangeAcksHeight 0 (a pending brain swap does not happen)${kept ? `; only IdentityChainID (line ${kept.line}) is kept` : ''}.`,
      fix: 'Correct this line. factomd re-reads the file at every block, so the file must parse at all times.',
    });
  }

  // 2. Data gcfg would store nowhere: factomd ignores it without a word.
  const sectionNames = FACTOMD_CONF_SCHEMA.map((s) => s.name);
  for (const h of parsed.headers) {
    if (!h.canonicalSection) {
      const near = sectionNames.map((n) => ({ n, d: editDistance(n, h.section) })).sort((a, b) => a.d - b.d)[0];
      const hint = near && near.d <= 2 ? ` Did you mean [${sectionHeaderName(near.n)}]?` : '';
      add('unknown-section', { line: h.line, message: `[${h.section}] is not a factomd section; factomd silently ignores every key in it.${hint}`, ...(hint ? { fix: `Rename the header to [${sectionHeaderName(near!.n)}].` } : {}) });
    } else if (h.subsection !== '') {
      add('ignored-subsection', { line: h.line, message: `[${h.section} "${h.subsection}"]: factomd has no subsections; every key under this header is ignored.`, fix: `Use a plain [${h.section}] header.` });
    }
  }
  for (const e of entries) {
    if (e.canonicalName && e.subsection === '') continue;
    const s = suggestFactomdKey(e.name, e.canonicalSection ?? e.section);
    const severity: LintSeverity = s && CRITICAL_KEYS.has(s.name) ? 'error' : 'warning';
    const where = e.subsection ? `[${e.section} "${e.subsection}"]` : `[${e.section}]`;
    if (s && s.distance === 0 && (s.section !== e.canonicalSection || e.subsection !== '')) {
      add('wrong-section', {
        severity, line: e.line, key: e.name,
        message: `${e.name} is a key of [${sectionHeaderName(s.section)}] but stands under ${where}; factomd silently ignores it.`,
        fix: `Move the line into the [${sectionHeaderName(s.section)}] section${s.section === 'App' ? ' (not at the end of the file: the last section of the template is [Walletd])' : ''}.`,
      });
    } else if (!e.canonicalSection || e.subsection !== '') {
      continue; // the section's own finding covers it
    } else if (s && s.distance > 0) {
      const other = s.section !== e.canonicalSection ? ` (a key of [${sectionHeaderName(s.section)}])` : '';
      add('misspelled-key', { severity, line: e.line, key: e.name, message: `${e.name} is not a factomd key; factomd silently ignores it. Did you mean ${s.name}${other}?`, fix: `Rename it to ${s.name}${other ? ` and move it to [${sectionHeaderName(s.section)}]` : ''}.` });
    } else {
      add('unknown-key', { line: e.line, key: e.name, message: `${e.name} is not a key of [${e.section}]; factomd silently ignores it.` });
    }
  }

  // 3. Duplicates: gcfg keeps the last value of a single-valued key.
  const groups = new Map<string, GcfgEntry[]>();
  for (const e of entries) {
    if (!e.canonicalSection || !e.canonicalName || e.subsection !== '') continue;
    const spec = FACTOMD_CONF_SCHEMA.find((s) => s.name === e.canonicalSection)!.fields.find((f) => f.name === e.canonicalName) as { multi?: boolean } | undefined;
    if (spec?.multi) continue;
    const k = `${e.canonicalSection}.${e.canonicalName}`;
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    const first = list[0]!;
    const lastE = list.at(-1)!;
    add('duplicate-key', {
      line: first.line, key: first.canonicalName!,
      message: `${first.canonicalName} is set ${list.length} times (lines ${list.map((e) => e.line).join(', ')}); factomd uses line ${lastE.line}.`,
      fix: 'Keep one line (anoguard conf set edits the effective one and removes the others).',
    });
  }

  // 4. The identity: what happens at boot and when it is reloaded at ChangeAcksHeight.
  const idE = last('IdentityChainID');
  let authorityIdentity = false;
  if (idE) {
    const v = idE.value;
    if (v === '') {
      add('identity-empty', {
        line: idE.line, key: 'IdentityChainID',
        message: 'IdentityChainID is set to an empty string. At boot factomd falls back to a non-authority ID; when it reloads the file at ChangeAcksHeight the identity becomes 000…000.',
        fix: 'To give the identity away, remove or comment out the identity lines (anoguard conf unset FILE IdentityChainID) instead of emptying them.',
      });
    } else if (!HEX.test(v) || v.length % 2 !== 0) {
      add('identity-invalid', { line: idE.line, key: 'IdentityChainID', message: `IdentityChainID is not hex${v.length % 2 !== 0 ? ' (odd length)' : ''}: factomd panics (encoding/hex) when it reloads the identity at ChangeAcksHeight, and at boot silently runs with a non-authority ID.`, fix: 'Set the 64-hex identity chain ID (888888…).' });
    } else if (v.length !== 64) {
      add('identity-invalid', { line: idE.line, key: 'IdentityChainID', message: `IdentityChainID has ${v.length} hex characters; a chain ID has 64. factomd does not use it as this node's identity.`, fix: 'Set the 64-hex identity chain ID (888888…).' });
    } else if (!v.toLowerCase().startsWith('888888')) {
      add('identity-not-authority', { severity: authority ? 'error' : 'info', line: idE.line, key: 'IdentityChainID', message: 'IdentityChainID does not start with 888888, so it is not a server identity: this node runs as a follower.' });
    } else {
      authorityIdentity = true;
    }
  } else if (authority && !parsed.fatal) {
    add('identity-missing', { line: undefined, key: 'IdentityChainID', message: 'No IdentityChainID: factomd runs with a non-authority ID (sha256("FNode0")).', fix: 'Set IdentityChainID in [app].' });
  }

  // 5. The signing key.
  const kE = last('LocalServerPrivKey');
  const defaultKeyCritical = authority || authorityIdentity;
  if (kE) {
    const v = kE.value;
    if (v === '') {
      add('privkey-empty', { line: kE.line, key: 'LocalServerPrivKey', message: 'LocalServerPrivKey is set to an empty string: factomd leaves a nil key and crashes (nil pointer dereference) when it loads it, at boot or at ChangeAcksHeight.', fix: 'Remove or comment out the line to get the default key, or set the 64-hex seed.' });
    } else if (!HEX.test(v) || (v.length !== 64 && v.length !== 128)) {
      add('privkey-invalid', { line: kE.line, key: 'LocalServerPrivKey', message: `LocalServerPrivKey is not a 32-byte (64 hex) or 64-byte (128 hex) ed25519 key (${HEX.test(v) ? `${v.length} hex characters` : 'not hex'}): factomd crashes when it loads it.`, fix: 'Set the 64-hex private key of the identity\'s block-signing key.' });
    } else if (v.toLowerCase() === DEFAULT_LOCAL_SERVER_PRIV_KEY) {
      add('privkey-default', { severity: defaultKeyCritical ? 'error' : 'info', line: kE.line, key: 'LocalServerPrivKey', message: 'LocalServerPrivKey is factomd\'s public default key: anyone can sign as this node.' });
    } else {
      const derived = toHex(publicKeyFromSeed(hexToBytes(v.slice(0, 64)), 'LocalServerPrivKey'));
      const pE = last('LocalServerPublicKey');
      if (pE && pE.value.toLowerCase() !== derived) {
        add('pubkey-mismatch', { line: pE.line, key: 'LocalServerPublicKey', message: `LocalServerPublicKey does not match the key derived from LocalServerPrivKey (${derived}). factomd never reads it, but anyone checking the file against the chain is misled.`, fix: `Set LocalServerPublicKey = ${derived}.` });
      }
    }
  } else if (defaultKeyCritical && !parsed.fatal) {
    add('privkey-default', { line: idE?.line, key: 'LocalServerPrivKey', message: 'No LocalServerPrivKey with an authority identity: factomd signs with its public default key.', fix: 'Set LocalServerPrivKey in [app] next to IdentityChainID.' });
  }

  // 6. Values that crash or open the node.
  const netE = last('Network');
  if (netE && !NETWORKS.includes(netE.value)) {
    if (NETWORKS.includes(netE.value.toUpperCase())) {
      add('network-lowercase', { line: netE.line, key: 'Network', message: `Network = ${netE.value} must be upper case: factomd panics at start ("Bad value for Network in factomd.conf").`, fix: `Network = ${netE.value.toUpperCase()}` });
    } else {
      add('network-invalid', { line: netE.line, key: 'Network', message: `Network = ${netE.value} is not MAIN, TEST, LOCAL or CUSTOM: factomd panics at start.` });
    }
  }
  const cpE = last('ControlPanelSetting');
  if (cpE && cpE.value === 'readwrite') {
    add('controlpanel-readwrite', { line: cpE.line, key: 'ControlPanelSetting', message: 'ControlPanelSetting = readwrite: anyone who reaches the control panel can change the node (e.g. turn on debug logs that write the signing key to disk at a swap).', fix: 'ControlPanelSetting = disabled (or readonly).' });
  } else if (cpE && !['disabled', 'readonly'].includes(cpE.value)) {
    add('controlpanel-unknown', { line: cpE.line, key: 'ControlPanelSetting', message: `ControlPanelSetting = ${cpE.value} is not disabled/readonly/readwrite; factomd treats it as readonly.` });
  }

  if (!parsed.fatal) {
    const cfg = loadFactomdConfig(text, { path: opts.path ?? 'factomd.conf' }).config;
    const userE = last('FactomdRpcUser');
    if (cfg.App.FactomdRpcUser === '') {
      add('rpc-no-auth', { severity: authority ? 'error' : 'warning', line: userE?.line, key: 'FactomdRpcUser', message: 'No FactomdRpcUser: the API (all interfaces, port 8088) and the control panel accept requests without authentication.', fix: 'Set FactomdRpcUser and FactomdRpcPass (anoguard conf set FILE FactomdRpcPass reads the password from stdin).' });
    } else if (cfg.App.FactomdRpcPass === '') {
      add('rpc-no-password', { line: last('FactomdRpcPass')?.line ?? userE?.line, key: 'FactomdRpcPass', message: 'FactomdRpcUser is set but FactomdRpcPass is empty.', fix: 'Set a long random FactomdRpcPass (from stdin: anoguard conf set FILE FactomdRpcPass).' });
    }
    const tlsE = last('FactomdTlsEnabled');
    if (!cfg.App.FactomdTlsEnabled) {
      add('tls-off', { line: tlsE?.line, key: 'FactomdTlsEnabled', message: 'FactomdTlsEnabled is false: the RPC password and all API data cross the network in clear text.', fix: 'FactomdTlsEnabled = true with explicit FactomdTlsPrivateKey/FactomdTlsPublicCert paths.' });
    } else {
      for (const k of ['FactomdTlsPrivateKey', 'FactomdTlsPublicCert'] as const) {
        if (cfg.App[k].startsWith('/full/path/to/')) {
          add('tls-placeholder-path', { line: last(k)?.line ?? tlsE?.line, key: k, message: `${k} is the template placeholder ${cfg.App[k]}; factomd v6.4+ uses that literal path and TLS fails to start.`, fix: `Set ${k} to a real path.` });
        }
      }
    }
    const logE = entries.filter((e) => e.canonicalSection === 'Log' && e.canonicalName === 'LogLevel' && e.subsection === '').at(-1);
    const level = cfg.Log.LogLevel.toLowerCase();
    if (!LOGRUS_LEVELS.has(level)) {
      add('loglevel-invalid', { line: logE?.line, key: 'logLevel', message: `[log] logLevel = ${cfg.Log.LogLevel} is not a level logrus accepts (panic, fatal, error, warn, info, debug, trace, or none): factomd panics at start.`, fix: 'logLevel = error' });
    } else if (level === 'info' || level === 'debug' || level === 'trace') {
      add('loglevel-verbose', { line: logE?.line, key: 'logLevel', message: `[log] logLevel = ${cfg.Log.LogLevel} writes every API request and response to the log file.` });
    }
    if (cfg.App.ChangeAcksHeight > 0) {
      add('changeacks-pending', { line: last('ChangeAcksHeight')?.line, key: 'ChangeAcksHeight', message: `ChangeAcksHeight = ${cfg.App.ChangeAcksHeight}: factomd reloads IdentityChainID and LocalServerPrivKey when its leader height reaches that block. Do not restart this node before then.` });
    }
  }

  for (const k of ['MainSpecialPeers', 'TestSpecialPeers', 'LocalSpecialPeers', 'CustomSpecialPeers'] as const) {
    const e = last(k);
    if (!e || e.value.trim() === '') continue;
    const bad = e.value.split(',').map((p) => p.trim()).filter((p) => {
      const m = PEER.exec(p);
      return !m || Number(m[1]) < 1 || Number(m[1]) > 65535;
    });
    if (bad.length > 0) {
      const spaced = bad.some((p) => /\s/.test(p));
      add('special-peers-format', { line: e.line, key: k, message: `${k}: ${bad.map((p) => JSON.stringify(p)).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not ip:port${spaced ? ' (space-separated lists are the ≤ v6.11 format)' : ''}; factomd ≥ v6.12 fails to start p2p ("Unable to start p2p network").`, fix: `${k} = "1.2.3.4:8108,5.6.7.8:8108"` });
    }
  }

  const rank: Record<LintSeverity, number> = { error: 0, warning: 1, info: 2 };
  return findings.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || rank[a.severity] - rank[b.severity]);
}

/** True when a lint result should fail a check (any error or warning). */
export function lintFails(findings: readonly LintFinding[]): boolean {
  return findings.some((f) => f.severity !== 'info');
}
