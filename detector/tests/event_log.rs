//! The event log review tools draw timelines from: every event, or one identity's
//! (`set_event_log_filter`), which a timeline re-reads the input with.

use t1586_detector::{Config, Detector};

const INPUT: &str = concat!(
    r#"{"createdDateTime":"2026-03-02T10:00:00Z","userPrincipalName":"Alex.Wilber@contoso.com","ipAddress":"203.0.113.1","status":{"errorCode":50126}}"#,
    "\n",
    r#"{"createdDateTime":"2026-03-02T10:01:00Z","userPrincipalName":"megan.bowen@contoso.com","ipAddress":"203.0.113.2","status":{"errorCode":0}}"#,
    "\n",
    r#"{"createdDateTime":"2026-03-02T10:02:00Z","userPrincipalName":"alex.wilber@contoso.com","ipAddress":"203.0.113.3","status":{"errorCode":0}}"#,
    "\n",
);

fn logged(filter: Option<&str>, signals: bool) -> Vec<(String, String)> {
    let mut cfg = Config::default();
    if !signals {
        cfg.disable_signals();
    }
    let mut d = Detector::new(cfg);
    d.set_event_log(true);
    d.set_event_log_filter(filter);
    d.begin_source("signins.jsonl");
    d.push(INPUT.as_bytes());
    d.flush();
    d.take_events()
        .into_iter()
        .map(|e| (e.identity_key, e.ip.unwrap_or_default()))
        .collect()
}

#[test]
fn every_event_without_a_filter() {
    assert_eq!(logged(None, true).len(), 3);
}

#[test]
fn one_identity_by_name_in_any_case_or_by_key() {
    let alex = vec![
        (
            "alex.wilber@contoso.com".to_string(),
            "203.0.113.1".to_string(),
        ),
        (
            "alex.wilber@contoso.com".to_string(),
            "203.0.113.3".to_string(),
        ),
    ];
    assert_eq!(logged(Some("ALEX.WILBER@contoso.com"), true), alex);
    assert_eq!(logged(Some("alex.wilber@contoso.com"), false), alex);
    assert!(logged(Some("nobody@contoso.com"), true).is_empty());
}
