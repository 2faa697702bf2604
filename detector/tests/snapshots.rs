//! insta snapshots of whole alert output: any change to alert content or format shows up in review.

use t1586_detector::{Config, Detector};

fn alerts_of(bytes: &[u8], name: &str) -> Vec<serde_json::Value> {
    let mut d = Detector::new(Config::default());
    d.begin_source(name);
    let mut a = d.push(bytes);
    a.extend(d.flush());
    t1586_detector::sort_alerts(&mut a);
    a.iter().map(|a| serde_json::to_value(a).unwrap()).collect()
}

#[test]
fn demo_alerts() {
    let bytes = include_bytes!("../../tests/demo/signins.json");
    insta::assert_json_snapshot!("demo_alerts", alerts_of(bytes, "demo/signins.json"));
}

#[test]
fn demo_stats() {
    let mut d = Detector::new(Config::default());
    d.begin_source("demo/signins.json");
    d.push(include_bytes!("../../tests/demo/signins.json"));
    d.flush();
    insta::assert_json_snapshot!("demo_stats", d.stats());
}
