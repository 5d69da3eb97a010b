#!/usr/bin/env node
// `npm run build:sea` (optional): the offline ceremony commands as one Node.js single-executable
// application (Node 20 SEA, `--experimental-sea-config` + postject). Contains only what
// `npm run build:offline` contains, as CommonJS (Node 20's SEA runs one CommonJS script and can
// `require` built-ins only). A SEA has no file to start a worker thread from, so the grind worker is
// bundled separately and embedded as a string that `grind.ts` starts with `eval: true`.
//
// Reproducible: the same source and the same Node.js binary give the same executable byte for byte
// (no code cache, no snapshot, no timestamps). Prints its SHA-256 like build:offline.
//
//   node scripts/build-sea.mjs [--out FILE] [--node PATH-TO-NODE-BINARY] [--worker-only FILE]
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const outfile = resolve(arg('--out') ?? join(root, 'dist', 'anoguard-offline-sea'));
const nodeBinary = resolve(arg('--node') ?? process.execPath);
const SENTINEL = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const common = {
  absWorkingDir: root,
  bundle: true,
  write: false,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: false,
  sourcemap: false,
  legalComments: 'eof',
  charset: 'utf8',
  logLevel: 'error',
  metafile: true,
  alias: { pino: './scripts/offline-pino-stub.mjs' },
};

function checkNoNative(result) {
  const native = Object.keys(result.metafile.inputs).filter((f) => f.endsWith('.node'));
  if (native.length > 0) throw new Error(`native modules in the SEA build: ${native.join(', ')}`);
}

const worker = await build({
  ...common,
  entryPoints: ['src/identity/grind-worker.ts'],
  define: { __ANOGUARD_BUNDLE__: 'true' },
});
checkNoNative(worker);
// `--worker-only FILE`: write just the embedded grind worker (tests start it with `eval: true`).
const workerOnly = arg('--worker-only');
if (workerOnly) {
  writeFileSync(resolve(workerOnly), worker.outputFiles[0].text);
  process.exit(0);
}
const main = await build({
  ...common,
  entryPoints: ['scripts/offline-entry.ts'],
  define: {
    __ANOGUARD_BUNDLE__: 'true',
    __ANOGUARD_OFFLINE_VERSION__: JSON.stringify(pkg.version),
    __ANOGUARD_SEA_WORKER__: JSON.stringify(worker.outputFiles[0].text),
  },
});
checkNoNative(main);

const work = mkdtempSync(join(tmpdir(), 'grind-sea-build-'));
try {
  const script = join(work, 'anoguard-offline.cjs');
  writeFileSync(script, main.outputFiles[0].text);
  const blob = join(work, 'sea.blob');
  // Relative paths: the blob records the main script's path, and the temp dir's name is random.
  writeFileSync(join(work, 'sea-config.json'), JSON.stringify({
    main: 'anoguard-offline.cjs', output: 'sea.blob', disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false,
  }));
  execFileSync(nodeBinary, ['--experimental-sea-config', 'sea-config.json'], { cwd: work, stdio: ['ignore', 'pipe', 'inherit'] });
  mkdirSync(dirname(outfile), { recursive: true });
  rmSync(outfile, { force: true });
  copyFileSync(nodeBinary, outfile);
  chmodSync(outfile, 0o755);
  const { inject } = createRequire(import.meta.url)('postject');
  await inject(outfile, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SENTINEL });
} finally {
  rmSync(work, { recursive: true, force: true });
}
const digest = createHash('sha256').update(readFileSync(outfile)).digest('hex');
console.log(`${digest}  ${relative(process.cwd(), outfile) || outfile}`);
