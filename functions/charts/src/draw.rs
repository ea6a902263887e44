//! From an ask and its subject to a chart: what every chart shares (its
//! dates, its subtitle, the reads of weekly aggregates) and which builder
//! draws each one.

use chart::Chart;
use chrono::NaiveDate;
use domain::charts::Dimension;
use domain::{Policy, SchoolId};
use futures_util::{StreamExt, TryStreamExt, stream};
use platform::{Problem, store_failed};
use store::{Store, StoredAggregate};

use crate::ask::{Ask, ChartName};
use crate::buckets::readable;
use crate::reach::Subject;
use crate::{ranks, tallies};

/// How many weeks' aggregates are read at once.
const PARALLEL_WEEKS: usize = 8;

/// What drawing a chart needs.
pub struct Setting<'a> {
    pub store: &'a Store,
    pub school: &'a SchoolId,
    pub policy: &'a Policy,
    pub ask: &'a Ask,
    pub subject: &'a Subject,
    /// The first and last dates counted.
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Setting<'_> {
    /// "Year 9 · 7 Sep 2026 to 18 Dec 2026", and "· by week" for a chart
    /// over time.
    pub fn subtitle(&self) -> String {
        let mut subtitle = format!(
            "{} · {} to {}",
            self.subject.name,
            readable(self.from),
            readable(self.to)
        );
        if self.ask.chart.over_time() {
            subtitle.push_str(" · by ");
            subtitle.push_str(self.ask.interval.as_str());
        }
        subtitle
    }

    /// Every member of one dimension in each week of the range: one Query
    /// per week, a few at a time.
    pub async fn weeks_of(&self, dimension: Dimension) -> Result<Vec<StoredAggregate>, Problem> {
        let mondays = domain::charts::weeks_between(self.from, self.to);
        let weeks: Vec<Vec<StoredAggregate>> = stream::iter(mondays)
            .map(|monday| {
                self.store
                    .week_tallies(self.school, monday, Some(dimension))
            })
            .buffered(PARALLEL_WEEKS)
            .try_collect()
            .await
            .map_err(store_failed)?;
        Ok(weeks.into_iter().flatten().collect())
    }
}

/// The chart asked for.
pub async fn draw(setting: &Setting<'_>) -> Result<Chart, Problem> {
    let chart = match setting.ask.chart {
        ChartName::BehaviourOverTime | ChartName::PointsOverTime => {
            tallies::over_time(setting).await?
        }
        ChartName::BehaviourTypes => tallies::types(setting).await?,
        ChartName::Heatmap => tallies::heatmap(setting).await?,
        ChartName::Top => ranks::top(setting).await?,
        ChartName::StaffRatio => ranks::staff_ratio(setting).await?,
        ChartName::Groups => ranks::groups(setting).await?,
    };
    if let Err(error) = chart.validate() {
        // A builder's mistake: the chart still renders, with gaps.
        tracing::error!(chart = chart.chart, error = %error, "a chart was built unevenly");
    }
    Ok(chart)
}

/// A share as a percentage to one decimal place; 0 of nothing is 0.
pub fn percent(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        return 0.0;
    }
    let share = 100.0 * part as f64 / whole as f64;
    (share.clamp(0.0, 100.0) * 10.0).round() / 10.0
}
