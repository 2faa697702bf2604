// t1586 review page — the main thread: files in, alerts out, nothing leaves the machine.
// Every piece of log content is put on the page with textContent / SVG attributes, never as markup.

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
};
const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
};

// ---------------------------------------------------------------------------------------------
import { timeKey, compareAlerts } from './order.mjs'; // @@ORDER@@

const order = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------------------------------------
// Configuration: kept in localStorage (settings) and IndexedDB (enrichment files, which are large).
const STORE_KEY = 't1586.review.config';
const settings = loadSettings();

function loadSettings() {
  try {
    const s = JSON.parse(localStorage.getItem(STORE_KEY) ?? '{}');
    return { profile: 'default', json: '{}', trustedIps: '', ignored: '', tor: null, ...s };
  } catch {
    return { profile: 'default', json: '{}', trustedIps: '', ignored: '', tor: null };
  }
}

function saveSettings() {
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(settings));
  } catch { /* storage full or disabled: settings still apply to this session */ }
}

function lines(text) {
  return text.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
}

/** The configuration sent to the detector. Throws with a message when the JSON is invalid. */
function effectiveConfig() {
  let base;
  try {
    base = JSON.parse(settings.json || '{}');
  } catch (e) {
    throw new Error(`settings JSON: ${e.message}`);
  }
  if (typeof base !== 'object' || base === null || Array.isArray(base)) throw new Error('settings JSON must be an object');
  const cfg = { ...base, profile: settings.profile };
  // The trusted ranges as the core's IP-list parser read them when they were applied.
  const trusted = settings.trustedList ?? lines(settings.trustedIps);
  const ignored = lines(settings.ignored);
  if (trusted.length || ignored.length) {
    cfg.allowlist = { ...(cfg.allowlist ?? {}) };
    if (trusted.length) cfg.allowlist.trusted_ips = trusted;
    if (ignored.length) cfg.allowlist.ignored_identities = ignored;
  }
  if (settings.tor?.ips?.length || settings.tor?.networks?.length) {
    // As the CLIs read `--tor-list`: addresses to `tor_exit_ips`, CIDR lines to `cidrs`.
    const h = { ...(cfg.hosting ?? {}), tor_exit_ips: settings.tor.ips ?? [] };
    if (settings.tor.networks?.length) h.cidrs = [...(h.cidrs ?? []), ...settings.tor.networks];
    cfg.hosting = h;
  }
  return JSON.stringify(cfg);
}

let db = null;
function openDb() {
  if (db) return db;
  db = new Promise((resolve) => {
    // Some contexts (pages opened from disk) never answer: fall back to memory after a moment.
    setTimeout(() => resolve(null), 1500);
    try {
      const req = indexedDB.open('t1586-review', 1);
      req.onupgradeneeded = () => req.result.createObjectStore('enrichment', { keyPath: 'name' });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => resolve(null);
    } catch {
      resolve(null);
    }
  });
  return db;
}
const memoryEnrichment = new Map(); // when IndexedDB is unavailable (file:// in some browsers)

async function enrichFiles() {
  const d = await openDb();
  if (!d) return [...memoryEnrichment.values()];
  return new Promise((resolve) => {
    const req = d.transaction('enrichment').objectStore('enrichment').getAll();
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => resolve([...memoryEnrichment.values()]);
  });
}

async function putEnrichment(rec) {
  memoryEnrichment.set(rec.name, rec);
  const d = await openDb();
  if (!d) return;
  await new Promise((resolve) => {
    const tx = d.transaction('enrichment', 'readwrite');
    tx.objectStore('enrichment').put(rec);
    tx.oncomplete = tx.onerror = tx.onabort = () => resolve();
  });
}

async function deleteEnrichment(name) {
  memoryEnrichment.delete(name);
  const d = await openDb();
  if (!d) return;
  await new Promise((resolve) => {
    const tx = d.transaction('enrichment', 'readwrite');
    tx.objectStore('enrichment').delete(name);
    tx.oncomplete = tx.onerror = tx.onabort = () => resolve();
  });
}

async function renderEnrichList() {
  const ul = $('enrich-list');
  ul.replaceChildren();
  for (const f of await enrichFiles()) {
    const rm = el('button', { type: 'button', text: 'remove' });
    rm.addEventListener('click', async () => {
      await deleteEnrichment(f.name);
      renderEnrichList();
    });
    ul.append(el('li', {}, `${f.kind}: ${f.name} (${(f.bytes.byteLength / 1024).toFixed(0)} KiB) `, rm));
  }
}

function showConfig() {
  $('profile').value = settings.profile;
  $('config-json').value = settings.json;
  $('trusted-ips').value = settings.trustedIps;
  $('ignored').value = settings.ignored;
  $('tor-info').textContent = settings.tor ? `Tor list ${settings.tor.name}: ${torCount(settings.tor)}` : '';
}

function torCount(tor) {
  const n = (tor.networks ?? []).length;
  return `${tor.ips.length} addresses${n ? `, ${n} networks` : ''}`;
}

/** An IP list read by the core's parser (in the worker): {addresses, networks}; throws naming bad lines. */
async function readIpList(text) {
  const r = await ask({ type: 'iplist', text });
  if (r.error) throw new Error(r.error);
  return r.list;
}

function configStatus(text, error = false) {
  $('config-status').textContent = text;
  $('config-status').className = error ? 'error' : '';
}

async function applyConfig() {
  configStatus(''); // the answer comes once the worker has read the IP ranges
  settings.json = $('config-json').value;
  settings.trustedIps = $('trusted-ips').value;
  settings.ignored = $('ignored').value;
  try {
    try {
      const list = await readIpList(settings.trustedIps);
      settings.trustedList = [...list.addresses, ...list.networks];
    } catch (e) {
      throw new Error(`trusted IP ranges: ${e.message}`);
    }
    let parsed;
    try {
      parsed = JSON.parse(settings.json || '{}');
    } catch (e) {
      throw new Error(`settings JSON: ${e.message}`);
    }
    if (parsed && typeof parsed === 'object' && typeof parsed.profile === 'string') {
      settings.profile = parsed.profile;
      $('profile').value = parsed.profile;
    } else {
      settings.profile = $('profile').value;
    }
    effectiveConfig();
  } catch (e) {
    configStatus(e.message, true);
    return false;
  }
  saveSettings();
  configStatus('Saved. It applies to the next scan.');
  return true;
}

// ---------------------------------------------------------------------------------------------
// The worker.
let worker = null;
let pending = new Map();
let nextId = 1;
let workerFailure = null;
let onWorker = (msg) => {
  if (msg.type === 'error') workerFailure = msg.message;
};

function startWorker() {
  const src = document.getElementById('worker-src');
  if (src) {
    const url = URL.createObjectURL(new Blob([src.textContent], { type: 'text/javascript' }));
    worker = new Worker(url); // a classic script: see web/build.mjs
  } else {
    worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
  }
  worker.onmessage = (m) => {
    const msg = m.data;
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
      return;
    }
    onWorker(msg);
  };
  workerFailure = null;
  worker.onerror = (e) => {
    e.preventDefault();
    const message = e.message || 'the detector worker could not start';
    workerFailure = message;
    onWorker({ type: 'error', message });
  };
}

function ask(msg) {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    worker.postMessage({ ...msg, id });
  });
}

// ---------------------------------------------------------------------------------------------
// Scanning.
let alerts = []; // {json, value}
let scanning = false;

function status(text, error = false) {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
}

function fmtBytes(n) {
  return n > 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`;
}

async function scanFiles(fileList) {
  const files = [...fileList];
  if (!files.length || scanning) return;
  let config;
  try {
    config = effectiveConfig();
  } catch (e) {
    status(`Configuration: ${e.message}`, true);
    return;
  }
  const enrich = { mmdb: [], ip2asn: [] };
  for (const f of await enrichFiles()) enrich[f.kind]?.push({ name: f.name, bytes: f.bytes });
  if (workerFailure) {
    status(`Error: ${workerFailure}`, true);
    startWorker();
    return;
  }
  scanning = true;
  $('progress-row').hidden = false;
  $('progress').value = 0;
  $('progress-text').textContent = '';
  status(`Reading ${files.length} file${files.length > 1 ? 's' : ''}…`);
  const started = performance.now();
  const result = await new Promise((resolve) => {
    onWorker = (msg) => {
      if (msg.type === 'progress') {
        $('progress').value = msg.total ? msg.done / msg.total : 1;
        $('progress-text').textContent = `${fmtBytes(msg.done)} of ${fmtBytes(msg.total)} ${msg.file ? '· ' + msg.file : ''}`;
      } else if (msg.type === 'done' || msg.type === 'error' || msg.type === 'cancelled') {
        if (msg.type === 'error') workerFailure = null;
        resolve(msg);
      }
    };
    $('cancel').onclick = () => {
      worker.terminate();
      startWorker();
      resolve({ type: 'cancelled' });
    };
    worker.postMessage({ type: 'scan', files, config, enrich });
  });
  scanning = false;
  $('progress-row').hidden = true;
  if (result.type === 'cancelled') {
    status('Cancelled. Nothing was kept from the partial scan.');
    return;
  }
  if (result.type === 'error') {
    status(`Error: ${result.message}`, true);
    // A detector that failed mid-scan may be in any state: start a fresh one.
    worker.terminate();
    startWorker();
    return;
  }
  alerts = result.jsonl.split('\n').filter((l) => l.length).map((json) => {
    const value = JSON.parse(json);
    return { json, value, search: searchText(value) };
  });
  alerts.sort((a, b) => compareAlerts(a.value, b.value));
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  status(`${alerts.length} alert${alerts.length === 1 ? '' : 's'} from ${files.length} file${files.length > 1 ? 's' : ''} in ${secs} s.`);
  renderSummary(result);
  renderFilters();
  renderIdentities();
  renderAlerts();
  $('detail').hidden = true;
  document.body.dataset.scanned = String((Number(document.body.dataset.scanned) || 0) + 1);
}

function renderSummary(r) {
  const s = r.stats;
  const box = $('summary');
  box.hidden = false;
  box.replaceChildren(el('h2', { text: 'What was read' }));
  const dl = el('dl');
  const row = (k, v) => dl.append(el('dt', { text: k }), el('dd', { text: String(v) }));
  row('Records read', s.records_read);
  row('Parsed', `${s.records_parsed} (${s.events} events analysed, ${s.records_ignored} ignored)`);
  row('Rejected', s.records_rejected);
  if (s.duplicates) row('Duplicates', s.duplicates);
  if (s.late_events) row('Late events', `${s.late_events} (processed out of time order)`);
  if (s.events_allowlisted) row('Allowlisted', s.events_allowlisted);
  row('Alerts', alerts.length);
  box.append(dl);
  const list = (title, m) => {
    const entries = Object.entries(m ?? {});
    if (!entries.length) return;
    box.append(el('h3', { text: title }));
    const ul = el('ul');
    for (const [k, v] of entries) ul.append(el('li', { text: `${k}: ${v}` }));
    box.append(ul);
  };
  list('Rejected, by reason', s.rejected_by_reason);
  list('Ignored, by reason', s.ignored_by_reason);
  list('Limits hit', s.caps_hit);
  list('Enrichment', s.enrichment);
  if (s.errors?.length) {
    box.append(el('h3', { text: 'Rejected records' }));
    const ul = el('ul', { id: 'errors' });
    for (const e of s.errors) ul.append(el('li', { text: `${e.source}:${e.line}: ${e.reason}` }));
    if (s.errors_not_listed) ul.append(el('li', { text: `… and ${s.errors_not_listed} more` }));
    box.append(ul);
  }
  if (r.unreadable?.length) {
    box.append(el('h3', { text: 'Files that could not be read' }));
    const ul = el('ul');
    for (const [name, err] of r.unreadable) ul.append(el('li', { text: `${name}: ${err}` }));
    box.append(ul);
  }
  if (r.enrichment?.length) {
    box.append(el('h3', { text: 'Enrichment files' }));
    const ul = el('ul');
    for (const i of r.enrichment) ul.append(el('li', { text: `${i.name}: ${i.kind} ${i.database_type} (${i.entries} entries${i.skipped ? `, ${i.skipped} rows skipped` : ''})` }));
    box.append(ul);
  }
}

// ---------------------------------------------------------------------------------------------
// The alerts table: sortable, filterable.
let sortBy = { key: 'risk', dir: -1 };
let selected = -1;
// Detection type -> an attempt (guessing or spraying, no success known) or not: the core's catalog.
let attemptTypes = new Set();

/** `attempt` or `compromise`: how the core's catalog files the alert's detection type. */
const kindOf = (a) => (attemptTypes.has(a.DetectionType) ? 'attempt' : 'compromise');

/** Every text of an alert an analyst searches: its evidence records, addresses, apps, countries,
 * and its details (user agents, sessions, networks), lower-cased. */
function searchText(a) {
  const parts = [a.UserPrincipalName, ...(a.IPList ?? []), ...(a.Apps ?? []), ...(a.Countries ?? [])];
  for (const e of a.Evidence ?? []) parts.push(...Object.values(e).map(String));
  if (a.Details) parts.push(JSON.stringify(a.Details));
  return parts.join('\u0000').toLowerCase();
}

/** One row per identity: its alerts, whether any is a compromise, sources, countries, last success. */
function identities() {
  const by = new Map();
  for (const { value: a } of alerts) {
    const key = String(a.UserPrincipalName).toLowerCase();
    let r = by.get(key);
    if (!r) {
      r = { name: a.UserPrincipalName, alerts: 0, risk: 0, types: new Set(), compromised: false, ips: new Set(), countries: new Set(), lastSuccess: '' };
      by.set(key, r);
    }
    r.alerts++;
    r.risk = Math.max(r.risk, a.RiskScore);
    r.types.add(a.DetectionType);
    r.compromised ||= kindOf(a) === 'compromise';
    for (const ip of a.IPList ?? []) r.ips.add(ip);
    for (const c of a.Countries ?? []) r.countries.add(c);
    for (const e of a.Evidence ?? []) {
      if (e.Outcome === 'Success' && timeKey(e.Time) > timeKey(r.lastSuccess || '0000')) r.lastSuccess = e.Time;
    }
  }
  return [...by.values()].sort((x, y) => Number(y.compromised) - Number(x.compromised) || y.risk - x.risk || order(x.name.toLowerCase(), y.name.toLowerCase()));
}

function renderIdentities() {
  const tbody = $('identity-table').tBodies[0];
  tbody.replaceChildren();
  const few = (set, n = 4) => {
    const v = [...set].sort();
    return v.length > n ? `${v.slice(0, n).join(', ')} +${v.length - n}` : v.join(', ');
  };
  for (const r of identities()) {
    const tr = el('tr', { 'data-identity': r.name },
      el('td', { text: r.name }),
      el('td', { class: r.compromised ? 'compromised' : 'attempts-only', text: r.compromised ? 'compromised' : 'attempts only' }),
      el('td', { text: String(r.alerts) }),
      el('td', { class: `risk ${r.risk >= 80 ? 'high' : r.risk >= 60 ? 'mid' : ''}`, text: String(r.risk) }),
      el('td', { text: [...r.types].sort().join(', ') }),
      el('td', { text: few(r.ips) }),
      el('td', { text: few(r.countries, 6) }),
      el('td', { text: r.lastSuccess ? String(r.lastSuccess).replace('T', ' ').replace('Z', '') : '' }));
    tr.addEventListener('click', () => openIdentity(r.name));
    tbody.append(tr);
  }
  $('identities').hidden = alerts.length === 0;
}

/** An identity's alerts in the table, and its highest-risk alert open with its timeline. */
function openIdentity(name) {
  $('filter-user').value = name;
  $('filter-search').value = '';
  $('filter-type').value = '';
  $('filter-kind').value = '';
  $('filter-risk').value = '0';
  renderAlerts();
  const rows = visible().filter(({ value: v }) => String(v.UserPrincipalName).toLowerCase() === name.toLowerCase());
  const top = rows.sort((x, y) => y.value.RiskScore - x.value.RiskScore)[0];
  if (top) showDetail(top.i);
  $('results').scrollIntoView({ block: 'start' });
}

function renderFilters() {
  const sel = $('filter-type');
  const keep = sel.value;
  sel.replaceChildren(el('option', { value: '', text: 'All detections' }));
  for (const t of [...new Set(alerts.map((a) => a.value.DetectionType))].sort()) sel.append(el('option', { value: t, text: t }));
  sel.value = [...sel.options].some((o) => o.value === keep) ? keep : '';
  $('results').hidden = false;
}

function visible() {
  const user = $('filter-user').value.trim().toLowerCase();
  const type = $('filter-type').value;
  const kind = $('filter-kind').value;
  const search = $('filter-search').value.trim().toLowerCase();
  const min = Number($('filter-risk').value) || 0;
  const rows = alerts.map((a, i) => ({ ...a, i })).filter(({ value: v, search: text }) =>
    (!user || String(v.UserPrincipalName).toLowerCase().includes(user)) && (!type || v.DetectionType === type)
    && (!kind || kindOf(v) === kind) && (!search || text.includes(search)) && v.RiskScore >= min);
  const key = {
    risk: (v) => v.RiskScore,
    time: (v) => timeKey(v.TimeGenerated),
    type: (v) => v.DetectionType,
    user: (v) => String(v.UserPrincipalName).toLowerCase(),
  }[sortBy.key];
  rows.sort((a, b) => sortBy.dir * order(key(a.value), key(b.value)) || compareAlerts(a.value, b.value));
  return rows;
}

function renderAlerts() {
  const tbody = $('alerts').tBodies[0];
  tbody.replaceChildren();
  const rows = visible();
  for (const { value: a, i } of rows) {
    const risk = el('td', { class: `risk ${a.RiskScore >= 80 ? 'high' : a.RiskScore >= 60 ? 'mid' : ''}`, text: String(a.RiskScore) });
    const tr = el('tr', { 'data-index': String(i) }, risk,
      el('td', { text: a.DetectionType }), el('td', { text: a.UserPrincipalName }),
      el('td', { text: String(a.TimeGenerated).replace('T', ' ').replace('Z', '') }),
      el('td', { text: String(a.FailureCount) }), el('td', { text: String(a.SuccessCount) }),
      el('td', { text: String(a.UniqueIPs) }), el('td', { text: (a.Countries ?? []).join(', ') }),
      el('td', { class: 'kind', text: kindOf(a) }));
    tr.classList.add(kindOf(a));
    if (i === selected) tr.classList.add('selected');
    tr.addEventListener('click', () => showDetail(i));
    tbody.append(tr);
  }
  $('shown-count').textContent = `${rows.length} of ${alerts.length} shown`;
  for (const th of $('alerts').tHead.querySelectorAll('th[data-sort]')) {
    if (th.dataset.sort === sortBy.key) th.setAttribute('aria-sort', sortBy.dir < 0 ? 'descending' : 'ascending');
    else th.removeAttribute('aria-sort');
  }
}

// ---------------------------------------------------------------------------------------------
// Detail: fields, evidence, timeline and map.
let world = null;
async function loadWorld() {
  if (world) return world;
  const inline = document.getElementById('world-data');
  try {
    world = inline ? JSON.parse(inline.textContent) : await (await fetch(new URL('world.json', import.meta.url))).json();
  } catch {
    world = [];
  }
  return world;
}

const project = (lon, lat) => [((lon + 180) / 360) * 720, ((90 - lat) / 180) * 360];

async function showDetail(i) {
  selected = i;
  renderAlerts();
  const a = alerts[i].value;
  $('detail').hidden = false;
  $('detail-title').textContent = `${a.DetectionType} — ${a.UserPrincipalName} (risk ${a.RiskScore})`;
  const dl = $('detail-fields');
  dl.replaceChildren();
  for (const k of ['AlertId', 'TimeGenerated', 'FirstSeen', 'LastSeen', 'FailureCount', 'SuccessCount', 'UniqueIPs', 'IPList', 'Apps', 'Countries', 'Mitre', 'Profile', 'DetectorVersion']) {
    const v = Array.isArray(a[k]) ? a[k].join(', ') : a[k];
    dl.append(el('dt', { text: k }), el('dd', { text: String(v ?? '') }));
  }
  const tb = $('evidence').tBodies[0];
  tb.replaceChildren();
  for (const e of a.Evidence ?? []) {
    tb.append(el('tr', {}, ...[e.Time, e.Outcome, e.ResultType, e.IPAddress, e.Country, e.Source, e.Line, e.RecordId]
      .map((v) => el('td', { text: v === undefined ? '' : String(v) }))));
  }
  $('detail-json').textContent = a.Details ? JSON.stringify(a.Details, null, 2) : '(none)';
  $('timeline-note').textContent = 'Reading this identity\'s sign-ins from the files again…';
  $('timeline').replaceChildren();
  const { events, total, error } = await ask({ type: 'timeline', user: a.UserPrincipalName });
  if (selected !== i) return;
  drawTimeline(a, events, total);
  if (error) $('timeline-note').textContent = `The files could not be read again: ${error}`;
  drawMap(a, events, await loadWorld());
  $('detail').scrollIntoView({ block: 'nearest' });
}

function drawTimeline(a, events, total = events.length) {
  const g = $('timeline');
  g.replaceChildren();
  const shown = events.slice(-2000);
  $('timeline-note').textContent = events.length
    ? `${total} sign-ins of this identity${total > shown.length ? ` (latest ${shown.length} drawn)` : ''}; green success, red failure, amber interrupted; the shaded band is the alert.`
    : 'No sign-ins of this identity in the files (a source-level alert).';
  if (!shown.length) return;
  const t = (e) => Date.parse(e.Time);
  let lo = Math.min(...shown.map(t), Date.parse(a.FirstSeen));
  let hi = Math.max(...shown.map(t), Date.parse(a.LastSeen));
  if (hi === lo) { lo -= 60_000; hi += 60_000; }
  const x = (ms) => 40 + ((ms - lo) / (hi - lo)) * 840;
  const lanes = { Success: 30, Interrupted: 65, Failure: 100 };
  g.append(svg('rect', { x: x(Date.parse(a.FirstSeen)) - 2, y: 10, width: Math.max(4, x(Date.parse(a.LastSeen)) - x(Date.parse(a.FirstSeen)) + 4), height: 105, fill: '#f3e3e1' }));
  for (const [name, y] of Object.entries(lanes)) {
    g.append(svg('line', { class: 'axis', x1: 40, x2: 880, y1: y, y2: y }));
    const label = svg('text', { x: 2, y: y + 3 });
    label.textContent = name === 'Interrupted' ? 'Intr.' : name === 'Success' ? 'OK' : 'Fail';
    g.append(label);
  }
  for (const e of shown) {
    const c = svg('circle', { cx: x(t(e)).toFixed(1), cy: lanes[e.Outcome] ?? 100, r: 3.2, class: e.Outcome === 'Success' ? 'ok' : e.Outcome === 'Failure' ? 'fail' : 'other' });
    const tip = svg('title');
    tip.textContent = `${e.Time} ${e.Outcome} ${e.ResultType ?? ''} ${e.IPAddress ?? ''} ${e.Country ?? ''} ${e.City ?? ''} ${e.App ?? ''}`.replace(/\s+/g, ' ');
    c.append(tip);
    g.append(c);
  }
  for (const [ms, anchor] of [[lo, 'start'], [hi, 'end']]) {
    const label = svg('text', { x: anchor === 'start' ? 40 : 880, y: 132, 'text-anchor': anchor });
    label.textContent = new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
    g.append(label);
  }
}

function drawMap(a, events, polys) {
  const g = $('map');
  g.replaceChildren();
  for (const poly of polys) {
    // Rings that cross the antimeridian jump from one edge to the other: lift the pen there.
    const d = poly.map((ring) => {
      let out = '';
      let jumped = false;
      ring.forEach(([lon, lat], k) => {
        const jump = k > 0 && Math.abs(lon - ring[k - 1][0]) > 180;
        jumped ||= jump;
        out += (k === 0 || jump ? 'M' : 'L') + project(lon, lat).map((n) => n.toFixed(1)).join(',');
      });
      return jumped ? out : out + 'Z';
    }).join('');
    g.append(svg('path', { class: 'land', d }));
  }
  // The alert's evidence records, located through the timeline's events (same source and line).
  const at = new Map(events.map((e) => [`${e.Source}\u0000${e.Line}`, e]));
  const pts = (a.Evidence ?? []).map((ev) => at.get(`${ev.Source}\u0000${ev.Line}`))
    .filter((e) => e && e.Latitude !== undefined && e.Longitude !== undefined);
  const travel = a.DetectionType === 'ImpossibleTravel';
  if (travel) {
    const path = pts.filter((e) => e.Outcome === 'Success');
    for (let k = 1; k < path.length; k++) {
      const [x1, y1] = project(path[k - 1].Longitude, path[k - 1].Latitude);
      const [x2, y2] = project(path[k].Longitude, path[k].Latitude);
      if (Math.abs(x1 - x2) < 0.5 && Math.abs(y1 - y2) < 0.5) continue;
      const leg = svg('line', { class: 'leg', x1: x1.toFixed(1), y1: y1.toFixed(1), x2: x2.toFixed(1), y2: y2.toFixed(1) });
      const tip = svg('title');
      tip.textContent = `${path[k - 1].City ?? path[k - 1].Country ?? ''} → ${path[k].City ?? path[k].Country ?? ''}`;
      leg.append(tip);
      g.append(leg);
    }
  }
  for (const e of pts) {
    const [cx, cy] = project(e.Longitude, e.Latitude);
    const c = svg('circle', { class: e.Outcome === 'Success' ? 'pt' : 'pt fail', cx: cx.toFixed(1), cy: cy.toFixed(1), r: 3 });
    const tip = svg('title');
    tip.textContent = `${e.Time} ${e.IPAddress ?? ''} ${e.City ?? ''} ${e.Country ?? ''}`;
    c.append(tip);
    g.append(c);
  }
  $('map-note').textContent = pts.length
    ? `${pts.length} located evidence record${pts.length > 1 ? 's' : ''}${travel ? '; lines are the travel legs' : ''}.`
    : 'No coordinates on this alert\'s records (add a City .mmdb in Configuration to locate IPs).';
}

// ---------------------------------------------------------------------------------------------
// Export.
function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** File names of each target's rules (what the SIEM's tooling expects where it has a convention). */
const RULES_FILE = {
  'sentinel-kql': 't1586-rules.kql',
  'splunk-spl': 't1586-rules.spl',
  'elastic-eql': 't1586-rules.eql',
  'elastic-esql': 't1586-rules.esql',
  'qradar-aql': 't1586-rules.aql',
  sumo: 't1586-rules.sumo.txt',
  'chronicle-yaral': 't1586-rules.yaral',
  'logscale-cql': 't1586-rules.logscale',
  sigma: 't1586-rules.yml',
};

async function fillRulesTargets() {
  const r = await ask({ type: 'rulesTargets' });
  $('rules-target').replaceChildren(...r.targets.map((t) => el('option', { value: t, text: t })));
}

/** `t1586 rules` for the configuration in the panel: applied (and saved) first, as a scan would. */
async function downloadRules() {
  const status = $('rules-status');
  status.className = '';
  status.textContent = '';
  if (!(await applyConfig())) return;
  const target = $('rules-target').value;
  const r = await ask({ type: 'rules', target, config: effectiveConfig() });
  if (r.error) {
    status.className = 'error';
    status.textContent = r.error;
    return;
  }
  download(RULES_FILE[target] ?? `t1586-rules-${target}.txt`, r.text, 'text/plain');
  const left = [...new Set([...r.unwritten.map(([s]) => s), ...r.notYet])];
  const n = r.text.split('\n\n').filter((b) => b.trim()).length;
  status.textContent = `${n} rules${left.length ? `; not written for ${target}: ${left.join(', ')}` : ''}.`;
  status.title = r.unwritten.map(([s, d, why]) => `${s} (${d}): ${why}`).join('\n');
}

async function exportCsv() {
  // The core's CSV writer (the CLI's `--format csv`), run in the worker.
  const r = await ask({ type: 'csv', jsonl: alerts.map((a) => a.json + '\n').join('') });
  download('t1586-alerts.csv', r.text, 'text/csv');
}

// ---------------------------------------------------------------------------------------------
// Wiring.
function init() {
  startWorker();
  showConfig();
  renderEnrichList();
  const drop = $('drop');
  $('files').addEventListener('change', (e) => {
    scanFiles(e.target.files);
    e.target.value = '';
  });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    scanFiles(e.dataTransfer.files);
  });
  drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') $('files').click(); });
  for (const id of ['filter-user', 'filter-type', 'filter-risk', 'filter-kind', 'filter-search']) $(id).addEventListener('input', renderAlerts);
  ask({ type: 'catalog' }).then(({ catalog }) => {
    attemptTypes = new Set(catalog.detections.filter((d) => d.Attempt).map((d) => d.DetectionType));
    if (alerts.length) {
      renderIdentities();
      renderAlerts();
    }
  });
  for (const th of $('alerts').tHead.querySelectorAll('th[data-sort]')) {
    th.addEventListener('click', () => {
      const key = th.dataset.sort;
      sortBy = sortBy.key === key ? { key, dir: -sortBy.dir } : { key, dir: key === 'risk' || key === 'time' ? -1 : 1 };
      renderAlerts();
    });
  }
  $('export-jsonl').addEventListener('click', () => download('t1586-alerts.jsonl', alerts.map((a) => a.json + '\n').join(''), 'application/x-ndjson'));
  $('export-csv').addEventListener('click', exportCsv);
  $('apply-config').addEventListener('click', applyConfig);
  $('download-rules').addEventListener('click', downloadRules);
  fillRulesTargets();
  $('profile').addEventListener('change', () => { settings.profile = $('profile').value; saveSettings(); });
  $('reset-config').addEventListener('click', () => {
    Object.assign(settings, { profile: 'default', json: '{}', trustedIps: '', trustedList: null, ignored: '', tor: null });
    saveSettings();
    showConfig();
    configStatus('Reset to the defaults.');
  });
  $('load-defaults').addEventListener('click', async () => {
    const r = await ask({ type: 'defaults', profile: $('profile').value });
    if (r.error) configStatus(r.error, true);
    else $('config-json').value = r.json;
  });
  $('tor-file').addEventListener('change', async (e) => {
    const f = e.target.files[0];
    if (!f) return;
    try {
      const list = await readIpList(await f.text());
      settings.tor = { name: f.name, ips: list.addresses, networks: list.networks };
      saveSettings();
      showConfig();
      configStatus(`Tor list loaded: ${torCount(settings.tor)}.`);
    } catch (err) {
      configStatus(`${f.name}: ${err.message}`, true);
    }
    e.target.value = '';
  });
  for (const [id, kind] of [['mmdb-file', 'mmdb'], ['ip2asn-file', 'ip2asn']]) {
    $(id).addEventListener('change', async (e) => {
      for (const f of e.target.files) await putEnrichment({ name: f.name, kind, bytes: await f.arrayBuffer() });
      e.target.value = '';
      renderEnrichList();
      configStatus('Enrichment files are kept in this browser and used by the next scan.');
    });
  }
  document.body.dataset.ready = '1';
}

init();
