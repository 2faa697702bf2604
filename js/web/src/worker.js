// t1586 review page — the detector's thread. Files are streamed here (File.stream(), gzip through
// DecompressionStream) into the wasm detector, so the page stays responsive on files of any size.
// Messages in:  {type:'scan', files, config, enrich:{mmdb:[{name,bytes}], ip2asn:[{name,bytes}]}}
//               {type:'timeline', id, user}     {type:'defaults', id, profile}
// Messages out: {type:'progress', done, total, file}  {type:'done', jsonl, stats, unreadable, enrichment}
//               {type:'error', message}  {type:'timeline', id, events, total} (the identity's most
//               recent events and how many it has: the files are read again, one identity logged)
//               {type:'defaults', id, json | error}
//               {type:'iplist', id, text} -> {type:'iplist', id, list | error}   (the core's IP-list parser)
//               {type:'csv', id, jsonl}   -> {type:'csv', id, text}             (the core's CSV writer)
//               {type:'rules', id, target, config} -> {type:'rules', id, text, unwritten, notYet | error}
//                                                      (`t1586 rules`: the rules crate's generators)
//               {type:'rulesTargets', id} -> {type:'rulesTargets', id, targets}
//               {type:'catalog', id} -> {type:'catalog', id, catalog}   (detection types: attempt or not)
import {
  initSync, Detector, defaultConfig, parseIpList, formatCsv, rules, rulesTargets, catalog,
} from './t1586.js'; // @@GLUE@@
import { scanOffline, blobStore } from './offline.mjs'; // @@OFFLINE@@
const WASM = null; // @@WASM@@

const MAX_PER_IDENTITY = 5_000; // a timeline: the identity's most recent events
const TIMELINES_CACHED = 8;

// The last scan's files and configuration: a timeline reads them again with a detector that logs
// one identity's events (Detector.timeline), so no event of a large scan is kept.
let last = null;
let timelines = new Map();

let ready = null;
function ensureInit() {
  if (!ready) {
    ready = (async () => {
      let bytes;
      if (WASM) {
        const bin = atob(WASM);
        bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      } else {
        const r = await fetch(new URL('t1586_bg.wasm', import.meta.url));
        if (!r.ok) throw new Error(`cannot load the detector (HTTP ${r.status})`);
        bytes = new Uint8Array(await r.arrayBuffer());
      }
      initSync({ module: bytes });
    })();
  }
  return ready;
}

/** The sources of `files` for scanOffline: each file streamed (gunzipped when it is gzip). */
function sourcesOf(files, onBytes, onFile) {
  return files.map((file) => ({
    name: file.name,
    async push(d, emit) {
      onFile(file.name);
      let stream = file.stream();
      if (onBytes) {
        stream = stream.pipeThrough(new TransformStream({
          transform(chunk, ctl) {
            onBytes(chunk.byteLength);
            ctl.enqueue(chunk);
          },
        }));
      }
      if (await isGzip(file)) stream = stream.pipeThrough(new DecompressionStream('gzip'));
      const reader = stream.getReader();
      try {
        for (;;) {
          const { value, done: end } = await reader.read();
          if (end) return;
          if (!emit(d.pushJsonl(value))) return;
        }
      } finally {
        reader.cancel().catch(() => {});
      }
    },
  }));
}

/** One identity's events in the last scan's files: the most recent MAX_PER_IDENTITY, and how
 * many there were in all. */
async function timeline(user) {
  if (!last) return { events: [], total: 0 };
  const key = String(user).toLowerCase();
  if (timelines.has(key)) return timelines.get(key);
  const det = Detector.timeline(last.config, key);
  // The scan's enrichment, so the timeline's places are the alerts'.
  for (const [kind, bytes] of last.enrichment) {
    if (kind === 'mmdb') det.addMmdb(bytes);
    else det.addIp2asn(bytes);
  }
  let events = [];
  let total = 0;
  const take = () => {
    for (const e of det.takeEvents()) {
      total++;
      events.push(e);
    }
    if (events.length > 2 * MAX_PER_IDENTITY) events = events.slice(-MAX_PER_IDENTITY);
  };
  try {
    await scanOffline(det, sourcesOf(last.files, null, () => {}), blobStore(), {
      pushed: take,
      restarted() {
        det.takeEvents();
        events = [];
        total = 0;
      },
    });
    take();
  } finally {
    det.free();
  }
  const out = { events: events.slice(-MAX_PER_IDENTITY), total };
  timelines.set(key, out);
  if (timelines.size > TIMELINES_CACHED) timelines.delete(timelines.keys().next().value);
  return out;
}

async function isGzip(file) {
  const head = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  return head.length === 2 && head[0] === 0x1f && head[1] === 0x8b;
}

async function scan({ files, config, enrich }) {
  await ensureInit();
  last = null;
  timelines = new Map();
  const det = new Detector(config);
  const enrichment = [];
  try {
    for (const [kind, list] of [['mmdb', enrich?.mmdb ?? []], ['ip2asn', enrich?.ip2asn ?? []]]) {
      for (const f of list) {
        let bytes = new Uint8Array(f.bytes);
        if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
          const s = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
          bytes = new Uint8Array(await new Response(s).arrayBuffer());
        }
        try {
          const info = kind === 'mmdb' ? det.addMmdb(bytes) : det.addIp2asn(bytes);
          enrichment.push({ name: f.name, ...info, bytes });
        } catch (e) {
          throw new Error(`${f.name}: enrichment file rejected: ${e.message ?? e}`);
        }
      }
    }
    // Files in name order (byte order), as every t1586 host reads a case: drop order does not matter.
    const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const total = sorted.reduce((n, f) => n + f.size, 0);
    let done = 0;
    let shown = 0;
    let current = '';
    const progress = () => {
      const now = Date.now();
      if (now - shown > 100) {
        shown = now;
        postMessage({ type: 'progress', done, total, file: current });
      }
    };
    // Offline: the alerts of one time-ordered stream whatever the order of the files and of their
    // records (offline.mjs). Out-of-order input is read a second time; sorted runs are kept as
    // Blobs.
    const sources = sourcesOf(sorted, (n) => { done += n; }, (name) => { current = name; });
    const { jsonl, unreadable } = await scanOffline(det, sources, blobStore(), {
      pushed: progress,
      restarted() {
        done = 0;
      },
    });
    last = { files: sorted, config, enrichment: enrichment.map((e) => [e.kind, e.bytes]) };
    postMessage({ type: 'progress', done: total, total, file: '' });
    postMessage({
      type: 'done', jsonl, stats: det.stats(), unreadable,
      enrichment: enrichment.map(({ bytes, ...info }) => info),
    });
  } finally {
    det.free();
  }
}

onmessage = async (m) => {
  const msg = m.data;
  try {
    if (msg.type === 'scan') await scan(msg);
    else if (msg.type === 'timeline') {
      try {
        postMessage({ type: 'timeline', id: msg.id, ...(await timeline(msg.user)) });
      } catch (e) {
        postMessage({ type: 'timeline', id: msg.id, events: [], total: 0, error: String(e.message ?? e) });
      }
    } else if (msg.type === 'defaults') {
      await ensureInit();
      try {
        postMessage({ type: 'defaults', id: msg.id, json: defaultConfig(msg.profile) });
      } catch (e) {
        postMessage({ type: 'defaults', id: msg.id, error: String(e.message ?? e) });
      }
    } else if (msg.type === 'iplist') {
      await ensureInit();
      try {
        postMessage({ type: 'iplist', id: msg.id, list: parseIpList(msg.text) });
      } catch (e) {
        postMessage({ type: 'iplist', id: msg.id, error: String(e.message ?? e) });
      }
    } else if (msg.type === 'csv') {
      await ensureInit();
      postMessage({ type: 'csv', id: msg.id, text: formatCsv(msg.jsonl) });
    } else if (msg.type === 'rules') {
      await ensureInit();
      try {
        postMessage({ type: 'rules', id: msg.id, ...rules(msg.target, msg.config) });
      } catch (e) {
        postMessage({ type: 'rules', id: msg.id, error: String(e.message ?? e) });
      }
    } else if (msg.type === 'catalog') {
      await ensureInit();
      postMessage({ type: 'catalog', id: msg.id, catalog: catalog() });
    } else if (msg.type === 'rulesTargets') {
      await ensureInit();
      postMessage({ type: 'rulesTargets', id: msg.id, targets: rulesTargets() });
    }
  } catch (e) {
    postMessage({ type: 'error', message: String(e.message ?? e) });
  }
};
