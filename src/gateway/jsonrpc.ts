/**
 * JSON-RPC 2.0 request validation in front of factomd. Everything here runs on untrusted bytes, so
 * each step is bounded: UTF-8 decoded strictly, nesting depth measured on the raw text before
 * JSON.parse builds anything, batch size and id size capped. Error replies use factomd's own shape
 * and codes (factomd-ops.md §3.1) so clients see one dialect.
 */
export type RpcId = string | number | null;

export interface RpcCall {
  id: RpcId;
  method: string;
  params: unknown;
}

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: string;
}

export interface RpcErrorReply {
  jsonrpc: '2.0';
  id: RpcId;
  error: RpcErrorObject;
}

export type ParsedBody =
  | { kind: 'single'; call: RpcCall }
  | { kind: 'batch'; items: (RpcCall | RpcErrorReply)[] }
  | { kind: 'invalid'; reply: RpcErrorReply };

export interface ParseLimits {
  maxBatch: number;
  maxIdLength: number;
  maxDepth: number;
}

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;

export function errorReply(id: RpcId, code: number, message: string, data?: string): RpcErrorReply {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Deepest nesting of arrays/objects in JSON text, ignoring brackets inside strings. O(n), no allocation. */
export function jsonDepth(text: string, stopAbove: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

function validId(v: unknown, maxLen: number): v is RpcId {
  if (v === null) return true;
  if (typeof v === 'string') return v.length <= maxLen;
  // factomd decodes ids into interface{} (float64); anything beyond 2^53 is already lossy there.
  if (typeof v === 'number') return Number.isFinite(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER;
  return false;
}

function toCall(v: unknown, limits: ParseLimits): RpcCall | RpcErrorReply {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return errorReply(null, INVALID_REQUEST, 'Invalid Request', 'request must be a JSON object');
  }
  const o = v as Record<string, unknown>;
  const idOk = !('id' in o) || validId(o.id, limits.maxIdLength);
  const id: RpcId = idOk && 'id' in o ? (o.id as RpcId) : null;
  if (!idOk) return errorReply(null, INVALID_REQUEST, 'Invalid Request', `id must be a string of at most ${limits.maxIdLength} characters, a safe integer or null`);
  if (o.jsonrpc !== '2.0') return errorReply(id, INVALID_REQUEST, 'Invalid Request', 'jsonrpc must be "2.0"');
  if (typeof o.method !== 'string' || o.method.length === 0 || o.method.length > 64) {
    return errorReply(id, INVALID_REQUEST, 'Invalid Request', 'method must be a non-empty string');
  }
  if ('params' in o && o.params !== null && typeof o.params !== 'object') {
    return errorReply(id, INVALID_PARAMS, 'Invalid params', 'params must be an object or an array');
  }
  return { id, method: o.method, params: o.params };
}

/** Parses a request body (raw bytes) into calls or a ready error reply. Never throws. */
export function parseRpcBody(body: Uint8Array, limits: ParseLimits): ParsedBody {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { kind: 'invalid', reply: errorReply(null, PARSE_ERROR, 'Parse error', 'body is not valid UTF-8') };
  }
  if (jsonDepth(text, limits.maxDepth) > limits.maxDepth) {
    return { kind: 'invalid', reply: errorReply(null, INVALID_REQUEST, 'Invalid Request', `JSON nested deeper than ${limits.maxDepth}`) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reply: errorReply(null, PARSE_ERROR, 'Parse error') };
  }
  if (Array.isArray(value)) {
    if (limits.maxBatch === 0) return { kind: 'invalid', reply: errorReply(null, INVALID_REQUEST, 'Invalid Request', 'batches are not accepted') };
    if (value.length === 0) return { kind: 'invalid', reply: errorReply(null, INVALID_REQUEST, 'Invalid Request', 'empty batch') };
    if (value.length > limits.maxBatch) {
      return { kind: 'invalid', reply: errorReply(null, INVALID_REQUEST, 'Invalid Request', `batch of ${value.length} exceeds the limit of ${limits.maxBatch}`) };
    }
    return { kind: 'batch', items: value.map((v) => toCall(v, limits)) };
  }
  const call = toCall(value, limits);
  return 'error' in call ? { kind: 'invalid', reply: call } : { kind: 'single', call };
}

/** Serialises a call for the upstream afresh, so only validated fields ever reach factomd. */
export function serializeCall(call: RpcCall): string {
  const params = call.params === undefined ? '' : `,"params":${JSON.stringify(call.params)}`;
  return `{"jsonrpc":"2.0","id":${JSON.stringify(call.id)}${params},"method":${JSON.stringify(call.method)}}`;
}
