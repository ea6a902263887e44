//! CSV a spreadsheet opens as the table the chart shows, and cannot be made
//! to run a formula.

mod common;

use chart::{Kind, Series, Tone, to_csv};
use common::*;

/// Cells of an RFC 4180 document, to read back what was written.
fn cells(csv: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = csv.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR only before LF");
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("a bare LF ends a line"),
            (false, c) => cell.push(c),
        }
    }
    assert!(
        cell.is_empty() && row.is_empty(),
        "the last line ends with CRLF"
    );
    rows
}

#[test]
fn lines_and_bars_have_a_row_per_category_and_a_column_per_series() {
    let chart = year_groups();
    let csv = to_csv(&chart);
    assert!(csv.starts_with("Year group,Positive,Negative\r\nYear 7,412,35\r\n"));
    assert!(csv.ends_with("Year 11,190,40\r\n"));
    assert_eq!(csv.matches("\r\n").count(), 6);
    assert_eq!(csv.matches('\n').count(), 6);

    for kind in [Kind::Line, Kind::HorizontalBars] {
        let mut same = chart.clone();
        same.kind = kind;
        assert_eq!(to_csv(&same), csv);
    }
}

#[test]
fn a_heatmap_keeps_its_grid_of_days_by_lessons() {
    let chart = when_incidents_happen();
    let rows = cells(&to_csv(&chart));
    assert_eq!(
        rows[0],
        ["Day", "P1", "P2", "Break", "P3", "P4", "Lunch", "P5", "P6"]
    );
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[1][0], "Monday");
    assert_eq!(rows[1][1], chart.series[0].values[0].to_string());
    assert!(rows.iter().all(|r| r.len() == 9));
}

#[test]
fn negative_and_fractional_numbers_stay_numbers() {
    let csv = to_csv(&net_points_by_class());
    assert!(csv.contains("\r\n9B/Ma2,-12\r\n"), "{csv}");
    assert!(csv.contains("\r\n9C/Ma3,8.5\r\n"), "{csv}");
    assert!(csv.contains("\r\n9E/Ma5,0\r\n"), "{csv}");
    assert!(!csv.contains(".0"), "{csv}");
}

#[test]
fn names_are_quoted_and_defused() {
    let mut chart = hostile(Kind::Bars);
    chart.categories = vec![
        "Brown, Ava".into(),
        "=HYPERLINK(\"http://x\",\"y\")".into(),
        "-5 + 2".into(),
        "@SUM(A1)".into(),
        "+44 7700".into(),
        "\tTab".into(),
        "Two\nlines".into(),
    ];
    chart.series = vec![Series::new(
        "=cmd|' /C calc'!A0",
        Tone::Negative,
        vec![-3.0; 7],
    )];
    chart.x_label = "Pupil".into();
    let csv = to_csv(&chart);
    let rows = cells(&csv);

    assert_eq!(rows[0], ["Pupil", "'=cmd|' /C calc'!A0"]);
    let names: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        names,
        [
            "Brown, Ava",
            "'=HYPERLINK(\"http://x\",\"y\")",
            "'-5 + 2",
            "'@SUM(A1)",
            "'+44 7700",
            "'\tTab",
            "Two\nlines"
        ]
    );
    assert!(rows[1..].iter().all(|r| r[1] == "-3"));
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""));
}

#[test]
fn missing_values_are_empty_cells() {
    let mut chart = year_groups();
    chart.series[0].values.truncate(4);
    chart.series[1].values[2] = f64::NAN;
    let rows = cells(&to_csv(&chart));
    assert_eq!(rows[3], ["Year 9", "301", ""]);
    assert_eq!(rows[5], ["Year 11", "", "40"]);
}

#[test]
fn an_empty_chart_is_a_header_and_zeros() {
    let csv = to_csv(&empty(Kind::Line));
    let rows = cells(&csv);
    assert_eq!(rows[0], ["Week", "Positive", "Negative"]);
    assert!(rows[1..].iter().all(|r| r[1] == "0" && r[2] == "0"));
    assert_eq!(
        to_csv(&chart(Kind::Bars, "Week", "", Vec::new())),
        "Week\r\n"
    );
}
