//! The JSON apps read: camelCase, and back again unchanged.

mod common;

use chart::Chart;
use common::*;

#[test]
fn every_sample_round_trips() {
    for (name, chart) in samples() {
        let json = serde_json::to_string(&chart).unwrap();
        let back: Chart = serde_json::from_str(&json).unwrap();
        assert_eq!(back, chart, "{name}");
    }
}

#[test]
fn names_are_camel_case() {
    let json = serde_json::to_value(types_breakdown()).unwrap();
    assert_eq!(json["kind"], "horizontalBars");
    assert_eq!(json["xLabel"], "Type");
    assert_eq!(json["yLabel"], "%");
    assert_eq!(json["series"][0]["tone"], "neutral");
    assert_eq!(json["series"][0]["values"][0], 31.0);
    assert_eq!(json["categories"][0], "Excellent effort in class");

    let heatmap = serde_json::to_value(when_incidents_happen()).unwrap();
    assert_eq!(heatmap["kind"], "heatmap");
    assert_eq!(heatmap["series"][0]["tone"], "negative");
}

#[test]
fn a_chart_reads_from_json_an_app_might_send() {
    let chart: Chart = serde_json::from_str(
        r#"{"chart":"points","title":"Points","subtitle":"","kind":"line",
            "xLabel":"Week","yLabel":"Points","categories":["2026-09-07"],
            "series":[{"name":"Points","tone":"accent","values":[-2]}]}"#,
    )
    .unwrap();
    assert_eq!(chart.series[0].values, [-2.0]);
    assert_eq!(chart.validate(), Ok(()));
}
