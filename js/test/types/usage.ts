// Compiled with `tsc --noEmit` by test/types.test.mjs: the package's types describe its API.
import {
  Detector, sortAlerts, compareAlerts, defaultConfig, catalog, parseIpList, formatTable, formatCsv, summary, enrichmentLine,
  type Alert, type Stats, type EnrichmentInfo, type EventSummary, type Catalog, type IpList,
} from 't1586';

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
const cat: Catalog = catalog();
const names: string | undefined = cat.techniques['T1586'];
const list: IpList = parseIpList('203.0.113.7');
const firstIp: string | undefined = list.addresses[0];
const text: string = formatTable(jsonl) + formatCsv(jsonl) + summary(s, alerts.length) + enrichmentLine('x.mmdb', info);
void [risk, rid, n, read, info, evs, cfg, jsonl, names, firstIp, text];
d.free();
