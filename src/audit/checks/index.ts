import type { Check } from '../types.js';
import { confChangeAcks } from './conf-change-acks.js';
import { confControlPanel } from './conf-control-panel.js';
import { confIdentity } from './conf-identity.js';
import { confKeyModes } from './conf-key-modes.js';
import { confParses } from './conf-parses.js';
import { confRpcAuth } from './conf-rpc-auth.js';
import { confTls } from './conf-tls.js';
import { dockerHostNetwork } from './docker-host-network.js';
import { dockerPrivileged } from './docker-privileged.js';
import { dockerPublishedPorts } from './docker-published-ports.js';
import { dockerTls } from './docker-tls.js';
import { dockerTlsFiles } from './docker-tls-files.js';
import { dockerUserns } from './docker-userns.js';
import { firewallDefaultDrop } from './firewall-default-drop.js';
import { firewallDockerUser } from './firewall-docker-user.js';
import { firewallReachability } from './firewall-reachability.js';
import { hostHids } from './host-hids.js';
import { hostSingleService } from './host-single-service.js';
import { hostTimeSync } from './host-time-sync.js';
import { hostUpdates } from './host-updates.js';
import { netDebugEndpoint } from './net-debug-endpoint.js';
import { netFactomdUnauthenticated } from './net-factomd-unauthenticated.js';
import { netListeners } from './net-listeners.js';
import { sshAllowUsers } from './ssh-allow-users.js';
import { sshCiphers, sshKex, sshMacs } from './ssh-crypto.js';
import { sshKeysOnly } from './ssh-keys-only.js';
import { sshClientAlive, sshLoginGrace, sshLogLevel, sshMaxAuthTries, sshMaxSessions, sshMaxStartups } from './ssh-limits.js';
import { sshOpsIp } from './ssh-ops-ip.js';
import { sshForwarding, sshGssapi, sshPubkey, sshTrust } from './ssh-options.js';
import { sshPort } from './ssh-port.js';
import { sshRootLogin } from './ssh-root-login.js';

/** Every check, in report order. Adding a check: one file and one line here. */
export const CHECKS: readonly Check[] = [
  sshPort, sshKeysOnly, sshRootLogin, sshAllowUsers, sshOpsIp, sshCiphers, sshKex, sshMacs, sshMaxAuthTries, sshLoginGrace,
  sshLogLevel, sshMaxSessions, sshClientAlive, sshForwarding, sshTrust, sshPubkey, sshGssapi, sshMaxStartups,
  firewallDefaultDrop, firewallDockerUser, firewallReachability,
  netListeners, netFactomdUnauthenticated, netDebugEndpoint,
  confParses, confRpcAuth, confTls, confControlPanel, confIdentity, confChangeAcks, confKeyModes,
  dockerTls, dockerTlsFiles, dockerUserns, dockerPrivileged, dockerHostNetwork, dockerPublishedPorts,
  hostSingleService, hostUpdates, hostTimeSync, hostHids,
];
