//! Sigma rules, with Sigma 2's correlations (`event_count`, `value_count`, `temporal`), over the
//! `azure` / `signinlogs` log source: Sentinel's `SigninLogs` field names (`ResultType`,
//! `UserPrincipalName`, `IPAddress`, `Location`, `AutonomousSystemNumber`; and
//! `AutonomousSystemName`, which an ASN enrichment must add), as SigmaHQ's own
//! `rules/cloud/azure/signin_logs/` use them (for example "Login to Disabled Account":
//! `ResultType: 50057`).
//!
//! The Windows detections use the `windows` / `security` log source with the Security log's own
//! field names (`EventID`, `TargetUserName`, `IpAddress`, `LogonType`, `Status`, `SubStatus`), as
//! SigmaHQ's `rules/windows/builtin/security/` do; the ordered ones a `temporal_ordered` correlation
//! of an `event_count` of failures and a success.
//!
//! One detection is one YAML stream: its base rules, then the correlations over them, documents
//! separated by `---` (never a blank line). Rule names are `t1586_...`; correlations refer to them.

use crate::{
    Burst, Explicit, Fatigue, Hosting, IdRisk, Language, Legacy, Log, Ordered, Phishing, Replay,
    ReplayPattern, Spray, Stuffing, Travel, Velocity, Watched, WinFailures,
};

pub(crate) struct Sigma;

/// A Sigma `level` for a risk score.
fn level(risk: u32) -> &'static str {
    match risk {
        90.. => "critical",
        70..=89 => "high",
        40..=69 => "medium",
        _ => "low",
    }
}

/// A YAML scalar, single-quoted (quotes doubled).
fn yq(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A rule's `id`: a UUID that depends on its name only (RFC 9562 version 8, the bits from two
/// FNV-1a hashes), so the same rule keeps its id from one run and release to the next.
fn id(name: &str) -> String {
    let fnv = |seed: u64| {
        name.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let (a, b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142));
    let a = (a & !0xf000) | 0x8000; // version 8
    let b = (b & !(0xc << 60)) | (0x8 << 60); // variant 10
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// The head of a rule: title, name, its id, status.
fn head(title: &str, name: &str) -> String {
    format!(
        "title: {}\nid: {}\nname: {name}\nstatus: experimental\n",
        yq(title),
        id(name)
    )
}

/// The log source and the common head of a base rule.
fn base(title: &str, name: &str, detection: &str) -> String {
    format!(
        "{}logsource:\n  product: azure\n  service: signinlogs\ndetection:\n{detection}",
        head(title, name)
    )
}

/// A base rule over the Windows Security channel.
fn win_base(title: &str, name: &str, detection: &str) -> String {
    format!(
        "{}logsource:\n  product: windows\n  service: security\ndetection:\n{detection}",
        head(title, name)
    )
}

/// A base rule over workload identities' sign-ins: `selection` (a detection body's selections)
/// and `condition` on records of the service-principal and managed-identity tables.
fn workload_base(title: &str, name: &str, selection: &str, condition: &str) -> String {
    format!(
        "{}logsource:\n  product: azure\n  service: signinlogs\n  definition: 'Workload identities'' sign-ins: the AADServicePrincipalSignInLogs and AADManagedIdentitySignInLogs tables (their Type column)'\n\
         detection:\n  workload:\n    Type:\n      - AADServicePrincipalSignInLogs\n      - AADManagedIdentitySignInLogs\n{selection}  condition: workload and {condition}\n",
        head(title, name)
    )
}

/// A YAML list of scalars, one per line at `indent`.
fn items<T: ToString>(v: &[T], indent: &str) -> String {
    v.iter()
        .map(|x| format!("\n{indent}- {}", yq(&x.to_string())))
        .collect()
}

/// The selections and condition of a Windows failure (detection body).
fn win_failure(f: &WinFailures) -> String {
    let mut sel = format!("  failure:\n    EventID:{}\n", items(&f.events, "      "));
    let mut cond = vec!["failure".to_string()];
    if !f.codes.is_empty() {
        sel += &format!(
            "  code:\n    SubStatus:{}\n  status_only:\n    SubStatus|exists: false\n    Status:{}\n",
            items(&f.codes, "      "),
            items(&f.codes, "      ")
        );
        cond.push("(code or status_only)".into());
    }
    if !f.logon_types.is_empty() {
        sel += &format!(
            "  logon_type:\n    LogonType:{}\n  other_event:\n    EventID: 4625\n",
            items(&f.logon_types, "      ")
        );
        cond.push("(logon_type or not other_event)".into());
    }
    let (sel2, excl) = win_exclusions(f);
    sel += &sel2;
    cond.extend(excl);
    format!("{sel}  condition: {}\n", cond.join(" and "))
}

/// The selections and condition of a failed sign-in (detection body): a result code other than
/// 0, the correct-password codes and `excluded`, from an app other than a password-reset one.
fn sign_in_failure(
    excluded: &[String],
    correct_password: &[String],
    reset_apps: &[String],
) -> String {
    let mut not_failures = vec!["0".to_string()];
    not_failures.extend(correct_password.iter().cloned());
    not_failures.extend(excluded.iter().cloned());
    let mut fail = format!(
        "  not_failure:\n    ResultType:{}\n",
        items(&not_failures, "      ")
    );
    let mut cond = "not not_failure".to_string();
    if !reset_apps.is_empty() {
        fail += &format!(
            "  reset:\n    AppDisplayName:{}\n",
            items(reset_apps, "      ")
        );
        cond += " and not reset";
    }
    fail + &format!("  condition: {cond}\n")
}

fn win_exclusions(f: &WinFailures) -> (String, Vec<String>) {
    let mut sel = String::new();
    let mut cond = Vec::new();
    if f.exclude_machine {
        sel += "  machine:\n    TargetUserName|endswith: '$'\n";
        cond.push("not machine".to_string());
    }
    if f.exclude_anonymous {
        sel += "  anonymous:\n    TargetUserName: 'ANONYMOUS LOGON'\n";
        cond.push("not anonymous".to_string());
    }
    (sel, cond)
}

/// A correlation rule: `kind` over `rules`, grouped by `group`, within `secs`, with its
/// `condition` lines (YAML under `condition:`, or empty for none), level and tags.
#[allow(clippy::too_many_arguments)]
fn correlation(
    title: &str,
    name: &str,
    kind: &str,
    rules: &[&str],
    group: &[&str],
    secs: u64,
    condition: &str,
    risk: u32,
    tags: &[&str],
) -> String {
    let mut out = format!(
        "{}correlation:\n  type: {kind}\n  rules:{}\n  group-by:{}\n  timespan: {secs}s\n",
        head(title, name),
        items(rules, "    "),
        items(group, "    ")
    );
    if !condition.is_empty() {
        out += &format!("  condition:\n{condition}");
    }
    out += &format!("level: {}\ntags:{}\n", level(risk), items(tags, "  "));
    out
}

/// Each detection as one YAML stream.
impl Language for Sigma {
    fn stuffing(&self, s: &Stuffing, notes: &mut Vec<String>) -> String {
        let Stuffing {
            window,
            min_failures,
            min_successes,
            excluded,
            risks,
            ..
        } = s;
        {
            notes.push(format!(
                "Approximated: one level per rule ({}, risk {}); the detector's risk grows with the number of distinct failure addresses.",
                level(risks.2),
                risks.2
            ));
            let mut not_failures = vec!["0".to_string()];
            not_failures.extend(excluded.iter().cloned());
            let codes: String = not_failures
                .iter()
                .map(|c| format!("\n      - {}", yq(c)))
                .collect();
            let mut out = base(
                "t1586 CredentialStuffing: a failed sign-in",
                "t1586_stuffing_failure",
                &format!("  counted:\n    ResultType:{codes}\n  condition: not counted\n"),
            );
            out += "level: informational\n---\n";
            out += &base(
                "t1586 CredentialStuffing: a successful sign-in",
                "t1586_stuffing_success",
                "  success:\n    ResultType: '0'\n  condition: success\n",
            );
            out += "level: informational\n---\n";
            out += &format!(
                "{}correlation:\n  type: event_count\n  rules:\n    - t1586_stuffing_failure\n  group-by:\n    - UserPrincipalName\n  timespan: {window}s\n  condition:\n    gte: {min_failures}\nlevel: low\n---\n",
                head(
                    "t1586 CredentialStuffing: failures of one identity",
                    "t1586_stuffing_failures"
                )
            );
            let success_rule = if *min_successes > 1 {
                out += &format!(
                    "{}correlation:\n  type: event_count\n  rules:\n    - t1586_stuffing_success\n  group-by:\n    - UserPrincipalName\n  timespan: {window}s\n  condition:\n    gte: {min_successes}\nlevel: low\n---\n",
                    head(
                        "t1586 CredentialStuffing: successes of one identity",
                        "t1586_stuffing_successes"
                    )
                );
                "t1586_stuffing_successes"
            } else {
                "t1586_stuffing_success"
            };
            out += &format!(
                "{}correlation:\n  type: temporal\n  rules:\n    - t1586_stuffing_failures\n    - {success_rule}\n  group-by:\n    - UserPrincipalName\n  timespan: {window}s\n  condition:\n    gte: 2\nlevel: {}\ntags:\n  - attack.t1586\n  - attack.t1110.004\n  - attack.t1078\n",
                head("t1586 CredentialStuffing", "t1586_credential_stuffing"),
                level(risks.2)
            );
            out
        }
    }

    fn travel(&self, t: &Travel, notes: &mut Vec<String>) -> String {
        let Travel {
            bin,
            min_countries,
            risk,
            ..
        } = t;
        {
            notes.push(format!(
                "Approximated: any {bin}s span (the detector's bins are aligned to the epoch, as KQL's bin())."
            ));
            let mut out = base(
                "t1586 ImpossibleTravel: a successful sign-in with a country",
                "t1586_travel_success",
                "  success:\n    ResultType: '0'\n  placed:\n    Location|exists: true\n  condition: success and placed\n",
            );
            out += "level: informational\n---\n";
            out += &format!(
                "{}correlation:\n  type: value_count\n  rules:\n    - t1586_travel_success\n  group-by:\n    - UserPrincipalName\n  timespan: {bin}s\n  condition:\n    field: Location\n    gte: {min_countries}\nlevel: {}\ntags:\n  - attack.t1586\n  - attack.t1078\n",
                head("t1586 ImpossibleTravel", "t1586_impossible_travel"),
                level(*risk)
            );
            out
        }
    }

    fn hosting(&self, h: &Hosting, notes: &mut Vec<String>) -> String {
        let Hosting {
            asn_names,
            asn_numbers,
            ip_prefixes,
            cidrs,
            risk,
            ..
        } = h;
        {
            let mut sel = String::from("  success:\n    ResultType: '0'\n");
            let mut any = Vec::new();
            if !asn_numbers.is_empty() {
                sel += "  asn:\n    AutonomousSystemNumber:\n";
                for n in asn_numbers {
                    sel += &format!("      - {n}\n");
                }
                any.push("asn");
            }
            if !ip_prefixes.is_empty() {
                sel += "  prefix:\n    IPAddress|startswith:\n";
                for p in ip_prefixes {
                    sel += &format!("      - {}\n", yq(p));
                }
                any.push("prefix");
            }
            if !cidrs.is_empty() {
                sel += "  range:\n    IPAddress|cidr:\n";
                for c in cidrs {
                    sel += &format!("      - {}\n", yq(c));
                }
                any.push("range");
            }
            if !h.ips.is_empty() {
                sel += &format!("  exit:\n    IPAddress:{}\n", items(&h.ips, "      "));
                any.push("exit");
            }
            if !asn_names.is_empty() {
                sel += "  owner:\n    AutonomousSystemName|contains:\n";
                for n in asn_names {
                    sel += &format!("      - {}\n", yq(n));
                }
                any.push("owner");
                notes.push(
                    "AutonomousSystemName is not a SigninLogs column: an ASN enrichment (or a processing pipeline's mapping) must provide the network owner's name.".to_string(),
                );
            }
            let condition = if any.is_empty() {
                // Nothing to match on: a rule that never fires, not one that fires on every success.
                sel += "  nothing:\n    ResultType: 'never'\n";
                "success and nothing".to_string()
            } else {
                format!("success and ({})", any.join(" or "))
            };
            sel += &format!("  condition: {condition}\n");
            let mut out = base("t1586 SuspiciousInfrastructure", "t1586_hosting", &sel);
            out += &format!(
                "level: {}\ntags:\n  - attack.t1586\n  - attack.t1078\n  - attack.t1090\n",
                level(*risk)
            );
            out
        }
    }

    fn ordered(&self, o: &Ordered, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push(format!(
            "Approximated: one level per rule ({}, risk {}); the detector's risk grows with the number of distinct failure addresses.",
            level(o.risks.2),
            o.risks.2
        ));
        let (prefix, user, fail, ok) = match &o.log {
            Log::SignIns {
                excluded,
                correct_password,
                reset_apps,
            } => {
                let fail = sign_in_failure(excluded, correct_password, reset_apps);
                let mut codes = vec!["0".to_string()];
                codes.extend(correct_password.iter().cloned());
                let ok = format!(
                    "  success:\n    ResultType:{}\n  condition: success\n",
                    items(&codes, "      ")
                );
                (
                    "t1586_ordered",
                    "UserPrincipalName",
                    base(
                        "t1586 CredentialStuffing (ordered): a failed sign-in",
                        "t1586_ordered_failure",
                        &fail,
                    ),
                    base(
                        "t1586 CredentialStuffing (ordered): a success or a correct password",
                        "t1586_ordered_success",
                        &ok,
                    ),
                )
            }
            Log::Windows {
                failures,
                success_logon_types,
            } => {
                let mut ok = "  logon:\n    EventID: 4624\n".to_string();
                if !success_logon_types.is_empty() {
                    ok += &format!("    LogonType:{}\n", items(success_logon_types, "      "));
                }
                let (excl, cond) = win_exclusions(failures);
                ok += &excl;
                let mut c = vec!["logon".to_string()];
                c.extend(cond);
                ok += &format!("  condition: {}\n", c.join(" and "));
                (
                    "t1586_failed_logons",
                    "TargetUserName",
                    win_base(
                        "t1586 FailedLogonsThenSuccess: a failed logon",
                        "t1586_failed_logons_failure",
                        &win_failure(failures),
                    ),
                    win_base(
                        "t1586 FailedLogonsThenSuccess: a logon",
                        "t1586_failed_logons_success",
                        &ok,
                    ),
                )
            }
            Log::Workload { codes } => (
                "t1586_workload_credentials",
                "AppId",
                workload_base(
                    "t1586 WorkloadCredentialAbuse: a credential failure",
                    "t1586_workload_credentials_failure",
                    &format!("  failure:\n    ResultType:{}\n", items(codes, "      ")),
                    "failure",
                ),
                workload_base(
                    "t1586 WorkloadCredentialAbuse: a success",
                    "t1586_workload_credentials_success",
                    "  success:\n    ResultType: '0'\n",
                    "success",
                ),
            ),
        };
        let mut out = fail + "level: informational\n---\n";
        out += &ok;
        out += "level: informational\n---\n";
        out += &format!(
            "{}correlation:\n  type: event_count\n  rules:\n    - {prefix}_failure\n  group-by:\n    - {user}\n  timespan: {w}s\n  condition:\n    gte: {min}\nlevel: low\n---\n",
            head(
                &format!("t1586 {}: failures of one identity", o.detection),
                &format!("{prefix}_failures")
            ),
            w = o.window,
            min = o.min_failures
        );
        out += &format!(
            "{}correlation:\n  type: temporal_ordered\n  rules:\n    - {prefix}_failures\n    - {prefix}_success\n  group-by:\n    - {user}\n  timespan: {w}s\nlevel: {}\ntags:\n  - attack.t1586\n  - attack.t1110\n  - attack.t1078\n",
            head(&format!("t1586 {}", o.detection), prefix),
            level(o.risks.2),
            w = o.window,
        );
        Ok(out)
    }

    fn spray(&self, sp: &Spray, _: &mut Vec<String>) -> Result<String, String> {
        let (name, user, source, body) = match &sp.log {
            Log::SignIns {
                excluded,
                correct_password,
                reset_apps,
            } => {
                let fail = sign_in_failure(excluded, correct_password, reset_apps);
                (
                    "t1586_password_spray".to_string(),
                    "UserPrincipalName",
                    "IPAddress",
                    base(
                        "t1586 PasswordSpray: a failed sign-in",
                        "t1586_password_spray_failure",
                        &fail,
                    ),
                )
            }
            Log::Workload { .. } => {
                return Err(
                    "a workload identity's failures are keyed by the identity, not by a source"
                        .into(),
                );
            }
            Log::Windows { failures, .. } => {
                let name = format!("t1586_one_source_{}s", sp.window);
                (
                    name.clone(),
                    "TargetUserName",
                    "IpAddress",
                    win_base(
                        "t1586 OneSourceManyAccounts: a failed logon",
                        &format!("{name}_failure"),
                        &win_failure(failures),
                    ),
                )
            }
        };
        let mut out = body + "level: informational\n---\n";
        out += &format!(
            "{}correlation:\n  type: value_count\n  rules:\n    - {name}_failure\n  group-by:\n    - {source}\n  timespan: {}s\n  condition:\n    field: {user}\n    gte: {}\nlevel: {}\ntags:\n  - attack.t1110.003\n",
            head(&format!("t1586 {} ({})", sp.detection, sp.label), &name),
            sp.window,
            sp.min_identities,
            level(sp.risk)
        );
        Ok(out)
    }

    fn replay(&self, r: &Replay, notes: &mut Vec<String>) -> Result<String, String> {
        const TAGS: &[&str] = &[
            "attack.t1586",
            "attack.t1557",
            "attack.t1550.004",
            "attack.t1539",
        ];
        let base_rule = |title: &str, name: &str, body: &str| {
            base(&format!("t1586 TokenReplay: {title}"), name, body) + "level: informational\n---\n"
        };
        let kind = format!("t1586 TokenReplay ({}", r.name());
        let session = "  session:\n    SessionId|exists: true\n";
        let not_interactive = "  non_interactive:\n    IsInteractive: false\n";
        Ok(match &r.pattern {
            ReplayPattern::Session { min_networks } => {
                let mut out = base_rule(
                    "a successful sign-in in a session",
                    "t1586_session_sign_in",
                    &format!(
                        "  success:\n    ResultType: '0'\n{session}  condition: success and session\n"
                    ),
                );
                for (what, field, name) in [
                    ("countries", "Location", "t1586_session_countries"),
                    (
                        "AS numbers",
                        "AutonomousSystemNumber",
                        "t1586_session_networks",
                    ),
                ] {
                    if what == "AS numbers" {
                        out += "---\n";
                    }
                    out += &correlation(
                        &format!("{kind}, {what})"),
                        name,
                        "value_count",
                        &["t1586_session_sign_in"],
                        &["SessionId", "UserPrincipalName"],
                        r.window,
                        &format!("    field: {field}\n    gte: {min_networks}\n"),
                        r.risk,
                        TAGS,
                    );
                }
                out
            }
            ReplayPattern::Scripted { agents } => {
                notes.push("Approximated: the scripted client's address is not compared with the browser's (Sigma cannot compare two events' fields).".into());
                let mut out = base_rule(
                    "a browser's sign-in in a session",
                    "t1586_session_browser",
                    &format!(
                        "  success:\n    ResultType: '0'\n    UserAgent|contains: 'Mozilla/'\n{session}{not_interactive}  condition: success and session and not non_interactive\n"
                    ),
                );
                out += &base_rule(
                    "a scripted client's sign-in in a session",
                    "t1586_session_scripted",
                    &format!(
                        "  success:\n    ResultType: '0'\n    UserAgent|contains:{}\n{session}  condition: success and session\n",
                        items(agents, "      ")
                    ),
                );
                out + &correlation(
                    &format!("{kind})"),
                    "t1586_session_scripted_reuse",
                    "temporal_ordered",
                    &["t1586_session_browser", "t1586_session_scripted"],
                    &["SessionId", "UserPrincipalName"],
                    r.window,
                    "",
                    r.risk,
                    TAGS,
                )
            }
            ReplayPattern::Graph {
                min_networks,
                secs,
                trusted,
            } => {
                notes.push("Approximated: addresses, where the detector counts networks (an IPv4 /24, an IPv6 /48, one AS's IPv4 and IPv6); sessions only (the detector falls back to the token's id).".into());
                let mut body = format!(
                    "  success:\n    ResultType: '0'\n  graph_id:\n    ResourceIdentity: '{}'\n  graph_name:\n    ResourceDisplayName|contains: 'Microsoft Graph'\n{session}{not_interactive}",
                    crate::GRAPH
                );
                let mut cond =
                    "success and (graph_id or graph_name) and session and not non_interactive"
                        .to_string();
                if !trusted.is_empty() {
                    body += &format!("  trusted:\n    AppId:{}\n", items(trusted, "      "));
                    cond += " and not trusted";
                }
                let mut out = base_rule(
                    "a Microsoft Graph sign-in in a session",
                    "t1586_graph_session_sign_in",
                    &format!("{body}  condition: {cond}\n"),
                );
                out += &correlation(
                    &format!("{kind})"),
                    "t1586_graph_session",
                    "value_count",
                    &["t1586_graph_session_sign_in"],
                    &["SessionId", "UserPrincipalName"],
                    *secs,
                    &format!("    field: IPAddress\n    gte: {min_networks}\n"),
                    r.risk,
                    TAGS,
                );
                out
            }
            ReplayPattern::Kit {
                apps,
                agents,
                follow,
            } => {
                notes.push("Approximated: the kit's sign-in by its user agent (the detector also counts one from hosting infrastructure), and the follow-up's address is not compared with the kit's.".into());
                let mut out = base_rule(
                    "a kit's interactive sign-in",
                    "t1586_kit_sign_in",
                    &format!(
                        "  kit:\n    ResultType: '0'\n    IsInteractive: true\n    AppDisplayName:{}\n    UserAgent|contains:{}\n  condition: kit\n",
                        items(apps, "      "),
                        items(agents, "      ")
                    ),
                );
                out += &base_rule(
                    "a non-interactive sign-in",
                    "t1586_kit_follow_up",
                    "  follow_up:\n    ResultType: '0'\n    IsInteractive: false\n  condition: follow_up\n",
                );
                out + &correlation(
                    &format!("{kind})"),
                    "t1586_kit_then_non_interactive",
                    "temporal_ordered",
                    &["t1586_kit_sign_in", "t1586_kit_follow_up"],
                    &["UserPrincipalName"],
                    *follow,
                    "",
                    r.risk,
                    TAGS,
                )
            }
            ReplayPattern::MfaClaim { .. } => return Err(r.not(Replay::HISTORY)),
        })
    }

    fn watched(&self, w: &Watched, _: &mut Vec<String>) -> Result<String, String> {
        let mut out = workload_base(
            "t1586 WorkloadWatchedLocation",
            "t1586_workload_watched_location",
            &format!(
                "  watched:\n    ResultType: '0'\n    Location:{}\n",
                items(&w.countries, "      ")
            ),
            "watched",
        );
        out += &format!(
            "level: {}\ntags:\n  - attack.t1586.003\n  - attack.t1078.004\n",
            level(w.risk)
        );
        Ok(out)
    }

    fn legacy(&self, l: &Legacy, _: &mut Vec<String>) -> Result<String, String> {
        let mut sel = "  success:\n    ResultType: '0'\n".to_string();
        let mut any = Vec::new();
        if !l.client_apps.is_empty() {
            sel += &format!(
                "  legacy_client:\n    ClientAppUsed:{}\n",
                items(&l.client_apps, "      ")
            );
            any.push("legacy_client");
        }
        if !l.user_agents.is_empty() {
            sel += &format!(
                "  password_grant:\n    UserAgent|contains:{}\n",
                items(&l.user_agents, "      ")
            );
            any.push("password_grant");
        }
        if any.is_empty() {
            sel += "  nothing:\n    ResultType: 'never'\n";
            any.push("nothing");
        }
        let mut cond = format!("success and ({})", any.join(" or "));
        if l.single_factor_only {
            sel += "  mfa:\n    AuthenticationRequirement: 'multiFactorAuthentication'\n";
            cond += " and not mfa";
        }
        sel += &format!("  condition: {cond}\n");
        let mut out = base(
            "t1586 LegacyProtocolSuccess",
            "t1586_legacy_protocol_success",
            &sel,
        );
        out += &format!(
            "level: {}\ntags:\n  - attack.t1586\n  - attack.t1078.004\n",
            level(l.risk)
        );
        Ok(out)
    }

    fn burst(&self, b: &Burst, notes: &mut Vec<String>) -> Result<String, String> {
        b.note(notes);
        let (prefix, user, fail) = match &b.log {
            Log::SignIns {
                excluded,
                correct_password,
                reset_apps,
            } => {
                let fail = sign_in_failure(excluded, correct_password, reset_apps);
                (
                    "t1586_attempt",
                    "UserPrincipalName",
                    base(
                        "t1586 BruteForceAttempt: a failed sign-in",
                        "t1586_attempt_failure",
                        &fail,
                    ),
                )
            }
            Log::Windows { failures, .. } => (
                "t1586_logon_attempt",
                "TargetUserName",
                win_base(
                    "t1586 BruteForceAttempt: a failed logon",
                    "t1586_logon_attempt_failure",
                    &win_failure(failures),
                ),
            ),
            Log::Workload { codes } => (
                "t1586_workload_attempt",
                "AppId",
                workload_base(
                    "t1586 WorkloadCredentialFailures: a credential failure",
                    "t1586_workload_attempt_failure",
                    &format!("  failure:\n    ResultType:{}\n", items(codes, "      ")),
                    "failure",
                ),
            ),
        };
        let mut out = fail + "level: informational\n---\n";
        out += &format!(
            "{}correlation:\n  type: event_count\n  rules:\n    - {prefix}_failure\n  group-by:\n    - {user}\n  timespan: {}s\n  condition:\n    gte: {}\nlevel: {}\ntags:\n  - attack.t1110.001\n",
            head(&format!("t1586 {}", b.detection), prefix),
            b.window,
            b.min_failures,
            level(b.risk)
        );
        Ok(out)
    }

    fn id_risk(&self, r: &IdRisk, notes: &mut Vec<String>) -> Result<String, String> {
        r.note(notes);
        notes.push(format!(
            "Approximated: one level per rule ({}, risk {}), not by the record's level or types.",
            level(r.risk_high),
            r.risk_high
        ));
        let mut sel = format!(
            "  during:\n    RiskLevelDuringSignIn:{}\n  aggregated:\n    RiskLevelAggregated:{}\n  compromised:\n    RiskState: confirmedCompromised\n",
            items(&r.levels, "      "),
            items(&r.levels, "      ")
        );
        // Any risk event type but none (the high ones score no differently here: one level).
        sel += "  typed:\n    RiskEventTypes_V2|re: '[A-Za-z]'\n  untyped:\n    RiskEventTypes_V2:\n      - 'none'\n      - '[\"none\"]'\n";
        let any = [
            "during",
            "aggregated",
            "compromised",
            "(typed and not untyped)",
        ];
        let mut cond = format!("({})", any.join(" or "));
        if !r.cleared_states.is_empty() {
            sel += &format!(
                "  cleared:\n    RiskState:{}\n",
                items(&r.cleared_states, "      ")
            );
            cond += " and not cleared";
        }
        sel += &format!("  condition: {cond}\n");
        let mut out = base(
            "t1586 IdentityProtectionRisk",
            "t1586_identity_protection",
            &sel,
        );
        out += &format!(
            "level: {}\ntags:\n  - attack.t1586\n  - attack.t1078\n",
            level(r.risk_high)
        );
        Ok(out)
    }

    fn fatigue(&self, f: &Fatigue, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push(format!(
            "Approximated: the success may come any time within the window after the denials (the detector wants it within {} s of the last).",
            f.success_within
        ));
        let mut out = base(
            "t1586 MfaFatigue: a denied MFA prompt",
            "t1586_mfa_denial",
            &format!(
                "  denial:\n    ResultType:{}\n  condition: denial\n",
                items(&f.denial_codes, "      ")
            ),
        );
        out += "level: informational\n---\n";
        out += &base(
            "t1586 MfaFatigue: a successful sign-in",
            "t1586_mfa_success",
            "  success:\n    ResultType: '0'\n  condition: success\n",
        );
        out += "level: informational\n---\n";
        out += &format!(
            "{}correlation:\n  type: event_count\n  rules:\n    - t1586_mfa_denial\n  group-by:\n    - UserPrincipalName\n  timespan: {}s\n  condition:\n    gt: {}\nlevel: low\n---\n",
            head(
                "t1586 MfaFatigue: denials of one identity",
                "t1586_mfa_denials"
            ),
            f.window,
            f.max_denials
        );
        out += &format!(
            "{}correlation:\n  type: temporal_ordered\n  rules:\n    - t1586_mfa_denials\n    - t1586_mfa_success\n  group-by:\n    - UserPrincipalName\n  timespan: {}s\nlevel: {}\ntags:\n  - attack.t1621\n  - attack.t1586\n",
            head("t1586 MfaFatigue", "t1586_mfa_fatigue"),
            f.window,
            level(f.risk)
        );
        Ok(out)
    }

    fn phishing(&self, p: &Phishing, notes: &mut Vec<String>) -> Result<String, String> {
        p.note(notes);
        let mut sel = "  success:\n    ResultType: '0'\n".to_string();
        let mut client = Vec::new();
        if !p.clients.is_empty() {
            sel += &format!("  client_id:\n    AppId:{}\n", items(&p.clients, "      "));
            client.push("client_id");
        }
        if !p.client_names.is_empty() {
            sel += &format!(
                "  client_name:\n    AppDisplayName:{}\n",
                items(&p.client_names, "      ")
            );
            client.push("client_name");
        }
        if !p.user_agents.is_empty() {
            sel += &format!(
                "  client_agent:\n    UserAgent|contains:{}\n",
                items(&p.user_agents, "      ")
            );
            client.push("client_agent");
        }
        if client.is_empty() {
            sel += "  nothing:\n    ResultType: 'never'\n";
            client.push("nothing");
        }
        let (name, flow) = if p.device_code {
            notes.push(format!(
                "Approximated: one level per rule ({}, risk {}; the detector gives the broker's {}).",
                level(p.risk),
                p.risk,
                p.risk_broker
            ));
            sel += "  flow:\n    AuthenticationProtocol: deviceCode\n";
            ("t1586_device_code_phishing", "flow")
        } else {
            sel += &format!(
                "  graph_id:\n    ResourceIdentity: {}\n  graph_name:\n    ResourceDisplayName: Microsoft Graph\n",
                yq(crate::GRAPH)
            );
            ("t1586_oauth_client_phishing", "(graph_id or graph_name)")
        };
        sel += &format!(
            "  condition: success and {flow} and ({})\n",
            client.join(" or ")
        );
        let mut out = base(&format!("t1586 {}", p.detection), name, &sel);
        out += &format!(
            "level: {}\ntags:\n  - attack.t1528\n  - attack.t1566.002\n",
            level(p.risk)
        );
        Ok(out)
    }

    fn explicit(&self, e: &Explicit, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push("The target is IpAddress only (the detector falls back to TargetServerName when the event has no address); a subject presenting its own credentials is counted here.".into());
        let mut sel = "  explicit:\n    EventID: 4648\n".to_string();
        let mut cond = "explicit".to_string();
        if e.exclude_machine_subjects {
            sel += "  machine:\n    SubjectUserName|endswith: '$'\n";
            cond += " and not machine";
        }
        sel += &format!("  condition: {cond}\n");
        let mut out = win_base(
            "t1586 ExplicitCredentialSpray: explicit credentials presented",
            "t1586_explicit_credentials_logon",
            &sel,
        );
        out += "level: informational\n---\n";
        out += &format!(
            "{}correlation:\n  type: value_count\n  rules:\n    - t1586_explicit_credentials_logon\n  group-by:\n    - SubjectUserName\n    - IpAddress\n  timespan: {}s\n  condition:\n    field: TargetUserName\n    gte: {}\nlevel: {}\ntags:\n  - attack.t1110.003\n",
            head(
                "t1586 ExplicitCredentialSpray",
                "t1586_explicit_credentials"
            ),
            e.window,
            e.min_accounts,
            level(e.risk)
        );
        Ok(out)
    }

    fn velocity(&self, _: &Velocity, _: &mut Vec<String>) -> Result<String, String> {
        Err("Sigma cannot compare two events' fields (the distance between two sign-ins)".into())
    }
}
