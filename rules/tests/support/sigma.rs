//! What the Sigma evaluations share (`sigma_eval.rs`, `sigma_real_samples.rs`): the detector's
//! events given to rsigma with the SIEM tables' column names, and the alerts they raise.

use std::collections::BTreeSet;
use std::path::Path;

use rsigma_eval::{CorrelationConfig, CorrelationEngine, JsonEvent};
use serde_json::{Value, json};
use t1586_detector::AuthEvent;
use t1586_detector::ingest::{Decoded, Ingest, Item};

/// Every event of one file, as the detector's reader gives them.
pub fn events_of(path: &Path) -> Vec<AuthEvent> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut events = Vec::new();
    let mut ingest = Ingest::new(&name, 1 << 24);
    let mut keep = |i: Item| {
        if let Decoded::Event(e) = i.decoded {
            events.push(*e);
        }
    };
    ingest.push(&std::fs::read(path).unwrap(), &mut keep);
    ingest.finish("", None, &mut keep);
    events
}

/// An Entra sign-in as `SigninLogs` names its columns (the reader keeps the higher of the two
/// risk levels, and the risk event types as a list).
pub fn signin_logs(e: &AuthEvent) -> Value {
    let x = e.extra.as_deref();
    json!({
        "TimeGenerated": e.time.to_rfc3339(),
        "UserPrincipalName": &*e.identity,
        "ResultType": e.result_code.as_deref(),
        "IPAddress": e.ip.as_ref().map(ToString::to_string),
        "Location": e.country.as_deref(),
        "AutonomousSystemNumber": e.asn,
        "AutonomousSystemName": x.and_then(|x| x.asn_name.as_deref()),
        "AppDisplayName": e.app.as_deref(),
        "ClientAppUsed": e.client_app.as_deref(),
        "UserAgent": e.user_agent.as_deref(),
        "AuthenticationRequirement": x.and_then(|x| x.auth_requirement.as_deref()),
        "RiskLevelDuringSignIn": x.and_then(|x| x.risk_level.as_deref()),
        "RiskState": x.and_then(|x| x.risk_state.as_deref()),
        "RiskEventTypes_V2": x.map(|x| x.risk_event_types.join(",")),
        "AppId": x.and_then(|x| x.app_id.as_deref()),
        "AuthenticationProtocol": x.and_then(|x| x.auth_protocol.as_deref()),
        "ResourceIdentity": x.and_then(|x| x.resource_id.as_deref()),
        "ResourceDisplayName": x.and_then(|x| x.resource.as_deref()),
        "SessionId": e.session_id().map(|s| &**s).filter(|s| !s.is_empty()),
        "UniqueTokenIdentifier": e.token_id().map(|s| &**s),
        "IsInteractive": e.interactive,
    })
}

/// A workload identity's sign-in as `AADServicePrincipalSignInLogs` /
/// `AADManagedIdentitySignInLogs` name their columns (`Type` is the table).
pub fn workload_signins(e: &AuthEvent) -> Value {
    let table = match e.source_kind {
        t1586_detector::event::SourceKind::EntraManagedIdentity => "AADManagedIdentitySignInLogs",
        _ => "AADServicePrincipalSignInLogs",
    };
    let name = e.identity.split(" (app ").next().unwrap_or_default();
    json!({
        "TimeGenerated": e.time.to_rfc3339(),
        "Type": table,
        "ServicePrincipalName": name,
        "AppId": app_id(&e.identity),
        "ResultType": e.result_code.as_deref(),
        "IPAddress": e.ip.as_ref().map(ToString::to_string),
        "Location": e.country.as_deref(),
    })
}

/// The application id of a workload identity the detector names `name (app <id>)`, lower-cased.
pub fn app_id(identity: &str) -> String {
    identity
        .rsplit_once(" (app ")
        .map(|(_, id)| id.trim_end_matches(')'))
        .unwrap_or(identity)
        .to_lowercase()
}

/// An account name without its domain, lower-cased (as the Windows rules group it).
pub fn account(identity: &str) -> String {
    identity
        .rsplit('\\')
        .next()
        .unwrap_or_default()
        .to_lowercase()
}

/// A Windows Security event as `SecurityEvent` names its columns.
pub fn security_event(e: &AuthEvent) -> Value {
    let w = e.windows.as_deref();
    json!({
        "TimeGenerated": e.time.to_rfc3339(),
        "EventID": w.map(|w| w.event_id),
        "TargetUserName": e.identity.rsplit('\\').next().unwrap_or_default(),
        "IpAddress": e.ip.as_ref().map(ToString::to_string),
        "LogonType": w.and_then(|w| w.logon_type),
        "Status": w.and_then(|w| w.status.as_deref()),
        "SubStatus": w.and_then(|w| w.sub_status.as_deref()),
        "WorkstationName": w.and_then(|w| w.workstation.as_deref()),
        "SubjectUserName": w
            .and_then(|w| w.subject.as_deref())
            .map(|s| s.rsplit('\\').next().unwrap_or_default()),
        "TargetServerName": w.and_then(|w| w.target_server.as_deref()),
    })
}

/// The detector reports a brute-force attempt only when no success follows; when one does, it
/// raises the ordered compromise instead. The rules raise both: the attempt of an identity that
/// also has the compromise is the same story, and is not counted as a difference.
pub fn fold_attempts(got: &mut BTreeSet<(String, String)>) {
    let compromised: BTreeSet<String> = got
        .iter()
        .filter(|(k, _)| {
            k == "CredentialStuffing"
                || k == "FailedLogonsThenSuccess"
                || k == "WorkloadCredentialAbuse"
        })
        .map(|(_, who)| who.clone())
        .collect();
    got.retain(|(k, who)| {
        !((k == "BruteForceAttempt" || k == "WorkloadCredentialFailures")
            && compromised.contains(who))
    });
}

/// (detection type, who) of every final alert the rules raise over the events, in order, each
/// at its own time. `columns` names an event's fields; a correlation is keyed by its `key` group
/// field, else its first one (a spray's address), as [`account`]; the kinds in `multiple` are
/// keyed `(multiple)`, as the detector writes their identity. Set `T1586_SIGMA_DEBUG` to see
/// every rule that fires.
pub fn alerts(
    yaml: &str,
    events: &[AuthEvent],
    columns: fn(&AuthEvent) -> Value,
    key: &str,
    multiple: &[&str],
) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    if yaml.trim().is_empty() || events.is_empty() {
        return out;
    }
    let collection = rsigma_parser::parse_sigma_yaml(yaml).expect("the Sigma rules parse");
    assert!(
        collection.errors.is_empty(),
        "rsigma reports errors: {:?}",
        collection.errors
    );
    let mut engine = CorrelationEngine::new(CorrelationConfig::default());
    engine
        .add_collection(&collection)
        .expect("the rules compile");
    for e in events {
        let v = columns(e);
        for r in engine.process_event_at(&JsonEvent::borrow(&v), e.time.timestamp()) {
            if std::env::var_os("T1586_SIGMA_DEBUG").is_some() {
                eprintln!("{} {v}: {}", e.time, r.header.rule_title);
            }
            let Some(kind) = r.header.rule_title.strip_prefix("t1586 ") else {
                continue;
            };
            if kind.contains(':') {
                continue; // a base rule or an intermediate count
            }
            // "PasswordSpray (failures from one address ...)": the detection type.
            let kind = kind.split(" (").next().unwrap_or(kind);
            let who = if multiple.contains(&kind) {
                "(multiple)".to_string()
            } else {
                match r.as_correlation() {
                    Some(c) => c
                        .group_key
                        .iter()
                        .find(|(k, _)| k == key)
                        .or(c.group_key.first())
                        .map(|(_, v)| account(v))
                        .unwrap_or_default(),
                    None => account(&e.identity),
                }
            };
            out.insert((kind.to_string(), who));
        }
    }
    out
}
