// Node entry point: loads the wasm-bindgen build synchronously from the package's own files
// (the same .wasm the browser build uses) and adds the canonical alert order.
import { readFileSync } from 'node:fs';
import {
  initSync, Detector, version, abiVersion, defaultConfig, catalog, parseIpList, formatTable, formatCsv, summary, enrichmentLine,
  rules, rulesTargets,
} from './pkg/t1586.js';

initSync({ module: readFileSync(new URL('./pkg/t1586_bg.wasm', import.meta.url)) });

export {
  Detector, version, abiVersion, defaultConfig, catalog, parseIpList, formatTable, formatCsv, summary, enrichmentLine,
  rules, rulesTargets,
};

export { timeKey, compareAlerts, sortAlerts } from './order.mjs';
