import type { z } from 'zod';
import { FactomdError } from './errors.js';
import { rpcResponseSchema } from './schemas.js';
import { sanitizeText, type HttpAnswer, type Transport } from './transport.js';

/** Turns the first zod issue into `result.authset.leaders.0.id` and a short, safe message. */
export function firstIssue(error: z.ZodError, prefix: string): { field: string; message: string } {
  const issue = error.issues[0];
  const path = issue ? issue.path.map(String) : [];
  return {
    field: [prefix, ...path].filter((p) => p.length > 0).join('.'),
    message: sanitizeText(issue?.message ?? 'unexpected shape', 160),
  };
}

/** Parses an HTTP body as JSON; anything else is a bad response, never an exception of another kind. */
export function parseJsonBody(answer: HttpAnswer, label: string): unknown {
  try {
    // A "__proto__" key would become the prototype of the object zod copies it into (looseObject).
    return JSON.parse(answer.body, (k, v: unknown) => (k === '__proto__' ? undefined : v)) as unknown;
  } catch (e) {
    const status = answer.status;
    if (status < 200 || status >= 300) {
      throw new FactomdError('E_FACTOMD_HTTP', `HTTP ${status} from the server`, { field: 'status', method: label, httpStatus: status, transient: status >= 500 });
    }
    const empty = answer.body.trim().length === 0;
    throw new FactomdError('E_FACTOMD_BAD_RESPONSE', empty ? `empty answer (HTTP ${status})` : `answer is not JSON (HTTP ${status})`, {
      field: 'body', method: label, httpStatus: status, cause: e,
    });
  }
}

/** Validates `value` with `schema`, or throws a bad-response error naming the failing field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, prefix: string, label: string, httpStatus?: number): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const { field, message } = firstIssue(parsed.error, prefix);
  throw new FactomdError('E_FACTOMD_BAD_RESPONSE', `unexpected answer to ${label}: ${message}`, { field, method: label, httpStatus });
}

export interface RpcCaller {
  /** Sends one JSON-RPC call and returns its `result`, checked against `schema`. */
  <S extends z.ZodType>(method: string, params: Record<string, unknown> | undefined, schema: S, idempotent: boolean): Promise<z.infer<S>>;
}

/**
 * JSON-RPC 2.0 over POST: envelope checked, `id` checked, JSON-RPC errors turned into E_FACTOMD_RPC
 * with factomd's code, message and data.
 */
export function createRpcCaller(transport: Transport, defaultPath: string): RpcCaller {
  let nextId = 1;
  const path = transport.basePath === undefined ? defaultPath : '';

  async function once(method: string, params: Record<string, unknown> | undefined, schema: z.ZodType): Promise<unknown> {
    const id = nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
    const answer = await transport.send({ method: 'POST', path, body, label: method });
    const json = parseJsonBody(answer, method);
    const envelope = validate(rpcResponseSchema, json, '', method, answer.status);
    if (envelope.error) {
      const { code, message, data } = envelope.error;
      const dataText = typeof data === 'string' ? `: ${sanitizeText(data, 160)}` : '';
      throw new FactomdError('E_FACTOMD_RPC', `${sanitizeText(message, 120)}${dataText} (JSON-RPC ${code})`, {
        field: method, method, httpStatus: answer.status,
        rpc: { code, message, ...(data === undefined ? {} : { data }) },
        transient: answer.status >= 500,
      });
    }
    if (answer.status < 200 || answer.status >= 300) {
      throw new FactomdError('E_FACTOMD_HTTP', `HTTP ${answer.status} without a JSON-RPC error`, {
        field: 'status', method, httpStatus: answer.status, transient: answer.status >= 500,
      });
    }
    if (envelope.id !== undefined && envelope.id !== null && envelope.id !== id) {
      throw new FactomdError('E_FACTOMD_BAD_RESPONSE', `answer carries id ${sanitizeText(String(envelope.id), 40)}, expected ${id}`, { field: 'id', method });
    }
    if (!('result' in (json as object)) || envelope.result === undefined) {
      throw new FactomdError('E_FACTOMD_BAD_RESPONSE', `answer to ${method} has neither result nor error`, { field: 'result', method });
    }
    return validate(schema, envelope.result, 'result', method, answer.status);
  }

  return (method, params, schema, idempotent) =>
    transport.withRetries(() => once(method, params, schema), idempotent) as Promise<z.infer<typeof schema>>;
}
