// The review page in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
// every conformance case through the file input gives exactly expected.jsonl (the page's JSON Lines
// export), on the served page and on the single-file page opened from disk; no page or console
// errors; no request to any other origin; hostile content stays text; cancel and responsiveness.
//
// Needs `node web/build.mjs` (make js-build does it) and Chromium (make test installs it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdtempSync, statSync } from 'node:fs';
import { join, extname, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'web', 'dist');
const corpus = join(here, '..', '..', 'tests', 'corpus');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const NOT_INPUT = new Set(['expected.jsonl', 'expected-stats.json', 'config.json', 'README.md']);
const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'";
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm' };

let server;
let origin;
let browser;

before(async () => {
  assert.ok(existsSync(join(dist, 'index.html')), 'web/dist is missing: run `node web/build.mjs` (make js-build)');
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (make test does it)`);
  server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const file = join(dist, path === '/' ? 'index.html' : path.slice(1));
    if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-security-policy': CSP });
    res.end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-quic', '--no-first-run', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** A fresh page (its own storage) that records errors and every request. */
async function open(url) {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); d.dismiss(); });
  context.on('request', (r) => requests.push(r.url()));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
  return { context, page, problems, requests };
}

/** Click "apply" in the configuration panel; the status once the page has answered. */
async function apply(page) {
  await page.click('#apply-config');
  await page.waitForFunction(() => document.querySelector('#config-status').textContent.length > 0);
  return page.textContent('#config-status');
}

async function scan(page, files, config) {
  if (config) {
    await page.click('#config-panel summary');
    await page.fill('#config-json', config);
    const status = await apply(page);
    assert.match(status, /Saved/, status);
  }
  const n = Number(await page.getAttribute('body', 'data-scanned')) || 0;
  await page.setInputFiles('#files', files);
  await page.waitForSelector(`body[data-scanned="${n + 1}"]`, { timeout: 60_000 });
}

/** Wait until the open alert's timeline was read again from the files; its note. */
async function timelineRead(page) {
  await page.waitForFunction(() => {
    const t = document.querySelector('#timeline-note').textContent;
    return t.length > 0 && !t.startsWith('Reading');
  });
  return page.textContent('#timeline-note');
}

async function exportJsonl(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-jsonl')]);
  return readFileSync(await download.path(), 'utf8');
}

function cases() {
  return readdirSync(corpus).filter((d) => statSync(join(corpus, d)).isDirectory()).sort();
}

function caseInputs(name) {
  const dir = join(corpus, name);
  return readdirSync(dir).filter((f) => !NOT_INPUT.has(f)).sort().map((f) => join(dir, f));
}

async function runCorpus(url, label) {
  let checked = 0;
  for (const name of cases()) {
    const dir = join(corpus, name);
    const want = readFileSync(join(dir, 'expected.jsonl'), 'utf8');
    const config = existsSync(join(dir, 'config.json')) ? readFileSync(join(dir, 'config.json'), 'utf8') : null;
    const { context, page, problems, requests } = await open(url);
    await scan(page, caseInputs(name), config);
    const status = await page.textContent('#status');
    assert.doesNotMatch(status, /Error/, `${label} ${name}: ${status}`);
    const rows = await page.locator('#alerts tbody tr').count();
    assert.equal(rows, want.split('\n').filter(Boolean).length, `${label} ${name}: rows shown`);
    if (rows > 0) {
      // Open the first alert: details, timeline and map render without errors.
      await page.click('#alerts tbody tr');
      await page.waitForSelector('#detail:not([hidden])');
      await timelineRead(page);
      assert.doesNotMatch(await page.textContent('#timeline-note'), /could not be read/, `${label} ${name}`);
    }
    assert.equal(await exportJsonl(page), want, `${label} ${name}: exported alerts differ from expected.jsonl`);
    assert.deepEqual(problems, [], `${label} ${name}`);
    const outside = requests.filter((u) => !(u.startsWith(origin) || u.startsWith('blob:') || u.startsWith('data:') || u.startsWith('file:')));
    assert.deepEqual(outside, [], `${label} ${name}: requests to other origins`);
    await context.close();
    checked++;
  }
  assert.ok(checked >= 30, `only ${checked} cases`);
}

test('served page: every corpus case gives exactly expected.jsonl', async () => {
  await runCorpus(`${origin}/index.html`, 'served');
});

test('single-file page opened from disk: every corpus case gives exactly expected.jsonl', async () => {
  await runCorpus(pathToFileURL(join(dist, 't1586-review.html')).href, 'file://');
});

test('records newest first and files in any order give the time-ordered alerts (both pages; runs kept as Blobs)', async () => {
  const strip = (jsonl) => jsonl.split('\n').filter(Boolean).map((l) => {
    const a = JSON.parse(l);
    for (const e of a.Evidence ?? []) {
      delete e.Source;
      delete e.Line;
    }
    return JSON.stringify(a);
  });
  const tmp = mkdtempSync(join(tmpdir(), 't1586-page-order-'));
  let checked = 0;
  for (const name of cases()) {
    const inputs = caseInputs(name);
    if (!inputs.some((f) => f.endsWith('.jsonl')) && inputs.length < 2) continue;
    const dir = join(corpus, name);
    const cfgPath = join(dir, 'config.json');
    const cfg = existsSync(cfgPath) ? JSON.parse(readFileSync(cfgPath, 'utf8')) : {};
    // No lateness tolerance and runs of 2 events: any disorder takes the sorting path.
    const config = JSON.stringify({ ...cfg, max_lateness_secs: 0, limits: { ...(cfg.limits ?? {}), sort_run_events: 2 } });
    // Reversed records, and names that sort the other way round.
    const files = inputs.map((f, i) => {
      const base = f.split('/').pop();
      const out = join(tmp, `${name}-${inputs.length - i}-${base}`);
      const bytes = readFileSync(f);
      writeFileSync(out, base.endsWith('.jsonl')
        ? bytes.toString('utf8').split('\n').filter((l) => l.trim()).reverse().join('\n') + '\n'
        : bytes);
      return out;
    });
    for (const url of [`${origin}/index.html`, pathToFileURL(join(dist, 't1586-review.html')).href]) {
      const { context, page, problems } = await open(url);
      await scan(page, files, config);
      const want = readFileSync(join(dir, 'expected.jsonl'), 'utf8');
      assert.deepEqual(strip(await exportJsonl(page)), strip(want), `${name} (${url})`);
      assert.deepEqual(problems, [], name);
      await context.close();
    }
    checked++;
  }
  assert.ok(checked >= 5, `only ${checked} cases`);
});

test('hostile log content is shown as text, never run', async () => {
  for (const url of [`${origin}/index.html`, pathToFileURL(join(dist, 't1586-review.html')).href]) {
    const { context, page, problems } = await open(url);
    await scan(page, caseInputs('xss-hostile-content'));
    await page.click('#alerts tbody tr');
    await timelineRead(page);
    const user = await page.textContent('#alerts tbody tr td:nth-child(3)');
    assert.equal(user, '<img src=x onerror="window.__pwned=1">@contoso.com');
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.equal(await page.locator('main img, main script, #detail b').count(), 0);
    assert.match(await page.textContent('#detail-fields'), /<b>Portal<\/b>/);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('sorting, filters, CSV export and the configuration panel', async () => {
  const { context, page, problems } = await open(`${origin}/index.html`);
  const demo = join(here, '..', '..', 'tests', 'demo', 'signins.json');
  await scan(page, [demo]);
  const risks = async () => (await page.locator('#alerts tbody tr td:first-child').allTextContents()).map(Number);
  const r = await risks();
  assert.ok(r.length >= 5);
  assert.deepEqual(r, [...r].sort((a, b) => b - a), 'risk descending by default');
  await page.click('th[data-sort="risk"]');
  const up = await risks();
  assert.deepEqual(up, [...up].sort((a, b) => a - b), 'risk ascending after a click');
  await page.click('th[data-sort="user"]');
  const users = await page.locator('#alerts tbody tr td:nth-child(3)').allTextContents();
  assert.deepEqual(users, [...users].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
  await page.selectOption('#filter-type', 'ImpossibleTravel');
  const types = await page.locator('#alerts tbody tr td:nth-child(2)').allTextContents();
  assert.ok(types.length >= 1 && types.every((t) => t === 'ImpossibleTravel'), types.join());
  // The travel alert's map has land and a leg.
  await page.click('#alerts tbody tr');
  await page.waitForSelector('#map path.land');
  await page.waitForSelector('#map line.leg');
  await page.selectOption('#filter-type', '');
  await page.fill('#filter-risk', '90');
  assert.ok((await risks()).every((x) => x >= 90));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\r\n');
  assert.equal(csv[0], 'TimeGenerated,UserPrincipalName,DetectionType,RiskScore,FailureCount,SuccessCount,UniqueIPs,IPList,Apps,Countries,FirstSeen,LastSeen,Mitre,Profile,AlertId');
  assert.equal(csv.length - 1, r.length, 'CSV exports every alert');
  // Settings survive a reload (local storage); the seed profile then gives the seed's view.
  await page.click('#config-panel summary');
  await page.selectOption('#profile', 'seed');
  assert.match(await apply(page), /Saved/);
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]');
  assert.equal(await page.inputValue('#profile'), 'seed');
  await scan(page, [demo]);
  await page.click('#config-panel summary');
  const seedTypes = new Set(await page.locator('#alerts tbody tr td:nth-child(2)').allTextContents());
  assert.ok([...seedTypes].every((t) => ['CredentialStuffing', 'ImpossibleTravel', 'SuspiciousInfrastructure'].includes(t)), [...seedTypes].join());
  // A bad configuration is refused with a message, not applied.
  await page.fill('#config-json', '{"window_secs": ');
  assert.match(await apply(page), /settings JSON/);
  // Trusted ranges are read by the core's IP-list parser: a bad line is named.
  await page.fill('#config-json', '{}');
  await page.fill('#trusted-ips', '203.0.113.0/24\n198.51.100.7 office\n999.1.1.1');
  assert.match(await apply(page), /trusted IP ranges: line 3: not an IP address or network: "999\.1\.1\.1"/);
  await page.fill('#trusted-ips', '203.0.113.0/24\n198.51.100.7 office');
  assert.match(await apply(page), /Saved/);
  // A TorDNSEL list: addresses and networks, read by the same parser.
  const tor = join(mkdtempSync(join(tmpdir(), 't1586-tor-')), 'exit-addresses');
  writeFileSync(tor, '@type tordnsel 1.0\nExitNode ABC\nExitAddress 185.220.101.4 2024-01-01 01:12:34\n10.9.0.0/16\n');
  await page.setInputFiles('#tor-file', tor);
  await page.waitForFunction(() => /Tor list loaded/.test(document.querySelector('#config-status').textContent));
  assert.match(await page.textContent('#tor-info'), /1 addresses, 1 networks/);
  await page.fill('#config-json', '{"no_such_key": 1}');
  assert.match(await apply(page), /Saved/);
  await page.setInputFiles('#files', [demo]);
  await page.waitForFunction(() => /Error/.test(document.querySelector('#status').textContent));
  assert.match(await page.textContent('#status'), /no_such_key/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('enrichment files from the configuration panel locate a Windows logon', async () => {
  const { context, page, problems } = await open(`${origin}/index.html`);
  const fx = join(here, '..', '..', 'tests', 'enrichment');
  await page.click('#config-panel summary');
  await page.setInputFiles('#mmdb-file', [join(fx, 'city.mmdb'), join(fx, 'asn.mmdb')]);
  await page.waitForFunction(() => document.querySelectorAll('#enrich-list li').length === 2);
  await scan(page, [join(fx, 'hosting-logon.xml')]);
  assert.equal(await page.locator('#alerts tbody tr').count(), 1);
  assert.equal(await page.textContent('#alerts tbody tr td:nth-child(2)'), 'SuspiciousInfrastructure');
  assert.match(await page.textContent('#summary'), /country_filled: 1/);
  await page.click('#alerts tbody tr');
  await page.waitForSelector('#map circle.pt');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a large file: progress, a responsive page, and cancel', async () => {
  // ~40 MB of sign-ins (the demo tenant repeated with fresh ids).
  const dir = mkdtempSync(join(tmpdir(), 't1586-big-'));
  const recs = JSON.parse(readFileSync(join(here, '..', '..', 'tests', 'demo', 'signins.json'), 'utf8'));
  const list = Array.isArray(recs) ? recs : recs.value;
  const lines = [];
  let size = 0;
  for (let copy = 0; size < 40 << 20; copy++) {
    for (const r of list) {
      const line = JSON.stringify({ ...r, id: `${r.id}-${copy}`, userPrincipalName: `c${copy}.${r.userPrincipalName}` }) + '\n';
      lines.push(line);
      size += line.length;
    }
  }
  const big = join(dir, 'big.jsonl');
  writeFileSync(big, lines.join(''));
  const { context, page, problems } = await open(`${origin}/index.html`);
  // Measure the longest gap between timer ticks on the main thread while the worker scans.
  await page.evaluate(() => {
    window.__gap = 0;
    let last = performance.now();
    window.__tick = setInterval(() => {
      const now = performance.now();
      window.__gap = Math.max(window.__gap, now - last);
      last = now;
    }, 20);
  });
  await page.setInputFiles('#files', [big]);
  await page.waitForSelector('#progress-row:not([hidden])');
  await page.waitForFunction(() => document.querySelector('#progress').value > 0.05, null, { timeout: 60_000 });
  const gap = await page.evaluate(() => window.__gap);
  assert.ok(gap < 250, `main thread blocked for ${gap.toFixed(0)} ms`);
  await page.click('#cancel');
  await page.waitForFunction(() => /Cancelled/.test(document.querySelector('#status').textContent));
  assert.ok(await page.locator('#progress-row').isHidden());
  // After a cancel the page scans again normally.
  await scan(page, caseInputs('seed-graph-single-ip'));
  assert.equal(await page.locator('#alerts tbody tr').count(), 1);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the configuration panel downloads the SIEM rules the CLI writes, for the configuration in the panel', async () => {
  const rustCli = fileURLToPath(new URL('../../target/release/t1586', import.meta.url));
  assert.ok(existsSync(rustCli), `${rustCli} is missing: cargo build --release -p t1586`);
  const { execFileSync } = await import('node:child_process');
  const { context, page, problems, requests } = await open(`${origin}/`);
  await page.click('#config-panel summary');
  const targets = await page.locator('#rules-target option').allTextContents();
  assert.deepEqual(targets, ['sentinel-kql', 'splunk-spl', 'elastic-eql', 'elastic-esql', 'qradar-aql', 'sumo', 'chronicle-yaral', 'logscale-cql', 'sigma']);
  const tuned = '{"password_spray": {"min_identities": 9}}';
  const dir = mkdtempSync(join(tmpdir(), 't1586-rules-'));
  writeFileSync(join(dir, 'tuned.json'), JSON.stringify({ ...JSON.parse(tuned), profile: 'default' }));
  await page.fill('#config-json', tuned);
  for (const target of ['sigma', 'sentinel-kql', 'qradar-aql']) {
    await page.selectOption('#rules-target', target);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-rules')]);
    const text = readFileSync(await download.path(), 'utf8');
    const want = execFileSync(rustCli, ['rules', '--to', target, '--config', join(dir, 'tuned.json')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    assert.equal(text, want, `${target}: the page's rules are the CLI's`);
    assert.match(text, target === 'sigma' ? /gte: 9/ : /(>= 9|IdentityCount >= 9)/, 'the panel\'s threshold is in the rules');
    await page.waitForFunction(() => /rules/.test(document.querySelector('#rules-status').textContent));
  }
  assert.match(await page.textContent('#rules-status'), /not written for qradar-aql: .*failed_logons_then_success/);
  // A bad configuration is named, and nothing is downloaded.
  await page.fill('#config-json', '{"password_spray": {"min_identities": "many"}}');
  await page.click('#download-rules');
  await page.waitForFunction(() => document.querySelector('#rules-status').className === 'error'
    || document.querySelector('#config-status').className === 'error');
  assert.deepEqual(problems, []);
  assert.ok(requests.every((u) => u.startsWith(origin)), requests.join('\n'));
  await context.close();
});

test('a timeline reads the files again for one identity: the count the package gives, gzip and several files too', async () => {
  const { Detector } = await import('../index.mjs');
  const { gzipSync } = await import('node:zlib');
  const dir = mkdtempSync(join(tmpdir(), 't1586-timeline-'));
  const demo = readFileSync(join(here, '..', '..', 'tests', 'demo', 'signins.json'));
  // The demo twice: as it is, and gzipped under another name (two sources, one of them gzip).
  writeFileSync(join(dir, 'a.json'), demo);
  writeFileSync(join(dir, 'b.json.gz'), gzipSync(demo));
  const { context, page, problems } = await open(`${origin}/index.html`);
  await scan(page, [join(dir, 'a.json'), join(dir, 'b.json.gz')]);
  await page.click('#alerts tbody tr');
  const note = await timelineRead(page);
  const user = (await page.textContent('#detail-title')).split(' — ')[1].replace(/ \(risk \d+\)$/, '');
  // The same count from the package: the identity's events in both sources.
  let want = 0;
  for (const [name, bytes] of [['a.json', demo], ['b.json.gz', demo]]) {
    const d = Detector.timeline(null, user);
    d.beginSource(name);
    d.push(bytes);
    d.flush();
    want += d.takeEvents().length;
    d.free();
  }
  assert.ok(want >= 2, `${user}: ${want}`);
  assert.match(note, new RegExp(`^${want} sign-ins of this identity`), note);
  assert.ok(await page.locator('#timeline circle').count() >= 1);
  assert.deepEqual(problems, []);
  await context.close();
});

test('for an investigation: identities, attempts apart from compromises, search across evidence', async () => {
  const { context, page, problems } = await open(`${origin}/index.html`);
  const name = 'default-workload-identities';
  await scan(page, caseInputs(name));
  const want = readFileSync(join(corpus, name, 'expected.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  // Identities: one row each, the compromised first.
  const users = [...new Set(want.map((a) => a.UserPrincipalName))];
  const rows = page.locator('#identity-table tbody tr');
  assert.equal(await rows.count(), users.length);
  const statuses = await page.locator('#identity-table tbody tr td:nth-child(2)').allTextContents();
  assert.deepEqual(statuses, [...statuses].sort().reverse(), 'compromised before attempts only');
  const legacy = 'legacy-sync (app 9c8d7e6f-0000-4000-8000-000000000003)';
  assert.equal(await page.textContent(`#identity-table tr[data-identity="${legacy}"] td:nth-child(2)`), 'attempts only');
  const billing = 'billing-sync (app 1b2c3d4e-0000-4000-8000-000000000001)';
  assert.equal(await page.textContent(`#identity-table tr[data-identity="${billing}"] td:nth-child(2)`), 'compromised');
  // Attempts look different from compromises, and filter apart.
  const attempt = page.locator('#alerts tbody tr.attempt');
  assert.equal(await attempt.count(), want.filter((a) => a.DetectionType === 'WorkloadCredentialFailures').length);
  assert.equal(await attempt.first().locator('td:nth-child(9)').textContent(), 'attempt');
  assert.notEqual(await attempt.first().evaluate((e) => getComputedStyle(e.cells[1]).fontStyle), await page.locator('#alerts tbody tr.compromise').first().evaluate((e) => getComputedStyle(e.cells[1]).fontStyle));
  await page.selectOption('#filter-kind', 'attempt');
  assert.deepEqual(await page.locator('#alerts tbody tr td:nth-child(2)').allTextContents(), ['WorkloadCredentialFailures']);
  await page.selectOption('#filter-kind', '');
  // Search across evidence: an address only one identity's records carry.
  await page.fill('#filter-search', '45.141.84.11');
  const found = await page.locator('#alerts tbody tr td:nth-child(3)').allTextContents();
  assert.ok(found.length >= 1 && found.every((u) => u === billing), found.join());
  await page.fill('#filter-search', 'no-such-thing');
  assert.equal(await page.locator('#alerts tbody tr').count(), 0);
  await page.fill('#filter-search', '');
  // From an identity to everything it did: its alerts, its top alert open, its timeline read again.
  await page.click(`#identity-table tr[data-identity="${billing}"]`);
  const shown = await page.locator('#alerts tbody tr td:nth-child(3)').allTextContents();
  assert.ok(shown.length >= 2 && shown.every((u) => u === billing), shown.join());
  assert.match(await page.textContent('#detail-title'), /CompromisedIdentity — billing-sync/);
  const note = await timelineRead(page);
  assert.match(note, /^13 sign-ins of this identity/, note);
  assert.deepEqual(problems, []);
  await context.close();
});
