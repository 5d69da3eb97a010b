import { InputError } from '../errors.js';
import { FactomdError } from './errors.js';
import { parseJsonBody, validate } from './rpc.js';
import { createTransport, type ConnectionOptions } from './transport.js';
import { controlPanelItemSchemas, type ControlPanelItem, type ControlPanelValue } from './schemas.js';

export type ControlPanelClientOptions = ConnectionOptions;

export interface ControlPanelClient {
  readonly url: string;
  /** GET /factomd?item=NAME. Only the read-only items exist here. */
  item<K extends ControlPanelItem>(name: K): Promise<ControlPanelValue<K>>;
  /** GET /factomdBatch?batch=a,b,c: one request, one answer per item, in order. */
  batch<const K extends readonly ControlPanelItem[]>(names: K): Promise<{ [I in keyof K]: ControlPanelValue<K[I]> }>;
}

function requireItem(name: string, field: string): ControlPanelItem {
  if (!Object.hasOwn(controlPanelItemSchemas, name)) {
    throw new InputError('E_FACTOMD_ARG', `unknown or state-changing control-panel item "${String(name).slice(0, 40)}"`, { field });
  }
  return name as ControlPanelItem;
}

/**
 * Client for the control panel's GET endpoints (port 8090, same Basic auth as the API). It cannot
 * disconnect peers or change log settings: those actions are absent by construction.
 */
export function createControlPanelClient(opts: ControlPanelClientOptions): ControlPanelClient {
  const transport = createTransport(opts);

  const get = (path: string, label: string) => transport.withRetries(async () => {
    const answer = await transport.send({ method: 'GET', path, label });
    if (answer.status !== 200) {
      throw new FactomdError('E_FACTOMD_HTTP', `HTTP ${answer.status} from the control panel`, {
        field: 'status', method: label, httpStatus: answer.status, transient: answer.status >= 500,
      });
    }
    return parseJsonBody(answer, label);
  }, true);

  return {
    url: transport.origin,
    item: async (name) => {
      const item = requireItem(name, 'item');
      const json = await get(`/factomd?item=${encodeURIComponent(item)}`, `item=${item}`);
      return validate(controlPanelItemSchemas[item], json, '', `item=${item}`) as ControlPanelValue<typeof name>;
    },
    batch: async (names) => {
      if (!Array.isArray(names) || names.length === 0 || names.length > 32) {
        throw new InputError('E_FACTOMD_ARG', 'expected 1 to 32 control-panel items', { field: 'batch' });
      }
      const items = names.map((n, i) => requireItem(n, `batch.${i}`));
      const label = `batch=${items.join(',')}`;
      const json = await get(`/factomdBatch?batch=${items.map(encodeURIComponent).join(',')}`, label);
      if (!Array.isArray(json) || json.length !== items.length) {
          throw new FactomdError('E_FACTOMD_BAD_RESPONSE', `expected an array of ${items.length} answers`, { field: 'body', method: label });
      }
      return items.map((item, i) => validate(controlPanelItemSchemas[item], json[i], String(i), label)) as { [I in keyof typeof names]: ControlPanelValue<(typeof names)[I]> };
    },
  };
}
