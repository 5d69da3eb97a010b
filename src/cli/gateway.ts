import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { readStdin } from '../util/fs.js';
import { emit, note } from './print.js';

// The gateway's modules (prom-client, rate limiter) load only when a gateway command runs, so
// every other command starts fast.
const gateway = () => import('../gateway/index.js');

/** `anoguard gateway`: the hardened front of a follower's factomd API. */
export function register(program: Command): void {
  const gw = program
    .command('gateway')
    .description('run the RPC gateway (TLS, auth, rate limits, method allow-list) in front of follower APIs')
    .option('--config <file>', 'gateway YAML config (see docs/gateway.md)')
    .action(async function (this: Command, opts: { config?: string }) {
      if (!opts.config) throw new InputError('E_USAGE', 'missing --config FILE', { field: '--config', exitCode: 2 });
      const { loadGatewayConfig, startGateway } = await gateway();
      const { createLogger } = await import('../log.js');
      const cfg = loadGatewayConfig(opts.config);
      const gw = await startGateway(cfg);
      const log = createLogger('gateway-cli', { level: 'info' });
      note(`anoguard gateway listening on ${gw.url}${gw.metricsUrl ? `, metrics on ${gw.metricsUrl}` : ''}`);
      process.on('SIGHUP', () => {
        try { gw.reloadTls(); } catch (e) { log.error({ err: (e as Error).message }, 'TLS reload failed; keeping the old certificate'); }
      });
      await new Promise<void>((resolve) => {
        const stop = () => { void gw.close().then(resolve); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  gw.command('new-key')
    .description('make a new API key: prints the key once and the SHA-256 line for the config')
    .requiredOption('--name <name>', 'a name for the key (shows in logs and metrics)')
    .action(async function (this: Command, opts: { name: string }) {
      const k = (await gateway()).newApiKey();
      emit(this, { name: opts.name, key: k.key, sha256: k.sha256 }, () =>
        [`API key (shown once; give it to the client): ${k.key}`, 'config entry:', `  - name: ${opts.name}`, `    sha256: ${k.sha256}`].join('\n'));
    });

  gw.command('hash-password')
    .description('read a basic-auth password from stdin and print its scrypt hash for the config')
    .action(async function (this: Command) {
      const pw = (await readStdin()).replace(/\r?\n$/, '');
      const hash = await (await gateway()).hashPassword(pw);
      emit(this, { scrypt: hash }, () => hash);
    });
}
