// Compiled with `tsc --noEmit` by test/types.test.mjs: the package's types describe its API.
import { Detector, sortAlerts, compareAlerts, defaultConfig, type Alert, type Stats, type EnrichmentInfo, type EventSummary } from 't1586';

const d = new Detector({ profile: 'seed' });
d.beginSource('signins.json');
const alerts: Alert[] = [...(d.push('{}') as Alert[]), ...(d.flush() as Alert[])];
sortAlerts(alerts);
const first: Alert | undefined = alerts[0];
const risk: number = first?.RiskScore ?? 0;
const ev = first?.Evidence[0];
const rid: string | undefined = ev?.RecordId;
const n: number = compareAlerts(alerts[0]!, alerts[0]!);
const s = d.stats() as Stats;
const read: number = s.records_read;
const info = d.addIp2asn(new Uint8Array()) as EnrichmentInfo;
d.setEventLog(true);
const evs = d.takeEvents() as EventSummary[];
const cfg: string = defaultConfig('default');
const jsonl: string = d.pushJsonl(new Uint8Array([1])) + d.flushJsonl();
void [risk, rid, n, read, info, evs, cfg, jsonl];
d.free();
