//! IP enrichment end to end: a Windows logon carries only an IP; a small `.mmdb` built here (City and
//! ASN layouts) or an ip2asn TSV gives it country, coordinates and AS — and the hosting signal fires.

use serde::Serialize;
use t1586_detector::{Config, Detector};

#[derive(Serialize)]
struct Country {
    iso_code: &'static str,
}
#[derive(Serialize)]
struct Location {
    latitude: f64,
    longitude: f64,
}
#[derive(Serialize)]
struct Names {
    en: &'static str,
}
#[derive(Serialize)]
struct City {
    names: Names,
}
#[derive(Serialize)]
struct CityRecord {
    country: Country,
    city: City,
    location: Location,
}
#[derive(Serialize)]
struct AsnRecord {
    autonomous_system_number: u32,
    autonomous_system_organization: &'static str,
}

fn city_db() -> Vec<u8> {
    let mut w = mmdb_writer::Writer::new("GeoLite2-City");
    let rec = |cc, city, lat, lon| CityRecord {
        country: Country { iso_code: cc },
        city: City {
            names: Names { en: city },
        },
        location: Location {
            latitude: lat,
            longitude: lon,
        },
    };
    w.insert(
        "185.156.72.0/22".parse::<ipnet::IpNet>().unwrap(),
        &rec("NL", "Amsterdam", 52.37, 4.89),
    )
    .unwrap();
    w.insert(
        "198.51.100.0/24".parse::<ipnet::IpNet>().unwrap(),
        &rec("US", "Seattle", 47.61, -122.33),
    )
    .unwrap();
    // A private range in the database must still never be looked up.
    w.insert(
        "10.0.0.0/8".parse::<ipnet::IpNet>().unwrap(),
        &rec("ZZ", "Nowhere", 0.0, 0.0),
    )
    .unwrap();
    w.to_bytes().unwrap()
}

fn asn_db() -> Vec<u8> {
    let mut w = mmdb_writer::Writer::new("GeoLite2-ASN");
    w.insert(
        "185.156.72.0/22".parse::<ipnet::IpNet>().unwrap(),
        &AsnRecord {
            autonomous_system_number: 9009,
            autonomous_system_organization: "M247 Europe SRL",
        },
    )
    .unwrap();
    w.to_bytes().unwrap()
}

/// Two successful network logons: one from a hosting provider's address, one from a private one.
const EVENTS: &str = "\
<Event><System><EventID>4624</EventID><TimeCreated SystemTime='2026-03-03T09:00:00Z'/><EventRecordID>1</EventRecordID><Computer>SRV01</Computer></System><EventData><Data Name='TargetUserName'>alice</Data><Data Name='TargetDomainName'>CORP</Data><Data Name='LogonType'>10</Data><Data Name='IpAddress'>185.156.73.54</Data></EventData></Event>
<Event><System><EventID>4624</EventID><TimeCreated SystemTime='2026-03-03T09:05:00Z'/><EventRecordID>2</EventRecordID><Computer>SRV01</Computer></System><EventData><Data Name='TargetUserName'>bob</Data><Data Name='TargetDomainName'>CORP</Data><Data Name='LogonType'>3</Data><Data Name='IpAddress'>10.1.2.3</Data></EventData></Event>
";

fn run(d: &mut Detector) -> Vec<t1586_detector::Alert> {
    d.begin_source("security.xml");
    let mut a = d.push(EVENTS.as_bytes());
    a.extend(d.flush());
    a
}

#[test]
fn without_enrichment_nothing_is_known() {
    let mut d = Detector::new(Config::default());
    assert!(run(&mut d).is_empty());
    assert!(d.stats().enrichment.is_empty());
}

#[test]
fn mmdb_gives_country_and_asn_and_the_hosting_signal_fires() {
    let mut d = Detector::new(Config::default());
    let info = d.add_mmdb(city_db()).unwrap();
    assert_eq!(info.database_type, "GeoLite2-City");
    d.add_mmdb(asn_db()).unwrap();
    let alerts = run(&mut d);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(a.detection_type, "SuspiciousInfrastructure");
    assert_eq!(a.user_principal_name, "CORP\\alice");
    assert_eq!(a.countries, vec!["NL".to_string()]);
    assert_eq!(a.ip_list, vec!["185.156.73.54".to_string()]);
    let e = &d.stats().enrichment;
    assert_eq!(e["lookups"], 1);
    assert_eq!(e["country_filled"], 1);
    assert_eq!(e["coordinates_filled"], 1);
    assert_eq!(e["asn_filled"], 1);
    assert_eq!(e["private_or_reserved"], 1);
}

#[test]
fn ip2asn_gives_asn_and_registration_country() {
    let mut d = Detector::new(Config::default());
    let tsv = "185.156.72.0\t185.156.75.255\t9009\tGB\tM247\n10.0.0.0\t10.255.255.255\t64512\tZZ\tPRIVATE\n";
    let info = d.add_ip2asn(tsv.as_bytes()).unwrap();
    assert_eq!((info.entries, info.skipped), (2, 0));
    let alerts = run(&mut d);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].detection_type, "SuspiciousInfrastructure");
    assert_eq!(alerts[0].countries, vec!["GB".to_string()]);
    assert_eq!(d.stats().enrichment["private_or_reserved"], 1);
}

#[test]
fn enrichment_never_overwrites_what_the_record_says() {
    // An Entra sign-in that already carries its location keeps it.
    let rec = r#"{"createdDateTime":"2026-03-03T09:00:00Z","userPrincipalName":"a@contoso.com","ipAddress":"198.51.100.7","status":{"errorCode":0},"location":{"countryOrRegion":"FR","geoCoordinates":{"latitude":48.85,"longitude":2.35}}}"#;
    let mut d = Detector::new(Config::default());
    d.add_mmdb(city_db()).unwrap();
    d.push(rec.as_bytes());
    d.flush();
    let e = d.stats().enrichment;
    // Looked up for its missing AS number only; the database's US/Seattle does not replace FR/Paris.
    assert_eq!(e.get("lookups"), Some(&1), "{e:?}");
    assert_eq!(e.get("country_filled"), None, "{e:?}");
    assert_eq!(e.get("coordinates_filled"), None, "{e:?}");
}

#[test]
fn bad_enrichment_files_are_clear_errors() {
    let mut d = Detector::new(Config::default());
    let e = d
        .add_mmdb(b"definitely not a database".to_vec())
        .unwrap_err();
    assert!(e.to_string().contains("not a MaxMind DB"), "{e}");
    let e = d.add_ip2asn(b"a\tb\tc\n").unwrap_err();
    assert!(e.to_string().contains("line 1"), "{e}");
}

/// The `.mmdb` fixtures the CLI and Node tests use (tests/enrichment/) hold exactly what this file
/// builds (compared by content: the writer stamps its build time). `T1586_BLESS=1` rewrites them.
#[test]
fn committed_mmdb_fixtures_are_reproducible() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/enrichment");
    for (name, bytes) in [("city.mmdb", city_db()), ("asn.mmdb", asn_db())] {
        let path = dir.join(name);
        if std::env::var_os("T1586_BLESS").is_some() {
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = maxminddb::Reader::from_source(std::fs::read(&path).unwrap()).unwrap();
        let built = maxminddb::Reader::from_source(bytes).unwrap();
        assert_eq!(
            committed.metadata().database_type,
            built.metadata().database_type
        );
        for ip in [
            "185.156.73.54",
            "198.51.100.7",
            "10.1.2.3",
            "203.0.113.1",
            "2001:db8::1",
        ] {
            let ip: std::net::IpAddr = ip.parse().unwrap();
            let get = |r: &maxminddb::Reader<Vec<u8>>| {
                r.lookup(ip)
                    .ok()
                    .and_then(|l| l.decode::<serde_json::Value>().ok().flatten())
            };
            assert_eq!(get(&committed), get(&built), "{name}: {ip}");
        }
    }
}
