/**
 * A tiny factomd stand-in (node:http, loopback, port 0) for the submit tests: it acknowledges
 * commits and reveals, can drop the answer to chosen requests after processing them (the
 * "crash/lost reply" case), answers −32011 for a repeated commit, and puts every revealed entry
 * into one entry block per chain so `identity show` can read them back.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

const sha = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
const sha512 = (b: Buffer): Buffer => createHash('sha512').update(b).digest();

export interface FakeFactomd {
  url: string;
  /** Every commit request received, by entry hash (including dropped and repeated ones). */
  commitRequests: Map<string, number>;
  revealRequests: Map<string, number>;
  /** method → how many of the next requests to process but then drop the answer. */
  dropNext: Map<string, number>;
  balance: number;
  blockTimeSeconds: number;
  close(): Promise<void>;
}

export async function startFakeFactomd(opts: { balance?: number; blockTimeSeconds: number }): Promise<FakeFactomd> {
  const commits = new Map<string, { txid: string; entryHash: string }>(); // txid -> commit
  const committedEntries = new Set<string>();
  const entries = new Map<string, { chainId: string; raw: Buffer }>(); // entryHash -> entry
  const chains = new Map<string, string[]>(); // chainId -> entry hashes in order
  const fake: FakeFactomd = {
    url: '',
    commitRequests: new Map(),
    revealRequests: new Map(),
    dropNext: new Map(),
    balance: opts.balance ?? 1000,
    blockTimeSeconds: opts.blockTimeSeconds,
    close: () => new Promise((r) => server.close(() => r())),
  };
  const keymrOf = (chainId: string): string => sha(Buffer.from(`eblock:${chainId}`)).toString('hex');
  const chainOfKeymr = (k: string): string | undefined => [...chains.keys()].find((c) => keymrOf(c) === k);

  function handle(method: string, p: Record<string, string>): { result?: unknown; error?: { code: number; message: string } } {
    switch (method) {
      case 'entry-credit-balance':
        return { result: { balance: fake.balance } };
      case 'commit-chain':
      case 'commit-entry': {
        const raw = Buffer.from(p.message!, 'hex');
        const chain = method === 'commit-chain';
        const ledger = raw.subarray(0, chain ? 104 : 40);
        const eh = raw.subarray(chain ? 71 : 7, chain ? 103 : 39).toString('hex');
        fake.commitRequests.set(eh, (fake.commitRequests.get(eh) ?? 0) + 1);
        const txid = sha(ledger).toString('hex');
        if (committedEntries.has(eh)) return { error: { code: -32011, message: 'Repeated Commit' } };
        committedEntries.add(eh);
        commits.set(txid, { txid, entryHash: eh });
        return { result: { message: chain ? 'Chain Commit Success' : 'Entry Commit Success', txid, entryhash: eh } };
      }
      case 'reveal-chain':
      case 'reveal-entry': {
        const raw = Buffer.from(p.entry!, 'hex');
        const eh = sha(Buffer.concat([sha512(raw), raw])).toString('hex');
        fake.revealRequests.set(eh, (fake.revealRequests.get(eh) ?? 0) + 1);
        if (!committedEntries.has(eh)) return { error: { code: -32602, message: 'Invalid params', } };
        const chainId = raw.subarray(1, 33).toString('hex');
        if (!entries.has(eh)) {
          entries.set(eh, { chainId, raw });
          chains.set(chainId, [...(chains.get(chainId) ?? []), eh]);
        }
        return { result: { message: 'Entry Reveal Success', entryhash: eh, chainid: chainId } };
      }
      case 'ack': {
        if (p.chainid === 'c') {
          return { result: { committxid: p.hash, commitdata: { status: commits.has(p.hash!) ? 'TransactionACK' : 'Unknown' }, entrydata: { status: 'Unknown' } } };
        }
        const known = entries.has(p.hash!);
        return { result: { entryhash: p.hash, commitdata: { status: committedEntries.has(p.hash!) ? 'TransactionACK' : 'Unknown' }, entrydata: { status: known ? 'DBlockConfirmed' : 'Unknown' } } };
      }
      case 'chain-head': {
        const c = chains.get(p.chainid!);
        if (!c) return { error: { code: -32009, message: 'Missing Chain Head' } };
        return { result: { chainhead: keymrOf(p.chainid!), chaininprocesslist: false } };
      }
      case 'entry-block': {
        const c = chainOfKeymr(p.keymr!);
        if (!c) return { error: { code: -32008, message: 'Block not found' } };
        return {
          result: {
            header: { blocksequencenumber: 0, chainid: c, prevkeymr: '0'.repeat(64), timestamp: fake.blockTimeSeconds, dbheight: 10 },
            entrylist: chains.get(c)!.map((entryhash) => ({ entryhash, timestamp: fake.blockTimeSeconds })),
          },
        };
      }
      case 'entry': {
        const e = entries.get(p.hash!);
        if (!e) return { error: { code: -32008, message: 'Receipt creation error' } };
        const extSize = e.raw.readUInt16BE(33);
        const extids: string[] = [];
        let off = 35;
        while (off < 35 + extSize) {
          const n = e.raw.readUInt16BE(off);
          extids.push(e.raw.subarray(off + 2, off + 2 + n).toString('hex'));
          off += 2 + n;
        }
        return { result: { chainid: e.chainId, content: e.raw.subarray(off).toString('hex'), extids } };
      }
      default:
        return { error: { code: -32601, message: 'Method not found' } };
    }
  }

  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      const msg = JSON.parse(body) as { id: unknown; method: string; params?: Record<string, string> };
      const out = handle(msg.method, msg.params ?? {});
      const drops = fake.dropNext.get(msg.method) ?? 0;
      if (drops > 0) {
        fake.dropNext.set(msg.method, drops - 1);
        req.socket.destroy(); // processed, but the answer is lost
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, ...out }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
