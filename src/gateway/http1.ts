import net from 'node:net';
import tls from 'node:tls';

/**
 * A small keep-alive HTTP/1.1 client for one upstream follower: POST a JSON body, read status and
 * body. It replaces `http.request` on the gateway's hot path, where building a ClientRequest,
 * its headers object and the agent's bookkeeping per call cost more CPU than the TLS on the client
 * side. Only what factomd's Go server sends is accepted: HTTP/1.x, Content-Length or chunked
 * bodies (or a body up to the connection's close), with caps on head and body sizes; anything else
 * fails the request and closes the connection. Only the configured, trusted followers are spoken
 * to with this one; clients get the stricter server side in http-server.ts.
 */
export interface Http1Target {
  host: string;
  port: number;
  tls: boolean;
  ca?: Buffer | undefined;
  path: string;
  /** extra request header lines, each ending in \r\n (e.g. authorization) */
  extraHeaders?: string;
}

export interface Http1Response {
  status: number;
  body: Buffer;
}

export class Http1Error extends Error {
  constructor(message: string, readonly retriable: boolean) {
    super(message);
  }
}

const MAX_HEAD = 64 * 1024;
const MAX_LINE = 4096;

interface Exchange {
  onData(chunk: Buffer): void;
  onEnd(): void;
  fail(err: Http1Error): void;
  /** the connection broke: retriable when not a byte of the answer had arrived */
  abort(message: string): void;
}

interface Conn {
  sock: net.Socket;
  used: boolean;
  current: Exchange | undefined;
}

/**
 * Reads one response from the bytes of a connection. `done` gets the response and whether the
 * connection can carry another request.
 */
function responseReader(maxBytes: number, done: (res: Http1Response, reusable: boolean) => void, fail: (e: Http1Error) => void): Exchange {
  let head: Buffer | undefined;
  let received = 0;
  let status = 0;
  let mode: 'head' | 'length' | 'chunked' | 'close' | 'done' = 'head';
  let keepAlive = true;
  let remaining = 0;
  const body: Buffer[] = [];
  let bodyLen = 0;
  // chunked decoding
  let cstate: 'size' | 'data' | 'data-end' | 'trailer' | 'end' = 'size';
  let line: Buffer | undefined;

  const finish = (reusable: boolean) => {
    mode = 'done';
    done({ status, body: body.length === 1 ? body[0]! : Buffer.concat(body, bodyLen) }, reusable && keepAlive);
  };
  const pushBody = (b: Buffer): boolean => {
    bodyLen += b.length;
    if (bodyLen > maxBytes) { mode = 'done'; fail(new Http1Error(`response larger than ${maxBytes} bytes`, false)); return false; }
    body.push(b);
    return true;
  };

  function parseHead(text: string): Http1Error | undefined {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0] ?? '');
    if (!m) return new Http1Error('malformed status line from upstream', false);
    status = Number(m[2]);
    if (m[1] === '0') keepAlive = false;
    let length: number | undefined;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const l = lines[i]!;
      const colon = l.indexOf(':');
      if (colon <= 0) return new Http1Error('malformed header from upstream', false);
      const name = l.slice(0, colon).trim().toLowerCase();
      const value = l.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value) || (length !== undefined && length !== Number(value))) return new Http1Error('bad content-length from upstream', false);
        length = Number(value);
      } else if (name === 'transfer-encoding') {
        if (value.toLowerCase() !== 'chunked') return new Http1Error(`unsupported transfer-encoding from upstream: ${value.slice(0, 40)}`, false);
        chunked = true;
      } else if (name === 'connection') {
        const v = value.toLowerCase();
        if (v.includes('close')) keepAlive = false;
        else if (v.includes('keep-alive') && m[1] === '0') keepAlive = true;
      }
    }
    // Both framings at once is how request smuggling starts: refuse rather than pick one.
    if (chunked && length !== undefined) return new Http1Error('upstream sent both content-length and chunked', false);
    if (status === 204 || status === 304) { mode = 'length'; remaining = 0; }
    else if (chunked) mode = 'chunked';
    else if (length !== undefined) { mode = 'length'; remaining = length; }
    else { mode = 'close'; keepAlive = false; }
    if (length !== undefined && length > maxBytes) return new Http1Error(`response larger than ${maxBytes} bytes`, false);
    return undefined;
  }

  /** Takes bytes up to and including CRLF; undefined (and kept) when the line is incomplete. */
  function takeLine(b: Buffer, at: number): { text: string; next: number } | undefined | Http1Error {
    const end = b.indexOf('\r\n', at, 'latin1');
    if (end < 0) {
      const part = b.subarray(at);
      line = line ? Buffer.concat([line, part]) : part;
      if (line.length > MAX_LINE) return new Http1Error('chunk line too long from upstream', false);
      return undefined;
    }
    let text = b.toString('latin1', at, end);
    if (line) { text = line.toString('latin1') + text; line = undefined; }
    return { text, next: end + 2 };
  }

  function feedChunked(b: Buffer): void {
    let at = 0;
    // A CRLF split across two reads: the line buffer holds the '\r'.
    if (line && line.length > 0 && line[line.length - 1] === 0x0d && b[0] === 0x0a) {
      const text = line.toString('latin1', 0, line.length - 1);
      line = undefined;
      if (!onLine(text)) return;
      at = 1;
    }
    while (at < b.length && mode === 'chunked' && cstate !== 'end') {
      if (cstate === 'data') {
        const n = Math.min(remaining, b.length - at);
        if (!pushBody(b.subarray(at, at + n))) return;
        remaining -= n;
        at += n;
        if (remaining === 0) cstate = 'data-end';
        continue;
      }
      const r = takeLine(b, at);
      if (r === undefined) return;
      if (r instanceof Http1Error) { mode = 'done'; fail(r); return; }
      at = r.next;
      if (!onLine(r.text)) return;
    }
    // Bytes after the response mean the connection is out of step: do not reuse it.
    if (cstate === 'end' && mode === 'chunked') finish(at === b.length);
  }

  function onLine(text: string): boolean {
    if (cstate === 'size') {
      const semi = text.indexOf(';');
      const hex = (semi < 0 ? text : text.slice(0, semi)).trim();
      if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) { mode = 'done'; fail(new Http1Error('bad chunk size from upstream', false)); return false; }
      remaining = parseInt(hex, 16);
      cstate = remaining === 0 ? 'trailer' : 'data';
      return true;
    }
    if (cstate === 'data-end') {
      if (text !== '') { mode = 'done'; fail(new Http1Error('malformed chunk from upstream', false)); return false; }
      cstate = 'size';
      return true;
    }
    // trailer: header lines until an empty one
    if (text === '') cstate = 'end';
    return true;
  }

  function feedBody(b: Buffer): void {
    if (b.length === 0) { if (mode === 'length' && remaining === 0) finish(true); return; }
    if (mode === 'length') {
      const n = Math.min(remaining, b.length);
      if (n > 0 && !pushBody(n === b.length ? b : b.subarray(0, n))) return;
      remaining -= n;
      if (remaining === 0) finish(n === b.length);
    } else if (mode === 'chunked') feedChunked(b);
    else if (mode === 'close') pushBody(b);
  }

  function onData(chunk: Buffer): void {
    received += chunk.length;
    if (mode === 'done') return;
    if (mode !== 'head') { feedBody(chunk); return; }
    const searchFrom = head ? Math.max(0, head.length - 3) : 0;
    head = head ? Buffer.concat([head, chunk]) : chunk;
    const end = head.indexOf('\r\n\r\n', searchFrom, 'latin1');
    if ((end < 0 && head.length > MAX_HEAD) || end > MAX_HEAD) { mode = 'done'; fail(new Http1Error('response head too large from upstream', false)); return; }
    if (end < 0) return;
    const err = parseHead(head.toString('latin1', 0, end));
    if (err) { mode = 'done'; fail(err); return; }
    const rest = head.subarray(end + 4);
    head = undefined;
    if (status >= 100 && status < 200) {
      // an interim answer (100 Continue): the real one follows
      mode = 'head';
      keepAlive = true;
      if (rest.length > 0) { received -= rest.length; onData(rest); }
      return;
    }
    feedBody(rest);
  }

  return {
    onData,
    onEnd(): void {
      if (mode === 'done') return;
      if (mode === 'close') { finish(false); return; }
      mode = 'done';
      fail(new Http1Error('upstream closed the connection mid-response', received === 0));
    },
    fail(err: Http1Error): void {
      if (mode === 'done') return;
      mode = 'done';
      fail(err);
    },
    abort(message: string): void {
      if (mode === 'done') return;
      mode = 'done';
      fail(new Http1Error(message, received === 0));
    },
  };
}

export function createHttp1Pool(target: Http1Target, opts: { maxSockets: number; idleTimeoutMs: number }) {
  const idle: Conn[] = [];
  const all = new Set<Conn>();
  let open = 0;
  const waiters: ((c: Conn | undefined) => void)[] = [];
  let closed = false;
  const headPrefix = `POST ${target.path} HTTP/1.1\r\nHost: ${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}\r\nContent-Type: application/json\r\n${target.extraHeaders ?? ''}Content-Length: `;

  function connect(): Conn {
    const sock: net.Socket = target.tls
      ? tls.connect({ host: target.host, port: target.port, ...(target.ca ? { ca: target.ca } : {}), servername: net.isIP(target.host) ? undefined : target.host })
      : net.connect({ host: target.host, port: target.port });
    sock.setNoDelay(true);
    open++;
    const conn: Conn = { sock, used: false, current: undefined };
    all.add(conn);
    sock.on('data', (b: Buffer) => {
      if (conn.current) conn.current.onData(b);
      else sock.destroy(); // bytes nobody asked for: the connection is out of step
    });
    sock.on('end', () => { conn.current?.onEnd(); sock.destroy(); });
    sock.on('error', (e) => conn.current?.abort(e.message));
    sock.on('timeout', () => sock.destroy());
    sock.on('close', () => {
      open--;
      all.delete(conn);
      const i = idle.indexOf(conn);
      if (i >= 0) idle.splice(i, 1);
      conn.current?.abort('upstream connection closed');
      conn.current = undefined;
      // A waiter can now open its own connection.
      const w = waiters.shift();
      if (w) w(closed ? undefined : connect());
    });
    return conn;
  }

  function acquire(): Conn | Promise<Conn | undefined> {
    let c = idle.pop();
    // A connection destroyed in this very tick (idle timeout) has not emitted 'close' yet.
    while (c !== undefined && c.sock.destroyed) c = idle.pop();
    if (c) return c;
    if (open < opts.maxSockets) return connect();
    return new Promise((resolve) => waiters.push(resolve));
  }

  function release(conn: Conn, reusable: boolean): void {
    conn.current = undefined;
    conn.used = true;
    if (!reusable || closed) { conn.sock.destroy(); return; }
    const w = waiters.shift();
    if (w) { w(conn); return; }
    conn.sock.setTimeout(opts.idleTimeoutMs);
    idle.push(conn);
  }

  function once(conn: Conn, body: string, timeoutMs: number, maxBytes: number): Promise<Http1Response> {
    return new Promise((resolve, reject) => {
      conn.sock.setTimeout(0);
      const timer = setTimeout(() => { ex.fail(new Http1Error(`timeout after ${timeoutMs} ms`, false)); conn.sock.destroy(); }, timeoutMs);
      const ex = responseReader(maxBytes, (res, reusable) => {
        clearTimeout(timer);
        release(conn, reusable);
        resolve(res);
      }, (e) => {
        clearTimeout(timer);
        conn.current = undefined;
        conn.sock.destroy();
        reject(e);
      });
      conn.current = ex;
      conn.sock.write(`${headPrefix}${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
  }

  return {
    /**
     * Sends one request. When `idempotent`, a kept-alive connection that turns out to be closed
     * before any answer byte (the server timed it out as we reused it) is retried once on a new one.
     */
    async request(body: string, timeoutMs: number, maxBytes: number, idempotent: boolean): Promise<Http1Response> {
      if (closed) throw new Http1Error('client closed', false);
      const a = acquire();
      const conn = a instanceof Promise ? await a : a;
      if (!conn) throw new Http1Error('client closed', false);
      const reused = conn.used;
      try {
        return await once(conn, body, timeoutMs, maxBytes);
      } catch (e) {
        if (!(idempotent && reused && e instanceof Http1Error && e.retriable) || closed) throw e;
        return once(connect(), body, timeoutMs, maxBytes);
      }
    },
    openConnections: () => open,
    close(): void {
      closed = true;
      for (const w of waiters.splice(0)) w(undefined);
      idle.length = 0;
      // In-flight calls fail now rather than hold the process open until their timeout.
      for (const c of all) c.sock.destroy();
    },
  };
}
