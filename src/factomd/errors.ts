import { AnoguardError } from '../errors.js';

/** Every way a call to factomd/walletd/the control panel can fail, as a stable code. */
export type FactomdErrorCode =
  | 'E_FACTOMD_UNREACHABLE' // connection refused, reset, DNS failure
  | 'E_FACTOMD_TIMEOUT' // no complete answer within timeoutMs
  | 'E_FACTOMD_TLS' // certificate not trusted, wrong host name, pin mismatch
  | 'E_FACTOMD_AUTH' // HTTP 401
  | 'E_FACTOMD_HTTP' // another unexpected HTTP status
  | 'E_FACTOMD_TOO_LARGE' // response above maxResponseBytes
  | 'E_FACTOMD_BAD_RESPONSE' // not JSON, truncated, or not the expected shape
  | 'E_FACTOMD_RPC'; // a JSON-RPC error object

export interface RpcErrorInfo {
  code: number;
  message: string;
  data?: unknown;
}

export interface FactomdErrorOptions {
  field?: string;
  details?: string;
  cause?: unknown;
  /** JSON-RPC method or control-panel item that was called. */
  method?: string;
  httpStatus?: number;
  rpc?: RpcErrorInfo;
  /** How many requests were sent (more than 1 after retries). */
  attempts?: number;
  /** Worth retrying for an idempotent read (network trouble, 5xx, truncation). */
  transient?: boolean;
}

/** JSON-RPC codes of factomd (factomd-ops.md §3.1), for callers that branch on them. */
export const RPC_CODES = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  NOT_FOUND: -32008,
  MISSING_CHAIN_HEAD: -32009,
  RECEIPT_ERROR: -32010,
  REPEATED_COMMIT: -32011,
} as const;

export class FactomdError extends AnoguardError {
  override readonly name: string = 'FactomdError';
  declare readonly code: FactomdErrorCode;
  readonly method: string | undefined;
  readonly httpStatus: number | undefined;
  readonly rpc: RpcErrorInfo | undefined;
  attempts: number;
  readonly transient: boolean;

  constructor(code: FactomdErrorCode, shortMessage: string, opts: FactomdErrorOptions = {}) {
    super(code, shortMessage, { field: opts.field, details: opts.details, cause: opts.cause, exitCode: 1 });
    this.method = opts.method;
    this.httpStatus = opts.httpStatus;
    this.rpc = opts.rpc;
    this.attempts = opts.attempts ?? 1;
    this.transient = opts.transient ?? false;
  }

  override toJSON(): { code: string; message: string; field?: string; details?: string; method?: string; httpStatus?: number; rpc?: RpcErrorInfo } {
    return {
      ...super.toJSON(),
      ...(this.method ? { method: this.method } : {}),
      ...(this.httpStatus !== undefined ? { httpStatus: this.httpStatus } : {}),
      ...(this.rpc ? { rpc: this.rpc } : {}),
    };
  }
}

export function isFactomdError(e: unknown): e is FactomdError {
  return e instanceof FactomdError;
}
