// The Node CLI: same options and output as the Rust `t1586` for the shared formats.
import { closeSync, createReadStream, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { isIP } from 'node:net';
import { Detector, compareAlerts, version } from './index.mjs';

const USAGE = `usage: t1586 scan [--format table|jsonl] [--config FILE] [--profile default|seed] [--tor-list FILE] [--mmdb FILE]... [--ip2asn FILE]... [-q] FILE...
       t1586 version
FILE may be - for standard input; gzip is detected by content.`;

/** Bytes read at a time. */
const CHUNK = 256 * 1024;

/** Async iterable of byte chunks from a file or stdin, gunzipped when it starts with the gzip magic. */
export async function* openInput(name) {
  const raw = name === '-' ? process.stdin : createReadStream(name, { highWaterMark: CHUNK });
  const it = raw[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let done = false;
  while (head.length < 2 && !done) {
    const n = await it.next();
    if (n.done) done = true;
    else head = Buffer.concat([head, n.value]);
  }
  async function* all() {
    if (head.length) yield head;
    if (done) return;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    yield* Readable.from(all()).pipe(createGunzip());
  } else {
    yield* all();
  }
}

/**
 * Push a plain regular file read straight into the detector's input buffer (no copy of each chunk
 * into the module, which `pushJsonl` makes), handing each chunk's alerts (JSON Lines) to `emit`
 * as they come. Returns false, having pushed nothing, when the file is not a regular file or is
 * gzip (read as a stream instead).
 */
export function pushFile(det, name, emit) {
  // Looked at before opening: a FIFO opened here and closed again would lose its writer.
  if (!statSync(name).isFile()) return false;
  const fd = openSync(name, 'r');
  try {
    const magic = Buffer.alloc(2);
    if (readSync(fd, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b) return false;
    for (;;) {
      // Asked for again before each read: a view into the module's memory is valid only until
      // the next call into the detector.
      const view = det.inputBuffer(CHUNK);
      const n = readSync(fd, view, 0, CHUNK, null);
      if (n === 0) return true;
      emit(det.pushBufferJsonl(n));
    }
  } finally {
    closeSync(fd);
  }
}

function parseArgs(argv) {
  const o = { cmd: argv[0], files: [], format: undefined, config: undefined, profile: undefined, torList: undefined, mmdb: [], ip2asn: [], quiet: false };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--format') o.format = val();
    else if (a.startsWith('--format=')) o.format = a.slice(9);
    else if (a === '--config') o.config = val();
    else if (a === '--profile') o.profile = val();
    else if (a === '--tor-list') o.torList = val();
    else if (a === '--mmdb') o.mmdb.push(val());
    else if (a === '--ip2asn') o.ip2asn.push(val());
    else if (a === '-q' || a === '--quiet') o.quiet = true;
    else if (a === '-') o.files.push(a);
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else o.files.push(a);
  }
  if (o.format !== undefined && !['table', 'jsonl'].includes(o.format)) throw new Error(`--format must be table or jsonl`);
  return o;
}

/** The same IP-list rules as the Rust CLI: one IP per line or TorDNSEL `ExitAddress` lines. */
export function parseIpList(text) {
  const out = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (!l || l.startsWith('#') || l.startsWith('@')) continue;
    const parts = l.split(/\s+/);
    let cand = parts[0];
    if (cand === 'ExitAddress') cand = parts[1] ?? '';
    else if (['ExitNode', 'Published', 'LastStatus'].includes(cand)) continue;
    if (!isIP(cand)) throw new Error(`${i + 1}: not an IP address: ${JSON.stringify(cand)}`);
    out.push(cand);
  }
  return out;
}

function list(v, max) {
  const items = Array.isArray(v) ? v : [];
  let s = items.slice(0, max).join(',');
  if (items.length > max) s += `,+${items.length - max}`;
  return s;
}

/** The same table as the Rust CLI. */
export function table(alerts) {
  const header = ['Risk', 'Detection', 'User', 'TimeGenerated', 'Fail', 'Succ', 'IPs', 'IPList', 'Countries'];
  const rows = alerts.map((a) => [
    String(a.RiskScore ?? 0), a.DetectionType ?? '', a.UserPrincipalName ?? '', a.TimeGenerated ?? '',
    String(a.FailureCount ?? 0), String(a.SuccessCount ?? 0), String(a.UniqueIPs ?? 0),
    list(a.IPList, 3), list(a.Countries, 5),
  ]);
  const len = (s) => [...s].length;
  const widths = header.map((h) => len(h));
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.min(Math.max(widths[i], len(c)), 48); });
  const fmt = (cells) => cells.map((c, i) => {
    let t = [...c].map((ch) => (/\p{Cc}/u.test(ch) ? '?' : ch)).join('');
    if (len(t) > widths[i]) t = [...t].slice(0, widths[i] - 1).join('') + '…';
    return t + ' '.repeat(widths[i] - len(t));
  }).join('  ').trimEnd() + '\n';
  return fmt(header) + rows.map(fmt).join('');
}

export function summary(stats, alerts) {
  const n = (k) => stats[k] ?? 0;
  let s = `t1586: ${n('records_read')} records read, ${n('records_parsed')} parsed (${n('events')} events, ${n('records_ignored')} ignored), ${n('records_rejected')} rejected; ${alerts} alerts`;
  for (const [label, key] of [['ignored', 'ignored_by_reason'], ['rejected', 'rejected_by_reason'], ['limit hit', 'caps_hit'], ['enrichment', 'enrichment']]) {
    for (const [reason, count] of Object.entries(stats[key] ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      s += `\n  ${label}: ${reason}: ${count}`;
    }
  }
  for (const e of stats.errors ?? []) s += `\n  ${e.source}:${e.line}: ${e.reason}`;
  if (n('errors_not_listed') > 0) s += `\n  ... and ${n('errors_not_listed')} more rejected records`;
  if (n('late_events') > 0) {
    s += `\n  warning: ${n('late_events')} events arrived more than max_lateness_secs out of time order; they were processed late (raise max_lateness_secs or sort the input)`;
  }
  return s;
}

/** A file's bytes, gunzipped when it is gzip. */
function readMaybeGz(name) {
  const b = readFileSync(name);
  return b.length > 1 && b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b;
}

/** One stderr line per loaded enrichment file, as the Rust CLI writes it. */
export function enrichmentLine(name, info) {
  const what = !info.database_type || info.database_type === info.kind ? info.kind : `${info.kind} ${info.database_type}`;
  let s = `t1586: ${name}: ${what} loaded (${info.entries} entries`;
  if (info.skipped > 0) s += `, ${info.skipped} rows skipped`;
  s += ')';
  for (const e of info.errors ?? []) s += `\n  ${name}: ${e}`;
  return s;
}

/**
 * Scan inputs with one detector; returns { lines (canonical JSON, sorted), stats, unreadable }.
 * `enrich`: { mmdb: [files], ip2asn: [files] }; `log` receives one line per enrichment file.
 */
export async function scan(files, config, enrich = {}, log = () => {}) {
  let det;
  try {
    det = new Detector(config);
  } catch (e) {
    const err = new Error(`configuration rejected by the detector: ${e.message}`);
    err.config = true;
    throw err;
  }
  for (const [kind, list] of [['mmdb', enrich.mmdb ?? []], ['ip2asn', enrich.ip2asn ?? []]]) {
    for (const f of list) {
      let info;
      try {
        const bytes = readMaybeGz(f);
        info = kind === 'mmdb' ? det.addMmdb(bytes) : det.addIp2asn(bytes);
      } catch (e) {
        det.free();
        throw Object.assign(new Error(`${f}: enrichment file rejected: ${e.message}`), { input: true });
      }
      log(enrichmentLine(f, info));
    }
  }
  let jsonl = '';
  const unreadable = [];
  for (const name of files) {
    det.beginSource(name);
    try {
      const read = name !== '-' && pushFile(det, name, (s) => { jsonl += s; });
      if (!read) for await (const chunk of openInput(name)) jsonl += det.pushJsonl(chunk);
    } catch (e) {
      unreadable.push([name, e.message]);
    }
  }
  jsonl += det.flushJsonl();
  const alerts = jsonl.split('\n').filter((l) => l.length).map((json) => ({ json, value: JSON.parse(json) }));
  alerts.sort((a, b) => compareAlerts(a.value, b.value));
  const stats = det.stats();
  det.free();
  return { alerts, stats, unreadable };
}

export async function main(argv) {
  let o;
  try {
    o = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`t1586: error: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (o.cmd === 'version') {
    process.stdout.write(`t1586 ${version()} (node)\n`);
    return 0;
  }
  if (o.cmd !== 'scan' || o.files.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let config = {};
  if (o.config) {
    try {
      config = JSON.parse(readFileSync(o.config, 'utf8'));
    } catch (e) {
      process.stderr.write(`t1586: error: ${o.config}: ${e.message}\n`);
      return 3;
    }
  }
  if (o.profile) config = { ...config, profile: o.profile };
  if (o.torList) {
    try {
      const ips = parseIpList(readFileSync(o.torList, 'utf8'));
      config = { ...config, hosting: { ...(config.hosting ?? {}), tor_exit_ips: ips } };
    } catch (e) {
      process.stderr.write(`t1586: error: ${o.torList}:${e.message}\n`);
      return 3;
    }
  }
  let result;
  try {
    const log = (line) => { if (!o.quiet) process.stderr.write(line + '\n'); };
    result = await scan(o.files, JSON.stringify(config), { mmdb: o.mmdb, ip2asn: o.ip2asn }, log);
  } catch (e) {
    if (e.config) {
      // The user's configuration (exit 3, as the Rust CLI), named by where it came from.
      process.stderr.write(`t1586: error: ${o.config ?? 'command-line options'}: ${e.message}\n`);
      return 3;
    }
    if (e.input) {
      process.stderr.write(`t1586: error: ${e.message}\n`);
      return 3;
    }
    process.stderr.write(`t1586: error: detector: ${e.message}\n`);
    return 4;
  }
  const format = o.format ?? (process.stdout.isTTY ? 'table' : 'jsonl');
  const out = format === 'jsonl' ? result.alerts.map((a) => a.json + '\n').join('') : table(result.alerts.map((a) => a.value));
  await new Promise((res) => process.stdout.write(out, res));
  if (!o.quiet) process.stderr.write(summary(result.stats, result.alerts.length) + '\n');
  for (const [name, err] of result.unreadable) process.stderr.write(`t1586: ${name}: ${err}\n`);
  return result.unreadable.length ? 3 : 0;
}
