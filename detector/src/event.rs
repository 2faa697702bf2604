//! The one normalized authentication event every input format maps into.

use crate::address::Address;
use crate::shared::Shared;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a sign-in / logon attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Authentication completed (Entra ResultType 0, Windows 4624).
    Success,
    /// Authentication failed (bad password, locked, blocked, ...).
    Failure,
    /// Primary authentication went through but the flow stopped for something else (an MFA prompt,
    /// a "keep me signed in" interrupt, a password change): Entra shows these as "Interrupted".
    Interrupted,
    /// Credentials were presented, and the record does not say whether they worked (Windows 4648,
    /// a logon with explicit credentials).
    Attempt,
    /// Not an attempt: the identity provider's own statement about the identity (Google
    /// Workspace's account warnings, Okta ThreatInsight's `security.threat.detected`, a user's
    /// report of suspicious activity). Only the provider-verdict pass-through reads these.
    Verdict,
}

/// Why an attempt failed, in the same words for every source: the signals that read several
/// identity providers decide by it instead of by one provider's codes. Entra and Windows events
/// have it from their result codes ([`AuthEvent::failure_class`]); the other readers set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// Wrong password or other credential (Entra 50126, Windows 0xc000006a, Okta
    /// `INVALID_CREDENTIALS`, CloudTrail "Failed authentication").
    BadCredentials,
    /// The account does not exist (Entra 50034, Windows 0xc0000064, Okta `UNKNOWN_USER`).
    UnknownAccount,
    /// The account is locked out (Entra 50053, Windows 0xc0000234, Okta `LOCKED_OUT`).
    Locked,
    /// The account is disabled or suspended (Entra 50057, Windows 0xc0000072).
    Disabled,
    /// The password or account has expired (Entra 50055, Windows 0xc0000071).
    Expired,
    /// The password was right and a second factor is asked for (Entra 50074/50076, an Okta or
    /// Google challenge): not a failed guess.
    MfaRequired,
    /// The second factor failed or was denied (Entra 500121, Okta `deny_push`, Google
    /// `login_failure_invalid_second_factor`): the password was right.
    MfaFailed,
    /// Refused by policy: conditional access, a network zone, a blocked address or a phishing
    /// defence (Entra 53003, Okta policy `DENY`, FastPass).
    Blocked,
    /// Any other failure.
    Other,
}

impl FailureClass {
    /// The class's name as configuration and alerts write it (`bad_credentials`, ...).
    pub fn name(self) -> &'static str {
        match self {
            FailureClass::BadCredentials => "bad_credentials",
            FailureClass::UnknownAccount => "unknown_account",
            FailureClass::Locked => "locked",
            FailureClass::Disabled => "disabled",
            FailureClass::Expired => "expired",
            FailureClass::MfaRequired => "mfa_required",
            FailureClass::MfaFailed => "mfa_failed",
            FailureClass::Blocked => "blocked",
            FailureClass::Other => "other",
        }
    }

    /// The password (first factor) was right: the flow stopped at or after the second factor.
    pub fn password_correct(self) -> bool {
        matches!(self, FailureClass::MfaRequired | FailureClass::MfaFailed)
    }

    /// The class of an Entra result code (the common ones; others are `Other`).
    pub fn of_entra(code: &str) -> FailureClass {
        match code {
            "50126" | "50056" | "50196" | "50089" | "81016" => FailureClass::BadCredentials,
            "50034" | "50020" | "500011" => FailureClass::UnknownAccount,
            "50053" => FailureClass::Locked,
            "50057" => FailureClass::Disabled,
            "50055" | "50144" | "50133" => FailureClass::Expired,
            "50074" | "50076" | "50079" | "50072" | "50158" => FailureClass::MfaRequired,
            "500121" | "50088" => FailureClass::MfaFailed,
            "53000" | "53001" | "53002" | "53003" | "530032" | "530034" | "50105" | "50131" => {
                FailureClass::Blocked
            }
            _ => FailureClass::Other,
        }
    }

    /// The class of a Windows status (lower-case hex, SubStatus first).
    pub fn of_windows(status: &str) -> FailureClass {
        match status {
            "0xc000006a" | "0xc000006d" | "0x18" | "0xc0000133" => FailureClass::BadCredentials,
            "0xc0000064" | "0x6" => FailureClass::UnknownAccount,
            "0xc0000234" | "0x12" => FailureClass::Locked,
            "0xc0000072" => FailureClass::Disabled,
            "0xc0000071" | "0xc0000224" | "0xc0000193" | "0x17" => FailureClass::Expired,
            "0xc000006f" | "0xc0000070" | "0xc000015b" | "0xc0000413" => FailureClass::Blocked,
            _ => FailureClass::Other,
        }
    }
}

/// Where a record came from: source name plus line (text formats) and/or a record id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRef {
    /// The source name given to [`crate::Detector::begin_source`] (a file name, `-` for stdin).
    pub source: Shared<str>,
    /// 1-based line where the record starts.
    pub line: u64,
    /// The record's own id when it has one (Entra `id`, Windows EventRecordID) — always a string, so
    /// ids above 2^53 survive JavaScript.
    pub record_id: Option<Shared<str>>,
}

/// Which family of logs a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceKind {
    /// Microsoft Entra ID sign-in (Graph, diagnostic export, Log Analytics table).
    EntraSignIn,
    /// Windows Security log logon event (4624, 4625, 4768, 4771, 4776) from EVTX, XML or JSON.
    WindowsSecurity,
    /// Microsoft Entra ID service-principal sign-in (`ServicePrincipalSignInLogs`, Graph `signIns`
    /// with `signInEventTypes` `servicePrincipal`): an application signing in with its own secret,
    /// certificate or federated credential. A workload identity, keyed apart from users.
    EntraServicePrincipal,
    /// Microsoft Entra ID managed-identity sign-in (`ManagedIdentitySignInLogs`): a workload
    /// identity Azure manages the credentials of.
    EntraManagedIdentity,
    /// Okta System Log sign-in (`user.session.start`, `user.authentication.*`), from the API,
    /// an export, OCSF or UDM.
    Okta,
    /// AWS console sign-in (CloudTrail `ConsoleLogin`), from CloudTrail, OCSF or UDM.
    AwsConsole,
    /// Google Workspace login activity (Reports API `login` application).
    GoogleWorkspace,
    /// A sign-in at another identity provider, read from a product-neutral schema (OCSF
    /// Authentication, Chronicle UDM `USER_LOGIN`) whose product t1586 does not know.
    OtherProvider,
}

impl SourceKind {
    /// A workload identity's sign-in (a service principal or managed identity), not a user's.
    pub fn is_workload(self) -> bool {
        matches!(
            self,
            SourceKind::EntraServicePrincipal | SourceKind::EntraManagedIdentity
        )
    }

    /// Any Entra ID sign-in, a user's or a workload identity's.
    pub fn is_entra(self) -> bool {
        matches!(
            self,
            SourceKind::EntraSignIn
                | SourceKind::EntraServicePrincipal
                | SourceKind::EntraManagedIdentity
        )
    }

    /// A user's sign-in at a cloud identity provider: Entra ID, Okta, the AWS console, Google
    /// Workspace, another provider (not a Windows logon, not a workload identity).
    pub fn is_cloud_sign_in(self) -> bool {
        !self.is_workload() && self != SourceKind::WindowsSecurity
    }

    /// The provider's name, as alerts write it (`Details.Providers`).
    pub fn provider(self) -> &'static str {
        match self {
            SourceKind::EntraSignIn
            | SourceKind::EntraServicePrincipal
            | SourceKind::EntraManagedIdentity => "entra",
            SourceKind::WindowsSecurity => "windows",
            SourceKind::Okta => "okta",
            SourceKind::AwsConsole => "aws",
            SourceKind::GoogleWorkspace => "google",
            SourceKind::OtherProvider => "other",
        }
    }

    /// The kind of identity, as alerts name it (`Details.IdentityKind`): `user`,
    /// `servicePrincipal`, `managedIdentity`.
    pub fn identity_kind(self) -> &'static str {
        match self {
            SourceKind::EntraServicePrincipal => "servicePrincipal",
            SourceKind::EntraManagedIdentity => "managedIdentity",
            _ => "user",
        }
    }
}

/// The Windows-specific facts of a logon event (absent for other sources).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowsLogon {
    /// Event ID: 4624 logon, 4625 failed logon, 4768 Kerberos TGT request, 4771 Kerberos
    /// pre-authentication failed, 4776 NTLM credential validation.
    pub event_id: u32,
    /// Logon type (2 interactive, 3 network, 8 network cleartext, 10 RDP, ...) when the event has one.
    pub logon_type: Option<u32>,
    /// `Status`, lower-case hex (`0xc000006d`).
    pub status: Option<String>,
    /// `SubStatus`, lower-case hex (`0xc000006a`), 4625 only.
    pub sub_status: Option<String>,
    /// `TargetDomainName` (or the UPN suffix when the account was written `user@domain`).
    pub domain: Option<String>,
    /// `WorkstationName` (4624/4625) or `Workstation` (4776): the client's name.
    pub workstation: Option<String>,
    /// `Computer`: the host that logged the event.
    pub computer: Option<String>,
    /// `TargetUserSid` / `TargetSid`.
    pub target_sid: Option<String>,
    /// 4648: the account that presented the credentials (`SubjectDomainName\SubjectUserName`).
    pub subject: Option<String>,
    /// 4648: the server the credentials were presented to (`TargetServerName`).
    pub target_server: Option<String>,
    /// 4648, 4624, 4625: the process that asked for the logon (`ProcessName`).
    pub process_name: Option<String>,
    /// `AuthenticationPackageName` (NTLM, Kerberos, Negotiate) or 4776's `PackageName`.
    pub auth_package: Option<String>,
    /// `LogonProcessName` (NtLmSsp, User32, Advapi, sshd, ...).
    pub logon_process: Option<String>,
}

/// A normalized authentication event. Optional fields are `None` when the source did not carry them;
/// signals must treat every optional field as possibly missing.
///
/// **Normalized forms** (every reader writes them, and [`crate::Detector::push_event`] puts events
/// made elsewhere into them, so signals compare without normalizing again):
/// * texts are trimmed, and a blank text is `None`;
/// * `result_code`: Entra codes as decimal text (`50126`, `0`); Windows statuses as lower-case hex
///   (`0xc000006a`, SubStatus first for 4625), `0x0` for a logon;
/// * `identity_key`: the identity lower-cased (Windows: the account name without its domain);
///   the key every signal groups by. A workload identity's key is `sp:` and its application id
///   (or object id, or name) lower-cased: no user key has a `:`, so a user and a service principal
///   never share one;
/// * `ip`: parsed when it is an address (written canonically), else the text as written;
/// * `country`: the code as the source gives it (the last part of the portal's "City, State, CC").
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "FlatEvent")]
pub struct AuthEvent {
    /// When the attempt happened (UTC).
    pub time: DateTime<Utc>,
    /// The identity as written in the record (UPN or account), original case kept.
    pub identity: Shared<str>,
    /// The identity lower-cased: the key every signal groups by.
    pub identity_key: Shared<str>,
    /// Success, failure or interrupted.
    pub outcome: Outcome,
    /// The result code (Entra ResultType / errorCode, Windows Status/SubStatus), trimmed.
    pub result_code: Option<Shared<str>>,
    /// The source's failure reason text.
    pub failure_reason: Option<Shared<str>>,
    /// Source address: parsed (written out as its canonical text), else the text as written.
    pub ip: Option<Address>,
    /// Country or region code (`US`) as the source gives it.
    pub country: Option<Shared<str>>,
    /// City.
    pub city: Option<Shared<str>>,
    /// Latitude in degrees.
    pub latitude: Option<f64>,
    /// Longitude in degrees.
    pub longitude: Option<f64>,
    /// Autonomous system number.
    pub asn: Option<u32>,
    /// Application signed into (Entra `appDisplayName`).
    pub app: Option<Shared<str>>,
    /// Client app / protocol (`Browser`, `Authenticated SMTP`, ...).
    pub client_app: Option<Shared<str>>,
    /// User agent.
    pub user_agent: Option<Shared<str>>,
    /// Request id (Entra `originalRequestId` / `id`).
    pub request_id: Option<Shared<str>>,
    /// Interactive sign-in, when known.
    pub interactive: Option<bool>,
    /// The fields most records lack (Graph v1.0 and Windows events have none of them): `None`
    /// when all are empty. See [`EventExtra`] and the accessors ([`AuthEvent::session_id`], ...).
    pub extra: Option<Box<EventExtra>>,
    /// Which log family the record came from.
    pub source_kind: SourceKind,
    /// Windows logon details, for [`SourceKind::WindowsSecurity`] events.
    pub windows: Option<Box<WindowsLogon>>,
    /// Reference back to the raw record, for evidence.
    pub record: RecordRef,
}

/// The rarely filled fields of an [`AuthEvent`], behind one pointer: an event waits a day in the
/// reordering buffer, and these 128 bytes would make each of them two cache lines longer (an event
/// of 304 bytes instead of 424).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventExtra {
    /// Autonomous system (network owner) name.
    pub asn_name: Option<Shared<str>>,
    /// `singleFactorAuthentication` / `multiFactorAuthentication`.
    pub auth_requirement: Option<Shared<str>>,
    /// MFA method / detail and authentication step results, joined for display.
    pub mfa_detail: Option<Shared<str>>,
    /// Per-step authentication result details (`authenticationStepResultDetail`).
    pub auth_step_results: Vec<Shared<str>>,
    /// Entra ID Protection risk event types present on the record.
    pub risk_event_types: Vec<String>,
    /// Session id (Entra `sessionId`).
    pub session_id: Option<Shared<str>>,
    /// Correlation id.
    pub correlation_id: Option<Shared<str>>,
    /// The client application's id (Entra `appId`), lower-case: which first-party or registered
    /// client asked for the token.
    pub app_id: Option<Shared<str>>,
    /// The resource the token is for (Entra `resourceDisplayName`: `Microsoft Graph`, ...).
    pub resource: Option<Shared<str>>,
    /// The resource's application id (Entra `resourceId` inside the sign-in), lower-case.
    pub resource_id: Option<Shared<str>>,
    /// The authentication protocol (Entra `authenticationProtocol`: `deviceCode`, `ropc`,
    /// `oAuth2`, `saml20`, ...), as written.
    pub auth_protocol: Option<Shared<str>>,
    /// How the session's first token was obtained (Entra `originalTransferMethod`:
    /// `deviceCodeFlow`, `authenticationTransfer`), as written; `none` left out.
    pub transfer_method: Option<Shared<str>>,
    /// Entra ID Protection's risk level for the sign-in: the higher of `riskLevelDuringSignIn` and
    /// `riskLevelAggregated`, lower-case (`low`, `medium`, `high`); other values (`none`,
    /// `hidden`) left out.
    pub risk_level: Option<Shared<str>>,
    /// Entra ID Protection's risk state (`atRisk`, `confirmedCompromised`, `dismissed`,
    /// `remediated`, `confirmedSafe`), lower-case; `none` left out.
    pub risk_state: Option<Shared<str>>,
    /// The token's unique identifier (Entra `uniqueTokenIdentifier`).
    pub token_id: Option<Shared<str>>,
    /// Why the attempt failed, as the reader of a source without Entra or Windows codes saw it
    /// (read it through [`AuthEvent::failure_class`], which also knows those codes).
    pub failure_class: Option<FailureClass>,
}

impl EventExtra {
    /// Nothing in it.
    pub fn is_empty(&self) -> bool {
        self.asn_name.is_none()
            && self.auth_requirement.is_none()
            && self.mfa_detail.is_none()
            && self.auth_step_results.is_empty()
            && self.risk_event_types.is_empty()
            && self.session_id.is_none()
            && self.correlation_id.is_none()
            && self.app_id.is_none()
            && self.resource.is_none()
            && self.resource_id.is_none()
            && self.auth_protocol.is_none()
            && self.transfer_method.is_none()
            && self.risk_level.is_none()
            && self.risk_state.is_none()
            && self.token_id.is_none()
            && self.failure_class.is_none()
    }

    /// Boxed, or `None` when empty (as [`AuthEvent::extra`] holds it).
    pub fn boxed(self) -> Option<Box<EventExtra>> {
        (!self.is_empty()).then(|| Box::new(self))
    }
}

/// [`AuthEvent`] with every field at the top, in the order snapshots were first written in (they
/// carry no field names): the serde form of an event, unchanged by moving the rare fields into
/// [`EventExtra`]. Read into an event by `From`; an event is written in the same form, borrowed
/// (`impl Serialize for AuthEvent`). Each field is [`AuthEvent`]'s or [`EventExtra`]'s of that name.
#[derive(Deserialize)]
struct FlatEvent {
    time: DateTime<Utc>,
    identity: Shared<str>,
    identity_key: Shared<str>,
    outcome: Outcome,
    result_code: Option<Shared<str>>,
    failure_reason: Option<Shared<str>>,
    ip: Option<Shared<str>>,
    ip_addr: Option<IpAddr>,
    country: Option<Shared<str>>,
    city: Option<Shared<str>>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    asn: Option<u32>,
    asn_name: Option<Shared<str>>,
    app: Option<Shared<str>>,
    client_app: Option<Shared<str>>,
    auth_requirement: Option<Shared<str>>,
    mfa_detail: Option<Shared<str>>,
    auth_step_results: Vec<Shared<str>>,
    risk_event_types: Vec<String>,
    user_agent: Option<Shared<str>>,
    session_id: Option<Shared<str>>,
    request_id: Option<Shared<str>>,
    correlation_id: Option<Shared<str>>,
    interactive: Option<bool>,
    app_id: Option<Shared<str>>,
    resource: Option<Shared<str>>,
    resource_id: Option<Shared<str>>,
    auth_protocol: Option<Shared<str>>,
    transfer_method: Option<Shared<str>>,
    risk_level: Option<Shared<str>>,
    risk_state: Option<Shared<str>>,
    token_id: Option<Shared<str>>,
    failure_class: Option<FailureClass>,
    source_kind: SourceKind,
    windows: Option<Box<WindowsLogon>>,
    record: RecordRef,
}

impl From<FlatEvent> for AuthEvent {
    fn from(f: FlatEvent) -> AuthEvent {
        AuthEvent {
            time: f.time,
            identity: f.identity,
            identity_key: f.identity_key,
            outcome: f.outcome,
            result_code: f.result_code,
            failure_reason: f.failure_reason,
            // The parsed address when there is one (its text is the canonical one the readers
            // wrote), else the text as written.
            ip: match (f.ip_addr, f.ip) {
                (Some(a), _) => Some(Address::Ip(a)),
                (None, Some(t)) => Some(Address::Text(t)),
                (None, None) => None,
            },
            country: f.country,
            city: f.city,
            latitude: f.latitude,
            longitude: f.longitude,
            asn: f.asn,
            app: f.app,
            client_app: f.client_app,
            user_agent: f.user_agent,
            request_id: f.request_id,
            interactive: f.interactive,
            extra: EventExtra {
                asn_name: f.asn_name,
                auth_requirement: f.auth_requirement,
                mfa_detail: f.mfa_detail,
                auth_step_results: f.auth_step_results,
                risk_event_types: f.risk_event_types,
                session_id: f.session_id,
                correlation_id: f.correlation_id,
                app_id: f.app_id,
                resource: f.resource,
                resource_id: f.resource_id,
                auth_protocol: f.auth_protocol,
                transfer_method: f.transfer_method,
                risk_level: f.risk_level,
                risk_state: f.risk_state,
                token_id: f.token_id,
                failure_class: f.failure_class,
            }
            .boxed(),
            source_kind: f.source_kind,
            windows: f.windows,
            record: f.record,
        }
    }
}

/// Written as [`FlatEvent`] is read: the same fields in the same order, borrowed.
impl Serialize for AuthEvent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize_with_ids(
            s,
            self.request_id.as_deref(),
            self.record.record_id.as_deref(),
        )
    }
}

impl AuthEvent {
    /// As [`Serialize`] writes it, with the request and record ids given (the reordering buffer
    /// holds its events' ids apart from them).
    pub(crate) fn serialize_with_ids<S: serde::Serializer>(
        &self,
        s: S,
        request_id: Option<&str>,
        record_id: Option<&str>,
    ) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        /// [`RecordRef`]'s serde form, borrowed.
        #[derive(Serialize)]
        struct Record<'a> {
            source: &'a str,
            line: u64,
            record_id: Option<&'a str>,
        }
        let none = EventExtra::default();
        let x = self.extra.as_deref().unwrap_or(&none);
        let mut st = s.serialize_struct("AuthEvent", 37)?;
        st.serialize_field("time", &self.time)?;
        st.serialize_field("identity", &self.identity)?;
        st.serialize_field("identity_key", &self.identity_key)?;
        st.serialize_field("outcome", &self.outcome)?;
        st.serialize_field("result_code", &self.result_code)?;
        st.serialize_field("failure_reason", &self.failure_reason)?;
        st.serialize_field("ip", &self.ip)?;
        st.serialize_field("ip_addr", &self.ip_addr())?;
        st.serialize_field("country", &self.country)?;
        st.serialize_field("city", &self.city)?;
        st.serialize_field("latitude", &self.latitude)?;
        st.serialize_field("longitude", &self.longitude)?;
        st.serialize_field("asn", &self.asn)?;
        st.serialize_field("asn_name", &x.asn_name)?;
        st.serialize_field("app", &self.app)?;
        st.serialize_field("client_app", &self.client_app)?;
        st.serialize_field("auth_requirement", &x.auth_requirement)?;
        st.serialize_field("mfa_detail", &x.mfa_detail)?;
        st.serialize_field("auth_step_results", &x.auth_step_results)?;
        st.serialize_field("risk_event_types", &x.risk_event_types)?;
        st.serialize_field("user_agent", &self.user_agent)?;
        st.serialize_field("session_id", &x.session_id)?;
        st.serialize_field("request_id", &request_id)?;
        st.serialize_field("correlation_id", &x.correlation_id)?;
        st.serialize_field("interactive", &self.interactive)?;
        st.serialize_field("app_id", &x.app_id)?;
        st.serialize_field("resource", &x.resource)?;
        st.serialize_field("resource_id", &x.resource_id)?;
        st.serialize_field("auth_protocol", &x.auth_protocol)?;
        st.serialize_field("transfer_method", &x.transfer_method)?;
        st.serialize_field("risk_level", &x.risk_level)?;
        st.serialize_field("risk_state", &x.risk_state)?;
        st.serialize_field("token_id", &x.token_id)?;
        st.serialize_field("failure_class", &x.failure_class)?;
        st.serialize_field("source_kind", &self.source_kind)?;
        st.serialize_field("windows", &self.windows)?;
        let record = Record {
            source: &self.record.source,
            line: self.record.line,
            record_id,
        };
        st.serialize_field("record", &record)?;
        st.end()
    }
}

impl AuthEvent {
    /// Autonomous system (network owner) name.
    pub fn asn_name(&self) -> Option<&Shared<str>> {
        self.extra.as_ref()?.asn_name.as_ref()
    }
    /// `singleFactorAuthentication` / `multiFactorAuthentication`.
    pub fn auth_requirement(&self) -> Option<&Shared<str>> {
        self.extra.as_ref()?.auth_requirement.as_ref()
    }
    /// MFA method / detail and authentication step results, joined for display.
    pub fn mfa_detail(&self) -> Option<&Shared<str>> {
        self.extra.as_ref()?.mfa_detail.as_ref()
    }
    /// Per-step authentication result details (`authenticationStepResultDetail`).
    pub fn auth_step_results(&self) -> &[Shared<str>] {
        self.extra.as_deref().map_or(&[], |e| &e.auth_step_results)
    }
    /// Entra ID Protection risk event types present on the record.
    pub fn risk_event_types(&self) -> &[String] {
        self.extra.as_deref().map_or(&[], |e| &e.risk_event_types)
    }
    /// Session id (Entra `sessionId`).
    pub fn session_id(&self) -> Option<&Shared<str>> {
        self.extra.as_ref()?.session_id.as_ref()
    }
    /// Correlation id.
    pub fn correlation_id(&self) -> Option<&Shared<str>> {
        self.extra.as_ref()?.correlation_id.as_ref()
    }
    /// The client application's id (Entra `appId`), lower-case.
    pub fn app_id(&self) -> Option<&str> {
        self.extra.as_ref()?.app_id.as_deref()
    }
    /// The resource the token is for (Entra `resourceDisplayName`).
    pub fn resource(&self) -> Option<&str> {
        self.extra.as_ref()?.resource.as_deref()
    }
    /// The resource's application id, lower-case.
    pub fn resource_id(&self) -> Option<&str> {
        self.extra.as_ref()?.resource_id.as_deref()
    }
    /// The authentication protocol (Entra `authenticationProtocol`).
    pub fn auth_protocol(&self) -> Option<&str> {
        self.extra.as_ref()?.auth_protocol.as_deref()
    }
    /// How the session's first token was obtained (Entra `originalTransferMethod`).
    pub fn transfer_method(&self) -> Option<&str> {
        self.extra.as_ref()?.transfer_method.as_deref()
    }
    /// Entra ID Protection's risk level (`low`, `medium`, `high`).
    pub fn risk_level(&self) -> Option<&str> {
        self.extra.as_ref()?.risk_level.as_deref()
    }
    /// Entra ID Protection's risk state, lower-case.
    pub fn risk_state(&self) -> Option<&str> {
        self.extra.as_ref()?.risk_state.as_deref()
    }
    /// The token's unique identifier (Entra `uniqueTokenIdentifier`).
    pub fn token_id(&self) -> Option<&Shared<str>> {
        self.extra.as_ref()?.token_id.as_ref()
    }
    /// Why the attempt failed: the class the reader set, else the class of the Entra or Windows
    /// result code; `None` for a success, an attempt or a verdict.
    pub fn failure_class(&self) -> Option<FailureClass> {
        if !matches!(self.outcome, Outcome::Failure | Outcome::Interrupted) {
            return None;
        }
        if let Some(c) = self.extra.as_ref().and_then(|x| x.failure_class) {
            return Some(c);
        }
        let code = self.result_code.as_deref()?;
        Some(match self.source_kind {
            SourceKind::WindowsSecurity => FailureClass::of_windows(code),
            k if k.is_entra() => FailureClass::of_entra(code),
            _ => FailureClass::Other,
        })
    }
    /// The rare fields, to set one (made when absent; emptied ones are left boxed).
    pub fn extra_mut(&mut self) -> &mut EventExtra {
        self.extra.get_or_insert_default()
    }
}

/// A fixed 64-bit hash (FxHash-style mixing, 8 bytes at a time, little-endian), the same on every
/// platform: for the order of tied events and the snapshot checksum. Each step is a bijection of
/// the running value, so changing any one word changes the result.
pub(crate) struct FixedHash(pub u64);

impl FixedHash {
    pub fn word(&mut self, w: u64) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
    }

    /// The bytes in 8-byte words, the last one zero-padded.
    pub fn bytes(&mut self, b: &[u8]) {
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        // The zero-padded little-endian tail, without a variable-length copy (a `memcpy` call
        // natively, a `memory.copy` out of the guest in wasm): the last eight bytes shifted down.
        let r = chunks.remainder().len();
        let last = if r == 0 {
            0
        } else if b.len() >= 8 {
            u64::from_le_bytes(b[b.len() - 8..].try_into().expect("8 bytes")) >> (8 * (8 - r))
        } else {
            b.iter()
                .enumerate()
                .fold(0, |w, (i, &x)| w | u64::from(x) << (8 * i))
        };
        self.word(last);
    }
}

impl AuthEvent {
    /// The source address, when it parsed.
    pub fn ip_addr(&self) -> Option<IpAddr> {
        self.ip.as_ref().and_then(Address::ip)
    }

    /// The Windows event ID, for Windows events.
    pub fn event_id(&self) -> Option<u32> {
        self.windows.as_ref().map(|w| w.event_id)
    }

    /// The order of events that share a timestamp, from their content alone (never from where or in
    /// what order they arrived), so such ties are processed the same whatever the input order:
    /// failures, then interruptions, then successes (a guess and a logon in the same second count as
    /// guess-then-logon), then a 56-bit hash of the identity, addresses, app, codes and ids. The
    /// hash is fixed (8 bytes at a time, FxHash-style mixing on `u64`, not the platform's hasher), so
    /// native and wasm32 agree.
    pub fn tie_key(&self) -> u64 {
        self.tie_key_with_ids(self.request_id.as_deref(), self.record.record_id.as_deref())
    }

    /// [`tie_key`](AuthEvent::tie_key) with the request and record ids given (the reordering
    /// buffer holds its events' ids apart from them).
    pub(crate) fn tie_key_with_ids(
        &self,
        request_id: Option<&str>,
        record_id: Option<&str>,
    ) -> u64 {
        let rank: u64 = match self.outcome {
            Outcome::Failure | Outcome::Attempt | Outcome::Verdict => 0,
            Outcome::Interrupted => 1,
            Outcome::Success => 2,
        };
        let mut fx = FixedHash(0);
        fn o<S: AsRef<str>>(o: &Option<S>) -> &[u8] {
            o.as_ref().map_or(&[], |s| s.as_ref().as_bytes())
        }
        // A parsed address as its 4 or 16 bytes (not written out as text), else its text.
        let (v4, v6);
        let ip: &[u8] = match &self.ip {
            Some(Address::Ip(std::net::IpAddr::V4(a))) => {
                v4 = a.octets();
                &v4
            }
            Some(Address::Ip(std::net::IpAddr::V6(a))) => {
                v6 = a.octets();
                &v6
            }
            Some(Address::Text(t)) => t.as_bytes(),
            None => &[],
        };
        for part in [
            self.identity_key.as_bytes(),
            self.identity.as_bytes(),
            ip,
            o(&self.app),
            o(&self.result_code),
            o(&self.country),
            o(&self.user_agent),
            o(&self.session_id()),
            o(&request_id),
            o(&record_id),
        ] {
            fx.bytes(part);
            fx.word(part.len() as u64);
        }
        if let Some(w) = &self.windows {
            fx.word(u64::from(w.event_id));
            fx.word(w.logon_type.map_or(u64::MAX, u64::from));
        }
        let mut h = fx.0;
        // Final avalanche so every input bit reaches the top bits kept.
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        (rank << 56) | (h >> 8)
    }

    /// Result code equals `code` (codes are trimmed: see [`AuthEvent::result_code`]).
    pub fn result_is(&self, code: &str) -> bool {
        self.result_code.as_deref() == Some(code)
    }
}

#[cfg(test)]
mod tests {
    use super::{AuthEvent, EventExtra, FixedHash, WindowsLogon};

    /// An event with every field set, each to a value no other field has.
    fn full() -> AuthEvent {
        let mut e = crate::signals::testkit::ev(3, "Alice@Contoso.com", "50126", "203.0.113.9");
        e.failure_reason = Some("bad password".into());
        e.country = Some("US".into());
        e.city = Some("Seattle".into());
        e.latitude = Some(47.6);
        e.longitude = Some(-122.3);
        e.asn = Some(8075);
        e.client_app = Some("Browser".into());
        e.user_agent = Some("Mozilla/5.0".into());
        e.request_id = Some("req-1".into());
        e.interactive = Some(false);
        e.windows = Some(Box::new(WindowsLogon {
            event_id: 4625,
            logon_type: Some(3),
            ..Default::default()
        }));
        e.record.record_id = Some("rec-1".into());
        e.extra = Some(Box::new(EventExtra {
            asn_name: Some("Microsoft".into()),
            auth_requirement: Some("singleFactorAuthentication".into()),
            mfa_detail: Some("Password".into()),
            auth_step_results: vec!["step".into(), "two".into()],
            risk_event_types: vec!["unfamiliarFeatures".into()],
            session_id: Some("sess-1".into()),
            correlation_id: Some("corr-1".into()),
            app_id: Some("app-1".into()),
            resource: Some("Microsoft Graph".into()),
            resource_id: Some("res-1".into()),
            auth_protocol: Some("deviceCode".into()),
            transfer_method: Some("deviceCodeFlow".into()),
            risk_level: Some("high".into()),
            risk_state: Some("atrisk".into()),
            token_id: Some("tok-1".into()),
            failure_class: Some(super::FailureClass::BadCredentials),
        }));
        e
    }

    /// Events are written and read in one flat form (snapshots hold the reordering buffer's
    /// events): every field comes back, and an event without the rare fields has none boxed.
    #[test]
    fn events_round_trip_through_the_flat_form() {
        for e in [full(), crate::signals::testkit::ev(1, "bob", "0", "")] {
            let bytes = postcard::to_allocvec(&e).expect("serializes");
            let back: AuthEvent = postcard::from_bytes(&bytes).expect("reads back");
            assert_eq!(back, e);
        }
        let json = serde_json::to_value(full()).expect("serializes");
        let keys: Vec<&str> = json
            .as_object()
            .expect("an object")
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(keys.len(), 37, "every field at the top: {keys:?}");
        assert!(keys.contains(&"session_id") && !keys.contains(&"extra"));
        let bare = crate::signals::testkit::ev(1, "bob", "0", "");
        assert!(bare.extra.is_none());
        assert_eq!(EventExtra::default().boxed(), None);
    }

    /// The hash as first written: 8-byte words, the tail copied into a zero-padded word.
    fn padded(b: &[u8]) -> u64 {
        let mut h = FixedHash(7);
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            h.word(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let mut last = [0u8; 8];
        last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        h.word(u64::from_le_bytes(last));
        h.0
    }

    /// Tie order and snapshot checksums depend on these values: every tail length, short and long.
    #[test]
    fn bytes_hash_as_the_zero_padded_words() {
        let text: Vec<u8> = (1..=40u8).map(|i| i.wrapping_mul(37) | 0x80).collect();
        for n in 0..=text.len() {
            let mut h = FixedHash(7);
            h.bytes(&text[..n]);
            assert_eq!(h.0, padded(&text[..n]), "length {n}");
        }
    }
}
