import { readFileSync } from 'node:fs';
import type { FactomdClient } from '../../factomd/client.js';
import { inspectConf, maskPrivateKey } from '../../failover/conf-identity.js';
import type { AgentStatus } from '../../failover/controller.js';
import type { CommandAgent } from './execute.js';

/** What the agent tells the controller: its file's view of the identity (key masked) and its factomd's answers. */
export async function agentStatus(host: string, identity: string, confPath: string, agent: CommandAgent, factomd: FactomdClient): Promise<AgentStatus> {
  const text = readFileSync(confPath, 'utf8');
  const i = inspectConf(text, confPath);
  const out: AgentStatus = {
    host,
    holdsIdentity: i.identityChainId === identity.toLowerCase(),
    changeAcksHeight: i.changeAcksHeight,
    fenced: agent.state().fenced,
  };
  try { out.maskedConf = maskPrivateKey(text); } catch { /* an unparseable file: the planner refuses without it */ }
  try {
    const [d, m] = await Promise.all([factomd.diagnostics(), factomd.currentMinute()]);
    out.diagnostics = d;
    out.currentMinute = m;
  } catch { /* factomd down: the health model sees no diagnostics */ }
  return out;
}
