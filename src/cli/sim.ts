import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { openSim, recordNodePid, runNetwork, runNode, startSim, stopSim } from '../sim/index.js';
import { emit } from './print.js';

/** Parses `6s`, `1500ms`, `2m` or a bare number of seconds into milliseconds. */
function parseDuration(text: string, field: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new InputError('E_USAGE', `not a duration: ${JSON.stringify(text)} (use e.g. 6s, 1000ms)`, { field, exitCode: 2 });
  const v = Number(m[1]);
  return Math.round(m[2] === 'ms' ? v : m[2] === 'm' ? v * 60_000 : v * 1000);
}

function intArg(text: string, field: string, min: number): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new InputError('E_USAGE', `must be an integer ≥ ${min}, got ${JSON.stringify(text)}`, { field, exitCode: 2 });
  return v;
}

const FAULTS = ['crash', 'stall', 'lag', 'partition', 'heal', 'slow', 'clock-skew'] as const;
type Fault = (typeof FAULTS)[number];

/** The `sim` command group: a factomd-compatible simulated network (docs/simulator.md). */
export function register(program: Command): void {
  const sim = program.command('sim').description('factomd-compatible simulator: separate processes, real ports, real factomd.conf files');

  sim.command('up')
    .description('start a network process and N node processes (detached); returns once every node answers')
    .requiredOption('--dir <dir>', 'simulation directory (sim.json, truth.jsonl, one home per node)')
    .requiredOption('--nodes <n>', 'number of nodes')
    .option('--authorities <k>', 'federated servers (held by the first k nodes)', '1')
    .option('--audits <a>', 'audit servers (held by the next a nodes)', '0')
    .option('--block-time <duration>', 'block time (10 minutes per block), whole seconds', '6s')
    .option('--host <addr>', 'address every listener binds', '127.0.0.1')
    .action(async (o: { dir: string; nodes: string; authorities: string; audits: string; blockTime: string; host: string }, cmd: Command) => {
      const h = await startSim({
        dir: o.dir, nodes: intArg(o.nodes, 'nodes', 1), authorities: intArg(o.authorities, 'authorities', 1), audits: intArg(o.audits, 'audits', 0),
        blockTimeMs: parseDuration(o.blockTime, 'block-time'), host: o.host,
      });
      emit(cmd, { network: h.network, nodes: h.nodes }, () =>
        [`network pid ${h.network.pid} at ${h.network.address}`, ...h.nodes.map((n) => `${n.name}  pid ${n.pid}  api ${n.api}  cp ${n.controlPanel}  metrics ${n.metrics}`)].join('\n'));
    });

  sim.command('down')
    .description('stop exactly the processes listed in DIR/sim.json')
    .requiredOption('--dir <dir>', 'simulation directory')
    .action(async (o: { dir: string }, cmd: Command) => {
      const r = await stopSim(o.dir);
      emit(cmd, r, () => `stopped ${r.stopped.length} process(es)`);
    });

  sim.command('status')
    .description('heights, minute, stall and every node as the network process sees them')
    .requiredOption('--dir <dir>', 'simulation directory')
    .action(async (o: { dir: string }, cmd: Command) => {
      const st = (await openSim(o.dir).status()) as { height: number; minute: number; stall: unknown; nodes: { name: string; pid: number; height: number; minute: number; role: string; synced: boolean; identity: string }[] };
      emit(cmd, st, () => [`network at block ${st.height} minute ${st.minute}${st.stall ? `  STALLED ${JSON.stringify(st.stall)}` : ''}`,
        ...st.nodes.map((n) => `${n.name}  pid ${n.pid}  ${n.role.padEnd(8)} ${n.height}/${n.minute}${n.synced ? '' : ' (syncing)'}  ${n.identity.slice(0, 12)}…`)].join('\n'));
    });

  sim.command('fault')
    .description('inject a fault into a node: crash | stall | lag BLOCKS | partition | heal | slow MS | clock-skew S')
    .argument('<node>', 'node name, e.g. n1')
    .argument('<kind>', FAULTS.join('|'))
    .argument('[arg]', 'BLOCKS for lag, MS for slow, seconds for clock-skew')
    .requiredOption('--dir <dir>', 'simulation directory')
    .action(async (node: string, kind: string, arg: string | undefined, o: { dir: string }, cmd: Command) => {
      if (!(FAULTS as readonly string[]).includes(kind)) throw new InputError('E_USAGE', `unknown fault ${JSON.stringify(kind)} (${FAULTS.join(', ')})`, { field: 'kind', exitCode: 2 });
      let n: number | undefined;
      if (kind === 'lag' || kind === 'slow' || kind === 'clock-skew') {
        if (arg === undefined) throw new InputError('E_USAGE', `${kind} needs a value`, { field: 'arg', exitCode: 2 });
        n = Number(arg);
        if (!Number.isFinite(n) || (kind !== 'clock-skew' && (n < 0 || !Number.isInteger(n)))) throw new InputError('E_USAGE', `bad value ${JSON.stringify(arg)}`, { field: 'arg', exitCode: 2 });
      }
      const r = await openSim(o.dir).fault(node, kind as Fault, n);
      emit(cmd, r, () => `${kind} → ${node}: done`);
    });

  sim.command('promote')
    .description('admin: add an identity to the authority set from the next block')
    .argument('<chainid>', 'identity chain ID (registered in this network)')
    .option('--audit', 'as an audit server instead of federated')
    .requiredOption('--dir <dir>', 'simulation directory')
    .action(async (chainid: string, o: { dir: string; audit?: boolean }, cmd: Command) => {
      if (!/^[0-9a-f]{64}$/.test(chainid)) throw new InputError('E_USAGE', 'a chain ID is 64 lowercase hex digits', { field: 'chainid', exitCode: 2 });
      const r = await openSim(o.dir).promote(chainid, { audit: Boolean(o.audit) });
      emit(cmd, r, () => `promoted ${chainid}`);
    });

  sim.command('fund')
    .description('admin: credit entry credits to an EC address')
    .argument('<address>', 'EC… public address')
    .argument('<credits>', 'entry credits')
    .requiredOption('--dir <dir>', 'simulation directory')
    .action(async (address: string, credits: string, o: { dir: string }, cmd: Command) => {
      const r = await openSim(o.dir).fund(address, intArg(credits, 'credits', 1));
      emit(cmd, r, () => `funded ${address}`);
    });

  sim.command('node')
    .description('run one node in the foreground (e.g. inside a network namespace, or to restart it)')
    .requiredOption('--dir <dir>', 'simulation directory')
    .requiredOption('--name <name>', 'node name')
    .option('--network <host:port>', 'network process address (default: DIR/network.json)')
    .action(async (o: { dir: string; name: string; network?: string }) => {
      await runNode(o.dir, o.name, o.network ? { networkAddress: o.network } : {});
      // So that `sim down` stops this foreground node too (its pid replaces the old one).
      try { recordNodePid(o.dir, o.name, process.pid); } catch { /* a node outside sim.json still runs */ }
    });

  sim.command('network', { hidden: true })
    .description('run the network process in the foreground')
    .requiredOption('--dir <dir>', 'simulation directory')
    .action(async (o: { dir: string }) => {
      await runNetwork(o.dir);
    });
}
