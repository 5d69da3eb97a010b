/**
 * The ingest bench's load generator, in its own process (forked by bench/ingest.bench.ts) so that
 * the 20 simulated agents' TLS and HTTP work does not share the server's event loop. Protocol over
 * the IPC channel: {prepare} → {ready}; {run} → {done, stored, batches, busy, secs, cpuUs}.
 */
import { Agent, request } from 'node:https';
import { readFileSync } from 'node:fs';
import { pkiPaths } from '../../src/pki/layout.js';

export interface PrepareMsg { cmd: 'prepare'; url: string; pkiDir: string; agents: number; perBatch: number; batchesPerAgent: number }
export interface RunMsg { cmd: 'run'; seconds: number }
export interface DoneMsg { cmd: 'done'; stored: number; batches: number; busy: number; secs: number; cpuUs: number }

function makeBodyTemplate(agent: string, i: number, perBatch: number): [string, string] {
  // perBatch samples per batch ≈ 50 series × 20 timestamps, the shape of an outbox draining.
  const samples = [];
  const t0 = Date.now() - 3_600_000;
  for (let k = 0; k < perBatch; k++) {
    samples.push({ name: k % 2 ? 'node_cpu_seconds_total' : 'node_network_receive_bytes_total', labels: { cpu: String(k % 50), agent: String(i) }, value: k * 1.5, t: t0 + Math.floor(k / 50) * 10_000 });
  }
  const json = JSON.stringify({ v: 1, agent, seq: 0, sentAt: Date.now(), samples, events: [] });
  const [a, b] = json.split('"seq":0');
  return [a! + '"seq":', b!];
}

/** Shifts all timestamps of a template per seq so each batch writes new rows. */
function body(tpl: [string, string], seq: number): string {
  return `${tpl[0]}${seq}${tpl[1].replace(/"t":(\d+)/g, (_m, t: string) => `"t":${Number(t) + seq * 200_000}`)}`;
}

let prepared: { url: string; perBatch: number; agents: { bodies: Buffer[]; agent: Agent }[] } | undefined;

function prepare(m: PrepareMsg): void {
  const p = pkiPaths(m.pkiDir);
  const ca = readFileSync(p.caCert);
  prepared = {
    url: m.url,
    perBatch: m.perBatch,
    agents: Array.from({ length: m.agents }, (_, i) => {
      const name = `bench-${i}`;
      const tpl = makeBodyTemplate(name, i, m.perBatch);
      return {
        bodies: Array.from({ length: m.batchesPerAgent }, (_, s) => Buffer.from(body(tpl, s + 1))),
        agent: new Agent({ keepAlive: true, maxSockets: 1, ca, cert: readFileSync(p.cert(name)), key: readFileSync(p.key(name)) }),
      };
    }),
  };
}

async function run(m: RunMsg): Promise<DoneMsg> {
  const { url, perBatch, agents } = prepared!;
  const post = (a: (typeof agents)[number], b: Buffer) => new Promise<number>((resolve, reject) => {
    const req = request(`${url}/ingest/v1/batch`, { method: 'POST', agent: a.agent, servername: 'localhost', headers: { 'content-type': 'application/json', 'content-length': b.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(b);
  });
  let stored = 0;
  let batches = 0;
  let busy = 0;
  const cpu0 = process.cpuUsage();
  const start = Date.now();
  const deadline = start + m.seconds * 1000;
  await Promise.all(agents.map(async (a) => {
    for (let seq = 1; seq <= a.bodies.length && Date.now() < deadline;) {
      const code = await post(a, a.bodies[seq - 1]!);
      if (code === 200) { stored += perBatch; batches++; seq++; }
      else if (code === 503) { busy++; await new Promise((r) => setTimeout(r, 20)); }
      else throw new Error(`unexpected ${code}`);
    }
  }));
  const secs = (Date.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  for (const a of agents) a.agent.destroy();
  return { cmd: 'done', stored, batches, busy, secs, cpuUs: cpu.user + cpu.system };
}

process.on('message', (m: PrepareMsg | RunMsg) => {
  if (m.cmd === 'prepare') {
    prepare(m);
    process.send!({ cmd: 'ready' });
  } else {
    run(m).then((r) => process.send!(r), (e: unknown) => {
      process.stderr.write(`${String((e as Error).stack ?? e)}\n`);
      process.exit(1);
    });
  }
});
process.on('disconnect', () => process.exit(0));
