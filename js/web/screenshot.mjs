// Renders the review page with the bundled demo scanned and an impossible-travel alert open, to
// docs/review-page.png (the README's picture). Needs web/dist (node web/build.mjs) and Chromium.
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { join, extname, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm' };
const server = createServer((req, res) => {
  const p = join(dist, new URL(req.url, 'http://x').pathname.slice(1) || 'index.html');
  if (!p.startsWith(dist) || !existsSync(p)) return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': TYPES[extname(p)] ?? 'application/octet-stream' }).end(readFileSync(p));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
await page.waitForSelector('body[data-ready="1"]');
await page.setInputFiles('#files', [join(here, '..', '..', 'tests', 'demo', 'signins.json')]);
await page.waitForSelector('body[data-scanned="1"]');
await page.locator('#alerts tbody tr', { hasText: 'ImpossibleTravel' }).first().click();
await page.waitForSelector('#map line.leg');
const out = join(here, '..', '..', 'docs', 'review-page.png');
await page.screenshot({ path: out, fullPage: true });
console.log(out);
await browser.close();
server.close();
