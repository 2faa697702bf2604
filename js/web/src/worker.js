// t1586 review page — the detector's thread. Files are streamed here (File.stream(), gzip through
// DecompressionStream) into the wasm detector, so the page stays responsive on files of any size.
// Messages in:  {type:'scan', files, config, enrich:{mmdb:[{name,bytes}], ip2asn:[{name,bytes}]}}
//               {type:'timeline', id, user}     {type:'defaults', id, profile}
// Messages out: {type:'progress', done, total, file}  {type:'done', jsonl, stats, unreadable, enrichment,
//               eventsKept, eventsDropped}  {type:'error', message}  {type:'timeline', id, events}
//               {type:'defaults', id, json | error}
//               {type:'iplist', id, text} -> {type:'iplist', id, list | error}   (the core's IP-list parser)
//               {type:'csv', id, jsonl}   -> {type:'csv', id, text}             (the core's CSV writer)
//               {type:'rules', id, target, config} -> {type:'rules', id, text, unwritten, notYet | error}
//                                                      (`t1586 rules`: the rules crate's generators)
//               {type:'rulesTargets', id} -> {type:'rulesTargets', id, targets}
import {
  initSync, Detector, defaultConfig, parseIpList, formatCsv, rules, rulesTargets,
} from './t1586.js'; // @@GLUE@@
import { scanOffline, blobStore } from './offline.mjs'; // @@OFFLINE@@
const WASM = null; // @@WASM@@

const MAX_EVENTS = 1_000_000; // events kept for timelines, in all
const MAX_PER_IDENTITY = 5_000; // per identity: the most recent ones

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

// identity key -> events (summaries), and lower-cased display name -> key (alerts name identities
// by display name).
let byKey = new Map();
let keyOf = new Map();
let kept = 0;
let dropped = 0;

function keep(events) {
  for (const e of events) {
    let list = byKey.get(e.IdentityKey);
    if (!list) {
      list = [];
      byKey.set(e.IdentityKey, list);
    }
    const display = String(e.Identity).toLowerCase();
    if (!keyOf.has(display)) keyOf.set(display, e.IdentityKey);
    if (list.length >= MAX_PER_IDENTITY || kept >= MAX_EVENTS) {
      dropped++;
      if (list.length >= MAX_PER_IDENTITY) {
        list.shift();
        list.push(e);
      }
      continue;
    }
    list.push(e);
    kept++;
  }
}

async function isGzip(file) {
  const head = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  return head.length === 2 && head[0] === 0x1f && head[1] === 0x8b;
}

async function scan({ files, config, enrich }) {
  await ensureInit();
  byKey = new Map();
  keyOf = new Map();
  kept = 0;
  dropped = 0;
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
          enrichment.push({ name: f.name, ...info });
        } catch (e) {
          throw new Error(`${f.name}: enrichment file rejected: ${e.message ?? e}`);
        }
      }
    }
    det.setEventLog(true);
    // Files in name order (byte order), as every t1586 host reads a case: drop order does not matter.
    const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const total = sorted.reduce((n, f) => n + f.size, 0);
    let done = 0;
    let last = 0;
    let current = '';
    const progress = () => {
      keep(det.takeEvents());
      const now = Date.now();
      if (now - last > 100) {
        last = now;
        postMessage({ type: 'progress', done, total, file: current });
      }
    };
    // Offline: the alerts of one time-ordered stream whatever the order of the files and of their
    // records (offline.mjs). Out-of-order input is read a second time; sorted runs are kept as
    // Blobs.
    const sources = sorted.map((file) => ({
      name: file.name,
      async push(d, emit) {
        current = file.name;
        let counted = file.stream().pipeThrough(new TransformStream({
          transform(chunk, ctl) {
            done += chunk.byteLength;
            ctl.enqueue(chunk);
          },
        }));
        if (await isGzip(file)) counted = counted.pipeThrough(new DecompressionStream('gzip'));
        const reader = counted.getReader();
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
    const { jsonl, unreadable } = await scanOffline(det, sources, blobStore(), {
      pushed: progress,
      restarted() {
        byKey = new Map();
        keyOf = new Map();
        kept = 0;
        dropped = 0;
        done = 0;
      },
    });
    keep(det.takeEvents());
    postMessage({ type: 'progress', done: total, total, file: '' });
    postMessage({ type: 'done', jsonl, stats: det.stats(), unreadable, enrichment, eventsKept: kept, eventsDropped: dropped });
  } finally {
    det.free();
  }
}

onmessage = async (m) => {
  const msg = m.data;
  try {
    if (msg.type === 'scan') await scan(msg);
    else if (msg.type === 'timeline') {
      const key = keyOf.get(String(msg.user).toLowerCase()) ?? String(msg.user).toLowerCase();
      postMessage({ type: 'timeline', id: msg.id, events: byKey.get(key) ?? [] });
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
    } else if (msg.type === 'rulesTargets') {
      await ensureInit();
      postMessage({ type: 'rulesTargets', id: msg.id, targets: rulesTargets() });
    }
  } catch (e) {
    postMessage({ type: 'error', message: String(e.message ?? e) });
  }
};
