//! Microsoft 365 unified audit log sign-ins: `UserLoggedIn` and `UserLoginFailed` records
//! (`AzureActiveDirectoryStsLogon`), from the Management Activity API (a JSON array), JSON Lines,
//! or Purview's CSV export, whose `AuditData` column holds the record.
//!
//! These are Entra ID sign-ins seen through the audit log: they become Entra sign-ins
//! ([`SourceKind::EntraSignIn`]) with Entra's result code (`ErrorNumber`; a `UserLoggedIn`
//! without one is code 0), so every Entra signal reads them. Fields: time `CreationTime` (UTC
//! without a zone), user `UserId`, address `ClientIP` (else `ActorIpAddress`), reason
//! `LogonError`, user agent from `ExtendedProperties` (`UserAgent`), application id
//! `ApplicationId`, id `Id`. Other operations are ignored with a reason.

use serde_json::Value;

use super::intern::Interner;
use super::normalize;
use super::provider::{Sign, at, first_owned, first_text, owned, required_time, text};
use super::{Decoded, reject};
use crate::event::{RecordRef, SourceKind};

pub(crate) fn decode(v: &Value, record: &RecordRef, intern: &mut Interner) -> Decoded {
    let Some(op) = first_text(v, &[&["Operation"], &["Operations"]]) else {
        return reject("missing operation", "an audit record without Operation");
    };
    let success = match op.as_ref() {
        "UserLoggedIn" => true,
        "UserLoginFailed" => false,
        _ => return Decoded::Ignored("not a sign-in (Microsoft 365 audit Operation)"),
    };
    let time = match required_time(v, &[&["CreationTime"], &["CreationDate"]], "CreationTime") {
        Ok(t) => t,
        Err(d) => return d,
    };
    let Some(user) = first_text(v, &[&["UserId"], &["UserIds"]]) else {
        return reject("missing user", "an audit sign-in without UserId");
    };
    let code = text(v, &["ErrorNumber"])
        .map(|c| c.into_owned())
        .or_else(|| success.then(|| "0".to_string()));
    let Some(code) = code else {
        return reject(
            "missing result code",
            "a UserLoginFailed record without ErrorNumber",
        );
    };
    let mut s = Sign::new(
        time,
        &user,
        normalize::outcome(&code),
        SourceKind::EntraSignIn,
    );
    s.code = Some(code);
    s.reason = owned(v, &["LogonError"]);
    s.ip = first_owned(v, &[&["ClientIP"], &["ActorIpAddress"]]);
    s.user_agent = at(v, &["ExtendedProperties"])
        .and_then(Value::as_array)
        .and_then(|ps| {
            ps.iter()
                .find(|p| text(p, &["Name"]).as_deref() == Some("UserAgent"))
        })
        .and_then(|p| text(p, &["Value"]))
        .map(String::from);
    s.request_id = owned(v, &["Id"]);
    let app_id = text(v, &["ApplicationId"]).map(|a| a.to_ascii_lowercase());
    match s.event(record, intern) {
        Decoded::Event(mut e) => {
            if let Some(a) = app_id {
                e.extra_mut().app_id = Some(intern.get(&a));
            }
            Decoded::Event(e)
        }
        d => d,
    }
}

/// A row of Purview's audit export: its `AuditData` column is the record (JSON, as text or
/// already parsed).
pub(crate) fn decode_export_row(v: &Value, record: &RecordRef, intern: &mut Interner) -> Decoded {
    match at(v, &["AuditData"]) {
        Some(Value::String(s)) => match serde_json::from_slice::<Value>(s.as_bytes()) {
            Ok(inner) => decode(&inner, record, intern),
            Err(e) => reject("invalid JSON", format!("the AuditData column: {e}")),
        },
        Some(inner @ Value::Object(_)) => decode(inner, record, intern),
        _ => decode(v, record, intern),
    }
}

#[cfg(test)]
mod tests {
    use crate::Outcome;
    use crate::ingest::Decoded;
    use crate::ingest::okta::tests::read;

    #[test]
    fn audit_sign_ins_are_entra_sign_ins() {
        let failed = r#"{"CreationTime":"2024-03-01T10:00:00","Id":"a-1","Operation":"UserLoginFailed","OrganizationId":"o","RecordType":15,"ResultStatus":"Failed","UserKey":"k","UserType":0,"Workload":"AzureActiveDirectory","ClientIP":"203.0.113.8","UserId":"Jane@Contoso.com","ApplicationId":"00000002-0000-0FF1-CE00-000000000000","ErrorNumber":"50126","LogonError":"InvalidUserNameOrPassword","ExtendedProperties":[{"Name":"UserAgent","Value":"python-requests/2.31"}]}"#;
        let Decoded::Event(e) = read(failed) else {
            panic!("{:?}", read(failed))
        };
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.result_code.as_deref(), Some("50126"));
        assert_eq!(e.source_kind, crate::event::SourceKind::EntraSignIn);
        assert_eq!(e.user_agent.as_deref(), Some("python-requests/2.31"));
        assert_eq!(e.failure_class(), Some(crate::FailureClass::BadCredentials));
        let ok = failed
            .replace("UserLoginFailed", "UserLoggedIn")
            .replace(r#""ErrorNumber":"50126","#, "");
        let Decoded::Event(e) = read(&ok) else {
            panic!()
        };
        assert_eq!(e.outcome, Outcome::Success);
        let other = ok.replace("UserLoggedIn", "FileAccessed");
        assert!(matches!(read(&other), Decoded::Ignored(_)));
    }
}
