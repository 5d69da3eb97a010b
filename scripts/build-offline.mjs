#!/usr/bin/env node
// `npm run build:offline`: one self-contained ESM file with the ceremony commands only, for an
// air-gapped machine (Node 20, no registry). No native modules, no pino transports. The build is
// reproducible byte for byte: fixed inputs, no timestamps, paths relative to the repository.
// Prints the file's SHA-256; docs/ceremony.md says how to carry and check it.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, mkdirSync, chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative, resolve } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// `--out FILE` builds elsewhere (tests build into a temp dir); the default is dist/anoguard-offline.mjs.
const outArg = process.argv.indexOf('--out');
const outfile = outArg > 0 && process.argv[outArg + 1] ? resolve(process.argv[outArg + 1]) : join(root, 'dist', 'anoguard-offline.mjs');
mkdirSync(dirname(outfile), { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: ['scripts/offline-entry.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: false,
  sourcemap: false,
  legalComments: 'eof',
  charset: 'utf8',
  logLevel: 'warning',
  metafile: true,
  alias: { pino: './scripts/offline-pino-stub.mjs' },
  define: { __ANOGUARD_BUNDLE__: 'true', __ANOGUARD_OFFLINE_VERSION__: JSON.stringify(pkg.version) },
  // CommonJS dependencies call require() for node built-ins; give the ESM bundle a real require.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __anoguardCreateRequire } from 'node:module';\nconst require = __anoguardCreateRequire(import.meta.url);" },
});
const native = Object.keys(result.metafile.inputs).filter((f) => f.endsWith('.node'));
if (native.length > 0) {
  console.error(`native modules in the offline build: ${native.join(', ')}`);
  process.exit(1);
}
chmodSync(outfile, 0o755);
const digest = createHash('sha256').update(readFileSync(outfile)).digest('hex');
console.log(`${digest}  ${relative(process.cwd(), outfile) || outfile}`);
