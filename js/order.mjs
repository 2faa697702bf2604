// The canonical alert order (detector/ABI.md), shared by the Node entry point and the review page.
// Pure: no imports, runs anywhere.

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
