import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

/**
 * Every field name that may carry a secret, wherever it appears in a log object. One list, so a new
 * component cannot forget it: loggers are only made through `createLogger`.
 */
export const REDACT_PATHS: readonly string[] = [
  'password', 'passphrase', 'secret', 'privKey', 'privateKey', 'seed', 'token', 'apiKey', 'cookie',
  'authorization', 'rpcPass', 'FactomdRpcPass', 'LocalServerPrivKey',
  '*.password', '*.passphrase', '*.secret', '*.privKey', '*.privateKey', '*.seed', '*.token', '*.apiKey',
  '*.cookie', '*.authorization', '*.rpcPass', '*.FactomdRpcPass', '*.LocalServerPrivKey',
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'res.headers["set-cookie"]',
];

export type { Logger };

export function createLogger(component: string, opts: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const level = opts.level ?? process.env.ANOGUARD_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info');
  const options: LoggerOptions = {
    ...opts,
    level,
    base: { component },
    redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
