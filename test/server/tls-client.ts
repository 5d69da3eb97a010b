import { request } from 'node:https';
import { readFileSync } from 'node:fs';

export interface ClientCreds {
  ca: string;
  cert?: string;
  key?: string;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export function credsFromFiles(ca: string, cert?: string, key?: string): ClientCreds {
  return {
    ca: readFileSync(ca, 'utf8'),
    ...(cert ? { cert: readFileSync(cert, 'utf8') } : {}),
    ...(key ? { key: readFileSync(key, 'utf8') } : {}),
  };
}

/** One POST over a fresh TLS connection (no pooling, so each call runs a full handshake). */
export function postJson(url: string, creds: ClientCreds, path: string, body: unknown, timeoutMs = 10_000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = request(`${url}${path}`, {
      method: 'POST',
      ca: creds.ca,
      ...(creds.cert ? { cert: creds.cert } : {}),
      ...(creds.key ? { key: creds.key } : {}),
      servername: 'localhost',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': data.length },
      timeout: timeoutMs,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try { parsed = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(data);
  });
}
