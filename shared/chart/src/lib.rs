//! A chart of behaviour aggregates, and the two ways it leaves the service
//! besides JSON: CSV for spreadsheets and SVG for browsers. Pure: a `Chart`
//! goes in, text comes out; nothing here reads the table or talks to AWS.
//!
//! Rendering is total. A series with fewer values than there are categories
//! is drawn with gaps where its values are missing, values past the last
//! category are left out, and a value that is not a finite number counts as
//! missing. [`Chart::validate`] says whether a chart needs any of that, so the
//! code that builds charts can test that it never does.

mod csv;
mod format;
mod svg;

use serde::{Deserialize, Serialize};

pub use csv::to_csv;
pub use svg::to_svg;

/// One chart: what it shows, and the numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chart {
    /// Machine name, e.g. "positives-negatives".
    pub chart: String,
    pub title: String,
    /// Scope and period, e.g. "Year 9 · 1 Sep 2026 to 18 Dec 2026 · by week".
    pub subtitle: String,
    pub kind: Kind,
    /// What the categories are: "Week", "Pupil", "Type". For a heatmap, what
    /// its columns are: "Lesson".
    pub x_label: String,
    /// What the values measure: "Behaviours", "Points". A label of "%", or
    /// one ending in "%" such as "Share (%)", shows values as percentages.
    /// For a heatmap, what its rows are: "Day".
    pub y_label: String,
    /// The x axis: time buckets ("2026-09-07"), or names (types, pupils,
    /// classes, groups), or for a heatmap its columns (lesson periods).
    pub categories: Vec<String>,
    /// Each series has one value per category. For a heatmap, each series is
    /// a row (a weekday) and its values the cells.
    pub series: Vec<Series>,
}

/// How a chart is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// A line per series over the categories, usually time.
    Line,
    /// Vertical bars, one group per category.
    Bars,
    /// A row per category, for long names: top and bottom lists, types.
    HorizontalBars,
    /// A grid of cells: series are rows, categories are columns.
    Heatmap,
}

/// One named run of values, one per category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Series {
    pub name: String,
    pub tone: Tone,
    pub values: Vec<f64>,
}

impl Series {
    pub fn new(name: impl Into<String>, tone: Tone, values: Vec<f64>) -> Series {
        Series {
            name: name.into(),
            tone,
            values,
        }
    }
}

/// What a series means, which decides its colour and its pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Tone {
    /// Praise, positive behaviours: blue, solid, round markers.
    Positive,
    /// Sanctions, negative behaviours: vermillion, dashed or hatched, square
    /// markers.
    Negative,
    /// Totals and anything neither good nor bad: grey, dotted, diamonds.
    Neutral,
    /// Something to pick out, such as the school average: green, triangles.
    Accent,
}

/// Why a chart would not be drawn as its builder meant. Series are named by
/// position, not by name, since a name may be a pupil's and errors get
/// logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChartError {
    #[error("series {series} has {values} values for {categories} categories")]
    SeriesLength {
        series: usize,
        values: usize,
        categories: usize,
    },
    #[error("series {series} value {index} is not a finite number")]
    NotFinite { series: usize, index: usize },
}

impl Chart {
    /// Whether every series has exactly one finite value per category. A
    /// chart that fails still renders (see the crate docs); this is for the
    /// code that builds charts to check itself.
    pub fn validate(&self) -> Result<(), ChartError> {
        for (series, run) in self.series.iter().enumerate() {
            if run.values.len() != self.categories.len() {
                return Err(ChartError::SeriesLength {
                    series,
                    values: run.values.len(),
                    categories: self.categories.len(),
                });
            }
            if let Some(index) = run.values.iter().position(|v| !v.is_finite()) {
                return Err(ChartError::NotFinite { series, index });
            }
        }
        Ok(())
    }

    /// The value of a series at a category, or `None` where it is missing.
    pub(crate) fn value(&self, series: usize, category: usize) -> Option<f64> {
        if category >= self.categories.len() {
            return None;
        }
        let value = *self.series.get(series)?.values.get(category)?;
        // -0.0 would print as "-0".
        value.is_finite().then_some(value + 0.0)
    }

    /// Every value that would be drawn, series by series.
    pub(crate) fn values(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.series.len())
            .flat_map(move |s| (0..self.categories.len()).filter_map(move |c| self.value(s, c)))
    }

    /// Nothing to show: no value other than zero.
    pub(crate) fn is_empty(&self) -> bool {
        self.values().all(|v| v == 0.0)
    }

    /// Round ticks for a value axis covering every value and zero. Counts
    /// (every value whole) get whole steps.
    pub(crate) fn value_ticks(&self) -> format::Ticks {
        let whole = self.values().all(|v| v.fract() == 0.0);
        let (min, max) = self
            .values()
            .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        format::Ticks::covering(min, max, whole)
    }

    /// Whether values read as percentages, from the value label.
    pub(crate) fn is_percent(&self) -> bool {
        self.kind != Kind::Heatmap && {
            let label = self.y_label.trim_end();
            label.ends_with('%') || label.ends_with("%)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(values: Vec<f64>) -> Chart {
        Chart {
            chart: "positives-negatives".into(),
            title: "Positives and negatives".into(),
            subtitle: "Year 9".into(),
            kind: Kind::Bars,
            x_label: "Week".into(),
            y_label: "Behaviours".into(),
            categories: vec!["2026-09-07".into(), "2026-09-14".into()],
            series: vec![Series::new("Positive", Tone::Positive, values)],
        }
    }

    #[test]
    fn a_chart_with_one_value_per_category_is_valid() {
        assert_eq!(chart(vec![1.0, 2.0]).validate(), Ok(()));
    }

    #[test]
    fn short_long_and_non_finite_series_are_reported_by_position() {
        assert_eq!(
            chart(vec![1.0]).validate(),
            Err(ChartError::SeriesLength {
                series: 0,
                values: 1,
                categories: 2
            })
        );
        assert!(chart(vec![1.0, 2.0, 3.0]).validate().is_err());
        assert_eq!(
            chart(vec![1.0, f64::NAN]).validate(),
            Err(ChartError::NotFinite {
                series: 0,
                index: 1
            })
        );
    }

    #[test]
    fn missing_and_non_finite_values_read_as_gaps() {
        let short = chart(vec![4.0]);
        assert_eq!(short.value(0, 0), Some(4.0));
        assert_eq!(short.value(0, 1), None);
        let long = chart(vec![1.0, 2.0, 3.0]);
        assert_eq!(long.values().collect::<Vec<_>>(), vec![1.0, 2.0]);
        assert_eq!(chart(vec![f64::INFINITY, -0.0]).value(0, 0), None);
        assert!(chart(vec![f64::NAN, -0.0]).is_empty());
    }

    #[test]
    fn a_percent_label_makes_percentages() {
        let mut share = chart(vec![1.0, 2.0]);
        share.y_label = "%".into();
        assert!(share.is_percent());
        share.y_label = "Share of lessons (%)".into();
        assert!(share.is_percent());
        share.y_label = "Points".into();
        assert!(!share.is_percent());
    }
}
