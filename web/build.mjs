// Builds the dashboard into web/dist: one hashed JS bundle, one CSS file, index.html. No CDN.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
const tmp = join(here, `.dist-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });
mkdirSync(join(tmp, 'assets'), { recursive: true });
const r = await build({
  entryPoints: [join(here, 'src/main.ts')], bundle: true, minify: true, format: 'esm', target: ['es2022'], sourcemap: false,
  outdir: join(tmp, 'assets'), entryNames: 'app-[hash]', metafile: true, logLevel: 'warning', legalComments: 'none',
});
const outs = Object.keys(r.metafile.outputs).map((p) => basename(p));
const js = outs.find((f) => f.endsWith('.js'));
const css = outs.find((f) => f.endsWith('.css'));
writeFileSync(join(tmp, 'index.html'), readFileSync(join(here, 'public/index.html'), 'utf8').replace('__JS__', js).replace('__CSS__', css));
rmSync(out, { recursive: true, force: true });
renameSync(tmp, out);
console.log(`web/dist: ${js} ${css}`);
