import { createServer, type Server } from 'node:http';
import type { Sample } from './payload.js';

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** Prometheus text exposition (0.0.4) of the latest samples, grouped by metric name, with timestamps. */
export function renderExposition(samples: Sample[]): string {
  const byName = new Map<string, Sample[]>();
  for (const s of samples) {
    const l = byName.get(s.name);
    if (l) l.push(s); else byName.set(s.name, [s]);
  }
  let out = '';
  for (const [name, list] of [...byName.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    out += `# TYPE ${name} ${name.endsWith('_total') ? 'counter' : 'gauge'}\n`;
    for (const s of list) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
      out += `${name}${labels ? `{${labels}}` : ''} ${s.value}\n`;
    }
  }
  return out;
}

/** Serves GET /metrics on a loopback address (the config refuses anything else). */
export async function startMetricsServer(listen: string, latest: () => Sample[]): Promise<Server> {
  const m = /^(?:\[(.+)\]|([^:]+)):(\d+)$/.exec(listen);
  const host = m?.[1] ?? m?.[2] ?? '127.0.0.1';
  const port = Number(m?.[3] ?? 0);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(renderExposition(latest()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  return server;
}
