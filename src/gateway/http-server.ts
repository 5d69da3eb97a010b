import net from 'node:net';
import tls from 'node:tls';

/**
 * The gateway's client-facing HTTP/1.1 server: a strict, small subset of HTTP/1.1 read straight off
 * the (TLS) socket. It replaces `http.createServer` because, measured on one core (bench/README.md,
 * "RPC gateway"), Node's IncomingMessage/ServerResponse machinery cost as much CPU per request as
 * TLS itself: a JSON-RPC front needs none of it. What it accepts is narrower than what Node's
 * llhttp accepts, never wider (test/gateway/http-server.test.ts checks that on random input):
 *
 * - request line `METHOD SP origin-form SP HTTP/1.0|1.1` with a standard method, every line ending
 *   in CRLF (a bare LF or CR is refused);
 * - header names of RFC 9110 token characters, values of visible characters, space and tab; no
 *   obs-fold, no space before the colon;
 * - bodies framed by one Content-Length of at most 15 digits: Transfer-Encoding is refused (411 for
 *   chunked, 501 for anything else) and the connection closed, as are two Content-Length or Host
 *   headers (the ambiguities request smuggling is made of), and HTTP/1.1 without Host;
 * - `Expect: 100-continue` answered with an interim 100 before the body is read, other
 *   expectations with 417.
 *
 * Requests on one connection are handled one at a time in order (pipelined bytes wait, bounded).
 * Slow senders are cut off by one sweep over all connections, not a timer per request: the head
 * must arrive within `headersTimeoutMs` and the whole request within `requestTimeoutMs` of its
 * first byte (408), an idle keep-alive connection is closed after `keepAliveTimeoutMs`, and a TLS
 * handshake must end within `headersTimeoutMs`.
 */
export interface HttpRequest {
  method: string;
  /** request-target as sent (origin-form: path and query) */
  target: string;
  /** lower-case names; a repeated header's values joined with ", " */
  headers: Record<string, string>;
  body: Buffer;
  socket: net.Socket;
}

export interface HttpResponder {
  /**
   * Sends the one answer to this request. `extraHeaders` are complete header lines, each ending in
   * CRLF, from the caller's own constants or sanitised values. `close` ends the connection after it.
   */
  send(status: number, body: Buffer | string, extraHeaders?: string, close?: boolean): void;
}

export type HttpHandler = (req: HttpRequest, res: HttpResponder) => void;

export interface LeanServerOptions {
  /** present: TLS (cert/key and the like); absent: plain TCP */
  tls?: tls.TlsOptions | undefined;
  maxHeaderBytes: number;
  maxHeaders: number;
  maxBodyBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** a refusal the server answered by itself (bad framing, timeouts, sizes) */
  onRefusal?: (status: number, socket: net.Socket) => void;
}

export interface LeanServer {
  server: net.Server | tls.Server;
  /** destroys every open connection (for close) */
  closeAllConnections(): void;
  /** stops the timeout sweep; call after closing */
  stop(): void;
}

const REASONS: Record<number, string> = {
  100: 'Continue', 200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 408: 'Request Timeout', 411: 'Length Required', 413: 'Content Too Large',
  417: 'Expectation Failed', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
};

const CRLFCRLF = Buffer.from('\r\n\r\n');
// RFC 9110 §5.6.2 token; request-target of visible ASCII only (no spaces, no controls, no 8-bit).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Methods llhttp also knows (it refuses unknown ones); the gateway itself answers only GET and POST.
const REQUEST_LINE = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH|TRACE) (\/[\x21-\x7e]*) HTTP\/1\.([01])$/;
// One header line in a single match: a token name, a colon, and a field-value (visible characters,
// obs-text, SP/HTAB between them: RFC 9110 §5.5) without its surrounding whitespace.
const FIELD_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t ]*((?:[\x21-\x7e\x80-\xff](?:[\t \x21-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?)[\t ]*$/;
const BARE_CR_OR_LF = /\r(?!\n)|(?<!\r)\n/;
// Headers whose repetition is an ambiguity an attacker chooses between front and back end.
const SINGLETONS = new Set(['content-length', 'host', 'transfer-encoding', 'authorization', 'x-api-key']);

let dateSecond = 0;
let dateLine = '';
/** The Date header line, formatted at most once a second. */
function currentDateLine(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateLine = `date: ${new Date(s * 1000).toUTCString()}\r\n`;
  }
  return dateLine;
}

class HttpRefusal extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

interface Head {
  method: string;
  target: string;
  headers: Record<string, string>;
  contentLength: number;
  keepAlive: boolean;
  expectContinue: boolean;
}

/** Parses the bytes before CRLFCRLF; throws HttpRefusal with the status to answer. */
export function parseHead(bytes: Buffer, maxHeaders: number): Head {
  const text = bytes.toString('latin1');
  // Every line must end in CRLF: a lone CR or LF is where parsers disagree (smuggling).
  if (BARE_CR_OR_LF.test(text)) throw new HttpRefusal(400, 'bare CR or LF');
  const lines = text.split('\r\n');
  const m = REQUEST_LINE.exec(lines[0]!);
  if (!m) {
    if (/^[A-Z]+ \/\S* HTTP\/\d\.\d$/.test(lines[0]!) && !/ HTTP\/1\.[01]$/.test(lines[0]!)) throw new HttpRefusal(505, 'unsupported HTTP version');
    throw new HttpRefusal(400, 'malformed request line');
  }
  if (lines.length - 1 > maxHeaders) throw new HttpRefusal(431, 'too many header fields');
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const f = FIELD_LINE.exec(line);
    if (f === null) throw fieldRefusal(line);
    const value = f[2]!;
    const key = f[1]!.toLowerCase();
    const prev = headers[key];
    if (prev === undefined) headers[key] = value;
    else if (SINGLETONS.has(key)) throw new HttpRefusal(400, `repeated ${key} header`);
    else headers[key] = `${prev}, ${value}`;
  }
  const minor = m[3];
  if (minor === '1' && headers.host === undefined) throw new HttpRefusal(400, 'missing Host header');
  const te = headers['transfer-encoding'];
  if (te !== undefined) {
    throw new HttpRefusal(te.trim().toLowerCase() === 'chunked' ? 411 : 501, 'Transfer-Encoding is not accepted: send Content-Length');
  }
  let contentLength = 0;
  const cl = headers['content-length'];
  if (cl !== undefined) {
    if (!/^\d{1,15}$/.test(cl)) throw new HttpRefusal(400, 'malformed Content-Length');
    contentLength = Number(cl);
  }
  const conn = headers.connection?.toLowerCase();
  const keepAlive = minor === '1' ? !(conn !== undefined && /(?:^|,)\s*close\s*(?:,|$)/.test(conn)) : conn !== undefined && /(?:^|,)\s*keep-alive\s*(?:,|$)/.test(conn);
  const expect = headers.expect;
  let expectContinue = false;
  if (expect !== undefined) {
    if (expect.toLowerCase() !== '100-continue') throw new HttpRefusal(417, 'unsupported expectation');
    expectContinue = minor === '1';
  }
  return { method: m[1]!, target: m[2]!, headers, contentLength, keepAlive, expectContinue };
}

/** Why a header line failed FIELD_LINE, for the refusal's message (the error path only). */
function fieldRefusal(line: string): HttpRefusal {
  const colon = line.indexOf(':');
  if (colon <= 0) return new HttpRefusal(400, 'malformed header field');
  if (!TOKEN.test(line.slice(0, colon))) return new HttpRefusal(400, 'malformed header name');
  return new HttpRefusal(400, 'malformed header value');
}

type Phase = 'idle' | 'head' | 'body' | 'busy' | 'closing';

interface Conn {
  sock: net.Socket;
  phase: Phase;
  /** unparsed bytes (a partial head, or bytes after the current request) */
  buf: Buffer | undefined;
  /** where the CRLFCRLF search resumes, so a slow sender costs linear time */
  scanFrom: number;
  head: Head | undefined;
  body: Buffer[];
  bodyBytes: number;
  /** when the current request's first byte arrived, or when the connection went idle */
  since: number;
  ended: boolean;
  /** answers are waiting in the socket for a client that does not read: read no more requests */
  blocked: boolean;
}

export function createLeanServer(opts: LeanServerOptions, handler: HttpHandler): LeanServer {
  const conns = new Set<Conn>();
  const maxBuffered = opts.maxHeaderBytes + opts.maxBodyBytes + 4;

  /** Writes one answer; false when the socket's buffer is full (the client is not reading). */
  const writeResponse = (c: Conn, status: number, body: Buffer | string, extra: string, close: boolean): boolean => {
    const len = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    const head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Unknown'}\r\n${currentDateLine()}content-type: application/json\r\ncontent-length: ${len}\r\n${extra}${close ? 'connection: close\r\n' : ''}\r\n`;
    // One write, so TLS seals head and body into one record and the kernel sees one send.
    if (typeof body === 'string') return c.sock.write(head + body);
    const h = Buffer.from(head, 'latin1');
    return c.sock.write(len === 0 ? h : Buffer.concat([h, body], h.length + len));
  };

  const refuse = (c: Conn, status: number, message: string): void => {
    if (c.phase === 'closing') return;
    c.phase = 'closing';
    c.buf = undefined;
    opts.onRefusal?.(status, c.sock);
    if (c.sock.writable) {
      writeResponse(c, status, JSON.stringify({ error: message }), '', true);
      c.since = Date.now();
      c.sock.end();
    } else c.sock.destroy();
  };

  /** Parses and dispatches as much of the buffered input as the phase allows. */
  const pump = (c: Conn): void => {
    for (;;) {
      if (c.phase === 'busy' || c.phase === 'closing' || c.blocked) return;
      const buf = c.buf;
      if (c.phase === 'idle' || c.phase === 'head') {
        if (buf === undefined || buf.length === 0) {
          if (c.ended) c.sock.destroy();
          return;
        }
        if (c.phase === 'idle') { c.phase = 'head'; c.since = Date.now(); }
        const end = buf.indexOf(CRLFCRLF, c.scanFrom);
        if (end < 0) {
          if (buf.length > opts.maxHeaderBytes) { refuse(c, 431, 'request head too large'); return; }
          c.scanFrom = Math.max(0, buf.length - 3);
          if (c.ended) c.sock.destroy();
          return;
        }
        if (end > opts.maxHeaderBytes) { refuse(c, 431, 'request head too large'); return; }
        let head: Head;
        try {
          head = parseHead(buf.subarray(0, end), opts.maxHeaders);
        } catch (e) {
          if (e instanceof HttpRefusal) { refuse(c, e.status, e.message); return; }
          throw e;
        }
        if (head.contentLength > opts.maxBodyBytes) { refuse(c, 413, `body larger than ${opts.maxBodyBytes} bytes`); return; }
        c.head = head;
        c.scanFrom = 0;
        c.buf = buf.subarray(end + 4);
        c.body = [];
        c.bodyBytes = 0;
        c.phase = 'body';
        if (head.expectContinue && head.contentLength > 0 && c.buf.length === 0) c.sock.write('HTTP/1.1 100 Continue\r\n\r\n');
      }
      // phase 'body'
      const head = c.head!;
      const need = head.contentLength - c.bodyBytes;
      const have = c.buf ?? Buffer.alloc(0);
      if (have.length < need) {
        if (have.length > 0) { c.body.push(have); c.bodyBytes += have.length; }
        c.buf = undefined;
        if (c.ended) c.sock.destroy();
        return;
      }
      if (need > 0) c.body.push(have.subarray(0, need));
      c.buf = have.length > need ? have.subarray(need) : undefined;
      const body = c.body.length === 1 ? c.body[0]! : Buffer.concat(c.body, head.contentLength);
      c.body = [];
      c.head = undefined;
      c.phase = 'busy';
      dispatch(c, head, body);
    }
  };

  const dispatch = (c: Conn, head: Head, body: Buffer): void => {
    let answered = false;
    const res: HttpResponder = {
      send(status, payload, extraHeaders = '', close = false) {
        if (answered) return;
        answered = true;
        if (c.phase === 'closing' || c.sock.destroyed) return;
        const last = close || !head.keepAlive || c.ended;
        const flushed = writeResponse(c, status, payload, extraHeaders, last);
        if (last) {
          c.phase = 'closing';
          c.since = Date.now();
          c.sock.end();
          return;
        }
        c.phase = 'idle';
        c.since = Date.now();
        if (!flushed) {
          // A client that pipelines without reading would otherwise have its answers pile up in
          // our memory: stop reading its requests until it has taken them.
          c.blocked = true;
          c.sock.pause();
          c.sock.once('drain', () => {
            c.blocked = false;
            c.since = Date.now();
            c.sock.resume();
            pump(c);
          });
          return;
        }
        if (c.sock.isPaused()) c.sock.resume();
        // Pipelined requests already buffered go next; not in this stack, so a long pipeline
        // cannot grow it.
        if (c.buf !== undefined && c.buf.length > 0) setImmediate(() => pump(c));
      },
    };
    handler({ method: head.method, target: head.target, headers: head.headers, body, socket: c.sock }, res);
  };

  const onSocket = (sock: net.Socket): void => {
    const c: Conn = { sock, phase: 'idle', buf: undefined, scanFrom: 0, head: undefined, body: [], bodyBytes: 0, since: Date.now(), ended: false, blocked: false };
    conns.add(c);
    sock.setNoDelay(true);
    sock.on('data', (chunk: Buffer) => {
      if (c.phase === 'closing') return;
      c.buf = c.buf === undefined || c.buf.length === 0 ? chunk : Buffer.concat([c.buf, chunk]);
      if (c.phase === 'busy' || c.blocked) {
        // Pipelined bytes wait for the answer; past a full request's worth, stop reading.
        if (c.buf.length > maxBuffered) sock.pause();
        return;
      }
      pump(c);
    });
    sock.on('end', () => {
      c.ended = true;
      // A request being answered, or answers waiting for the client to read, finish first; pump
      // closes the connection once nothing complete is left to answer.
      if (c.phase === 'busy' || c.phase === 'closing' || c.blocked) return;
      pump(c);
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => conns.delete(c));
  };

  const server: net.Server | tls.Server = opts.tls
    // Half-open: a client may send its request and FIN at once; it still gets its answer.
    ? tls.createServer({ ...opts.tls, handshakeTimeout: opts.headersTimeoutMs, allowHalfOpen: true }, onSocket)
    : net.createServer({ allowHalfOpen: true }, onSocket);
  if (server instanceof tls.Server) server.on('tlsClientError', (_e, sock) => sock.destroy());

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const c of conns) {
      const age = now - c.since;
      if (c.phase === 'idle' && age > opts.keepAliveTimeoutMs) c.sock.destroy();
      else if (c.phase === 'head' && age > opts.headersTimeoutMs) refuse(c, 408, 'request head not received in time');
      else if (c.phase === 'body' && age > opts.requestTimeoutMs) refuse(c, 408, 'request body not received in time');
      // The last answer is written and FIN queued; a peer that never reads it must not keep the socket.
      else if (c.phase === 'closing' && age > opts.requestTimeoutMs) c.sock.destroy();
    }
  }, Math.max(100, Math.min(1_000, Math.floor(Math.min(opts.headersTimeoutMs, opts.keepAliveTimeoutMs) / 2))));
  sweep.unref();

  return {
    server,
    closeAllConnections() { for (const c of conns) c.sock.destroy(); },
    stop() { clearInterval(sweep); },
  };
}
