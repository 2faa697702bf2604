//! Microsoft Entra ID sign-in records, in every common export shape, into [`AuthEvent`].
//!
//! One lenient reader covers:
//! * Microsoft Graph `signIn` objects (camelCase: `createdDateTime`, `status.errorCode`, `location{}`);
//! * Azure Monitor diagnostic records (`time`, `category`, `resultType`, `callerIpAddress`, with the
//!   Graph-shaped sign-in under `properties`);
//! * Log Analytics / Sentinel table rows of `SigninLogs`, `AADSignInLogs`,
//!   `AADNonInteractiveUserSignInLogs` (PascalCase: `TimeGenerated`, `ResultType`, `LocationDetails` as an
//!   object or a JSON string), from JSON or CSV;
//! * the Entra portal's CSV download (`Date (UTC)`, `Username`, `IP address`, `Sign-in error code`).
//!
//! Keys are matched by name in both casings; duplicate keys (seen in Microsoft's own examples) keep the
//! last value; unknown keys are skipped without being parsed into values.

use crate::shared::Shared;
use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::Decoded;
use super::flex::{self, Key, Lenient, Nested, StrList, Text};
use super::intern::{Field, Interner};
use super::keys::{F, Provider, field_name, field_of};
use super::normalize::{self, address, country_code, outcome, trim};
use super::time::parse_time;
use crate::event::{AuthEvent, EventExtra, Outcome, RecordRef, SourceKind};

#[derive(Debug, Default)]
pub(crate) struct Status<'a> {
    error_code: Option<Cow<'a, str>>,
    failure_reason: Option<Cow<'a, str>>,
}
flex::lenient_struct!(Status<'de> {
    error_code: "errorCode" | "ErrorCode",
    failure_reason: "failureReason" | "FailureReason",
});

/// An Elastic document's `event`: the record as the source wrote it, when kept.
#[derive(Debug, Default)]
pub(crate) struct EcsEvent<'a> {
    original: Option<Cow<'a, str>>,
}
flex::lenient_struct!(EcsEvent<'de> {
    original: "original",
});

/// A Splunk streaming export line's `result`: the record as the source wrote it (`_raw`).
#[derive(Debug, Default)]
pub(crate) struct SplunkResult<'a> {
    raw: Option<Cow<'a, str>>,
    time: Option<Cow<'a, str>>,
}
flex::lenient_struct!(SplunkResult<'de> {
    raw: "_raw",
    time: "_time",
});

#[derive(Debug, Default)]
pub(crate) struct Geo {
    latitude: Option<f64>,
    longitude: Option<f64>,
}
flex::lenient_struct!(Geo {
    latitude: "latitude",
    longitude: "longitude",
});

#[derive(Debug, Default)]
pub(crate) struct Loc<'a> {
    city: Option<Cow<'a, str>>,
    country: Option<Cow<'a, str>>,
    geo: Nested<Geo>,
}
flex::lenient_struct!(Loc<'de> {
    city: "city",
    country: "countryOrRegion",
    geo: "geoCoordinates",
});

#[derive(Debug, Default)]
pub(crate) struct MfaDetail<'a> {
    auth_method: Option<Cow<'a, str>>,
    auth_detail: Option<Cow<'a, str>>,
}
flex::lenient_struct!(MfaDetail<'de> {
    auth_method: "authMethod",
    auth_detail: "authDetail",
});

#[derive(Debug, Default)]
pub(crate) struct AuthDetail<'a> {
    method: Option<Cow<'a, str>>,
    result_detail: Option<Cow<'a, str>>,
}
flex::lenient_struct!(AuthDetail<'de> {
    method: "authenticationMethod",
    result_detail: "authenticationStepResultDetail",
});

/// `location`: an object in Graph, a country code string at the top of diagnostic records.
#[derive(Debug, Default)]
pub(crate) enum LocField<'a> {
    #[default]
    None,
    Code(String),
    Obj(Loc<'a>),
}

impl<'de> Deserialize<'de> for LocField<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LocField<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a location object or country code")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LocField<'de>, E> {
                let t = v.trim();
                if t.starts_with('{') {
                    // A temporary string: read through an owned value, so the texts are owned.
                    return Ok(serde_json::from_slice::<serde_json::Value>(t.as_bytes())
                        .ok()
                        .and_then(|v| Nested::<Loc<'de>>::deserialize(v).ok())
                        .map(|l| LocField::Obj(l.0))
                        .unwrap_or_default());
                }
                Ok(if t.is_empty() {
                    LocField::None
                } else {
                    LocField::Code(t.to_string())
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<LocField<'de>, A::Error> {
                // Straight into the typed struct (no intermediate `Value`): this runs per record.
                Loc::from_map(m).map(LocField::Obj)
            }
            fn visit_unit<E: de::Error>(self) -> Result<LocField<'de>, E> {
                Ok(LocField::None)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<LocField<'de>, E> {
                Ok(LocField::None)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<LocField<'de>, E> {
                Ok(LocField::None)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<LocField<'de>, E> {
                Ok(LocField::None)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<LocField<'de>, E> {
                Ok(LocField::None)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<LocField<'de>, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LocField::None)
            }
            fn visit_none<E: de::Error>(self) -> Result<LocField<'de>, E> {
                Ok(LocField::None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<LocField<'de>, D::Error> {
                d.deserialize_any(self)
            }
        }
        d.deserialize_any(V)
    }
}

/// The union of the sign-in fields t1586 reads, from any shape.
#[derive(Debug, Default)]
pub(crate) struct RawSignIn<'a> {
    created: Text<'a>,
    time: Text<'a>,
    upn: Text<'a>,
    sign_in_identifier: Text<'a>,
    result_type: Text<'a>,
    result_description: Text<'a>,
    status: Nested<Status<'a>>,
    ip: Text<'a>,
    caller_ip: Text<'a>,
    location: LocField<'a>,
    location_details: Nested<Loc<'a>>,
    asn: Asn,
    asn_name: Text<'a>,
    app: Text<'a>,
    client_app: Text<'a>,
    auth_requirement: Text<'a>,
    user_agent: Text<'a>,
    session_id: Text<'a>,
    correlation_id: Text<'a>,
    id: Text<'a>,
    original_request_id: Text<'a>,
    is_interactive: Text<'a>,
    category: Text<'a>,
    table_type: Text<'a>,
    mfa_detail: Nested<MfaDetail<'a>>,
    auth_details: Nested<Vec<AuthDetail<'a>>>,
    risk_v1: StrList,
    risk_v2: StrList,
    app_id: Text<'a>,
    resource: Text<'a>,
    resource_id: Text<'a>,
    auth_protocol: Text<'a>,
    transfer_method: Text<'a>,
    risk_level_during: Text<'a>,
    risk_level_aggregated: Text<'a>,
    risk_state: Text<'a>,
    token_id: Text<'a>,
    sp_name: Text<'a>,
    sp_id: Text<'a>,
    managed_identity_type: Text<'a>,
    event_types: StrList,
    properties: Option<Box<RawSignIn<'a>>>,
    /// A key only Windows events have was seen: the record goes to the Windows reader.
    windows_hint: bool,
    /// A `value` or `records` key: maybe a wrapper page of records, for the framer to decide.
    wrapper_key: bool,
    /// An Elastic document: `@timestamp` seen, its `event.original`, the object of the
    /// integration whose fields it holds (`azure`, `okta`, …).
    ecs: bool,
    ecs_original: Option<Cow<'a, str>>,
    ecs_fields: Option<super::keys::Ecs>,
    /// A Splunk result's record as the source wrote it (`_raw`, or `result._raw` in a streaming
    /// export line).
    splunk_raw: Option<Cow<'a, str>>,
    /// The Splunk result's `_time` (with its offset: the classic text's own time has none).
    splunk_time: Option<Cow<'a, str>>,
    /// A streaming Splunk export line (`result`): its fields are under `result`.
    splunk_result: bool,
    /// Keys of another identity provider's records were seen: the first such provider.
    provider: Option<Provider>,
    /// An Elasticsearch search hit: the document is its `_source`.
    es_source: bool,
    /// A LogScale event with the vendor's fields under `Vendor`.
    vendor: bool,
}

/// An autonomous system number as a number (`3598`) or text (`"3598"`, `"AS3598"`), read without
/// formatting numbers to text; 0 and anything else are `None`.
#[derive(Debug, Default)]
struct Asn(Option<u32>);

impl<'de> Deserialize<'de> for Asn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = match flex::Scalar::deserialize(d)? {
            flex::Scalar::Int(i) => u32::try_from(i).ok(),
            // Integral floats (`3598.0` from pandas exports).
            flex::Scalar::Float(f) => {
                (f.fract() == 0.0 && f > 0.0 && f <= f64::from(u32::MAX)).then_some(f as u32)
            }
            flex::Scalar::Text(t) => {
                let a = t.trim().trim_start_matches("AS").trim_start_matches("as");
                a.parse::<u32>().ok()
            }
            flex::Scalar::Other => None,
        };
        Ok(Asn(n.filter(|&n| n != 0)))
    }
}

impl<'de> Deserialize<'de> for RawSignIn<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut r = RawSignIn::default();
        let mut keys = String::new();
        de::DeserializeSeed::deserialize(RawVisitor(&mut r, &mut keys), d)?;
        Ok(r)
    }
}

/// Reads a record into an existing [`RawSignIn`]: the struct (over 800 bytes) is filled where it
/// lives instead of being returned through every layer of the parser. The `String` is where keys
/// are lower-cased, kept from record to record.
struct RawVisitor<'r, 'de>(&'r mut RawSignIn<'de>, &'r mut String);

impl<'de> de::DeserializeSeed<'de> for RawVisitor<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RawVisitor<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sign-in record (JSON object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let (r, buf) = (self.0, self.1);
        let mut first = true;
        while let Some(Key(k)) = m.next_key::<Key<'de>>()? {
            // QRadar's Ariel results page, `{"events":[…]}` (see `framer::wrapper_key`).
            if std::mem::take(&mut first) && k.eq_ignore_ascii_case("events") {
                r.wrapper_key = true;
            }
            // Keys are matched case-insensitively: exports and pipelines disagree on casing
            // (Graph camelCase, Log Analytics PascalCase, some pipelines lower-case everything).
            // Graph's own spellings are known lower-cased without copying them.
            match field_of(field_name(&k, buf)) {
                Some(F::Created) => r.created = m.next_value()?,
                Some(F::Time) => r.time = m.next_value()?,
                Some(F::Upn) => r.upn = m.next_value()?,
                Some(F::SignInIdentifier) => r.sign_in_identifier = m.next_value()?,
                Some(F::ResultType) => r.result_type = m.next_value()?,
                Some(F::ResultDescription) => r.result_description = m.next_value()?,
                Some(F::Status) => r.status = m.next_value()?,
                Some(F::Ip) => r.ip = m.next_value()?,
                Some(F::CallerIp) => r.caller_ip = m.next_value()?,
                Some(F::Location) => r.location = m.next_value()?,
                Some(F::LocationDetails) => r.location_details = m.next_value()?,
                Some(F::Asn) => r.asn = m.next_value()?,
                Some(F::AsnName) => r.asn_name = m.next_value()?,
                Some(F::App) => r.app = m.next_value()?,
                Some(F::ClientApp) => r.client_app = m.next_value()?,
                Some(F::AuthRequirement) => r.auth_requirement = m.next_value()?,
                Some(F::UserAgent) => r.user_agent = m.next_value()?,
                Some(F::SessionId) => r.session_id = m.next_value()?,
                Some(F::CorrelationId) => r.correlation_id = m.next_value()?,
                Some(F::Id) => r.id = m.next_value()?,
                Some(F::OriginalRequestId) => r.original_request_id = m.next_value()?,
                Some(F::IsInteractive) => r.is_interactive = m.next_value()?,
                Some(F::Category) => r.category = m.next_value()?,
                Some(F::Type) => r.table_type = m.next_value()?,
                Some(F::MfaDetail) => r.mfa_detail = m.next_value()?,
                Some(F::AuthDetails) => r.auth_details = m.next_value()?,
                Some(F::RiskV1) => r.risk_v1 = m.next_value()?,
                Some(F::RiskV2) => r.risk_v2 = m.next_value()?,
                Some(F::AppId) => r.app_id = m.next_value()?,
                Some(F::Resource) => r.resource = m.next_value()?,
                Some(F::ResourceId) => r.resource_id = m.next_value()?,
                Some(F::AuthProtocol) => r.auth_protocol = m.next_value()?,
                Some(F::TransferMethod) => r.transfer_method = m.next_value()?,
                Some(F::RiskLevelDuring) => r.risk_level_during = m.next_value()?,
                Some(F::RiskLevelAggregated) => r.risk_level_aggregated = m.next_value()?,
                Some(F::RiskState) => r.risk_state = m.next_value()?,
                Some(F::TokenId) => r.token_id = m.next_value()?,
                Some(F::ServicePrincipalName) => r.sp_name = m.next_value()?,
                Some(F::ServicePrincipalId) => r.sp_id = m.next_value()?,
                Some(F::ManagedIdentityType) => r.managed_identity_type = m.next_value()?,
                Some(F::SignInEventTypes) => r.event_types = m.next_value()?,
                Some(F::Properties) => {
                    r.properties = m.next_value::<Option<RawSignIn<'de>>>()?.map(Box::new)
                }
                Some(F::WindowsKey) => {
                    r.windows_hint = true;
                    m.next_value::<IgnoredAny>()?;
                }
                Some(F::Event) if k == "Event" => {
                    r.windows_hint = true;
                    m.next_value::<IgnoredAny>()?;
                }
                Some(F::Wrapper) => {
                    r.wrapper_key |= super::framer::wrapper_key(k.as_bytes()) || k == "hits";
                    m.next_value::<IgnoredAny>()?;
                }
                Some(F::Event) if k == "event" => {
                    r.ecs_original = m.next_value::<Nested<EcsEvent<'de>>>()?.0.original;
                }
                Some(F::EcsTimestamp) => {
                    r.ecs = true;
                    m.next_value::<IgnoredAny>()?;
                }
                Some(F::SplunkRaw) => r.splunk_raw = m.next_value::<Text<'de>>()?.0,
                Some(F::SplunkTime) => r.splunk_time = m.next_value::<Text<'de>>()?.0,
                Some(F::SplunkResult) => {
                    let res = m.next_value::<Nested<SplunkResult<'de>>>()?.0;
                    r.splunk_raw = res.raw;
                    r.splunk_time = res.time;
                    r.splunk_result = true;
                }
                Some(F::Ecs(e)) => {
                    r.ecs_fields = Some(e);
                    m.next_value::<IgnoredAny>()?;
                }
                Some(F::EsSource) => {
                    r.es_source = true;
                    m.next_value::<IgnoredAny>()?;
                }
                Some(F::Vendor) => {
                    r.vendor = true;
                    m.next_value::<IgnoredAny>()?;
                }
                Some(F::PantherLogType) => {
                    let t = m.next_value::<Text<'de>>()?;
                    if let Some(p) = t.0.as_deref().and_then(super::keys::provider_of_panther) {
                        r.provider = Some(r.provider.map_or(p, |q| q.min(p)));
                    }
                }
                Some(F::Provider(p)) => {
                    r.provider = Some(r.provider.map_or(p, |q| q.min(p)));
                    m.next_value::<IgnoredAny>()?;
                }
                Some(F::Event) | None => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

fn reject(reason: &'static str, detail: impl Into<String>) -> Decoded {
    Decoded::Rejected {
        reason,
        detail: detail.into(),
    }
}

fn pick<'a, 'b>(
    p: Option<&'b RawSignIn<'a>>,
    top: &'b RawSignIn<'a>,
    f: impl Fn(&'b RawSignIn<'a>) -> &'b Text<'a>,
) -> Option<&'b str> {
    p.and_then(|p| f(p).0.as_deref())
        .or_else(|| f(top).0.as_deref())
        .map(trim)
        .filter(|s| !s.is_empty())
}

fn loc_obj<'a, 'b>(r: &'b RawSignIn<'a>) -> Option<&'b Loc<'a>> {
    match &r.location {
        LocField::Obj(l) => Some(l),
        _ => None,
    }
}

/// Map one parsed record to an event. Texts that repeat across records come from `intern`.
pub(crate) fn to_event(raw: &RawSignIn<'_>, record: RecordRef, intern: &mut Interner) -> Decoded {
    let p = raw.properties.as_deref();
    macro_rules! get {
        ($f:ident) => {
            pick(p, raw, |r| &r.$f)
        };
    }

    // Category / table: user sign-ins, workload-identity sign-ins, or something else.
    let category = get!(category).or_else(|| get!(table_type));
    let mut kind = SourceKind::EntraSignIn;
    if let Some(c) = category {
        let lc = c.to_ascii_lowercase();
        if lc.contains("microsoftserviceprincipal") {
            // Microsoft's own first-party services signing in to the tenant's resources.
            return Decoded::Ignored("Microsoft first-party service sign-in");
        }
        if lc.contains("serviceprincipal") {
            kind = SourceKind::EntraServicePrincipal;
        } else if lc.contains("managedidentity") {
            kind = SourceKind::EntraManagedIdentity;
        } else if !lc.contains("signin") {
            return Decoded::Ignored("not a sign-in record (category)");
        }
    }
    // Graph `signIns` (beta) say which kind in `signInEventTypes`.
    if kind == SourceKind::EntraSignIn {
        let types = p
            .map(|p| &p.event_types.0)
            .filter(|t| !t.is_empty())
            .unwrap_or(&raw.event_types.0);
        if types
            .iter()
            .any(|t| t.eq_ignore_ascii_case("managedIdentity"))
        {
            kind = SourceKind::EntraManagedIdentity;
        } else if types
            .iter()
            .any(|t| t.eq_ignore_ascii_case("servicePrincipal"))
        {
            kind = SourceKind::EntraServicePrincipal;
        }
    }

    let time_text = get!(created).or_else(|| get!(time));
    let Some(time_text) = time_text else {
        return reject(
            "missing time",
            "no createdDateTime / TimeGenerated / time field",
        );
    };
    let Some(time) = parse_time(time_text) else {
        return reject(
            "unparsable time",
            format!("time {time_text:?} is not a recognised timestamp"),
        );
    };

    let app_id = normalize::lower_id(get!(app_id), intern);
    let workload = if kind.is_workload() {
        match workload_identity(
            get!(sp_name).or_else(|| get!(app)),
            app_id.as_deref(),
            get!(sp_id),
        ) {
            Some(w) => Some(w),
            None => {
                return reject(
                    "missing identity",
                    "a workload-identity sign-in with no servicePrincipalName / appId / servicePrincipalId",
                );
            }
        }
    } else {
        None
    };
    let identity = match &workload {
        Some((text, _)) => text.as_str(),
        None => match get!(upn).or_else(|| get!(sign_in_identifier)) {
            Some(u) => u,
            None => {
                return reject(
                    "missing identity",
                    "no userPrincipalName / signInIdentifier",
                );
            }
        },
    };

    let status = p
        .map(|p| &p.status.0)
        .filter(|s| s.error_code.is_some())
        .unwrap_or(&raw.status.0);
    let code = status
        .error_code
        .as_deref()
        .map(trim)
        .or_else(|| get!(result_type))
        // Some pipelines write the diagnostic record's `resultType` as a word: "Success" is
        // code 0 ("Failure" stays a failure without a code).
        .map(|c| {
            if c.eq_ignore_ascii_case("success") {
                "0"
            } else {
                c
            }
        });
    let Some(code) = code else {
        return reject(
            "missing result",
            "no status.errorCode / ResultType / resultType",
        );
    };
    let outcome = outcome(code);
    let failure_reason = if outcome == Outcome::Success {
        None
    } else {
        status
            .failure_reason
            .as_deref()
            .or_else(|| get!(result_description))
            .map(|r| intern.field(Field::FailureReason, r))
    };

    let ip = address(get!(ip).or_else(|| get!(caller_ip)), intern);

    // Location: Graph object (in properties or top), LA LocationDetails, then bare country codes.
    let loc = p
        .and_then(loc_obj)
        .or_else(|| loc_obj(raw))
        .or(Some(&raw.location_details.0).filter(|l| l.country.is_some() || l.city.is_some()))
        .or_else(|| p.map(|p| &p.location_details.0));
    fn code_of<'r>(r: &'r RawSignIn<'_>) -> Option<&'r str> {
        match &r.location {
            LocField::Code(c) => Some(c.as_str()),
            _ => None,
        }
    }
    let country: Option<Shared<str>> = loc
        .and_then(|l| l.country.as_deref())
        .or_else(|| p.and_then(code_of))
        .or_else(|| code_of(raw))
        .and_then(country_code)
        .map(|c| intern.field(Field::Country, c));
    let (latitude, longitude) = loc
        .map(|l| (l.geo.0.latitude, l.geo.0.longitude))
        .unwrap_or((None, None));

    let asn = p.and_then(|p| p.asn.0).or(raw.asn.0);

    let interactive = get!(is_interactive).and_then(flex::parse_bool).or_else(|| {
        category.map(|c| {
            let lc = c.to_ascii_lowercase();
            !lc.contains("noninteractive")
        })
    });

    let mfa = p
        .map(|p| &p.mfa_detail.0)
        .filter(|m| m.auth_method.is_some())
        .unwrap_or(&raw.mfa_detail.0);
    let details = p
        .map(|p| &p.auth_details.0)
        .filter(|d| !d.is_empty())
        .unwrap_or(&raw.auth_details.0);
    let auth_step_results: Vec<Shared<str>> = details
        .iter()
        .filter_map(|d| d.result_detail.as_deref())
        .map(|d| intern.get(d))
        .collect();
    let mfa_detail = match (&mfa.auth_method, &mfa.auth_detail) {
        (Some(m), Some(d)) => Some(intern.get(&format!("{m}: {d}"))),
        (Some(m), None) => Some(intern.get(m)),
        (None, Some(d)) => Some(intern.get(d)),
        (None, None) => details
            .iter()
            .find_map(|d| d.method.as_deref())
            .map(|m| intern.get(m)),
    };

    let mut risk_event_types: Vec<String> = Vec::new();
    for list in [
        p.map(|p| &p.risk_v2),
        p.map(|p| &p.risk_v1),
        Some(&raw.risk_v2),
        Some(&raw.risk_v1),
    ]
    .into_iter()
    .flatten()
    {
        for r in &list.0 {
            if !r.eq_ignore_ascii_case("none") && !risk_event_types.contains(r) {
                risk_event_types.push(r.clone());
            }
        }
    }

    // Unique per record (not interned); the request id is usually the record id: one copy then.
    let record_id: Option<Shared<str>> = get!(id).map(Shared::from);
    let request_id = match (get!(original_request_id), &record_id) {
        (Some(r), Some(id)) if r == &**id => Some(id.clone()),
        (Some(r), _) => Some(Shared::from(r)),
        (None, id) => id.clone(),
    };
    let record = RecordRef {
        record_id,
        ..record
    };
    let (identity_shared, identity_key) = match &workload {
        Some((text, key)) => (intern.identity(text), intern.get(key)),
        None => normalize::identity(identity, intern),
    };
    let risk_level = normalize::risk_level(
        [get!(risk_level_during), get!(risk_level_aggregated)],
        intern,
    );
    let risk_state = normalize::unless_none(get!(risk_state), true, intern);
    // `resourceId` at the top of a diagnostic record is the tenant's Azure path, not the resource.
    let resource_id = normalize::lower_id(
        p.and_then(|p| p.resource_id.0.as_deref())
            .or(raw.resource_id.0.as_deref()),
        intern,
    );
    let transfer_method = normalize::unless_none(get!(transfer_method), false, intern);
    // A value of one of the few repeating fields ([`Field`]), or (`None`) of another.
    let mut shared = |f: Option<Field>, t: Option<&str>| {
        t.map(|t| match f {
            Some(f) => intern.field(f, t),
            None => intern.get(t),
        })
    };

    Decoded::Event(Box::new(AuthEvent {
        time,
        identity: identity_shared,
        identity_key,
        outcome,
        result_code: shared(Some(Field::ResultCode), Some(code)),
        failure_reason,
        ip,
        country,
        city: shared(Some(Field::City), loc.and_then(|l| l.city.as_deref())),
        latitude,
        longitude,
        asn,
        app: shared(Some(Field::App), get!(app)),
        client_app: shared(Some(Field::ClientApp), get!(client_app)),
        user_agent: shared(Some(Field::UserAgent), get!(user_agent)),
        request_id,
        interactive,
        extra: EventExtra {
            asn_name: shared(None, get!(asn_name)),
            auth_requirement: shared(None, get!(auth_requirement)),
            mfa_detail,
            auth_step_results,
            risk_event_types,
            session_id: get!(session_id).map(Shared::from),
            correlation_id: get!(correlation_id).map(Shared::from),
            app_id,
            resource: shared(None, get!(resource)),
            resource_id,
            auth_protocol: shared(None, get!(auth_protocol)),
            transfer_method,
            risk_level,
            risk_state,
            token_id: get!(token_id).map(Shared::from),
            failure_class: None,
        }
        .boxed(),
        source_kind: kind,
        windows: None,
        record,
    }))
}

/// A workload identity's text and key: `billing-sync (app 1b2c...)` and `sp:1b2c...`, from its
/// name (`servicePrincipalName`, else the app's name), application id and object id; `None` with
/// none of them.
fn workload_identity(
    name: Option<&str>,
    app_id: Option<&str>,
    sp_id: Option<&str>,
) -> Option<(String, String)> {
    let key = app_id.or(sp_id).or(name)?;
    let text = match (name, app_id, sp_id) {
        (Some(n), Some(a), _) => format!("{n} (app {a})"),
        (Some(n), None, Some(o)) => format!("{n} (object {o})"),
        (Some(n), None, None) => n.to_string(),
        (None, Some(a), _) => format!("app {a}"),
        (None, None, Some(o)) => format!("object {o}"),
        (None, None, None) => return None,
    };
    Some((text, format!("sp:{}", key.to_lowercase())))
}

/// One JSON object into `out` (as `serde_json::from_slice` would read it: nothing but blanks
/// after).
///
/// Always the byte parser, also for a record that is valid UTF-8: it checks only the strings it
/// keeps (a bad byte in a field no one reads does not lose the record) and reports where bad bytes
/// are. A second copy of this reader over text would save those checks on records that are not in
/// Graph's shape (Graph's go through [`super::graph`]) for 23 KB of the `.wasm`.
fn parse_raw<'a>(
    json: &'a [u8],
    out: &mut RawSignIn<'a>,
    keys: &mut String,
) -> serde_json::Result<()> {
    let mut de = serde_json::Deserializer::from_slice(json);
    de::DeserializeSeed::deserialize(RawVisitor(out, keys), &mut de)?;
    de.end()
}

/// What the general reader made of one JSON object.
pub(crate) enum Read {
    /// A sign-in record (or one it rejects, with the reason).
    SignIn(Decoded),
    /// A Windows event's keys were seen: the Windows reader's.
    Windows,
    /// A wrapper that kept the record as its source wrote it (an Elastic document's
    /// `event.original`, a Splunk result's `_raw`, with the result's `_time`): that record is the
    /// one to read.
    Original(String, Option<String>),
    /// An Elastic document of a sign-in integration (Azure, Okta, CloudTrail, Google Workspace,
    /// Security Lake) without the original record: its integration's fields are the record
    /// ([`super::ecs`]).
    Ecs(super::keys::Ecs),
    /// Another identity provider's record (Okta, CloudTrail, Google Workspace, OCSF, UDM,
    /// Microsoft 365 audit): that provider's reader's ([`super::provider`]).
    Provider(Provider),
    /// An Elasticsearch search hit (`_index`, `_id`, `_source`): the document in `_source` is
    /// the record.
    EsHit,
    /// A Splunk result without its record (`_raw`): its extracted fields are the record, with
    /// `_time` as its time where the fields name none.
    SplunkFields,
    /// A LogScale (Falcon NG-SIEM) event without its raw record: the vendor's fields under
    /// `Vendor` are the record.
    Vendor,
    /// Not a JSON object this reader could read.
    Invalid(serde_json::Error),
}

/// Read one framed JSON object (bytes: see [`parse_raw`]).
pub(crate) fn read(bytes: &[u8], record: &RecordRef, intern: &mut Interner) -> Read {
    let mut raw = RawSignIn::default();
    match parse_raw(bytes, &mut raw, &mut intern.keys) {
        Err(e) => Read::Invalid(e),
        Ok(()) => classify(&raw, record, intern),
    }
}

/// Read one JSON Lines line: `None` when it is not one object, or has a `value` / `records` key
/// (maybe a wrapper page of records, for the framer to read).
pub(crate) fn read_line(bytes: &[u8], record: &RecordRef, intern: &mut Interner) -> Option<Read> {
    let mut raw = RawSignIn::default();
    parse_raw(bytes, &mut raw, &mut intern.keys).ok()?;
    (!raw.wrapper_key).then(|| classify(&raw, record, intern))
}

/// The record has no sign-in time of its own (at the top or under `properties`): a wrapper's.
fn own_time_missing(raw: &RawSignIn<'_>) -> bool {
    let none = |r: &RawSignIn<'_>| r.created.0.is_none() && r.time.0.is_none();
    none(raw) && raw.properties.as_deref().is_none_or(none)
}

fn classify(raw: &RawSignIn<'_>, record: &RecordRef, intern: &mut Interner) -> Read {
    // An Elastic document carries its event's time as `@timestamp` only, never a sign-in's own.
    let elastic = raw.ecs && raw.created.0.is_none() && raw.time.0.is_none();
    // Entra's own keys: a sign-in, whatever else the record has.
    let entra = raw.created.0.is_some()
        || raw.result_type.0.is_some()
        || raw.properties.is_some()
        || raw.category.0.is_some();
    if raw.es_source && own_time_missing(raw) {
        Read::EsHit
    } else if let Some(p) = raw
        .provider
        .filter(|_| !entra && !elastic && raw.splunk_raw.is_none())
    {
        Read::Provider(p)
    } else if raw.windows_hint {
        Read::Windows
    } else if elastic && let Some(o) = &raw.ecs_original {
        Read::Original(o.to_string(), None)
    } else if let Some(o) = raw.splunk_raw.as_deref().filter(|_| own_time_missing(raw)) {
        Read::Original(o.to_string(), raw.splunk_time.as_deref().map(String::from))
    } else if (raw.splunk_result || raw.splunk_time.is_some())
        && raw.splunk_raw.is_none()
        && own_time_missing(raw)
        && !elastic
    {
        Read::SplunkFields
    } else if raw.vendor && own_time_missing(raw) {
        Read::Vendor
    } else if elastic && let Some(e) = raw.ecs_fields {
        Read::Ecs(e)
    } else if elastic {
        Read::SignIn(reject(
            "unread Elastic document",
            "an Elastic document without event.original, nor fields of the Azure, Okta, AWS, Google Workspace or Security Lake integrations",
        ))
    } else {
        Read::SignIn(to_event(raw, record.clone(), intern))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_numbers_from_numbers_and_text() {
        for (json, want) in [
            ("3598", Some(3598)),
            ("\"3598\"", Some(3598)),
            ("\" AS3598 \"", Some(3598)),
            ("\"as13335\"", Some(13335)),
            ("3598.0", Some(3598)),
            ("3598.5", None),
            ("0", None),
            ("\"0\"", None),
            ("-1", None),
            ("4294967296", None),
            ("\"x\"", None),
            ("null", None),
            ("true", None),
            ("{\"a\":1}", None),
            ("[1]", None),
        ] {
            assert_eq!(
                serde_json::from_str::<Asn>(json).expect(json).0,
                want,
                "{json}"
            );
        }
    }

    #[test]
    fn parsed_ipv4_text_is_canonical() {
        // `canonical_ip` keeps an IPv4 address as written: whatever the parser accepts must be
        // what it prints.
        for t in [
            "1.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "10.0.0.1",
            "001.2.3.4",
            "1.2.3.04",
            "1.2.3",
            "0x1.2.3.4",
            " 1.2.3.4",
            "1.2.3.4 ",
            "1.2.3.4\n",
            "256.1.1.1",
            "+1.2.3.4",
            "1.2.3.4.5",
        ] {
            if let Ok(a) = t.parse::<std::net::Ipv4Addr>() {
                assert_eq!(a.to_string(), t);
            }
        }
        let mut i = Interner::default();
        for (written, canonical) in [
            ("185.220.101.4", "185.220.101.4"),
            ("2001:DB8::1", "2001:db8::1"),
            ("2001:db8::1", "2001:db8::1"),
            ("::FFFF:1.2.3.4", "::ffff:1.2.3.4"),
        ] {
            let a = address(Some(written), &mut i).expect("an address");
            assert!(a.ip().is_some(), "{written}");
            assert_eq!(&*a.text(), canonical, "{written}");
        }
    }

    fn decode_json(json: &[u8], record: RecordRef, intern: &mut Interner) -> Decoded {
        crate::ingest::json_record(json, &record, intern)
    }

    fn record_ref(source: &Shared<str>, line: u64) -> RecordRef {
        crate::ingest::record_ref(source, line)
    }

    fn ev(json: &str) -> AuthEvent {
        match decode_json(
            json.as_bytes(),
            record_ref(&Shared::from("t"), 1),
            &mut Interner::default(),
        ) {
            Decoded::Event(e) => *e,
            other => panic!("{json}: {other:?}"),
        }
    }

    fn rejected(json: &str) -> &'static str {
        match decode_json(
            json.as_bytes(),
            record_ref(&Shared::from("t"), 1),
            &mut Interner::default(),
        ) {
            Decoded::Rejected { reason, .. } => reason,
            other => panic!("{json}: expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn graph_shape() {
        let e = ev(
            r#"{"id":"abc","createdDateTime":"2021-06-30T16:34:32Z","userPrincipalName":"Test@Contoso.com",
            "appDisplayName":"Azure Portal","ipAddress":"131.107.159.37","clientAppUsed":"Browser","userAgent":"UA",
            "correlationId":"c1","isInteractive":true,"authenticationRequirement":"singleFactorAuthentication",
            "autonomousSystemNumber":3598,"status":{"errorCode":50126,"failureReason":"Invalid password"},
            "location":{"city":"Redmond","countryOrRegion":"US","geoCoordinates":{}},
            "riskEventTypes_v2":["unfamiliarFeatures"],"riskEventTypes":["unfamiliarFeatures","none"],
            "authenticationDetails":[{"authenticationMethod":"Password","authenticationStepResultDetail":"Invalid username or password"}],
            "homeTenantId":"a","homeTenantId":"b"}"#,
        );
        assert_eq!(&*e.identity, "Test@Contoso.com");
        assert_eq!(&*e.identity_key, "test@contoso.com");
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.result_code.as_deref(), Some("50126"));
        assert_eq!(e.failure_reason.as_deref(), Some("Invalid password"));
        assert_eq!(
            e.ip.as_ref().map(ToString::to_string).as_deref(),
            Some("131.107.159.37")
        );
        assert!(e.ip_addr().is_some());
        assert_eq!(e.country.as_deref(), Some("US"));
        assert_eq!(e.city.as_deref(), Some("Redmond"));
        assert_eq!((e.latitude, e.longitude), (None, None));
        assert_eq!(e.asn, Some(3598));
        assert_eq!(e.interactive, Some(true));
        assert_eq!(e.risk_event_types(), vec!["unfamiliarFeatures"]);
        assert_eq!(
            e.auth_step_results(),
            vec!["Invalid username or password".into()]
        );
        assert_eq!(e.mfa_detail().map(|s| &**s), Some("Password"));
        assert_eq!(e.record.record_id.as_deref(), Some("abc"));
    }

    #[test]
    fn azure_monitor_diagnostic_shape() {
        let e = ev(
            r#"{"time":"2022-03-17T09:44:46.3097429Z","category":"NonInteractiveUserSignInLogs","resultType":"0",
            "callerIpAddress":"81.2.69.143","location":"GB","properties":{"userPrincipalName":"n@x.com",
            "createdDateTime":"2022-03-17T09:44:40+00:00","ipAddress":"81.2.69.143","autonomousSystemNumber":5089,
            "location":{"city":"Strood","countryOrRegion":"GB","geoCoordinates":{"latitude":51.39,"longitude":0.48}},
            "status":{"errorCode":0},"sessionId":"s1"}}"#,
        );
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(
            e.time.to_rfc3339(),
            "2022-03-17T09:44:40+00:00",
            "createdDateTime wins over time"
        );
        assert_eq!(e.interactive, Some(false));
        assert_eq!(e.latitude, Some(51.39));
        assert_eq!(e.session_id().map(|s| &**s), Some("s1"));
        assert_eq!(e.asn, Some(5089));
    }

    #[test]
    fn log_analytics_shape_with_dynamic_columns_as_strings() {
        let e = ev(
            r#"{"TimeGenerated":"2020-05-20T18:19:04.423000","UserPrincipalName":"u@x.com","ResultType":"50074",
            "IPAddress":"2001:db8::1","Location":"US","LocationDetails":"{\"city\":\"Atlanta\",\"countryOrRegion\":\"US\",\"geoCoordinates\":{\"latitude\":\"33.7\",\"longitude\":-84.4}}",
            "Status":"{\"errorCode\":50074}","IsInteractive":"True","Type":"SigninLogs","MfaDetail":"{\"authMethod\":\"PhoneAppNotification\"}"}"#,
        );
        assert_eq!(e.outcome, Outcome::Interrupted);
        assert_eq!(
            e.ip.as_ref().map(ToString::to_string).as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(e.city.as_deref(), Some("Atlanta"));
        assert_eq!(e.latitude, Some(33.7));
        assert_eq!(e.interactive, Some(true));
        assert_eq!(e.mfa_detail().map(|s| &**s), Some("PhoneAppNotification"));
    }

    #[test]
    fn ignored_categories() {
        for (json, want) in [
            (
                r#"{"category":"MicrosoftServicePrincipalSignInLogs","time":"2022-01-01T00:00:00Z"}"#,
                "Microsoft first-party service sign-in",
            ),
            (
                r#"{"category":"AuditLogs"}"#,
                "not a sign-in record (category)",
            ),
        ] {
            match decode_json(
                json.as_bytes(),
                record_ref(&Shared::from("t"), 1),
                &mut Interner::default(),
            ) {
                Decoded::Ignored(r) => assert_eq!(r, want),
                other => panic!("{json}: {other:?}"),
            }
        }
    }

    /// Service-principal and managed-identity sign-ins are events of their own kind, keyed apart
    /// from users (a UPN in the record, as pipelines copy it, is not the identity).
    #[test]
    fn workload_identities_are_their_own_kind() {
        for (json, kind, identity, key) in [
            (
                r#"{"category":"ServicePrincipalSignInLogs","time":"2022-01-01T00:00:00Z","resultType":"7000215","properties":{"servicePrincipalName":"billing-sync","appId":"1B2C3D4E-0000-0000-0000-000000000001","servicePrincipalId":"aa","userPrincipalName":"x@y.z"}}"#,
                SourceKind::EntraServicePrincipal,
                "billing-sync (app 1b2c3d4e-0000-0000-0000-000000000001)",
                "sp:1b2c3d4e-0000-0000-0000-000000000001",
            ),
            (
                r#"{"Type":"AADManagedIdentitySignInLogs","TimeGenerated":"2022-01-01T00:00:00Z","ResultType":"0","ServicePrincipalName":"vm-backup","ServicePrincipalId":"OBJ-1"}"#,
                SourceKind::EntraManagedIdentity,
                "vm-backup (object OBJ-1)",
                "sp:obj-1",
            ),
            (
                r#"{"createdDateTime":"2022-01-01T00:00:00Z","signInEventTypes":["servicePrincipal"],"appId":"app-9","appDisplayName":"Reporter","status":{"errorCode":0}}"#,
                SourceKind::EntraServicePrincipal,
                "Reporter (app app-9)",
                "sp:app-9",
            ),
        ] {
            match decode_json(
                json.as_bytes(),
                record_ref(&Shared::from("t"), 1),
                &mut Interner::default(),
            ) {
                Decoded::Event(e) => {
                    assert_eq!(e.source_kind, kind, "{json}");
                    assert_eq!(&*e.identity, identity, "{json}");
                    assert_eq!(&*e.identity_key, key, "{json}");
                }
                other => panic!("{json}: {other:?}"),
            }
        }
        match decode_json(
            br#"{"category":"ServicePrincipalSignInLogs","time":"2022-01-01T00:00:00Z","resultType":"0"}"#,
            record_ref(&Shared::from("t"), 1),
            &mut Interner::default(),
        ) {
            Decoded::Rejected { reason, .. } => assert_eq!(reason, "missing identity"),
            other => panic!("{other:?}"),
        }
    }

    /// The fields the token-phishing, session and risk signals read: the tenant's Azure path at
    /// the top of a diagnostic record is not the resource, `none` values are left out, and the risk
    /// level is the higher of the two.
    #[test]
    fn client_resource_protocol_and_risk_fields() {
        let json = br#"{"time":"2025-01-15T09:30:45Z","resourceId":"/tenants/t/providers/Microsoft.aadiam","category":"SignInLogs","resultType":"Success","properties":{"userPrincipalName":"a@b.c","appId":"29D9ED98-A469-4536-ADE2-F981BC1D605E","authenticationProtocol":"deviceCode","originalTransferMethod":"none","resourceDisplayName":"Microsoft Graph","riskLevelDuringSignIn":"low","riskLevelAggregated":"High","riskState":"atRisk","uniqueTokenIdentifier":"tok"}}"#;
        let Decoded::Event(e) = decode_json(
            json,
            record_ref(&Shared::from("t"), 1),
            &mut Interner::default(),
        ) else {
            panic!("an event")
        };
        assert_eq!(e.outcome, crate::event::Outcome::Success);
        assert_eq!(e.app_id(), Some("29d9ed98-a469-4536-ade2-f981bc1d605e"));
        assert_eq!(e.resource_id(), None);
        assert_eq!(e.resource(), Some("Microsoft Graph"));
        assert_eq!(e.auth_protocol(), Some("deviceCode"));
        assert_eq!(e.transfer_method(), None);
        assert_eq!(e.risk_level(), Some("high"));
        assert_eq!(e.risk_state(), Some("atrisk"));
        assert_eq!(e.token_id().map(|t| &**t), Some("tok"));
    }

    #[test]
    fn missing_or_wrong_fields_reject_never_panic() {
        let cases = [
            (r#"{}"#, "missing time"),
            (
                r#"{"createdDateTime":"x","userPrincipalName":"a","status":{"errorCode":0}}"#,
                "unparsable time",
            ),
            (
                r#"{"createdDateTime":"2022-01-01T00:00:00Z","status":{"errorCode":0}}"#,
                "missing identity",
            ),
            (
                r#"{"createdDateTime":"2022-01-01T00:00:00Z","userPrincipalName":"a"}"#,
                "missing result",
            ),
            (
                r#"{"createdDateTime":"2022-01-01T00:00:00Z","userPrincipalName":"  ","status":{"errorCode":0}}"#,
                "missing identity",
            ),
            (r#"[1,2]"#, "not a JSON object"),
            (r#""text""#, "not a JSON object"),
            (
                r#"{"createdDateTime":"2022-01-01T00:00:00Z""#,
                "invalid JSON",
            ),
            (
                r#"{"createdDateTime":12,"userPrincipalName":{"a":1},"status":[]}"#,
                "unparsable time",
            ),
        ];
        for (json, want) in cases {
            assert_eq!(rejected(json), want, "{json}");
        }
        // Odd types in optional fields are tolerated.
        let e = ev(
            r#"{"createdDateTime":"2022-01-01T00:00:00Z","userPrincipalName":"a","status":{"errorCode":"0"},
            "ipAddress":"not-an-ip","location":42,"autonomousSystemNumber":"AS13335","isInteractive":"maybe",
            "LocationDetails":"not json","riskEventTypes":"a, b","authenticationDetails":{}}"#,
        );
        assert_eq!(
            e.ip.as_ref().map(ToString::to_string).as_deref(),
            Some("not-an-ip")
        );
        assert!(e.ip_addr().is_none());
        assert_eq!(e.asn, Some(13335));
        assert_eq!(e.interactive, None);
        assert_eq!(e.risk_event_types(), vec!["a", "b"]);
    }
}
