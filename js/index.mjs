// Node entry point: loads the wasm-bindgen build synchronously from the package's own files
// (the same .wasm the browser build uses) and adds the canonical alert order.
import { readFileSync } from 'node:fs';
import { initSync, Detector, version, abiVersion, defaultConfig } from './pkg/t1586.js';

initSync({ module: readFileSync(new URL('./pkg/t1586_bg.wasm', import.meta.url)) });

export { Detector, version, abiVersion, defaultConfig };

/** RFC 3339 UTC text made comparable as a string: fraction padded to 9 digits. */
export function timeKey(s) {
  const body = (s ?? '').endsWith('Z') ? s.slice(0, -1) : (s ?? '');
  const dot = body.indexOf('.');
  const main = dot < 0 ? body : body.slice(0, dot);
  const frac = dot < 0 ? '' : body.slice(dot + 1);
  return `${main}.${frac.padEnd(9, '0')}`;
}

const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** The canonical order (same as the core and the CLI): RiskScore desc, TimeGenerated desc,
 * then UserPrincipalName, DetectionType, FirstSeen ascending. */
export function compareAlerts(a, b) {
  return (
    (b.RiskScore ?? 0) - (a.RiskScore ?? 0) ||
    cmp(timeKey(b.TimeGenerated), timeKey(a.TimeGenerated)) ||
    cmp(a.UserPrincipalName ?? '', b.UserPrincipalName ?? '') ||
    cmp(a.DetectionType ?? '', b.DetectionType ?? '') ||
    cmp(timeKey(a.FirstSeen), timeKey(b.FirstSeen))
  );
}

/** Sort alert objects in place into the canonical order; returns the array. */
export function sortAlerts(alerts) {
  return alerts.sort(compareAlerts);
}
