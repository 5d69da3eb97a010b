/**
 * What systemd does for the agent's `restartCommand` / `stopCommand` in the wiring tests and the
 * chaos process world, against a simulator node (inside the node's namespace when it has one):
 * `stop SIMDIR NODE` kills it; `restart SIMDIR NODE AGENT_YAML` kills it, runs the fence check
 * (ExecStartPre; refused once → the demoted file starts a follower, like Restart=on-failure) and
 * starts it again on its factomd.conf.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadFenceConfig } from '../../src/agent/commands/config.js';
import { fenceCheck } from '../../src/agent/commands/execute.js';
import { isOurProcess, openSim } from '../../src/sim/index.js';

const [op, simDir, node, agentYaml] = process.argv.slice(2);
if ((op !== 'stop' && op !== 'restart') || !simDir || !node || (op === 'restart' && !agentYaml)) {
  process.stderr.write('usage: node-ctl stop|restart SIMDIR NODE [AGENT_YAML]\n');
  process.exit(2);
}
const sim = JSON.parse(readFileSync(join(simDir, 'sim.json'), 'utf8')) as { nodes: { name: string; pid: number }[] };
const pid = sim.nodes.find((n) => n.name === node)?.pid ?? 0;
if (isOurProcess(pid, simDir)) {
  process.kill(pid, 'SIGKILL');
  const end = Date.now() + 5000;
  while (Date.now() < end && isOurProcess(pid, simDir)) await new Promise((r) => setTimeout(r, 50));
}
if (op === 'restart') {
  const c = loadFenceConfig(agentYaml!);
  for (let i = 0; i < 2 && !fenceCheck({ confPath: c.factomdConf, statePath: c.stateFile, identity: c.identity }).ok; i++) { /* demoted: the next try starts a follower */ }
  // The fence check above ran on this host's clock (skewed by libfaketime in clock-skew worlds); the
  // simulated factomd runs on the real clock: its own skew is the simulator's clock-skew fault.
  delete process.env.LD_PRELOAD;
  delete process.env.FAKETIME;
  await openSim(simDir).restartNode(node);
}
