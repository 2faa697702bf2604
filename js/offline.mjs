// Offline input in any order, driven the one way every JavaScript host drives it (the Node CLI
// and the review page; the Rust CLI does the same in host/src/lib.rs). The core decides: input in
// time order is streamed; the first event out of order asks for everything again, sorted, with
// runs of sorted events handed out to be stored and merged back at the end (detector/ABI.md,
// "Input order"). Pure: no imports, runs anywhere.

/** Bytes of a stored run handed back at a time. */
const MERGE_CHUNK = 256 * 1024;

/**
 * Scan `sources` offline with `det` (a fresh `Detector`). Returns `{ jsonl, unreadable, restarted }`.
 *
 * - `sources`: `[{ name, push(det, emit) }]`. `push` hands the source's bytes to `det` (its own
 *   way: `pushJsonl`, `pushBufferJsonl`) from the start, calling `emit(alertsJsonl)` after each
 *   push; when `emit` returns false it stops reading and returns. It may throw (the source is then
 *   listed as unreadable, the rest still read). It is called again when the input is read twice.
 * - `store`: `{ put(bytes) -> handle, read(handle, offset, max) -> Promise<Uint8Array> }` keeps
 *   the sorted runs (temporary files, Blobs).
 * - `hooks`: `{ pushed(), restarted() }`, optional: after each push (progress, event logs) and
 *   when the input turned out to be out of order (forget what was shown).
 */
export async function scanOffline(det, sources, store, hooks = {}) {
  det.setOrder('offline');
  const runs = [];
  let jsonl = '';
  let unreadable = [];
  let restarted = false;
  for (;;) {
    let again = false;
    for (const src of sources) {
      det.beginSource(src.name);
      try {
        await src.push(det, (alerts) => {
          jsonl += alerts;
          for (let run = det.takeSpill(); run !== undefined; run = det.takeSpill()) runs.push(store.put(run));
          hooks.pushed?.();
          if (det.order() === 'restart') again = true;
          return !again;
        });
      } catch (e) {
        unreadable.push([src.name, String(e?.message ?? e)]);
      }
      if (again) break;
    }
    if (!again) break;
    // Out of time order: everything again from the start, sorted.
    det.restartSorted();
    restarted = true;
    jsonl = '';
    unreadable = [];
    hooks.restarted?.();
  }
  if (runs.length) {
    jsonl += det.mergeBeginJsonl(runs.length);
    const at = runs.map(() => 0);
    for (let r = det.mergeWanted(); r >= 0; r = det.mergeWanted()) {
      const bytes = await store.read(runs[r], at[r], MERGE_CHUNK);
      at[r] += bytes.length;
      jsonl += det.mergeFeedJsonl(r, bytes);
      hooks.pushed?.();
    }
  }
  jsonl += det.flushJsonl();
  return { jsonl, unreadable, restarted };
}

/** A run store in memory as Blobs (the browser may keep large ones on disk). */
export function blobStore() {
  return {
    put: (bytes) => new Blob([bytes]),
    read: async (blob, offset, max) => new Uint8Array(await blob.slice(offset, offset + max).arrayBuffer()),
  };
}
