//! The generated tenant's sign-ins in the shapes of the other sources t1586 reads
//! (`t1586 generate --format`): the same people, times, addresses, places and results, written as
//! each provider's or SIEM's export writes them, so the same attacks exist in every format.
//!
//! What each shape keeps of a Graph `signIn` is what the source has:
//! * `elastic` (ECS documents with `event.original`) and `splunk` (streaming JSON results with
//!   `_raw`) keep the record itself: the alerts are the Graph records' own;
//! * `m365` (unified audit log) keeps Entra's result code and the address, not the place;
//! * `okta`, `ocsf`, `udm` keep the result as their outcome and failure reason, the place, the
//!   network and the user agent; `okta` also the session;
//! * `cloudtrail` (console sign-ins, the user's e-mail as the IAM user name) and `google` keep the
//!   result and the address only: their sources have no place or network.
//!
//! Entra-only facts (client app, legacy protocols, MFA codes, risk types, token ids) have no
//! counterpart in the other providers' shapes, so the signals built on them see nothing there.

use serde_json::{Value, json};

/// A shape of the generated sign-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Shape {
    /// Microsoft Graph `signIn` records (JSON Lines).
    #[default]
    Graph,
    /// Okta System Log events (`user.session.start`, `auth_via_mfa`).
    Okta,
    /// AWS CloudTrail `ConsoleLogin` records.
    Cloudtrail,
    /// Google Workspace Reports API login activities.
    Google,
    /// OCSF 1.1 Authentication (class 3002) events.
    Ocsf,
    /// Chronicle UDM `USER_LOGIN` events.
    Udm,
    /// Microsoft 365 unified audit log `UserLoggedIn` / `UserLoginFailed`.
    M365,
    /// Elastic documents (ECS) of the Azure sign-in integration, with `event.original`.
    Elastic,
    /// Splunk search results as streaming JSON lines (`result._raw`).
    Splunk,
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn loc<'a>(v: &'a Value, k: &str) -> &'a Value {
    &v["location"][k]
}

/// The Okta `outcome.reason`, or an Okta event type, for an Entra result code.
fn okta_result(code: u64) -> (&'static str, &'static str, Option<&'static str>) {
    match code {
        0 => ("user.session.start", "SUCCESS", None),
        50074 | 50076 | 50079 => ("user.session.start", "CHALLENGE", None),
        500121 => (
            "user.authentication.auth_via_mfa",
            "FAILURE",
            Some("INVALID_MFA_RESPONSE"),
        ),
        50053 => ("user.session.start", "FAILURE", Some("LOCKED_OUT")),
        50034 => ("user.session.start", "FAILURE", Some("UNKNOWN_USER")),
        53003 => (
            "user.session.start",
            "DENY",
            Some("Sign-on policy evaluation resulted in DENY"),
        ),
        _ => ("user.session.start", "FAILURE", Some("INVALID_CREDENTIALS")),
    }
}

impl Shape {
    /// The record of the Graph sign-in `g` (line `n` of its day) in this shape; `None` when the
    /// source writes nothing for it (CloudTrail has no record of a console MFA prompt).
    pub fn convert(self, g: &Value, n: u64) -> Option<Value> {
        let code = g["status"]["errorCode"].as_u64().unwrap_or(0);
        let ok = code == 0;
        let upn = s(g, "userPrincipalName");
        let time = s(g, "createdDateTime");
        let ip = s(g, "ipAddress");
        let id = s(g, "id");
        let reason = s(&g["status"], "failureReason");
        let mfa_prompt = matches!(code, 50074 | 50076 | 50079);
        Some(match self {
            Shape::Graph => g.clone(),
            Shape::Elastic => json!({
                "@timestamp": time,
                "event": {"original": g.to_string(), "kind": "event", "category": ["authentication"],
                          "outcome": if ok { "success" } else { "failure" }},
                "source": {"ip": ip},
                "data_stream": {"dataset": "azure.signinlogs"},
            }),
            Shape::Splunk => json!({
                "preview": false, "offset": n,
                "result": {"_time": time, "_raw": g.to_string(), "sourcetype": "azure:monitor:aad",
                           "host": "eventhub"},
            }),
            Shape::M365 => {
                let mut r = json!({
                    "CreationTime": time.trim_end_matches('Z'), "Id": id,
                    "Operation": if ok { "UserLoggedIn" } else { "UserLoginFailed" },
                    "OrganizationId": "contoso", "RecordType": 15, "UserKey": upn, "UserType": 0,
                    "Workload": "AzureActiveDirectory", "ClientIP": ip, "UserId": upn,
                    "ExtendedProperties": [{"Name": "UserAgent", "Value": s(g, "userAgent")}],
                });
                if !ok {
                    r["ErrorNumber"] = code.to_string().into();
                    r["LogonError"] = reason.into();
                }
                r
            }
            Shape::Okta => {
                let (event_type, result, why) = okta_result(code);
                json!({
                    "uuid": id, "published": time, "eventType": event_type, "version": "0",
                    "severity": "INFO", "displayMessage": "User login to Okta",
                    "actor": {"id": upn, "type": "User", "alternateId": upn},
                    "client": {"ipAddress": ip, "userAgent": {"rawUserAgent": s(g, "userAgent")},
                               "geographicalContext": {"city": loc(g, "city"), "country": loc(g, "countryOrRegion"),
                                   "geolocation": {"lat": loc(g, "geoCoordinates")["latitude"],
                                                   "lon": loc(g, "geoCoordinates")["longitude"]}}},
                    "outcome": {"result": result, "reason": why},
                    "securityContext": {"asNumber": g["autonomousSystemNumber"]},
                    "authenticationContext": {"externalSessionId": g.get("sessionId")},
                    "target": [{"type": "AppInstance", "displayName": s(g, "appDisplayName")}],
                })
            }
            Shape::Cloudtrail if mfa_prompt => return None,
            Shape::Cloudtrail => {
                let mut r = json!({
                    "eventVersion": "1.08",
                    "userIdentity": {"type": "IAMUser", "accountId": "111122223333", "userName": upn},
                    "eventTime": time, "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
                    "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": s(g, "userAgent"),
                    "responseElements": {"ConsoleLogin": if ok { "Success" } else { "Failure" }},
                    "additionalEventData": {"MFAUsed": "Yes", "MobileVersion": "No"},
                    "eventID": id, "eventType": "AwsConsoleSignIn", "recipientAccountId": "111122223333",
                });
                if !ok {
                    r["errorMessage"] = "Failed authentication".into();
                }
                r
            }
            Shape::Google => {
                let mut params = vec![json!({"name": "login_type", "value": "google_password"})];
                let name = if ok {
                    "login_success"
                } else if mfa_prompt {
                    params.push(
                        json!({"name": "login_challenge_status", "value": "Challenge Passed"}),
                    );
                    "login_challenge"
                } else {
                    let failure = if code == 500121 {
                        "login_failure_invalid_second_factor"
                    } else {
                        "login_failure_invalid_password"
                    };
                    params.push(json!({"name": "login_failure_type", "value": failure}));
                    "login_failure"
                };
                json!({
                    "kind": "admin#reports#activity",
                    "id": {"time": time, "uniqueQualifier": id, "applicationName": "login", "customerId": "C0ntoso"},
                    "actor": {"email": upn}, "ipAddress": ip,
                    "events": [{"type": "login", "name": name, "parameters": params}],
                })
            }
            Shape::Ocsf => json!({
                "activity_id": 1, "class_uid": 3002, "category_uid": 3, "type_uid": 300201,
                "time_dt": time, "status_id": if ok { 1 } else { 2 },
                "status": if ok { "Success" } else { "Failure" },
                "status_code": if ok { Value::Null } else { code.to_string().into() },
                "status_detail": if ok { Value::Null } else { reason.into() },
                "metadata": {"product": {"name": "Contoso SSO", "vendor_name": "Contoso"}, "uid": id, "version": "1.1.0"},
                "user": {"email_addr": upn},
                "src_endpoint": {"ip": ip, "location": {"country": loc(g, "countryOrRegion"), "city": loc(g, "city"),
                    "lat": loc(g, "geoCoordinates")["latitude"], "long": loc(g, "geoCoordinates")["longitude"]},
                    "autonomous_system": {"number": g["autonomousSystemNumber"]}},
                "http_request": {"user_agent": s(g, "userAgent")},
                "service": {"name": s(g, "appDisplayName")},
            }),
            Shape::Udm => json!({
                "metadata": {"eventTimestamp": time, "eventType": "USER_LOGIN", "vendorName": "Contoso",
                             "productName": "Contoso SSO", "productLogId": id},
                "principal": {"ip": [ip], "location": {"countryOrRegion": loc(g, "countryOrRegion"),
                    "city": loc(g, "city"), "regionLatitude": loc(g, "geoCoordinates")["latitude"],
                    "regionLongitude": loc(g, "geoCoordinates")["longitude"]}},
                "target": {"user": {"emailAddresses": [upn]}, "application": s(g, "appDisplayName")},
                "network": {"asn": g["autonomousSystemNumber"].to_string(), "http": {"userAgent": s(g, "userAgent")}},
                "securityResult": [{"action": [if ok { "ALLOW" } else if mfa_prompt { "CHALLENGE" } else { "BLOCK" }],
                                    "summary": reason}],
            }),
        })
    }
}
