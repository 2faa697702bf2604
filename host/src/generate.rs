//! `t1586 generate`: a realistic synthetic tenant — seeded, deterministic — with benign noise and
//! injected attacks of every signal, plus a ground-truth file naming each attack.
//!
//! Benign noise (none of it should raise an alert in the default profile):
//! * office-hours interactive sign-ins from each city's office egress, evenings from home ISPs;
//! * MFA prompts (50074 / 50076 interrupts, then a success), the odd mistyped password;
//! * mobile-carrier non-interactive token refreshes in the user's own country;
//! * corporate VPN egress in a city near the user's;
//! * travelling staff: a real flight (Seattle → London, New York → Berlin) with hours in between;
//! * service accounts whose stale credentials fail all day from their application server;
//! * self-service password resets (failures inside the reset service, then a success);
//! * Windows: daily workstation logons and file-server network logons, the odd bad password;
//!   engineers' OpenSSH logons to a build server (LogonType 8); `runas` to a user's own admin
//!   account (4648).
//!
//! Attacks (one or more each, at seeded times and identities; `ground-truth.jsonl` names them):
//! credential stuffing, password spray (and a sprayed account that signs in), distributed spray,
//! impossible travel, a success from hosting / Tor infrastructure, AiTM token replay, a legacy-protocol
//! success, MFA fatigue, an Identity Protection risk, and on Windows failed network logons then a
//! logon, and Kerberos spraying from one address. Attempts that no success follows, reported as
//! attempts: password guessing with a lockout storm (Entra), OpenSSH guessing (LogonType 8), local
//! guessing at a workstation's console (LogonType 2), and a 4648 explicit-credential spray from a
//! workstation.
//!
//! Records are Microsoft Graph `signIn` objects (JSON Lines) and `evtx_dump`-shaped Windows events
//! (JSON Lines), each file in time order. The random generator is a seeded SplitMix64: the same
//! options give the same bytes on every machine.

use std::io::{self, Write};

use serde_json::{Value, json};

/// Generator options.
#[derive(Debug, Clone)]
pub struct Options {
    pub users: usize,
    pub days: u32,
    pub seed: u64,
    /// First day, as days since 1970-01-01 (default 2026-03-02).
    pub start_day: i64,
    /// Also write Windows Security events.
    pub windows: bool,
    /// The shape the sign-ins are written in ([`crate::shapes`]).
    pub shape: crate::shapes::Shape,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            users: 40,
            days: 3,
            seed: 1586,
            start_day: 20_514, // 2026-03-02
            windows: true,
            shape: crate::shapes::Shape::Graph,
        }
    }
}

/// One injected attack.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// What was injected (`credential_stuffing`, ...).
    pub attack: &'static str,
    /// The alert type that must report it.
    pub detection_type: &'static str,
    /// The identity the alert must name (`(multiple)` for source-level alerts).
    pub identity: String,
    /// Attack window, epoch seconds.
    pub start: i64,
    pub end: i64,
}

impl Truth {
    pub fn to_json(&self) -> String {
        json!({
            "attack": self.attack,
            "detection_type": self.detection_type,
            "identity": self.identity,
            "start": iso(self.start),
            "end": iso(self.end),
        })
        .to_string()
    }
}

/// SplitMix64: tiny, seeded, the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo).max(1) as u64) as i64
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` from epoch seconds (civil-from-days, no clock, no time zone database).
pub fn iso(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[derive(Clone, Copy)]
struct City {
    name: &'static str,
    country: &'static str,
    lat: f64,
    lon: f64,
    /// Hours east of UTC (office hours are local).
    utc_offset: i64,
    /// Office egress /24 (first three octets), home ISP ASN, mobile carrier ASN, nearby VPN egress.
    office: &'static str,
    isp_asn: u32,
    mobile_asn: u32,
    vpn: &'static str,
}

const CITIES: &[City] = &[
    City {
        name: "Seattle",
        country: "US",
        lat: 47.61,
        lon: -122.33,
        utc_offset: -8,
        office: "131.107.10",
        isp_asn: 7922,
        mobile_asn: 21928,
        vpn: "131.107.200",
    },
    City {
        name: "New York",
        country: "US",
        lat: 40.71,
        lon: -74.01,
        utc_offset: -5,
        office: "131.107.20",
        isp_asn: 701,
        mobile_asn: 6167,
        vpn: "131.107.210",
    },
    City {
        name: "London",
        country: "GB",
        lat: 51.51,
        lon: -0.13,
        utc_offset: 0,
        office: "81.2.69",
        isp_asn: 2856,
        mobile_asn: 25135,
        vpn: "81.2.70",
    },
    City {
        name: "Berlin",
        country: "DE",
        lat: 52.52,
        lon: 13.40,
        utc_offset: 1,
        office: "89.246.0",
        isp_asn: 3320,
        mobile_asn: 3209,
        vpn: "89.246.100",
    },
    City {
        name: "Bangalore",
        country: "IN",
        lat: 12.97,
        lon: 77.59,
        utc_offset: 5,
        office: "49.207.0",
        isp_asn: 24560,
        mobile_asn: 55836,
        vpn: "49.207.100",
    },
];

const FIRST: &[&str] = &[
    "adele",
    "alex",
    "allan",
    "ben",
    "chloe",
    "diego",
    "emily",
    "farah",
    "grady",
    "henrietta",
    "isaiah",
    "johanna",
    "joni",
    "lee",
    "lidia",
    "lynne",
    "megan",
    "miriam",
    "nestor",
    "patti",
    "pradeep",
    "raul",
    "sakura",
    "tomas",
    "uma",
    "vik",
    "wei",
    "yara",
    "zoe",
];
const LAST: &[&str] = &[
    "vance", "wilber", "deyoung", "walker", "lorenz", "sherman", "lin", "patel", "mueller",
    "okafor", "ito", "garcia", "nguyen", "schmidt", "kowalski", "silva", "haddad", "rossi",
    "cohen", "novak",
];
const APPS: &[&str] = &[
    "Office 365 Exchange Online",
    "Microsoft Teams",
    "Office 365 SharePoint Online",
    "Azure Portal",
    "OfficeHome",
    "Microsoft Edge",
];
const UAS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36 Edg/124.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
];
const MOBILE_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";

struct User {
    upn: String,
    sam: String,
    city: usize,
    home_ip: String,
}

/// One sign-in as Graph writes it.
#[allow(clippy::too_many_arguments)]
fn signin(
    t: i64,
    id: String,
    upn: &str,
    code: u32,
    ip: &str,
    city: &City,
    asn: u32,
    app: &str,
    client: &str,
    interactive: bool,
    ua: &str,
) -> Value {
    let reason = match code {
        0 => Value::Null,
        50126 => "Error validating credentials due to invalid username or password.".into(),
        50074 | 50076 => "Strong Authentication is required.".into(),
        500121 => "Authentication failed during strong authentication request.".into(),
        _ => "Other.".into(),
    };
    json!({
        "id": id,
        "createdDateTime": iso(t),
        "userPrincipalName": upn,
        "appDisplayName": app,
        "ipAddress": ip,
        "clientAppUsed": client,
        "userAgent": ua,
        "isInteractive": interactive,
        "autonomousSystemNumber": asn,
        "status": {"errorCode": code, "failureReason": reason},
        "location": {"city": city.name, "countryOrRegion": city.country,
                     "geoCoordinates": {"latitude": city.lat, "longitude": city.lon}},
    })
}

/// One Windows event as `evtx_dump -o jsonl` writes it.
#[allow(clippy::too_many_arguments)]
fn winevent(
    t: i64,
    rid: u64,
    eid: u32,
    user: &str,
    ip: &str,
    lt: u32,
    status: &str,
    host: &str,
) -> Value {
    let mut data = json!({
        "TargetUserName": user, "TargetDomainName": "CONTOSO", "IpAddress": ip,
        "WorkstationName": "-", "LogonType": lt,
    });
    if eid == 4625 {
        data["Status"] = "0xc000006d".into();
        data["SubStatus"] = status.into();
    }
    if eid == 4771 || eid == 4768 {
        data = json!({"TargetUserName": user, "Status": status, "IpAddress": format!("::ffff:{ip}"),
                      "ServiceName": "krbtgt/CONTOSO.COM"});
    }
    json!({"Event": {"System": {"EventID": eid, "TimeCreated": {"#attributes": {"SystemTime": iso(t)}},
            "EventRecordID": rid, "Computer": host, "Channel": "Security"}, "EventData": data}})
}

/// A Windows event with the given `EventData` (other shapes than [`winevent`]'s).
fn winevent_data(t: i64, rid: u64, eid: u32, host: &str, data: Value) -> Value {
    json!({"Event": {"System": {"EventID": eid, "TimeCreated": {"#attributes": {"SystemTime": iso(t)}},
            "EventRecordID": rid, "Computer": host, "Channel": "Security"}, "EventData": data}})
}

/// A 4648 (logon with explicit credentials): `subject` presented `target`'s credentials to `server`.
fn explicit(
    t: i64,
    rid: u64,
    subject: &str,
    target: &str,
    server: &str,
    ip: &str,
    host: &str,
) -> Value {
    winevent_data(
        t,
        rid,
        4648,
        host,
        json!({"SubjectUserName": subject, "SubjectDomainName": "CONTOSO",
               "TargetUserName": target, "TargetDomainName": "CONTOSO",
               "TargetServerName": server, "ProcessName": "C:\\Windows\\System32\\svchost.exe",
               "IpAddress": ip, "IpPort": "445"}),
    )
}

/// Where one run writes: each day's records (`day` from 1, `kind` `signins` or `windows`, one JSON
/// object per call, in time order within the day) and the ground truth.
pub struct Sinks<'a> {
    pub record: &'a mut dyn FnMut(u32, &str, &str) -> io::Result<()>,
    pub truth: &'a mut dyn Write,
}

/// The file a day's records go to: `day-0001-signins.jsonl`, `day-0001-windows.jsonl`, … — so that
/// reading the files in name order reads the days in order, each within the detector's lateness
/// (four digits: `generate` allows at most 9,998 days, plus the spill-over day).
pub fn day_file(day: u32, kind: &str) -> String {
    format!("day-{day:04}-{kind}.jsonl")
}

/// Counts of what was written.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Written {
    pub signins: u64,
    pub windows: u64,
    pub attacks: u64,
}

struct Day {
    signins: Vec<(i64, Value)>,
    windows: Vec<(i64, Value)>,
}

/// Generate the tenant into the sinks, day by day (memory stays one day's worth).
pub fn generate(opts: &Options, out: &mut Sinks<'_>) -> io::Result<Written> {
    let mut rng = Rng(opts.seed);
    let users: Vec<User> = (0..opts.users.max(12))
        .map(|i| {
            // Every (first, last, n) is distinct: one person per name.
            let f = FIRST[i % FIRST.len()];
            let l = LAST[(i / FIRST.len()) % LAST.len()];
            let n = i / (FIRST.len() * LAST.len());
            let upn = if n == 0 {
                format!("{f}.{l}@contoso.com")
            } else {
                format!("{f}.{l}{n}@contoso.com")
            };
            let sam = upn.split('@').next().unwrap_or_default().replace('.', "");
            User {
                upn,
                sam,
                city: i % CITIES.len(),
                home_ip: format!(
                    "{}.{}.{}.{}",
                    24 + i % 40,
                    10 + (i / 40) % 200,
                    (i * 13) % 250 + 1,
                    (i * 7) % 250 + 2
                ),
            }
        })
        .collect();
    let mut written = Written::default();
    let mut seq = 0u64;
    let mut rid = 100_000u64;
    // Identities already used by an attack (each is attacked at most once, so every alert on an
    // identity that was never attacked is a false positive).
    let mut attacked = vec![false; users.len()];
    // Travellers rest from their usual routine on the day they fly and the day after.
    let mut away: Vec<(usize, u32)> = Vec::new();
    // Records dated after the day they were generated for (evenings west of UTC) wait for their
    // own UTC day's file: each file then spans one UTC day, inside the detector's lateness.
    let mut carry = Day {
        signins: Vec::new(),
        windows: Vec::new(),
    };
    for day in 0..opts.days {
        let d0 = (opts.start_day + i64::from(day)) * 86_400;
        let mut today = std::mem::replace(
            &mut carry,
            Day {
                signins: Vec::new(),
                windows: Vec::new(),
            },
        );
        let mut next_id = |kind: &str| {
            seq += 1;
            format!("{kind}-{seq:09}")
        };
        let weekend = (opts.start_day + i64::from(day) + 4).rem_euclid(7) >= 5; // 1970-01-01 was a Thursday
        let trip = (day % 2 == 1).then(|| (day as usize * 5 + 3) % users.len());
        if let Some(t) = trip {
            away.push((t, day));
        }
        for (ui, u) in users.iter().enumerate() {
            if away
                .iter()
                .any(|&(w, d)| w == ui && (d == day || d + 1 == day))
            {
                continue;
            }
            let c = &CITIES[u.city];
            let local = |h: i64, m: i64| d0 + (h - c.utc_offset) * 3600 + m * 60;
            if weekend && !rng.chance(150) {
                continue;
            }
            let sessions = if weekend { 1 } else { rng.range(3, 8) };
            for s in 0..sessions {
                let t = local(rng.range(8, 18), rng.range(0, 60));
                let (ip, asn) = if rng.chance(750) {
                    (format!("{}.{}", c.office, 10 + ui % 200), 8075)
                } else if rng.chance(500) {
                    (format!("{}.{}", c.vpn, 10 + ui % 200), 8075)
                } else {
                    (u.home_ip.clone(), c.isp_asn)
                };
                let app = *rng.pick(APPS);
                let ua = *rng.pick(UAS);
                // The odd mistyped password, and MFA prompts before the success.
                if rng.chance(60) {
                    for k in 0..rng.range(1, 3) {
                        today.signins.push((
                            t - 40 + k,
                            signin(
                                t - 40 + k,
                                next_id("typo"),
                                &u.upn,
                                50126,
                                &ip,
                                c,
                                asn,
                                app,
                                "Browser",
                                true,
                                ua,
                            ),
                        ));
                    }
                }
                if s == 0 && rng.chance(400) {
                    let code = if rng.chance(500) { 50074 } else { 50076 };
                    today.signins.push((
                        t - 20,
                        signin(
                            t - 20,
                            next_id("mfa"),
                            &u.upn,
                            code,
                            &ip,
                            c,
                            asn,
                            app,
                            "Browser",
                            true,
                            ua,
                        ),
                    ));
                }
                today.signins.push((
                    t,
                    signin(
                        t,
                        next_id("ok"),
                        &u.upn,
                        0,
                        &ip,
                        c,
                        asn,
                        app,
                        "Browser",
                        true,
                        ua,
                    ),
                ));
            }
            // Mobile token refreshes: non-interactive, carrier addresses, home country.
            for _ in 0..rng.range(0, 4) {
                let t = local(rng.range(7, 22), rng.range(0, 60));
                let ip = format!(
                    "{}.{}.{}.{}",
                    100 + u.city * 3,
                    128 + rng.below(100),
                    rng.below(250),
                    1 + rng.below(250)
                );
                today.signins.push((
                    t,
                    signin(
                        t,
                        next_id("mob"),
                        &u.upn,
                        0,
                        &ip,
                        c,
                        c.mobile_asn,
                        "Microsoft Teams",
                        "Mobile Apps and Desktop clients",
                        false,
                        MOBILE_UA,
                    ),
                ));
            }
            // Windows: a workstation logon in the morning, the file server during the day.
            if opts.windows && !weekend {
                let t = local(8, rng.range(0, 50));
                if rng.chance(50) {
                    rid += 1;
                    today.windows.push((
                        t - 30,
                        winevent(
                            t - 30,
                            rid,
                            4625,
                            &u.sam,
                            "-",
                            2,
                            "0xc000006a",
                            &format!("WS-{ui:04}"),
                        ),
                    ));
                }
                rid += 1;
                today.windows.push((
                    t,
                    winevent(t, rid, 4624, &u.sam, "-", 2, "", &format!("WS-{ui:04}")),
                ));
                rid += 1;
                let t2 = local(rng.range(9, 17), rng.range(0, 60));
                today.windows.push((
                    t2,
                    winevent(
                        t2,
                        rid,
                        4624,
                        &u.sam,
                        &format!("10.20.{}.{}", u.city, 10 + ui % 200),
                        3,
                        "",
                        "FS01.contoso.com",
                    ),
                ));
                // Engineers (one in six) use OpenSSH on the build server, now and then mistyping.
                if ui % 6 == 0 {
                    let t3 = local(rng.range(9, 18), rng.range(0, 60));
                    let ip = format!("10.20.{}.{}", u.city, 10 + ui % 200);
                    if rng.chance(100) {
                        rid += 1;
                        today.windows.push((
                            t3 - 15,
                            winevent(
                                t3 - 15,
                                rid,
                                4625,
                                &u.sam,
                                &ip,
                                8,
                                "0xc000006a",
                                "BUILD01.contoso.com",
                            ),
                        ));
                    }
                    rid += 1;
                    today.windows.push((
                        t3,
                        winevent(t3, rid, 4624, &u.sam, &ip, 8, "", "BUILD01.contoso.com"),
                    ));
                }
                // Administrators (one in ten) run a console as their admin account: one 4648.
                if ui % 10 == 3 && rng.chance(500) {
                    let t4 = local(rng.range(9, 17), rng.range(0, 60));
                    rid += 1;
                    today.windows.push((
                        t4,
                        explicit(
                            t4,
                            rid,
                            &u.sam,
                            &format!("adm-{}", u.sam),
                            "localhost",
                            "::1",
                            &format!("WS-{ui:04}"),
                        ),
                    ));
                }
            }
        }
        // Travelling staff: a real flight (interactive sign-in before, one at the destination later).
        if let Some(w) = trip {
            let u = &users[w];
            let from = &CITIES[u.city];
            let to = &CITIES[(u.city + 2) % CITIES.len()];
            let t = d0 + 4 * 3600;
            let ip = format!("{}.{}", from.office, 77);
            today.signins.push((
                t,
                signin(
                    t,
                    next_id("trip"),
                    &u.upn,
                    0,
                    &ip,
                    from,
                    8075,
                    "Microsoft Teams",
                    "Browser",
                    true,
                    UAS[0],
                ),
            ));
            // 19 hours later: the longest leg here (Bangalore → New York, 13,000 km) is 690 km/h.
            let t2 = t + 19 * 3600;
            let ip2 = format!("{}.{}", to.office, 78);
            today.signins.push((
                t2,
                signin(
                    t2,
                    next_id("trip"),
                    &u.upn,
                    0,
                    &ip2,
                    to,
                    8075,
                    "Microsoft Teams",
                    "Browser",
                    true,
                    UAS[0],
                ),
            ));
        }
        // Service accounts with stale credentials: failures all day from their application server.
        for (k, name) in ["svc-backup", "svc-reporting", "svc-sync"]
            .iter()
            .enumerate()
        {
            let c = &CITIES[0];
            for h in 0..24 {
                let t = d0 + h * 3600 + 5 * 60 + k as i64;
                today.signins.push((
                    t,
                    signin(
                        t,
                        next_id("svc"),
                        &format!("{name}@contoso.com"),
                        50126,
                        "131.107.30.5",
                        c,
                        8075,
                        "Office 365 Exchange Online",
                        "Mobile Apps and Desktop clients",
                        false,
                        "Microsoft Office/16.0",
                    ),
                ));
            }
        }
        // Self-service password reset: failures inside the reset service, then a success.
        {
            let u = &users[(day as usize * 11 + 1) % users.len()];
            let c = &CITIES[u.city];
            let t = d0 + (9 - c.utc_offset) * 3600;
            for k in 0..6 {
                today.signins.push((
                    t + k * 30,
                    signin(
                        t + k * 30,
                        next_id("sspr"),
                        &u.upn,
                        50126,
                        &u.home_ip,
                        c,
                        c.isp_asn,
                        "Microsoft Password Reset Service",
                        "Browser",
                        true,
                        UAS[0],
                    ),
                ));
            }
            today.signins.push((
                t + 400,
                signin(
                    t + 400,
                    next_id("sspr"),
                    &u.upn,
                    0,
                    &u.home_ip,
                    c,
                    c.isp_asn,
                    "Microsoft Password Reset Service",
                    "Browser",
                    true,
                    UAS[0],
                ),
            ));
        }
        // Attacks: kind k on the days d with d ≡ k (mod min(days, kinds)): every kind at least once.
        let cycle = opts.days.clamp(1, ATTACK_KINDS);
        for k in (0..ATTACK_KINDS).filter(|k| k % cycle == day % cycle) {
            let truths = inject(
                k,
                d0,
                &mut rng,
                &users,
                &mut attacked,
                &mut today,
                &mut next_id,
                &mut rid,
                opts.windows,
            );
            for tr in truths {
                writeln!(out.truth, "{}", tr.to_json())?;
                written.attacks += 1;
            }
        }
        let end = d0 + 86_400;
        for (kind, list, next) in [
            ("signins", today.signins, &mut carry.signins),
            ("windows", today.windows, &mut carry.windows),
        ] {
            let (now, later): (Vec<_>, Vec<_>) = list.into_iter().partition(|(t, _)| *t < end);
            write_day(out, &mut written, day + 1, kind, now, opts.shape)?;
            next.extend(later);
        }
    }
    // What spilled past the last day goes into one more day's files.
    for (kind, list) in [("signins", carry.signins), ("windows", carry.windows)] {
        write_day(out, &mut written, opts.days + 1, kind, list, opts.shape)?;
    }
    Ok(written)
}

/// Write one day's records of one kind, in time order, and count them.
fn write_day(
    out: &mut Sinks<'_>,
    written: &mut Written,
    day: u32,
    kind: &str,
    mut list: Vec<(i64, Value)>,
    shape: crate::shapes::Shape,
) -> io::Result<()> {
    list.sort_by_key(|(t, _)| *t);
    let mut n = 0;
    for (i, (_, v)) in list.into_iter().enumerate() {
        let v = if kind == "signins" {
            match shape.convert(&v, i as u64) {
                Some(v) => v,
                None => continue,
            }
        } else {
            v
        };
        (out.record)(day, kind, &v.to_string())?;
        n += 1;
    }
    if kind == "signins" {
        written.signins += n;
    } else {
        written.windows += n;
    }
    Ok(())
}

/// How many kinds of attack `inject` knows.
const ATTACK_KINDS: u32 = 15;

/// An identity no attack has used yet (marked as used), if one is left.
fn victim(rng: &mut Rng, attacked: &mut [bool]) -> Option<usize> {
    let n = attacked.len();
    let start = rng.below(n as u64) as usize;
    let i = (0..n).map(|k| (start + k) % n).find(|&i| !attacked[i])?;
    attacked[i] = true;
    Some(i)
}

const ATTACKER_IPS: &[&str] = &[
    "45.134.20.7",
    "45.134.21.9",
    "45.134.22.11",
    "45.134.23.13",
    "45.134.24.15",
    "45.134.25.17",
    "45.134.26.19",
    "45.134.27.21",
];
const LAGOS: City = City {
    name: "Lagos",
    country: "NG",
    lat: 6.52,
    lon: 3.38,
    utc_offset: 1,
    office: "105.112.0",
    isp_asn: 36873,
    mobile_asn: 36873,
    vpn: "105.112.1",
};
const AMSTERDAM_DC: City = City {
    name: "Amsterdam",
    country: "NL",
    lat: 52.37,
    lon: 4.89,
    utc_offset: 1,
    office: "45.134.20",
    isp_asn: 9009,
    mobile_asn: 9009,
    vpn: "45.134.21",
};

/// A time between 01:00 and 03:00 local on the day starting at `d0` (UTC).
fn night(d0: i64, c: &City, rng: &mut Rng) -> i64 {
    d0 + (rng.range(1, 3) - c.utc_offset).rem_euclid(24) * 3600 + rng.range(0, 3600)
}

/// Inject attack kind `k` on the day starting at `d0`; returns its ground truth.
#[allow(clippy::too_many_arguments)]
fn inject(
    k: u32,
    d0: i64,
    rng: &mut Rng,
    users: &[User],
    attacked: &mut [bool],
    today: &mut Day,
    next_id: &mut dyn FnMut(&str) -> String,
    rid: &mut u64,
    windows: bool,
) -> Vec<Truth> {
    let mut truth = Vec::new();
    let t0 = d0 + rng.range(2 * 3600, 20 * 3600);
    let ua = UAS[0];
    let push = |today: &mut Day, t: i64, v: Value| today.signins.push((t, v));
    let dc = &AMSTERDAM_DC;
    let tr = |attack, detection_type, identity: &str, start, end| Truth {
        attack,
        detection_type,
        identity: identity.to_string(),
        start,
        end,
    };
    match k {
        0 => {
            // Credential stuffing: 12 failures from 8 hosting addresses, then a success.
            let Some(v) = victim(rng, attacked) else {
                return truth;
            };
            let u = &users[v];
            for i in 0..12 {
                let t = t0 + i * 90;
                push(
                    today,
                    t,
                    signin(
                        t,
                        next_id("atk"),
                        &u.upn,
                        50126,
                        ATTACKER_IPS[i as usize % 8],
                        dc,
                        9009,
                        "Azure Portal",
                        "Browser",
                        true,
                        ua,
                    ),
                );
            }
            let t = t0 + 12 * 90 + 60;
            push(
                today,
                t,
                signin(
                    t,
                    next_id("atk"),
                    &u.upn,
                    0,
                    ATTACKER_IPS[3],
                    dc,
                    9009,
                    "Azure Portal",
                    "Browser",
                    true,
                    ua,
                ),
            );
            truth.push(tr(
                "credential_stuffing",
                "CredentialStuffing",
                &u.upn,
                t0,
                t,
            ));
            truth.push(tr(
                "credential_stuffing",
                "SuspiciousInfrastructure",
                &u.upn,
                t0,
                t,
            ));
        }
        1 => {
            // Password spray from one address against 8 accounts, then one of them signs in from it.
            let ip = "185.225.73.14";
            let mut victims = Vec::new();
            for i in 0..8 {
                let Some(v) = victim(rng, attacked) else {
                    break;
                };
                victims.push(v);
                let t = t0 + i * 60;
                push(
                    today,
                    t,
                    signin(
                        t,
                        next_id("spray"),
                        &users[v].upn,
                        50126,
                        ip,
                        dc,
                        60068,
                        "Office 365 Exchange Online",
                        "Browser",
                        true,
                        ua,
                    ),
                );
            }
            if let Some(&v) = victims.get(2) {
                let t = t0 + 20 * 60;
                push(
                    today,
                    t,
                    signin(
                        t,
                        next_id("spray"),
                        &users[v].upn,
                        0,
                        ip,
                        dc,
                        60068,
                        "Office 365 Exchange Online",
                        "Browser",
                        true,
                        ua,
                    ),
                );
                truth.push(tr(
                    "password_spray",
                    "PasswordSpray",
                    "(multiple)",
                    t0,
                    t0 + 8 * 60,
                ));
                truth.push(tr(
                    "password_spray",
                    "PasswordSpraySuccess",
                    &users[v].upn,
                    t0,
                    t,
                ));
            }
        }
        2 => {
            // Distributed spray: 12 addresses, one try each, one user agent, 12 accounts, over 6 hours.
            for i in 0..12 {
                let Some(v) = victim(rng, attacked) else {
                    break;
                };
                let t = t0 + i * 1800;
                let ip = format!("193.32.{}.{}", 10 + i, 40 + i);
                push(
                    today,
                    t,
                    signin(
                        t,
                        next_id("dspray"),
                        &users[v].upn,
                        50126,
                        &ip,
                        dc,
                        61000 + i as u32,
                        "Office 365 Exchange Online",
                        "Browser",
                        true,
                        "python-requests/2.31",
                    ),
                );
            }
            truth.push(tr(
                "distributed_spray",
                "DistributedPasswordSpray",
                "(multiple)",
                t0,
                t0 + 12 * 1800,
            ));
        }
        3 => {
            // Impossible travel: home, then Lagos 40 minutes later.
            let Some(v) = victim(rng, attacked) else {
                return truth;
            };
            let u = &users[v];
            let c = &CITIES[u.city];
            push(
                today,
                t0,
                signin(
                    t0,
                    next_id("travel"),
                    &u.upn,
                    0,
                    &u.home_ip,
                    c,
                    c.isp_asn,
                    "Microsoft Teams",
                    "Browser",
                    true,
                    ua,
                ),
            );
            let t = t0 + 40 * 60;
            push(
                today,
                t,
                signin(
                    t,
                    next_id("travel"),
                    &u.upn,
                    0,
                    "105.112.33.7",
                    &LAGOS,
                    36873,
                    "Office 365 Exchange Online",
                    "Browser",
                    true,
                    ua,
                ),
            );
            truth.push(tr("impossible_travel", "ImpossibleTravel", &u.upn, t0, t));
        }
        4 => {
            // A success from a Tor-like range (185.220.x) and M247.
            let Some(v) = victim(rng, attacked) else {
                return truth;
            };
            let u = &users[v];
            push(
                today,
                t0,
                signin(
                    t0,
                    next_id("tor"),
                    &u.upn,
                    0,
                    "185.220.101.45",
                    dc,
                    208294,
                    "OfficeHome",
                    "Browser",
                    true,
                    ua,
                ),
            );
            truth.push(tr("hosting", "SuspiciousInfrastructure", &u.upn, t0, t0));
        }
        5 => {
            // AiTM token replay: one session used from the user's country and, minutes later, abroad.
            let Some(v) = victim(rng, attacked) else {
                return truth;
            };
            let u = &users[v];
            let c = &CITIES[u.city];
            let sid = format!("{:08x}-aitm-{}", rng.next() as u32, v);
            let mut a = signin(
                t0,
                next_id("aitm"),
                &u.upn,
                0,
                &u.home_ip,
                c,
                c.isp_asn,
                "OfficeHome",
                "Browser",
                true,
                ua,
            );
            a["sessionId"] = sid.clone().into();
            push(today, t0, a);
            let t = t0 + 600;
            let mut b = signin(
                t,
                next_id("aitm"),
                &u.upn,
                0,
                "102.89.4.20",
                &LAGOS,
                29465,
                "Office 365 Exchange Online",
                "Browser",
                false,
                "axios/1.6.8",
            );
            b["sessionId"] = sid.into();
            push(today, t, b);
            truth.push(tr("token_replay", "TokenReplay", &u.upn, t0, t));
        }
        6 => {
            // Single-factor success over Authenticated SMTP.
            let Some(v) = victim(rng, attacked) else {
                return truth;
            };
            let u = &users[v];
            let c = &CITIES[u.city];
            let mut r = signin(
                t0,
                next_id("smtp"),
                &u.upn,
                0,
                "198.51.100.77",
                c,
                14061,
                "Office 365 Exchange Online",
                "Authenticated SMTP",
                false,
                "BAV2ROPC",
            );
            r["authenticationRequirement"] = "singleFactorAuthentication".into();
            push(today, t0, r);
            truth.push(tr("legacy_auth", "LegacyProtocolSuccess", &u.upn, t0, t0));
        }
        7 => {
            // MFA fatigue: 14 denied pushes in 25 minutes, then an approval.
            let Some(v) = victim(rng, attacked) else {
                return truth;
            };
            let u = &users[v];
            let c = &CITIES[u.city];
            let ip = format!("{}.{}", c.office, 250);
            for i in 0..14 {
                let t = t0 + i * 110;
                push(
                    today,
                    t,
                    signin(
                        t,
                        next_id("mfa-bomb"),
                        &u.upn,
                        500121,
                        &ip,
                        c,
                        8075,
                        "OfficeHome",
                        "Browser",
                        true,
                        ua,
                    ),
                );
            }
            let t = t0 + 14 * 110 + 40;
            push(
                today,
                t,
                signin(
                    t,
                    next_id("mfa-bomb"),
                    &u.upn,
                    0,
                    &ip,
                    c,
                    8075,
                    "OfficeHome",
                    "Browser",
                    true,
                    ua,
                ),
            );
            truth.push(tr("mfa_fatigue", "MfaFatigue", &u.upn, t0, t));
        }
        8 => {
            // Identity Protection flags a sign-in from an anonymizing address.
            let Some(v) = victim(rng, attacked) else {
                return truth;
            };
            let u = &users[v];
            let c = &CITIES[u.city];
            let mut r = signin(
                t0,
                next_id("idp"),
                &u.upn,
                0,
                &u.home_ip,
                c,
                c.isp_asn,
                "Microsoft Teams",
                "Browser",
                true,
                ua,
            );
            r["riskEventTypes_v2"] = json!(["anonymizedIPAddress"]);
            r["riskLevelDuringSignIn"] = "high".into();
            push(today, t0, r);
            truth.push(tr(
                "identity_protection",
                "IdentityProtectionRisk",
                &u.upn,
                t0,
                t0,
            ));
        }
        9 if windows => {
            // Windows: six failed network logons from outside, then a logon (the seed's third test).
            let Some(v) = victim(rng, attacked) else {
                return truth;
            };
            let u = &users[v];
            for i in 0..6 {
                *rid += 1;
                let t = t0 + i * 20;
                today.windows.push((
                    t,
                    winevent(
                        t,
                        *rid,
                        4625,
                        &u.sam,
                        "203.0.113.50",
                        3,
                        "0xc000006a",
                        "FS01.contoso.com",
                    ),
                ));
            }
            *rid += 1;
            let t = t0 + 180;
            today.windows.push((
                t,
                winevent(
                    t,
                    *rid,
                    4624,
                    &u.sam,
                    "203.0.113.50",
                    3,
                    "",
                    "FS01.contoso.com",
                ),
            ));
            truth.push(tr(
                "windows_brute_force",
                "FailedLogonsThenSuccess",
                &format!("CONTOSO\\{}", u.sam),
                t0,
                t,
            ));
        }
        10 if windows => {
            // Windows: Kerberos pre-authentication failures against 35 accounts from one address.
            for i in 0..35usize {
                *rid += 1;
                let t = t0 + i as i64 * 6;
                let u = &users[i % users.len()];
                let name = if i < users.len() {
                    u.sam.clone()
                } else {
                    format!("{}{i}", u.sam)
                };
                today.windows.push((
                    t,
                    winevent(
                        t,
                        *rid,
                        4771,
                        &name,
                        "198.51.100.99",
                        0,
                        "0x18",
                        "DC01.contoso.com",
                    ),
                ));
            }
            truth.push(tr(
                "kerberos_spray",
                "OneSourceManyAccounts",
                "(multiple)",
                t0,
                t0 + 35 * 6,
            ));
        }
        11 => {
            // Password guessing against one account from one address, then its lockout storm
            // (50053), and no success: an attempt.
            let Some(v) = victim(rng, attacked) else {
                return truth;
            };
            let u = &users[v];
            let ip = "102.89.7.51";
            // At night where the victim lives: no sign-in of theirs follows within the hour (one
            // would make it the compromise: see failures_then_success's false positives).
            let t0 = night(d0, &CITIES[u.city], rng);
            let mut t = t0;
            for i in 0..16 {
                t = t0 + i * 20;
                let code = if i < 9 { 50126 } else { 50053 };
                push(
                    today,
                    t,
                    signin(
                        t,
                        next_id("guess"),
                        &u.upn,
                        code,
                        ip,
                        &LAGOS,
                        29465,
                        "Office 365 Exchange Online",
                        "Browser",
                        true,
                        "python-requests/2.31",
                    ),
                );
            }
            truth.push(tr("password_guessing", "BruteForceAttempt", &u.upn, t0, t));
        }
        12 if windows => {
            // OpenSSH guessing on the build server (4625, LogonType 8): no logon follows.
            let Some(v) = victim(rng, attacked) else {
                return truth;
            };
            let u = &users[v];
            let t0 = night(d0, &CITIES[u.city], rng);
            let mut t = t0;
            for i in 0..8 {
                *rid += 1;
                t = t0 + i * 5;
                today.windows.push((
                    t,
                    winevent(
                        t,
                        *rid,
                        4625,
                        &u.sam,
                        "203.0.113.80",
                        8,
                        "0xc000006a",
                        "BUILD01.contoso.com",
                    ),
                ));
            }
            truth.push(tr(
                "ssh_guessing",
                "BruteForceAttempt",
                &format!("CONTOSO\\{}", u.sam),
                t0,
                t,
            ));
        }
        13 if windows => {
            // Local guessing at a workstation's console (LogonType 2) against its local
            // Administrator: twelve failures within seconds, no logon.
            let host = format!("WS-{:04}", rng.below(users.len() as u64));
            let mut t = t0;
            for i in 0..12 {
                *rid += 1;
                t = t0 + i / 4;
                let data = json!({"TargetUserName": "Administrator", "TargetDomainName": host,
                    "IpAddress": "127.0.0.1", "WorkstationName": host, "LogonType": 2,
                    "Status": "0xc000006d", "SubStatus": "0xc000006a"});
                today
                    .windows
                    .push((t, winevent_data(t, *rid, 4625, &host, data)));
            }
            truth.push(tr(
                "local_guessing",
                "BruteForceAttempt",
                &format!("{host}\\Administrator"),
                t0,
                t,
            ));
        }
        14 if windows => {
            // A compromised workstation presents 15 accounts' credentials to the file server
            // (4648, a spraying tool run as the logged-on user).
            let Some(v) = victim(rng, attacked) else {
                return truth;
            };
            let u = &users[v];
            let host = format!("WS-{v:04}");
            let mut t = t0;
            for i in 0..15usize {
                *rid += 1;
                t = t0 + i as i64 * 10;
                let target = &users[(v + 1 + i) % users.len()].sam;
                let target = if (v + 1 + i) % users.len() == v {
                    format!("{target}-old")
                } else {
                    target.clone()
                };
                today.windows.push((
                    t,
                    explicit(
                        t,
                        *rid,
                        &u.sam,
                        &target,
                        "FS01.contoso.com",
                        "10.20.0.5",
                        &host,
                    ),
                ));
            }
            truth.push(tr(
                "explicit_credential_spray",
                "ExplicitCredentialSpray",
                "(multiple)",
                t0,
                t,
            ));
        }
        _ => {}
    }
    truth
}

/// A generated tenant held in memory (the bundled demo): the day files in name order, and the
/// ground truth.
pub struct InMemory {
    pub files: Vec<(String, Vec<u8>)>,
    pub truth: Vec<u8>,
}

/// Generate into memory.
pub fn in_memory(opts: &Options) -> InMemory {
    let mut files: std::collections::BTreeMap<String, Vec<u8>> = Default::default();
    let mut truth = Vec::new();
    let mut record = |day: u32, kind: &str, line: &str| -> io::Result<()> {
        let f = files.entry(day_file(day, kind)).or_default();
        f.extend_from_slice(line.as_bytes());
        f.push(b'\n');
        Ok(())
    };
    generate(
        opts,
        &mut Sinks {
            record: &mut record,
            truth: &mut truth,
        },
    )
    .expect("writing to memory cannot fail");
    InMemory {
        files: files.into_iter().collect(),
        truth,
    }
}
