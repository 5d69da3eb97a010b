import { InputError } from '../errors.js';
import type { Listen } from '../server/run.js';

/** A commander parser for `HOST:PORT` / `[IPv6]:PORT` flags; errors name the flag. */
export function parseListen(field: string) {
  return (v: string): Listen => {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(v);
    const port = m ? Number(m[3]) : NaN;
    if (m === null || port > 65535) throw new InputError('E_BAD_LISTEN', 'expected HOST:PORT (port 0 = any free port)', { field, exitCode: 2 });
    return { host: (m[1] ?? m[2])!, port };
  };
}
