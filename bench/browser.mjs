#!/usr/bin/env node
// The review page against the CLI on one file, in one run:  node bench/browser.mjs [FILE]
//
// Without FILE, generates the issue's tenant (`t1586 generate --users 5284 --days 10 --no-windows
// --seed 1586`, the day files concatenated: about 316,000 Graph sign-ins, 173 MB). Times, each
// BENCH_REPS rounds (default 3, the best kept):
//   * the wasmtime CLI: `t1586 scan --format jsonl FILE` (whole process);
//   * the single-file page (`js/web/dist/t1586-review.html`, opened from disk) in Debian's
//     Chromium (headless, playwright-core): from the file input's change to the page's
//     `data-scanned` mark, the alerts on screen;
// then the time to open the first alert's timeline (the files read again for one identity),
// and prints both, the page's ratio to the CLI (the target in BENCHMARKS.md), and whether the
// alerts are the same (the page's JSON Lines export against the CLI's output).
// BENCH_PAGE_ONLY=1 skips the CLI (for quick profiling of the page).
// BENCH_LARGE=1: issue 40's size check instead: the same tenant over 120 days (about 2 GB, time
// ordered), plain and gzip (`gzip -1`), each through the page once: the scan's time, the peak of
// the renderer processes' RSS and of the page's and the worker's JS heaps (sampled every 250 ms),
// the longest main-thread task (PerformanceObserver 'longtask'), then Cancel halfway through a
// second scan: the time from the click to the page saying so.
// Needs `cargo build --release -p t1586`, `make js-build` and /usr/bin/chromium (make test).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, createWriteStream } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'js', 'package.json'));
const { chromium } = require('playwright-core');
const CLI = join(root, 'target', 'release', 't1586');
const PAGE = join(root, 'js', 'web', 'dist', 't1586-review.html');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const REPS = Number(process.env.BENCH_REPS ?? 3);

for (const [what, path] of [['the CLI', CLI], ['the page', PAGE], ['Chromium', CHROMIUM]]) {
  if (!existsSync(path)) {
    console.error(`${what} is missing: ${path} (cargo build --release -p t1586; make js-build; make setup-debian)`);
    process.exit(2);
  }
}

async function generated() {
  const dir = mkdtempSync(join(tmpdir(), 't1586-bench-browser-'));
  execFileSync(CLI, ['generate', '--out', dir, '--users', '5284', '--days', '10', '--no-windows', '--seed', '1586'], { stdio: 'ignore' });
  const logs = join(dir, 'logs');
  const days = readdirSync(logs).filter((f) => /^day-.*-signins\.jsonl$/.test(f)).sort();
  const file = join(dir, 'signins.jsonl');
  const out = createWriteStream(file);
  for (const d of days) out.write(readFileSync(join(logs, d)));
  await new Promise((r) => out.end(r));
  rmSync(logs, { recursive: true });
  return { file, cleanup: () => rmSync(dir, { recursive: true }) };
}

function cli(file) {
  const t = process.hrtime.bigint();
  // From the file's folder, so the evidence names the file as the page does (by its name).
  const r = spawnSync(CLI, ['scan', '--format', 'jsonl', basename(file)], { cwd: dirname(file), maxBuffer: 1 << 30, encoding: 'utf8' });
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`the CLI failed: ${r.stderr}`);
  return { secs, jsonl: r.stdout };
}

async function page(browser, file) {
  const context = await browser.newContext({ acceptDownloads: true });
  const p = await context.newPage();
  const problems = [];
  p.on('pageerror', (e) => problems.push(e.message));
  await p.goto(pathToFileURL(PAGE).href);
  await p.waitForSelector('body[data-ready="1"]');
  // The clock starts in the page when the input changes, and stops when the alerts are shown.
  await p.evaluate(() => {
    document.querySelector('#files').addEventListener('change', () => { window.__t0 = performance.now(); }, { capture: true });
    new MutationObserver(() => {
      if (document.body.dataset.scanned && window.__t0 && !window.__t1) window.__t1 = performance.now();
    }).observe(document.body, { attributes: true, attributeFilter: ['data-scanned'] });
  });
  await p.setInputFiles('#files', file);
  await p.waitForSelector('body[data-scanned="1"]', { timeout: 600_000 });
  const secs = (await p.evaluate(() => window.__t1 - window.__t0)) / 1000;
  const status = await p.textContent('#status');
  // Opening the first alert reads the files again for its identity's timeline.
  const t = Date.now();
  await p.click('#alerts tbody tr');
  await p.waitForFunction(() => {
    const n = document.querySelector('#timeline-note').textContent;
    return n.length > 0 && !n.startsWith('Reading');
  }, null, { timeout: 600_000 });
  const timeline = (Date.now() - t) / 1000;
  const [download] = await Promise.all([p.waitForEvent('download'), p.click('#export-jsonl')]);
  const jsonl = readFileSync(await download.path(), 'utf8');
  await context.close();
  if (problems.length) throw new Error(`page errors: ${problems.join('; ')}`);
  return { secs, jsonl, status, timeline };
}

/** The RSS (bytes) of Chromium's renderer processes, from /proc. */
function rendererRss() {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('--type=renderer')) continue;
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch { /* the process ended */ }
  }
  return total;
}

/** Issue 40's size check on `file` (plain or gzip): see the header. */
async function large(browser, file) {
  const context = await browser.newContext();
  const p = await context.newPage();
  const cdp = await context.newCDPSession(p);
  await cdp.send('Performance.enable');
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
  await p.goto(pathToFileURL(PAGE).href);
  await p.waitForSelector('body[data-ready="1"]');
  await p.evaluate(() => {
    window.__longest = 0;
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longest = Math.max(window.__longest, e.duration); })
      .observe({ type: 'longtask', buffered: true });
  });
  const workers = () => p.workers();
  const heap = async () => {
    let total = 0;
    for (const w of workers()) {
      try {
        total += await w.evaluate(() => (globalThis.performance?.memory?.usedJSHeapSize ?? 0));
      } catch { /* the worker ended */ }
    }
    const m = await cdp.send('Performance.getMetrics');
    total += m.metrics.find((x) => x.name === 'JSHeapUsedSize')?.value ?? 0;
    return total;
  };
  let peakRss = 0;
  let peakHeap = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakRss = Math.max(peakRss, rendererRss());
      peakHeap = Math.max(peakHeap, await heap().catch(() => 0));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const t = Date.now();
  await p.setInputFiles('#files', file);
  await p.waitForSelector('body[data-scanned="1"]', { timeout: 3_600_000 });
  const secs = (Date.now() - t) / 1000;
  sampling = false;
  await sampler;
  const longest = await p.evaluate(() => window.__longest);
  const status = (await p.textContent('#status')).trim();
  // Cancel halfway through a second scan.
  await p.setInputFiles('#files', file);
  await p.waitForFunction(() => Number(document.querySelector('#progress').value) >= 0.5, null, { timeout: 3_600_000 });
  const c = Date.now();
  await p.click('#cancel');
  await p.waitForFunction(() => /Cancelled/.test(document.querySelector('#status').textContent));
  const cancel = (Date.now() - c) / 1000;
  await context.close();
  return { secs, peakRss, peakHeap, longest, status, cancel };
}

if (process.env.BENCH_LARGE) {
  const dir = mkdtempSync(join(tmpdir(), 't1586-bench-large-'));
  try {
    // With FILE: the same measures on that file (to compare the memory of a small one).
    const files = process.argv[2] ? [process.argv[2]] : null;
    if (!files) execFileSync(CLI, ['generate', '--out', dir, '--users', '5284', '--days', '120', '--no-windows', '--seed', '1586'], { stdio: 'ignore' });
    const plain = files ? files[0] : join(dir, 'signins.jsonl');
    if (!files) {
      const logs = join(dir, 'logs');
      const out = createWriteStream(plain);
      for (const d of readdirSync(logs).filter((f) => /^day-.*-signins\.jsonl$/.test(f)).sort()) {
        const f = join(logs, d);
        if (!out.write(readFileSync(f))) await new Promise((r) => out.once('drain', r));
        rmSync(f);
      }
      await new Promise((r) => out.end(r));
      execFileSync('sh', ['-c', `gzip -1 -c '${plain}' > '${plain}.gz'`]);
    }
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--enable-precise-memory-info'],
    });
    try {
      for (const f of files ?? [plain, `${plain}.gz`]) {
        const r = await large(browser, f);
        const mib = (n) => (n / 1048576).toFixed(0);
        console.log(`${basename(f)}: ${(statSync(f).size / 1e9).toFixed(2)} GB, ${r.secs.toFixed(1)} s, ${(statSync(plain).size / 1e6 / r.secs).toFixed(0)} MB/s of JSON; peak renderer RSS ${mib(r.peakRss)} MiB, peak page JS heap ${mib(r.peakHeap)} MiB (workers: where the browser reports one); longest main-thread task ${r.longest.toFixed(0)} ms; Cancel answered in ${r.cancel.toFixed(2)} s; ${r.status}`);
      }
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
  process.exit(0);
}

const given = process.argv[2];
const { file, cleanup } = given ? { file: given, cleanup: () => {} } : await generated();
const bytes = statSync(file).size;
const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
console.log(`input: ${lines} records, ${bytes} bytes (${(bytes / 1048576).toFixed(0)} MiB): ${file}`);
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
});
try {
  let best = { cli: Infinity, page: Infinity };
  let cliOut = null;
  let pageOut = null;
  for (let i = 0; i < REPS; i++) {
    if (!process.env.BENCH_PAGE_ONLY) {
      const c = cli(file);
      cliOut = c.jsonl;
      best.cli = Math.min(best.cli, c.secs);
      console.log(`round ${i + 1}: CLI ${c.secs.toFixed(2)} s`);
    }
    const p = await page(browser, file);
    pageOut = p.jsonl;
    best.page = Math.min(best.page, p.secs);
    console.log(`round ${i + 1}: page ${p.secs.toFixed(2)} s (${p.status.trim().split('\n')[0]}); a timeline ${p.timeline.toFixed(2)} s`);
  }
  const mbs = (s) => (bytes / 1e6 / s).toFixed(0);
  console.log(`page: ${best.page.toFixed(2)} s, ${mbs(best.page)} MB/s, ${(lines / best.page / 1e3).toFixed(0)}k records/s`);
  if (cliOut !== null) {
    console.log(`CLI:  ${best.cli.toFixed(2)} s, ${mbs(best.cli)} MB/s`);
    console.log(`page / CLI speed: ${(best.cli / best.page).toFixed(2)} x`);
    const n = (s) => s.split('\n').filter(Boolean).length;
    console.log(`alerts: page ${n(pageOut)}, CLI ${n(cliOut)}, ${pageOut === cliOut ? 'identical' : 'DIFFERENT'}`);
  }
} finally {
  await browser.close();
  cleanup();
}
