import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentMinuteSchema, diagnosticsSchema, type CurrentMinute, type Diagnostics } from '../../src/factomd/schemas.js';
import { SHARED } from '../helpers/cli.js';

export const CASE3 = join(SHARED, 'factomd-samples/behaviour/case3-brainswap-ok');

/** The authority identity of case 3 (ID_A) and the standby's follower identity after the swap (ID_C). */
export const ID_A = '8888881570f89283f3a516b6e5ed240f43f5ad7cb05132378c4a006abe7c2b93';
export const ID_C = '8888887020255b631764fc0fd524dac89ae96db264c572391a3f19fcf0f8991e';

export function snapshot(file: string): { diagnostics: Diagnostics; currentMinute: CurrentMinute } {
  const d = JSON.parse(readFileSync(join(CASE3, file), 'utf8')) as { diagnostics: { result: unknown }; 'current-minute': { result: unknown } };
  return { diagnostics: diagnosticsSchema.parse(d.diagnostics.result), currentMinute: currentMinuteSchema.parse(d['current-minute'].result) };
}

/**
 * The case-3 files as they were before the swap: the captured files are the "after" state, with
 * ChangeAcksHeight = 38; without that line, n3's file is the holder's and n2's the standby's.
 */
export function beforeConfs(): { holder: string; standby: string } {
  const strip = (t: string): string => t.replace(/^ChangeAcksHeight = 38\n/m, '');
  return { holder: strip(readFileSync(join(CASE3, 'n3-factomd.conf'), 'utf8')), standby: strip(readFileSync(join(CASE3, 'n2-factomd.conf'), 'utf8')) };
}
