// Types of the t1586 package's Node entry point (index.mjs). The Detector class itself is typed by
// the wasm-bindgen build (pkg/t1586.d.ts); the shapes it returns are described here.
export {
  Detector, version, abiVersion, defaultConfig, formatTable, formatCsv, summary, enrichmentLine,
} from './pkg/t1586.js';

/** One record behind an alert. Optional keys are left out when unknown. */
export interface Evidence {
  Source: string;
  /** 1-based line where the record starts (for EVTX: the record's ordinal in the file). */
  Line: number;
  /** The record's own id, always a string (EventRecordIDs above 2^53 stay exact). */
  RecordId?: string;
  Time: string;
  /** `Attempt`: a Windows 4648 (explicit credentials presented; whether they worked is not logged). */
  Outcome: 'Success' | 'Failure' | 'Interrupted' | 'Attempt';
  ResultType?: string;
  IPAddress?: string;
  Country?: string;
  /** Windows records only. */
  EventID?: number;
  LogonType?: number;
}

/** An alert, keys in this order (detector/ABI.md). */
export interface Alert {
  TimeGenerated: string;
  UserPrincipalName: string;
  DetectionType: string;
  RiskScore: number;
  FailureCount: number;
  SuccessCount: number;
  UniqueIPs: number;
  IPList: string[];
  Apps: string[];
  Countries: string[];
  FirstSeen: string;
  LastSeen: string;
  Evidence: Evidence[];
  Mitre: string[];
  Profile: 'default' | 'seed';
  DetectorVersion: string;
  /** Signal-specific facts; absent when empty (always in the seed profile). */
  Details?: Record<string, unknown>;
  /** 16 hex digits, from the signal, the detection type, the identity or source it tracks, and the window start: the
   * same on every revision of a live alert and on the offline alert of the same records. */
  AlertId: string;
  /** Live mode (`setLive(true)`) only: 1 for an alert's first revision, one more for each later one. */
  Revision?: number;
  /** Live mode only: `open` while later records can still change it; `closed` when its window
   * ended (that revision is the offline alert); `withdrawn` when later records turned it into
   * something no offline scan reports. */
  Status?: 'open' | 'closed' | 'withdrawn';
}

/** `Detector.stats()`: records_read = records_parsed + records_rejected, always. */
export interface Stats {
  sources: number;
  bytes: number;
  records_read: number;
  records_parsed: number;
  records_rejected: number;
  rejected_by_reason: Record<string, number>;
  records_ignored: number;
  ignored_by_reason: Record<string, number>;
  events: number;
  events_allowlisted: number;
  late_events: number;
  alerts: number;
  signal_skips: Record<string, number>;
  duplicates: number;
  caps_hit: Record<string, number>;
  errors: { source: string; line: number; reason: string }[];
  errors_not_listed: number;
  identities_tracked: number;
  /** Present once enrichment data was added. */
  enrichment?: Record<string, number>;
  /** Offline input that was not in time order, read a second time and sorted (present when true). */
  input_sorted?: boolean;
  /** Sorted runs handed to the host to store while sorting (present when any). */
  spilled_runs?: number;
  /** Live mode: revisions returned (present when any; `alerts` counts the closed ones). */
  live_revisions?: number;
  /** Live mode: alerts withdrawn (present when any). */
  withdrawn_alerts?: number;
}

/** What `addMmdb` / `addIp2asn` loaded. */
export interface EnrichmentInfo {
  kind: 'mmdb' | 'ip2asn';
  database_type: string;
  entries: number;
  skipped: number;
  errors: string[];
}

/** `takeEvents()` items (with `setEventLog(true)`). */
export interface EventSummary {
  Time: string;
  Identity: string;
  IdentityKey: string;
  /** `Attempt`: a Windows 4648 (explicit credentials presented; whether they worked is not logged). */
  Outcome: 'Success' | 'Failure' | 'Interrupted' | 'Attempt';
  ResultType?: string;
  IPAddress?: string;
  Country?: string;
  City?: string;
  Latitude?: number;
  Longitude?: number;
  App?: string;
  EventID?: number;
  Source: string;
  Line: number;
}

/** `catalog()`: every detection type, the signal (configuration key) that raises it, its ATT&CK
 * techniques, and whether it is an attempt (guessing or spraying with no success known: risk ≤ 55). */
export interface Catalog {
  detections: { DetectionType: string; Signal: string; Mitre: string[]; Attempt: boolean }[];
  /** Technique id → ATT&CK name. */
  techniques: Record<string, string>;
}
export function catalog(): Catalog;

/** `rules(target, config)`: the configuration's detections as a SIEM's own rules (what
 * `t1586 rules --to TARGET` prints), `unwritten` the enabled signals the language cannot write
 * with the reason, `notYet` those without a generator yet. Throws on an unknown target or a bad
 * configuration. */
export interface Rules {
  text: string;
  unwritten: [signal: string, detection: string, reason: string][];
  notYet: string[];
}
export function rules(target: string, config?: string | object | null): Rules;
/** The targets `rules` takes: sentinel-kql, splunk-spl, elastic-eql, elastic-esql, qradar-aql,
 * sumo, chronicle-yaral, logscale-cql, sigma. */
export function rulesTargets(): string[];

/** `parseIpList(text)`: the addresses and CIDR networks of a list, written canonically. Throws naming the bad lines. */
export interface IpList {
  addresses: string[];
  networks: string[];
}
export function parseIpList(text: string): IpList;

/** RFC 3339 UTC text made comparable as a string (fraction padded to 9 digits). */
export function timeKey(s: string): string;
/** The canonical order: RiskScore desc, TimeGenerated desc, then UserPrincipalName, DetectionType, FirstSeen. */
export function compareAlerts(a: Alert, b: Alert): number;
/** Sort in place into the canonical order; returns the array. */
export function sortAlerts<T extends Alert>(alerts: T[]): T[];
