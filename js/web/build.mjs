// Builds the offline review page from the wasm-bindgen package (run `make js-build` first):
//   web/dist/             the served page: index.html, app.js, worker.js, style.css, t1586.js,
//                         t1586_bg.wasm, world.json
//   web/dist/t1586-review.html   the same page as one self-contained file (wasm, scripts, styles and
//                         map inlined) that works when opened from disk.
// No bundler, no network: world boundaries come from the world-atlas npm package (Natural Earth,
// public domain) through topojson-client, at build time.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..', 'pkg');
const src = join(here, 'src');
const dist = join(here, 'dist');
const require = createRequire(import.meta.url);

if (!existsSync(join(pkg, 't1586_bg.wasm'))) {
  console.error('js/pkg is missing: run `make js-build` (wasm-pack) first');
  process.exit(1);
}
mkdirSync(dist, { recursive: true });
const read = (p) => readFileSync(p, 'utf8');

// World boundaries: countries as lists of rings of [lon, lat], rounded to 0.1°.
const { feature } = await import('topojson-client');
const topo = JSON.parse(read(require.resolve('world-atlas/countries-110m.json')));
const world = [];
for (const f of feature(topo, topo.objects.countries).features) {
  const g = f.geometry;
  if (!g) continue;
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  const rings = [];
  for (const poly of polys) {
    for (const ring of poly) rings.push(ring.map(([lon, lat]) => [Math.round(lon * 10) / 10, Math.round(lat * 10) / 10]));
  }
  world.push(rings);
}
const worldJson = JSON.stringify(world);

const glue = read(join(pkg, 't1586.js'));
const wasm = readFileSync(join(pkg, 't1586_bg.wasm'));
const app = read(join(src, 'app.js'));
const order = read(join(here, '..', 'order.mjs'));
const offline = read(join(here, '..', 'offline.mjs'));
const offlineLine = /^import \{[^}]*\} from '\.\/offline\.mjs'; \/\/ @@OFFLINE@@$/m;
const orderLine = /^import \{[^}]*\} from '\.\/order\.mjs'; \/\/ @@ORDER@@$/m;
if (!orderLine.test(app)) throw new Error('app.js order marker not found');
const worker = read(join(src, 'worker.js'));
const style = read(join(src, 'style.css'));
const html = read(join(src, 'index.html'));

// 1. The served page. The server should also send this policy as a header (the worker needs it).
export const SERVED_CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'";
writeFileSync(join(dist, 'index.html'), html
  .replace('@@CSP@@', SERVED_CSP)
  .replace('<!-- @@STYLE@@ -->', '<link rel="stylesheet" href="style.css">')
  .replace('<!-- @@WORLD@@ -->', '')
  .replace('<!-- @@WORKER@@ -->', '')
  .replace('<!-- @@SCRIPT@@ -->', '<script type="module" src="app.js"></script>'));
writeFileSync(join(dist, 'app.js'), app);
writeFileSync(join(dist, 'order.mjs'), order);
writeFileSync(join(dist, 'offline.mjs'), offline);
writeFileSync(join(dist, 'worker.js'), worker);
writeFileSync(join(dist, 'style.css'), style);
writeFileSync(join(dist, 't1586.js'), glue);
writeFileSync(join(dist, 't1586_bg.wasm'), wasm);
writeFileSync(join(dist, 'world.json'), worldJson);

// 2. One file. The worker runs from a Blob of its own source with the glue and the wasm inlined;
// inline script and style are allowed by hash, nothing may connect anywhere.
const glueLine = /^import \{[^}]*\} from '\.\/t1586\.js'; \/\/ @@GLUE@@$/m;
const wasmLine = /^const WASM = null; \/\/ @@WASM@@$/m;
if (!glueLine.test(worker) || !wasmLine.test(worker) || !offlineLine.test(worker)) throw new Error('worker.js markers not found');
// Chromium refuses module workers from blob: URLs in pages opened from disk (an opaque origin), so
// the inlined worker is a classic script: the glue's `export`s and `import.meta` are rewritten.
const classic = (code) => code
  .replace(/^export \{[^}]*\};?$/gm, '')
  .replace(/^export (class|function|const|let|async function) /gm, '$1 ')
  .replace(/import\.meta\.url/g, 'self.location.href');
const inlineWorker = classic(worker
  .replace(glueLine, () => glue)
  .replace(offlineLine, () => offline)
  .replace(wasmLine, () => `const WASM = "${wasm.toString('base64')}";`));
if (/^\s*(import|export)\b/m.test(inlineWorker)) throw new Error('inlined worker still has import/export');
for (const [name, text] of [['worker', inlineWorker], ['app', app], ['order', order], ['world', worldJson]]) {
  if (/<\/script/i.test(text)) throw new Error(`${name} contains </script>; cannot inline it`);
}
const sha = (s) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
const appTag = `\n${app.replace(orderLine, () => order)}`;
const styleTag = `\n${style}`;
const CSP = `default-src 'none'; script-src ${sha(appTag)} 'wasm-unsafe-eval'; worker-src blob:; connect-src 'none'; img-src data: blob:; style-src ${sha(styleTag)}; base-uri 'none'; form-action 'none'; object-src 'none'`;
writeFileSync(join(dist, 't1586-review.html'), html
  .replace('@@CSP@@', CSP)
  .replace('<!-- @@STYLE@@ -->', () => `<style>${styleTag}</style>`)
  .replace('<!-- @@WORLD@@ -->', () => `<script type="application/json" id="world-data">${worldJson}</script>`)
  .replace('<!-- @@WORKER@@ -->', () => `<script type="text/plain" id="worker-src">${inlineWorker}</script>`)
  .replace('<!-- @@SCRIPT@@ -->', () => `<script type="module">${appTag}</script>`));

const size = (p) => (readFileSync(join(dist, p)).length / 1024).toFixed(0);
console.log(`web/dist: index.html + scripts (wasm ${size('t1586_bg.wasm')} KiB, world ${size('world.json')} KiB); t1586-review.html ${size('t1586-review.html')} KiB`);
