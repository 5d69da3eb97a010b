import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';
import type { RenderedHost } from './render.js';

export interface WrittenHost {
  host: string;
  role: string;
  dir: string;
  files: string[];
}

/** Writes DIR/<host>/<file> atomically, each file with its mode. */
export function writeRendered(outDir: string, hosts: RenderedHost[]): WrittenHost[] {
  return hosts.map((h) => {
    const dir = join(outDir, h.host);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    for (const f of h.files) writeFileAtomic(join(dir, f.name), f.content, { mode: f.mode });
    return { host: h.host, role: h.role, dir, files: h.files.map((f) => f.name) };
  });
}
