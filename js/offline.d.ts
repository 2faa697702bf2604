// Types of `t1586/offline` (offline.mjs): offline input in any order, as every JavaScript host drives it.
import type { Detector } from './pkg/t1586.js';

/** One input: `push` hands its bytes to the detector from the start, calling `emit` after each push; stop when `emit` returns false. */
export interface OfflineSource {
  name: string;
  push(det: Detector, emit: (alertsJsonl: string) => boolean): Promise<void> | void;
}

/** Where sorted runs are kept between sorting and merging. */
export interface RunStore<H = unknown> {
  put(bytes: Uint8Array): H;
  read(handle: H, offset: number, max: number): Promise<Uint8Array>;
}

/** Scan inputs that end: the alerts of one time-ordered stream whatever the order of records and files. */
export function scanOffline(
  det: Detector,
  sources: OfflineSource[],
  store: RunStore,
  hooks?: { pushed?: () => void; restarted?: () => void },
): Promise<{ jsonl: string; unreadable: [string, string][]; restarted: boolean }>;

/** A run store of Blobs (browsers). */
export function blobStore(): RunStore<Blob>;
