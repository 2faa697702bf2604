// The Node CLI: same options and output as the Rust `t1586` for the shared formats.
import {
  closeSync, createReadStream, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import {
  Detector, compareAlerts, enrichmentLine, formatTable, parseIpList, rules, summary, version,
} from './index.mjs';
import { scanOffline } from './offline.mjs';

const USAGE = `usage: t1586 scan [--format table|jsonl] [--config FILE] [--profile default|seed] [--tor-list FILE] [--mmdb FILE]... [--ip2asn FILE]... [--live] [-q] FILE...
       t1586 rules --to TARGET [--config FILE] [--profile default|seed]
       t1586 version
FILE may be a directory (read recursively, in name order) or - for standard input; gzip is detected by content.`;

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
 * as they come; `emit` returning false stops the reading. Returns false, having pushed nothing,
 * when the file is not a regular file or is gzip (read as a stream instead).
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
      if (emit(det.pushBufferJsonl(n)) === false) return true;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The `hosting` section with a Tor list added: its addresses as `tor_exit_ips`, its networks
 * (CIDR lines) appended to `cidrs` — as the Rust CLI does with `--tor-list`.
 */
export function torHosting(hosting, list) {
  const h = { ...(hosting ?? {}), tor_exit_ips: list.addresses };
  if (list.networks.length) h.cidrs = [...(h.cidrs ?? []), ...list.networks];
  return h;
}

function parseArgs(argv) {
  const o = { cmd: argv[0], files: [], format: undefined, config: undefined, profile: undefined, torList: undefined, mmdb: [], ip2asn: [], quiet: false, live: false, to: undefined };
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
    else if (a === '--to') o.to = val();
    else if (a === '--tor-list') o.torList = val();
    else if (a === '--mmdb') o.mmdb.push(val());
    else if (a === '--ip2asn') o.ip2asn.push(val());
    else if (a === '-q' || a === '--quiet') o.quiet = true;
    else if (a === '--live') o.live = true;
    else if (a === '-') o.files.push(a);
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else o.files.push(a);
  }
  if (o.format !== undefined && !['table', 'jsonl'].includes(o.format)) throw new Error(`--format must be table or jsonl`);
  return o;
}

/**
 * Directories expanded recursively as the Rust CLI does: entries in byte order of their names,
 * hidden ones (a leading dot) skipped; files and `-` as given. Returns `{ files, unreadable }`.
 */
export function expandInputs(args) {
  const files = [];
  const unreadable = [];
  const walk = (dir) => {
    let names;
    try {
      names = readdirSync(dir);
    } catch (e) {
      unreadable.push([dir, e.message]);
      return;
    }
    // Joined as Rust's Path::join does (`./x` for `.`), so evidence names the same file the same way.
    const paths = names.map((n) => (dir.endsWith('/') ? dir + n : `${dir}/${n}`));
    paths.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const p of paths) {
      if (p.split('/').pop().startsWith('.')) continue;
      let dirLike = false;
      try {
        dirLike = statSync(p).isDirectory();
      } catch {
        // Listed but gone or unreadable: read as a file, which names the error.
      }
      if (dirLike) walk(p);
      else files.push(p);
    }
  };
  for (const a of args) {
    let dirLike = false;
    try {
      dirLike = a !== '-' && statSync(a).isDirectory();
    } catch {
      // Read as a file below, which names the error.
    }
    if (dirLike) walk(a);
    else files.push(a);
  }
  return { files, unreadable };
}

/** A file's bytes, gunzipped when it is gzip. */
function readMaybeGz(name) {
  const b = readFileSync(name);
  return b.length > 1 && b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b;
}

/**
 * Scan inputs with one detector; returns { lines (canonical JSON, sorted), stats, unreadable }.
 * `enrich`: { mmdb: [files], ip2asn: [files] }; `log` receives one line per enrichment file.
 * Offline by default: the alerts of one time-ordered stream whatever the order of records and
 * files (`offline.mjs`); `live: true` is live mode instead (the short lateness window, every
 * revision of every alert in the order made, unsorted; `onJsonl` gets them as they come).
 */
export async function scan(files, config, enrich = {}, log = () => {}, { live = false, onJsonl } = {}) {
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
  // Sorted runs and spooled standard input, removed at the end.
  let tmp;
  const tmpDir = () => (tmp ??= mkdtempSync(join(tmpdir(), 't1586-')));
  let jsonl;
  let unreadable;
  try {
    let stdinCopy;
    const sources = files.map((name) => ({
      name,
      async push(d, emit) {
        let path = name;
        if (name === '-' && !live) {
          // Kept in a file, to be read again if it is out of time order.
          if (!stdinCopy) {
            stdinCopy = join(tmpDir(), 'stdin');
            const fd = openSync(stdinCopy, 'w');
            try {
              for await (const c of process.stdin) writeSync(fd, c);
            } finally {
              closeSync(fd);
            }
          }
          path = stdinCopy;
        }
        if (path !== '-' && pushFile(d, path, emit)) return;
        for await (const chunk of openInput(path)) if (emit(d.pushJsonl(chunk)) === false) return;
      },
    }));
    if (live) {
      det.setLive(true);
      jsonl = '';
      unreadable = [];
      const emit = (s) => {
        jsonl += s;
        if (s && onJsonl) onJsonl(s);
      };
      for (const src of sources) {
        det.beginSource(src.name);
        try {
          await src.push(det, emit);
        } catch (e) {
          unreadable.push([src.name, e.message]);
        }
      }
      emit(det.flushJsonl());
    } else {
      let n = 0;
      const store = {
        put(bytes) {
          const path = join(tmpDir(), `run-${n++}`);
          writeFileSync(path, bytes);
          return path;
        },
        async read(path, offset, max) {
          const fd = openSync(path, 'r');
          try {
            const buf = Buffer.alloc(max);
            return buf.subarray(0, readSync(fd, buf, 0, max, offset));
          } finally {
            closeSync(fd);
          }
        },
      };
      ({ jsonl, unreadable } = await scanOffline(det, sources, store));
    }
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  const alerts = jsonl.split('\n').filter((l) => l.length).map((json) => ({ json, value: JSON.parse(json) }));
  if (!live) alerts.sort((a, b) => compareAlerts(a.value, b.value));
  const stats = det.stats();
  det.free();
  return { alerts, stats, unreadable, live };
}

/** Live revisions as a list shows them: each alert's latest revision, not the withdrawn ones, in the canonical order. */
export function latestRevisions(revisions) {
  const latest = new Map();
  for (const a of revisions) latest.set(a.value.AlertId, a);
  return [...latest.values()]
    .filter((a) => a.value.Status !== 'withdrawn')
    .sort((a, b) => compareAlerts(a.value, b.value));
}

/** The `--config` file's object with `--profile` over it; undefined (the error written) when the file cannot be read. */
function readConfig(o) {
  let config = {};
  if (o.config) {
    try {
      config = JSON.parse(readFileSync(o.config, 'utf8'));
    } catch (e) {
      process.stderr.write(`t1586: error: ${o.config}: ${e.message}\n`);
      return undefined;
    }
  }
  return o.profile ? { ...config, profile: o.profile } : config;
}

/** `t1586 rules`: the same text and messages as the Rust CLI's (one generator, the rules crate). */
function writeRules(o) {
  if (!o.to || o.files.length) {
    process.stderr.write(`t1586: error: rules takes --to TARGET and no files\n${USAGE}\n`);
    return 2;
  }
  const config = readConfig(o);
  if (config === undefined) return 3;
  let r;
  try {
    r = rules(o.to, JSON.stringify(config));
  } catch (e) {
    // As the Rust CLI words it: an unknown target as is, anything else is the configuration's.
    const what = e.message.startsWith('unknown rules target') ? '' : 'configuration: ';
    process.stderr.write(`t1586: error: ${what}${e.message}\n`);
    return 3;
  }
  process.stdout.write(r.text);
  for (const [signal, detection, why] of r.unwritten) process.stderr.write(`t1586: ${signal}: no ${o.to} rule for ${detection}: ${why}\n`);
  if (r.notYet.length) process.stderr.write(`t1586: not written as ${o.to} rules yet: ${r.notYet.join(', ')}\n`);
  return 0;
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
  if (o.cmd === 'rules') return writeRules(o);
  if (o.cmd !== 'scan' || o.files.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let config = readConfig(o);
  if (config === undefined) return 3;
  if (o.torList) {
    try {
      config = { ...config, hosting: torHosting(config.hosting, parseIpList(readFileSync(o.torList, 'utf8'))) };
    } catch (e) {
      process.stderr.write(`t1586: error: ${o.torList}: ${e.message}\n`);
      return 3;
    }
  }
  let result;
  try {
    const log = (line) => { if (!o.quiet) process.stderr.write(line + '\n'); };
    const inputs = expandInputs(o.files);
    const format = o.format ?? (process.stdout.isTTY ? 'table' : 'jsonl');
    // Live JSON Lines: every revision as soon as the detector makes it.
    const onJsonl = o.live && format === 'jsonl' ? (s) => process.stdout.write(s) : undefined;
    result = await scan(inputs.files, JSON.stringify(config), { mmdb: o.mmdb, ip2asn: o.ip2asn }, log, { live: o.live, onJsonl });
    result.unreadable.unshift(...inputs.unreadable);
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
  const shown = result.live && format !== 'jsonl' ? latestRevisions(result.alerts) : result.alerts;
  const jsonl = shown.map((a) => a.json + '\n').join('');
  // Live JSON Lines went out as they came.
  const out = format === 'jsonl' ? (result.live ? '' : jsonl) : formatTable(jsonl);
  await new Promise((res) => process.stdout.write(out, res));
  const count = result.live ? result.alerts.filter((a) => a.value.Status === 'closed').length : result.alerts.length;
  if (!o.quiet) process.stderr.write(summary(result.stats, count) + '\n');
  for (const [name, err] of result.unreadable) process.stderr.write(`t1586: ${name}: ${err}\n`);
  return result.unreadable.length ? 3 : 0;
}
