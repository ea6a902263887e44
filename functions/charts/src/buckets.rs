//! The x axis of an over-time chart: the range cut into days, weeks
//! (named by their Monday), months or terms, every one of them present
//! even when nothing happened in it.
//!
//! The whole school is counted by day, so each of its days falls in its own
//! bucket. Other scopes are counted by week: a week falls in the month of
//! its Thursday (as ISO weeks fall in years) and in the term of its
//! Thursday, so no week is split.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use domain::Policy;
use domain::charts::{week_of, weeks_between};

use crate::ask::Interval;

/// The buckets of a range, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buckets {
    pub labels: Vec<String>,
    /// The bucket of each day (by day) or each Monday (by week).
    index: HashMap<NaiveDate, usize>,
}

impl Buckets {
    /// The buckets of the days from `from` to `to`.
    pub fn of_days(interval: Interval, from: NaiveDate, to: NaiveDate, policy: &Policy) -> Self {
        let days = from.iter_days().take_while(|d| *d <= to);
        Self::build(days.map(|day| (day, label(interval, day, day, policy))))
    }

    /// The buckets of the weeks that hold any day from `from` to `to`.
    pub fn of_weeks(interval: Interval, from: NaiveDate, to: NaiveDate, policy: &Policy) -> Self {
        let weeks = weeks_between(from, to).into_iter().map(|monday| {
            let thursday = monday + Duration::days(3);
            (monday, label(interval, monday, thursday, policy))
        });
        Self::build(weeks)
    }

    fn build(dated: impl Iterator<Item = (NaiveDate, String)>) -> Self {
        let mut labels: Vec<String> = Vec::new();
        let mut positions: HashMap<String, usize> = HashMap::new();
        let mut index = HashMap::new();
        for (date, label) in dated {
            let at = *positions.entry(label.clone()).or_insert_with(|| {
                labels.push(label);
                labels.len() - 1
            });
            index.insert(date, at);
        }
        Self { labels, index }
    }

    /// The bucket a day (by day) or a week's Monday (by week) falls in.
    pub fn of(&self, date: NaiveDate) -> Option<usize> {
        self.index.get(&date).copied()
    }
}

/// A bucket's name: the day, the week's Monday, `Sep 2026`, or the term
/// as the school names it. `day` is the date itself (by day) or the
/// week's Monday; `anchor` is the date that places it in a month or term.
fn label(interval: Interval, day: NaiveDate, anchor: NaiveDate, policy: &Policy) -> String {
    match interval {
        Interval::Day => day.to_string(),
        Interval::Week => week_of(day).to_string(),
        Interval::Month => anchor.format("%b %Y").to_string(),
        Interval::Term => policy.term_name(anchor),
    }
}

/// How a date reads in a subtitle: `7 Sep 2026`.
pub fn readable(date: NaiveDate) -> String {
    format!("{} {}", date.day(), date.format("%b %Y"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn days_by_week_are_named_by_their_monday() {
        let policy = Policy::default_for_new_school();
        // Wednesday 9 September to Tuesday 22 September 2026.
        let buckets = Buckets::of_days(Interval::Week, day(2026, 9, 9), day(2026, 9, 22), &policy);
        assert_eq!(buckets.labels, ["2026-09-07", "2026-09-14", "2026-09-21"]);
        assert_eq!(buckets.of(day(2026, 9, 13)), Some(0));
        assert_eq!(buckets.of(day(2026, 9, 14)), Some(1));
        assert_eq!(buckets.of(day(2026, 9, 8)), None);
    }

    #[test]
    fn every_day_is_a_bucket_by_day() {
        let policy = Policy::default_for_new_school();
        let buckets = Buckets::of_days(Interval::Day, day(2026, 2, 27), day(2026, 3, 2), &policy);
        assert_eq!(
            buckets.labels,
            ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]
        );
    }

    #[test]
    fn a_week_falls_in_the_month_of_its_thursday() {
        let policy = Policy::default_for_new_school();
        // The week of Monday 28 September 2026 has its Thursday on 1 October.
        let buckets =
            Buckets::of_weeks(Interval::Month, day(2026, 9, 21), day(2026, 10, 5), &policy);
        assert_eq!(buckets.labels, ["Sep 2026", "Oct 2026"]);
        assert_eq!(buckets.of(day(2026, 9, 28)), Some(1));
        assert_eq!(buckets.of(day(2026, 10, 5)), Some(1));
    }

    #[test]
    fn terms_follow_the_policy() {
        let policy = Policy::default_for_new_school();
        let buckets = Buckets::of_days(Interval::Term, day(2026, 12, 30), day(2027, 1, 2), &policy);
        assert_eq!(buckets.labels, ["Autumn 2026-27", "Spring 2026-27"]);
        let by_month =
            Buckets::of_days(Interval::Month, day(2026, 12, 30), day(2027, 1, 2), &policy);
        assert_eq!(by_month.labels, ["Dec 2026", "Jan 2027"]);
    }

    #[test]
    fn subtitles_read_dates_the_british_way() {
        assert_eq!(readable(day(2026, 9, 7)), "7 Sep 2026");
        assert_eq!(readable(day(2026, 12, 18)), "18 Dec 2026");
    }
}
