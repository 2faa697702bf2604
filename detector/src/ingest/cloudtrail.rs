//! AWS CloudTrail console sign-ins: `ConsoleLogin` records, in the `{"Records":[…]}` files S3
//! delivers (gzip), as JSON Lines, or one record per object (Panther's copies included).
//!
//! `responseElements.ConsoleLogin` says `Success` or `Failure`; a failure's class comes from
//! `errorMessage` ("Failed authentication": bad credentials; "No username found in supplied
//! account": unknown account). `additionalEventData.MFAUsed` says whether a second factor was used.
//! Other event names are ignored with a reason.
//!
//! **Identities.** AWS identities have no e-mail, so they are keyed by account and name:
//! `111122223333:ops-admin` for an IAM user, `111122223333:root` for the root user; an assumed
//! role's (or federated user's) session name when it is an e-mail address (the single sign-on
//! case: the same key as the person's Okta or Entra sign-ins), else `account:session`.
//!
//! **Verdicts** written as risk event types of the sign-in, for the pass-through signal:
//! `rootConsoleLogin` (a root sign-in, success or failure), `consoleLoginWithoutMfa` (an IAM user
//! signing in with a password alone, not through SAML). Whether the second is risk in a given
//! account is configuration (`identity_protection.ignored_types`).
//!
//! CloudTrail has no place or network of the address: enrichment fills them.

use serde_json::Value;

use super::intern::Interner;
use super::provider::{Field, Fields, Sign, at, first_text, required_time, text};
use super::{Decoded, reject};
use crate::event::{FailureClass, Outcome, RecordRef, SourceKind};

/// The key of an AWS identity: see the module documentation. `kind` is `userIdentity.type`.
pub(crate) fn aws_identity(
    kind: Option<&str>,
    account: Option<&str>,
    name: Option<&str>,
    arn: Option<&str>,
) -> Option<String> {
    // arn:aws:iam::111122223333:user/anaya, arn:aws:iam::111122223333:root,
    // arn:aws:sts::111122223333:assumed-role/Role/session.
    let (arn_account, arn_resource) = arn
        .and_then(|a| {
            let mut parts = a.splitn(6, ':');
            let _ = (parts.next(), parts.next(), parts.next(), parts.next());
            Some((parts.next()?, parts.next()?))
        })
        .map_or((None, None), |(a, r)| (Some(a), Some(r)));
    let account = account
        .filter(|a| !a.is_empty())
        .or(arn_account.filter(|a| !a.is_empty()));
    let kind = kind.unwrap_or_default().to_ascii_lowercase();
    let name = if kind == "root" || arn_resource == Some("root") {
        Some("root")
    } else if matches!(kind.as_str(), "assumedrole" | "federateduser")
        || arn_resource
            .is_some_and(|r| r.starts_with("assumed-role/") || r.starts_with("federated-user/"))
    {
        arn_resource.and_then(|r| r.rsplit('/').next()).or(name)
    } else {
        name.filter(|n| !n.is_empty())
            .or_else(|| arn_resource.and_then(|r| r.rsplit('/').next()))
    }?;
    if name.contains('@') {
        return Some(name.to_string());
    }
    Some(match account {
        Some(a) => format!("{a}:{name}"),
        None => name.to_string(),
    })
}

/// Where each field is (CloudTrail has no place of the address: Panther's ipinfo enrichment
/// when the record went through Panther).
const FIELDS: Fields = &[
    (Field::Ip, &[&["sourceIPAddress"]]),
    (Field::UserAgent, &[&["userAgent"]]),
    (Field::RequestId, &[&["eventID"]]),
    (
        Field::Country,
        &[&[
            "p_enrichment",
            "ipinfo_location",
            "sourceIPAddress",
            "country",
        ]],
    ),
    (
        Field::City,
        &[&["p_enrichment", "ipinfo_location", "sourceIPAddress", "city"]],
    ),
    (
        Field::Latitude,
        &[&["p_enrichment", "ipinfo_location", "sourceIPAddress", "lat"]],
    ),
    (
        Field::Longitude,
        &[&["p_enrichment", "ipinfo_location", "sourceIPAddress", "lng"]],
    ),
];

pub(crate) fn decode(v: &Value, record: &RecordRef, intern: &mut Interner) -> Decoded {
    let Some(name) = text(v, &["eventName"]) else {
        return reject(
            "missing event name",
            "a CloudTrail record without eventName",
        );
    };
    if name != "ConsoleLogin" {
        return Decoded::Ignored("not a console sign-in (CloudTrail eventName)");
    }
    let time = match required_time(v, &[&["eventTime"], &["p_event_time"]], "eventTime") {
        Ok(t) => t,
        Err(d) => return d,
    };
    let result = text(v, &["responseElements", "ConsoleLogin"]);
    let error = text(v, &["errorMessage"]);
    let outcome = match result.as_deref() {
        Some(r) if r.eq_ignore_ascii_case("Success") => Outcome::Success,
        Some(r) if r.eq_ignore_ascii_case("Failure") => Outcome::Failure,
        _ if error.is_some() => Outcome::Failure,
        _ => return Decoded::Ignored("console sign-in without a result (responseElements)"),
    };
    let kind = text(v, &["userIdentity", "type"]);
    let account = first_text(
        v,
        &[&["userIdentity", "accountId"], &["recipientAccountId"]],
    );
    let identity = aws_identity(
        kind.as_deref(),
        account.as_deref(),
        first_text(
            v,
            &[
                &["userIdentity", "userName"],
                &[
                    "userIdentity",
                    "sessionContext",
                    "sessionIssuer",
                    "userName",
                ],
            ],
        )
        .as_deref(),
        text(v, &["userIdentity", "arn"]).as_deref(),
    );
    let Some(identity) = identity else {
        return reject(
            "missing user",
            "a console sign-in without userIdentity (userName, arn, type)",
        );
    };
    let mut s = Sign::new(time, &identity, outcome, SourceKind::AwsConsole);
    if outcome == Outcome::Failure {
        s.class = Some(match error.as_deref().unwrap_or_default() {
            "Failed authentication" => FailureClass::BadCredentials,
            e if e.starts_with("No username found") => FailureClass::UnknownAccount,
            e => super::provider::class_of_text(e),
        });
        s.reason = error.as_deref().map(String::from);
    }
    s.fill(v, FIELDS);
    s.fill(v, super::provider::ELASTIC_GEOIP);
    s.app = Some("AWS Management Console".into());
    // MFA at this sign-in, or in the session a role was assumed from.
    let mfa = text(v, &["additionalEventData", "MFAUsed"])
        .map(|m| m.eq_ignore_ascii_case("Yes"))
        .map(|m| {
            m || super::provider::flag(
                v,
                &[
                    "userIdentity",
                    "sessionContext",
                    "attributes",
                    "mfaAuthenticated",
                ],
            ) == Some(true)
        });
    s.mfa = mfa;
    let saml = at(v, &["additionalEventData", "SamlProviderArn"]).is_some();
    s.auth_protocol = saml.then(|| "saml20".to_string());
    let root = identity.ends_with(":root") || kind.as_deref() == Some("Root");
    if root {
        s.risk_types.push("rootConsoleLogin".into());
    } else if outcome == Outcome::Success
        && mfa == Some(false)
        && !saml
        && kind
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case("IAMUser"))
    {
        s.risk_types.push("consoleLoginWithoutMfa".into());
    }
    s.event(record, intern)
}

#[cfg(test)]
mod tests {
    use super::aws_identity;
    use crate::ingest::Decoded;
    use crate::ingest::okta::tests::read;
    use crate::{FailureClass, Outcome};

    #[test]
    fn identities_by_account_and_name() {
        for (kind, account, name, arn, want) in [
            (
                Some("IAMUser"),
                Some("111122223333"),
                Some("anaya"),
                None,
                "111122223333:anaya",
            ),
            (
                Some("Root"),
                Some("123456789012"),
                None,
                Some("arn:aws:iam::123456789012:root"),
                "123456789012:root",
            ),
            (
                Some("AssumedRole"),
                None,
                None,
                Some("arn:aws:sts::123456789012:assumed-role/Admin/jane@corp.example"),
                "jane@corp.example",
            ),
            (
                Some("AssumedRole"),
                None,
                None,
                Some("arn:aws:sts::123456789012:assumed-role/Admin/i-0abc"),
                "123456789012:i-0abc",
            ),
            (
                None,
                None,
                None,
                Some("arn:aws:iam::111122223333:user/ops-admin"),
                "111122223333:ops-admin",
            ),
        ] {
            assert_eq!(
                aws_identity(kind, account, name, arn).as_deref(),
                Some(want)
            );
        }
    }

    #[test]
    fn console_logins() {
        let fail = r#"{"eventVersion":"1.05","userIdentity":{"type":"IAMUser","accountId":"111122223333","userName":"anaya"},"eventTime":"2022-11-10T16:24:34Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","sourceIPAddress":"192.0.2.0","userAgent":"Mozilla/5.0","errorMessage":"Failed authentication","responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"MFAUsed":"No"},"eventID":"e-1"}"#;
        let Decoded::Event(e) = read(fail) else {
            panic!("{:?}", read(fail))
        };
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(&*e.identity_key, "111122223333:anaya");
        assert_eq!(e.failure_class(), Some(FailureClass::BadCredentials));
        let ok = fail
            .replace(r#""errorMessage":"Failed authentication","#, "")
            .replace("Failure", "Success");
        let Decoded::Event(e) = read(&ok) else {
            panic!()
        };
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.risk_event_types(), ["consoleLoginWithoutMfa"]);
        let other = ok.replace("ConsoleLogin\",", "GetSigninToken\",");
        assert!(
            matches!(read(&other), Decoded::Ignored(_)),
            "{:?}",
            read(&other)
        );
    }
}
