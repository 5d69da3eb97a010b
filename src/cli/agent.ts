import type { Command } from 'commander';
import { emit, note } from './print.js';
import { loadAgentConfig } from '../agent/config.js';
import { previewCollection, startAgent } from '../agent/run.js';
import { fenceCheckCommand } from './fence-check.js';

/**
 * `anoguard agent --config FILE`: the per-host monitoring daemon. It connects out to the server
 * (mutual TLS) and stops cleanly on SIGINT/SIGTERM. `--once` collects once and prints, storing and
 * sending nothing, to check a config on a new host.
 */
export function register(program: Command): void {
  program
    .command('agent')
    .description('run the monitoring agent (probes → durable outbox → server over mutual TLS)')
    .requiredOption('-c, --config <file>', 'agent YAML config')
    .option('--once', 'collect once, print the samples and events, store and send nothing')
    .addCommand(fenceCheckCommand())
    .action(async (opts: { config: string; once?: boolean }, cmd: Command) => {
      const cfg = loadAgentConfig(opts.config);
      if (opts.once) {
        const r = await previewCollection(cfg);
        emit(cmd, r, () => {
          const names = new Map<string, number>();
          for (const s of r.samples) names.set(s.name, (names.get(s.name) ?? 0) + 1);
          const lines = [`${r.samples.length} samples, ${r.events.length} events`];
          for (const [n, c] of [...names].sort()) lines.push(`  ${n}${c > 1 ? ` ×${c}` : ''}`);
          for (const e of r.events) lines.push(`  [${e.severity}] ${e.kind}: ${e.message}`);
          for (const [p, err] of Object.entries(r.errors)) lines.push(`  probe ${p} failed: ${err}`);
          return lines.join('\n');
        });
        if (Object.keys(r.errors).length > 0) process.exitCode = 1;
        return;
      }
      const agent = await startAgent(cfg);
      note(`anoguard agent ${cfg.name}: shipping to ${cfg.server} every ${cfg.interval / 1000} s${agent.metricsAddress ? `, metrics on ${agent.metricsAddress.host}:${agent.metricsAddress.port}` : ''}`);
      await new Promise<void>((resolve) => {
        const onSignal = () => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      const s = await agent.stop();
      emit(cmd, { stopped: true, pending: s.pending, nextSeq: s.nextSeq }, () => `agent stopped; ${s.pending} batches pending (next seq ${s.nextSeq})`);
    });
}
