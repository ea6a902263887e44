//! A chart as CSV (RFC 4180) for spreadsheets.

use crate::format::csv_number;
use crate::{Chart, Kind};

/// The chart as CSV: CRLF line ends, a header row, then one row per line of
/// the table.
///
/// For lines and bars (vertical or horizontal) the header is the x label and
/// then each series' name, and each row is a category followed by its values:
///
/// ```text
/// Week,Positive,Negative
/// 2026-09-07,42,-3
/// ```
///
/// A heatmap keeps the grid it is drawn as: the header is the y label (what
/// the rows are) and then each column, and each row is a series followed by
/// its cells:
///
/// ```text
/// Day,P1,P2,P3
/// Monday,3,0,5
/// ```
///
/// A missing value is an empty cell. Names come from the school's data, so a
/// text cell a spreadsheet would run as a formula (one starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return) is written with a leading `'`;
/// numbers, negative ones too, are plain numbers. The title and subtitle are
/// not in the file, so it opens as a plain table.
pub fn to_csv(chart: &Chart) -> String {
    let mut out = String::new();
    match chart.kind {
        Kind::Line | Kind::Bars | Kind::HorizontalBars => {
            let names = chart.series.iter().map(|s| s.name.as_str());
            row(&mut out, &chart.x_label, names.map(text));
            for (c, category) in chart.categories.iter().enumerate() {
                let values = (0..chart.series.len()).map(|s| number(chart.value(s, c)));
                row(&mut out, category, values);
            }
        }
        Kind::Heatmap => {
            let columns = chart.categories.iter().map(|c| text(c));
            row(&mut out, &chart.y_label, columns);
            for (s, series) in chart.series.iter().enumerate() {
                let cells = (0..chart.categories.len()).map(|c| number(chart.value(s, c)));
                row(&mut out, &series.name, cells);
            }
        }
    }
    out
}

/// One line: a leading text cell, then cells already written.
fn row(out: &mut String, first: &str, rest: impl Iterator<Item = String>) {
    out.push_str(&text(first));
    for cell in rest {
        out.push(',');
        out.push_str(&cell);
    }
    out.push_str("\r\n");
}

fn number(value: Option<f64>) -> String {
    value.map(csv_number).unwrap_or_default()
}

/// A text cell: defused if a spreadsheet would read it as a formula, then
/// quoted if it holds a comma, a quote or a line break.
fn text(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if defused.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_left_alone() {
        assert_eq!(text("Ava Okonkwo"), "Ava Okonkwo");
        assert_eq!(text("2026-09-07"), "2026-09-07");
        assert_eq!(text(""), "");
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(text("Brown, Ava"), "\"Brown, Ava\"");
        assert_eq!(text("The \"Star\""), "\"The \"\"Star\"\"\"");
        assert_eq!(text("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(text("+1"), "'+1");
        assert_eq!(text("-5"), "'-5");
        assert_eq!(text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text("\tTab"), "'\tTab");
        assert_eq!(text("\rReturn"), "\"'\rReturn\"");
    }
}
