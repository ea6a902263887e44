//! A chart as the answer the client asked for: JSON with what it covers,
//! CSV to download, or SVG to show. Every rendering may be kept by the
//! caller's own cache for a minute, since aggregates lag a few seconds
//! anyway; never by a shared one.

use chart::Chart;
use chrono::NaiveDate;
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::accept::Format;
use crate::ask::{Interval, ScopeKind};

const CACHE_CONTROL: &str = "private, max-age=60";

/// The JSON answer: the chart, and what it covers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartAnswer<'a> {
    #[serde(flatten)]
    pub chart: &'a Chart,
    pub scope: ScopeKind,
    pub id: Option<&'a str>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub interval: Interval,
}

/// The chart in the rendering asked for.
pub fn render(format: Format, answer: &ChartAnswer<'_>) -> Response<Body> {
    let builder = Response::builder()
        .status(200)
        .header("cache-control", CACHE_CONTROL)
        .header("vary", "Accept");
    let response = match format {
        Format::Json => match serde_json::to_string(answer) {
            Ok(body) => builder
                .header("content-type", "application/json")
                .body(Body::Text(body)),
            Err(_) => return platform::Problem::internal().to_response(),
        },
        Format::Csv => builder
            .header("content-type", "text/csv; charset=utf-8")
            .header(
                "content-disposition",
                format!("attachment; filename=\"{}\"", file_name(answer)),
            )
            .body(Body::Text(chart::to_csv(answer.chart))),
        Format::Svg => builder
            .header("content-type", "image/svg+xml")
            .body(Body::Text(chart::to_svg(answer.chart))),
    };
    response.expect("a valid response")
}

/// `behaviour-over-time-class-2026-09-07-2026-12-13.csv`: names and ids
/// stay out of it, so it is always a safe file name.
fn file_name(answer: &ChartAnswer<'_>) -> String {
    format!(
        "{}-{}-{}-{}.csv",
        answer.chart.chart,
        answer.scope.as_str(),
        answer.from,
        answer.to
    )
}
