import { loadFactomdConfig } from '../factom/factomd-conf.js';

/**
 * factomd.conf as a simulated node reads it: `loadFactomdConfig` of the protocol core (gcfg with
 * factomd's ReadConfig semantics, factomd-ops.md §1.1–§1.3) narrowed to the `[app]` keys the
 * simulator acts on, plus the exact 4-line fallback message factomd prints (behaviour/ case 6).
 */

export interface AppConfig {
  PortNumber: number;
  HomeDir: string;
  ControlPanelPort: number;
  ControlPanelSetting: string;
  DBType: string;
  DirectoryBlockInSeconds: number;
  NodeMode: string;
  IdentityChainID: string;
  LocalServerPrivKey: string;
  LocalServerPublicKey: string;
  Network: string;
  MainNetworkPort: string;
  TestNetworkPort: string;
  LocalNetworkPort: string;
  CustomNetworkPort: string;
  FactomdTlsEnabled: boolean;
  FactomdTlsPrivateKey: string;
  FactomdTlsPublicCert: string;
  FactomdRpcUser: string;
  FactomdRpcPass: string;
  RequestTimeout: number;
  RequestLimit: number;
  CorsDomains: string;
  ChangeAcksHeight: number;
}

export interface ConfLoad {
  config: AppConfig;
  /** Set when factomd would fall back to defaults: its 4-line stdout message, and the error line. */
  fallback?: { error: string; message: string };
}

/** Loads factomd.conf text (undefined = missing file, treated like a fatal error by factomd). Never throws. */
export function loadSimConf(text: string | undefined, path: string): ConfLoad {
  const r = loadFactomdConfig(text, { path });
  const a = r.config.App;
  const config: AppConfig = {
    PortNumber: a.PortNumber, HomeDir: a.HomeDir, ControlPanelPort: a.ControlPanelPort, ControlPanelSetting: a.ControlPanelSetting,
    DBType: a.DBType, DirectoryBlockInSeconds: a.DirectoryBlockInSeconds, NodeMode: a.NodeMode, IdentityChainID: a.IdentityChainID,
    LocalServerPrivKey: a.LocalServerPrivKey, LocalServerPublicKey: a.LocalServerPublicKey, Network: a.Network,
    MainNetworkPort: a.MainNetworkPort, TestNetworkPort: a.TestNetworkPort, LocalNetworkPort: a.LocalNetworkPort, CustomNetworkPort: a.CustomNetworkPort,
    FactomdTlsEnabled: a.FactomdTlsEnabled, FactomdTlsPrivateKey: a.FactomdTlsPrivateKey, FactomdTlsPublicCert: a.FactomdTlsPublicCert,
    FactomdRpcUser: a.FactomdRpcUser, FactomdRpcPass: a.FactomdRpcPass, RequestTimeout: a.RequestTimeout, RequestLimit: a.RequestLimit,
    CorsDomains: a.CorsDomains, ChangeAcksHeight: a.ChangeAcksHeight,
  };
  if (!r.fallback) return { config };
  return { config, fallback: { error: r.fallback.error, message: `${r.fallback.lines.join('\n')}\n` } };
}

/** ChangeAcksHeight as factomd reads it at the start of every block (§1.1): 0 when the file does not parse. */
export function changeAcksHeightOf(load: ConfLoad): number {
  return load.fallback ? 0 : load.config.ChangeAcksHeight;
}
