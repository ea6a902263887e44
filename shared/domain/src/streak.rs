//! Green streaks: runs of school days on which a pupil had no negative
//! behaviour logged (a withdrawn one does not count against them).
//!
//! A streak counts from the latest of three dates: the start of the current
//! points cycle, the day after the pupil's last negative behaviour, and the
//! day after the last streak of the same rule they were awarded for. It is
//! complete once it holds the rule's number of school days, and the next
//! one starts the school day after. So "Green all week" (five school days)
//! is earned at most once a week, and a negative on any day starts the count
//! again from the next day.

use chrono::{Duration, NaiveDate};

use crate::calendar::school_days;

/// How far back a streak may start when nothing else bounds it (points that
/// never reset, no negatives, none awarded yet).
const LONGEST_LOOK_BACK_DAYS: i64 = 366;

/// A run of school days, first and last included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streak {
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// What a pupil's streak of one rule counts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreakHistory {
    /// The first date of the current points cycle, if points reset.
    pub cycle_start: Option<NaiveDate>,
    /// The lesson date of the pupil's latest negative behaviour still
    /// standing.
    pub last_negative: Option<NaiveDate>,
    /// The last day of the latest streak of this rule already awarded.
    pub last_awarded_end: Option<NaiveDate>,
}

impl StreakHistory {
    /// The first date that may count towards the next streak, looking back
    /// from `today`.
    pub fn counts_from(&self, today: NaiveDate) -> NaiveDate {
        let day_after = |date: Option<NaiveDate>| date.and_then(|d| d.succ_opt());
        [
            self.cycle_start,
            day_after(self.last_negative),
            day_after(self.last_awarded_end),
            Some(today - Duration::days(LONGEST_LOOK_BACK_DAYS)),
        ]
        .into_iter()
        .flatten()
        .max()
        .expect("the look-back bound is always there")
    }

    /// The latest streak of `days` school days completed by the end of
    /// `today` and not yet awarded. Streaks are counted back to back from
    /// [`Self::counts_from`]; when more than one is complete (the check did
    /// not run for a while) only the latest is due, so a pupil is never sent
    /// a pile of certificates at once.
    pub fn completed(&self, today: NaiveDate, days: u16) -> Option<Streak> {
        let days = usize::from(days);
        if days == 0 {
            return None;
        }
        let clean: Vec<NaiveDate> = school_days(self.counts_from(today), today).collect();
        let complete = clean.len() / days;
        if complete == 0 {
            return None;
        }
        Some(Streak {
            starts_on: clean[(complete - 1) * days],
            ends_on: clean[complete * days - 1],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        // December 2026: the 7th is a Monday.
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn history(last_negative: Option<u32>, last_awarded_end: Option<u32>) -> StreakHistory {
        StreakHistory {
            cycle_start: Some(NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()),
            last_negative: last_negative.map(day),
            last_awarded_end: last_awarded_end.map(day),
        }
    }

    #[test]
    fn five_clean_school_days_make_a_week_long_streak() {
        let after_a_negative = history(Some(4), None);
        assert_eq!(after_a_negative.completed(day(10), 5), None);
        assert_eq!(
            after_a_negative.completed(day(11), 5),
            Some(Streak {
                starts_on: day(7),
                ends_on: day(11)
            })
        );
    }

    #[test]
    fn weekends_neither_count_nor_break_a_streak() {
        // Wednesday to Tuesday, across a weekend.
        let history = history(Some(8), None);
        assert_eq!(history.completed(day(14), 5), None);
        assert_eq!(
            history
                .completed(day(15), 5)
                .map(|s| (s.starts_on, s.ends_on)),
            Some((day(9), day(15)))
        );
    }

    #[test]
    fn a_negative_starts_the_count_again_the_next_day() {
        let history = history(Some(9), None);
        assert_eq!(history.completed(day(11), 5), None);
        assert_eq!(
            history.completed(day(16), 5),
            Some(Streak {
                starts_on: day(10),
                ends_on: day(16)
            })
        );
    }

    #[test]
    fn an_awarded_streak_is_not_awarded_again() {
        let awarded = history(Some(4), Some(11));
        assert_eq!(awarded.completed(day(11), 5), None);
        assert_eq!(awarded.completed(day(17), 5), None);
        assert_eq!(
            awarded.completed(day(18), 5).map(|s| s.starts_on),
            Some(day(14))
        );
    }

    #[test]
    fn only_the_latest_of_several_complete_streaks_is_due() {
        let history = history(Some(4), None);
        let due = history.completed(day(21), 5).unwrap();
        assert_eq!((due.starts_on, due.ends_on), (day(14), day(18)));
    }

    #[test]
    fn a_streak_starts_no_earlier_than_the_cycle() {
        let history = StreakHistory {
            cycle_start: Some(day(9)),
            ..StreakHistory::default()
        };
        assert_eq!(
            history.completed(day(15), 5).map(|s| s.starts_on),
            Some(day(9))
        );
        assert_eq!(history.completed(day(14), 5), None);
        assert_eq!(history.completed(day(15), 0), None);
    }
}
