//! The keys of sign-in records: the one list of the keys the sign-in readers know, for the general
//! reader ([`super::entra`]) and the Graph path ([`super::graph`]), which leaves every record with
//! another key of this list to the general reader.

/// A sign-in field the reader knows, by its lower-cased key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum F {
    Created,
    Time,
    Upn,
    SignInIdentifier,
    ResultType,
    ResultDescription,
    Status,
    Ip,
    CallerIp,
    Location,
    LocationDetails,
    Asn,
    AsnName,
    App,
    ClientApp,
    AuthRequirement,
    UserAgent,
    SessionId,
    CorrelationId,
    Id,
    OriginalRequestId,
    IsInteractive,
    Category,
    Type,
    MfaDetail,
    AuthDetails,
    RiskV1,
    RiskV2,
    AppId,
    Resource,
    ResourceId,
    AuthProtocol,
    TransferMethod,
    RiskLevelDuring,
    RiskLevelAggregated,
    RiskState,
    TokenId,
    ServicePrincipalName,
    ServicePrincipalId,
    ManagedIdentityType,
    SignInEventTypes,
    Properties,
    /// Keys of Windows event shapes (evtx_dump `Event`, Winlogbeat, SecurityEvent, PowerShell):
    /// the record goes to the Windows reader.
    WindowsKey,
    /// `Event`: a Windows event only when spelled so.
    Event,
    /// `value`, `records`, `results`, `items`, `hits`: maybe a wrapper page of records (only when
    /// spelled so).
    Wrapper,
    /// `@timestamp`: an Elastic (ECS) document.
    EcsTimestamp,
    /// `azure`, `okta`, `aws`, `google_workspace`, `ocsf`: an Elastic document of that
    /// integration, when it has `@timestamp` (see [`Ecs`]).
    Ecs(Ecs),
    /// `_raw`: a Splunk result's record as the source wrote it.
    SplunkRaw,
    /// `_time`: a Splunk result's time, with its offset.
    SplunkTime,
    /// `result`: the result of a Splunk search's streaming JSON export line.
    SplunkResult,
    /// `_source`: an Elasticsearch search hit's document.
    EsSource,
    /// `Vendor`, `Vendor.…`: a LogScale event's copy of the vendor's record.
    Vendor,
    /// `p_log_type`: Panther's name of the log a record came from.
    PantherLogType,
    /// A key only another identity provider's records have: the record goes to that provider's
    /// reader (unless Entra's own keys are there too).
    Provider(Provider),
}

/// The identity providers and schemas whose records have readers of their own, by the keys only
/// their records have. When several are seen, the first in this order wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Provider {
    /// Microsoft 365 unified audit log, as Purview exports it: the record is the `AuditData`
    /// column's JSON.
    M365AuditData,
    /// OCSF (`class_uid`, `category_uid`, `type_uid`).
    Ocsf,
    /// AWS CloudTrail (`eventSource`, `eventName`, `userIdentity`, ...).
    CloudTrail,
    /// Chronicle / Google SecOps UDM (`metadata`, `principal`, `securityResult`, `udm`).
    Udm,
    /// Google Workspace Reports API activity (`kind`, `events`, `ownerDomain`, `parameters`).
    Google,
    /// Okta System Log (`published`, `legacyEventType`, `outcome`, `securityContext`, ...).
    Okta,
    /// Microsoft 365 unified audit log (`CreationTime`, `RecordType`, `Workload`, `UserKey`).
    M365,
}

/// The Elastic integration whose fields an Elastic document carries, named by the object that holds
/// them: `azure.signinlogs`, `okta`, `aws.cloudtrail`, `google_workspace`, `ocsf` (Amazon Security
/// Lake).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ecs {
    Azure,
    Okta,
    Aws,
    Google,
    Ocsf,
}

/// Which provider Panther's `p_log_type` names.
pub(crate) fn provider_of_panther(log_type: &str) -> Option<Provider> {
    let t = log_type.trim();
    Some(if t.starts_with("Okta.") {
        Provider::Okta
    } else if t.starts_with("AWS.CloudTrail") {
        Provider::CloudTrail
    } else if t.starts_with("GSuite.") {
        Provider::Google
    } else {
        return None;
    })
}

/// Which provider a lower-cased key is a sign of.
pub(crate) fn provider_of(lower: &str) -> Option<Provider> {
    Some(match lower {
        "auditdata" => Provider::M365AuditData,
        "class_uid" | "category_uid" | "type_uid" => Provider::Ocsf,
        "eventsource"
        | "eventname"
        | "useridentity"
        | "awsregion"
        | "recipientaccountid"
        | "additionaleventdata"
        | "responseelements" => Provider::CloudTrail,
        "metadata" | "principal" | "securityresult" | "security_result" | "udm" => Provider::Udm,
        "kind" | "events" | "ownerdomain" | "parameters" => Provider::Google,
        "published"
        | "legacyeventtype"
        | "outcome"
        | "securitycontext"
        | "authenticationcontext"
        | "debugcontext" => Provider::Okta,
        "creationtime" | "recordtype" | "workload" | "userkey" | "organizationid" => Provider::M365,
        _ => return None,
    })
}

/// Which field a lower-cased key names.
pub(crate) fn field_of(lower: &str) -> Option<F> {
    Some(match lower {
        "createddatetime" | "date (utc)" => F::Created,
        "time" | "timegenerated" | "timestamp" => F::Time,
        "userprincipalname" | "username" => F::Upn,
        "signinidentifier" => F::SignInIdentifier,
        "resulttype" | "sign-in error code" => F::ResultType,
        "resultdescription" | "failure reason" => F::ResultDescription,
        // An object (Graph, LA), a JSON string, or a word ("Success", portal CSV: ignored).
        "status" | "status_dynamic" => F::Status,
        "ipaddress" | "ip address" => F::Ip,
        "calleripaddress" => F::CallerIp,
        "location" => F::Location,
        "locationdetails" | "locationdetails_dynamic" => F::LocationDetails,
        "autonomoussystemnumber" | "asn" => F::Asn,
        "autonomoussystemname" | "asname" | "asnname" => F::AsnName,
        "appdisplayname" | "application" => F::App,
        "clientappused" | "client app" => F::ClientApp,
        "authenticationrequirement" | "authentication requirement" => F::AuthRequirement,
        "useragent" | "user agent" => F::UserAgent,
        "sessionid" => F::SessionId,
        "correlationid" | "correlation id" => F::CorrelationId,
        "id" | "request id" => F::Id,
        "originalrequestid" => F::OriginalRequestId,
        "isinteractive" => F::IsInteractive,
        "category" => F::Category,
        "type" => F::Type,
        "mfadetail" => F::MfaDetail,
        "authenticationdetails" => F::AuthDetails,
        "riskeventtypes" => F::RiskV1,
        "riskeventtypes_v2" => F::RiskV2,
        "appid" | "application id" => F::AppId,
        "resourcedisplayname" | "resource" => F::Resource,
        "resourceid" | "resource id" => F::ResourceId,
        "authenticationprotocol" | "authentication protocol" => F::AuthProtocol,
        "originaltransfermethod" => F::TransferMethod,
        "risklevelduringsignin" | "risk level during sign-in" => F::RiskLevelDuring,
        "risklevelaggregated" | "risk level aggregated" => F::RiskLevelAggregated,
        "riskstate" | "risk state" => F::RiskState,
        "uniquetokenidentifier" => F::TokenId,
        "serviceprincipalname" => F::ServicePrincipalName,
        "serviceprincipalid" => F::ServicePrincipalId,
        "managedidentitytype" => F::ManagedIdentityType,
        "signineventtypes" => F::SignInEventTypes,
        "properties" => F::Properties,
        "winlog" | "eventid" | "event_id" | "eventrecordid" | "providername" | "recordid" => {
            F::WindowsKey
        }
        "event" => F::Event,
        "value" | "records" | "results" | "items" | "hits" => F::Wrapper,
        "_source" => F::EsSource,
        // The record as the source wrote it: Splunk's `_raw`, QRadar's payload (AQL
        // `UTF8(payload)`, with or without an alias).
        "_raw" | "payload" | "utf8(payload)" | "utf8_payload" | "@rawstring" => F::SplunkRaw,
        "_time" => F::SplunkTime,
        "result" => F::SplunkResult,
        "@timestamp" => F::EcsTimestamp,
        "azure" => F::Ecs(Ecs::Azure),
        "okta" => F::Ecs(Ecs::Okta),
        "aws" => F::Ecs(Ecs::Aws),
        "google_workspace" => F::Ecs(Ecs::Google),
        "ocsf" => F::Ecs(Ecs::Ocsf),
        "p_log_type" => F::PantherLogType,
        // LogScale / Falcon NG-SIEM: the vendor's own fields under `Vendor` (an object, or
        // flattened `Vendor.…` keys as exports write them).
        v if v == "vendor" || v.starts_with("vendor.") => F::Vendor,
        other => F::Provider(provider_of(other)?),
    })
}

/// Graph's spelling of a sign-in field, lower-cased (exactly what [`lower`] gives for it), without
/// copying it: most records are Graph's, and these are most of their keys.
fn graph_key(k: &str) -> Option<&'static str> {
    Some(match k {
        "id" => "id",
        "createdDateTime" => "createddatetime",
        "userPrincipalName" => "userprincipalname",
        "appDisplayName" => "appdisplayname",
        "ipAddress" => "ipaddress",
        "clientAppUsed" => "clientappused",
        "userAgent" => "useragent",
        "correlationId" => "correlationid",
        "isInteractive" => "isinteractive",
        "autonomousSystemNumber" => "autonomoussystemnumber",
        "status" => "status",
        "location" => "location",
        "riskEventTypes" => "riskeventtypes",
        "riskEventTypes_v2" => "riskeventtypes_v2",
        "appId" => "appid",
        "resourceDisplayName" => "resourcedisplayname",
        "resourceId" => "resourceid",
        "authenticationProtocol" => "authenticationprotocol",
        "riskLevelAggregated" => "risklevelaggregated",
        "riskLevelDuringSignIn" => "risklevelduringsignin",
        "riskState" => "riskstate",
        _ => return None,
    })
}

/// `k` lower-cased: Graph's spellings without a copy, others copied into `buf`. One copy of this
/// for every reader of records (not one per deserializer the visitor is built for).
#[inline(never)]
pub(crate) fn field_name<'b>(k: &str, buf: &'b mut String) -> &'b str {
    match graph_key(k) {
        Some(lc) => lc,
        None => lower(k, buf),
    }
}

/// `k` lower-cased (ASCII) in `buf`: copied as text and lower-cased in place, so no UTF-8 check
/// per key (as a byte buffer turned back into text would need).
fn lower<'b>(k: &str, buf: &'b mut String) -> &'b str {
    buf.clear();
    buf.push_str(k);
    buf.make_ascii_lowercase();
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every Graph spelling maps to exactly its lower-cased form, so the shortcut matches the same
    /// field as lower-casing would; other spellings take the lower-casing path.
    #[test]
    fn graph_keys_are_their_lower_case() {
        let src = include_str!("keys.rs");
        let start = src.find("fn graph_key").expect("graph_key");
        let body = &src[start..start + src[start..].find("_ => return None").expect("end")];
        let mut n = 0;
        for line in body.lines().filter(|l| l.contains("=>")) {
            let exact = line.split('"').nth(1).expect("a quoted key");
            assert_eq!(
                graph_key(exact),
                Some(exact.to_ascii_lowercase().as_str()),
                "{exact}"
            );
            n += 1;
        }
        assert!(n >= 10, "{n} keys read");
        for other in [
            "CreatedDateTime",
            "userprincipalname",
            "UserPrincipalName",
            "IPAddress",
            "",
        ] {
            assert_eq!(graph_key(other), None, "{other}");
        }
    }
}
