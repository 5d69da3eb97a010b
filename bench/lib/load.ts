// One autocannon run in its own process (so a flooding client does not share an event loop with
// the client being measured). Usage: load.ts URL KEY CONNECTIONS RATE SECONDS; prints JSON.
import autocannon from 'autocannon';

const [url, key, connections, rate, seconds] = process.argv.slice(2);
const r = await autocannon({
  url: url!, method: 'POST', body: '{"jsonrpc":"2.0","id":1,"method":"heights"}',
  headers: { 'content-type': 'application/json', 'x-api-key': key! },
  connections: Number(connections), overallRate: Number(rate), duration: Number(seconds),
});
process.stdout.write(`${JSON.stringify({ total: r.requests.total, p99: r.latency.p99, limited: r.statusCodeStats['429']?.count ?? 0 })}\n`);
