/*
 * Prometheus remote-write 1.0 payload: a protobuf `prometheus.WriteRequest` with only the fields
 * remote-write 1.0 needs, compressed with snappy's block format.
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }   // timestamp: unix ms
 */
import snappy from 'snappyjs';

export interface RemoteSeries {
  /** Sorted by name, `__name__` included, no empty values (what the receiver expects). */
  labels: readonly (readonly [string, string])[];
  /** Ascending timestamps. */
  samples: readonly { value: number; t: number }[];
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) { n = Math.floor(n / 128); size++; }
  return size;
}

/** Non-negative integers up to 2^53 (ms timestamps, lengths): plain arithmetic, no BigInt. */
function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

const labelSize = (name: number, value: number) => 1 + varintSize(name) + name + 1 + varintSize(value) + value;
const sampleSize = (t: number) => 1 + 8 + 1 + varintSize(t);

/** Encodes a WriteRequest (uncompressed protobuf). */
export function encodeWriteRequest(series: readonly RemoteSeries[]): Buffer {
  // Sizes first, so that the message is written once into one buffer.
  const sizes = series.map((s) => {
    const labels = s.labels.map(([k, v]) => labelSize(Buffer.byteLength(k), Buffer.byteLength(v)));
    let body = 0;
    for (const l of labels) body += 1 + varintSize(l) + l;
    for (const x of s.samples) {
      if (!Number.isSafeInteger(x.t) || x.t < 0) throw new RangeError(`sample timestamp ${x.t} is not a non-negative integer`);
      const n = sampleSize(x.t);
      body += 1 + varintSize(n) + n;
    }
    return { labels, body };
  });
  let total = 0;
  for (const s of sizes) total += 1 + varintSize(s.body) + s.body;
  const buf = Buffer.allocUnsafe(total);
  let p = 0;
  series.forEach((s, i) => {
    const sz = sizes[i]!;
    buf[p++] = 0x0a; // WriteRequest.timeseries, length-delimited
    p = writeVarint(buf, p, sz.body);
    s.labels.forEach(([k, v], j) => {
      buf[p++] = 0x0a; // TimeSeries.labels
      p = writeVarint(buf, p, sz.labels[j]!);
      buf[p++] = 0x0a; // Label.name
      p = writeVarint(buf, p, Buffer.byteLength(k));
      p += buf.write(k, p, 'utf8');
      buf[p++] = 0x12; // Label.value
      p = writeVarint(buf, p, Buffer.byteLength(v));
      p += buf.write(v, p, 'utf8');
    });
    for (const x of s.samples) {
      buf[p++] = 0x12; // TimeSeries.samples
      p = writeVarint(buf, p, sampleSize(x.t));
      buf[p++] = 0x09; // Sample.value, 64-bit
      buf.writeDoubleLE(x.value, p);
      p += 8;
      buf[p++] = 0x10; // Sample.timestamp, varint
      p = writeVarint(buf, p, x.t);
    }
  });
  if (p !== total) throw new Error(`protobuf size mismatch: ${p} != ${total}`);
  return buf;
}

/** The HTTP body: snappy block format (not the framed/stream format), as remote-write 1.0 requires. */
export function encodeRemoteWriteBody(series: readonly RemoteSeries[]): Buffer {
  return snappy.compress(encodeWriteRequest(series));
}
