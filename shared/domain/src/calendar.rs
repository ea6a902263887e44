//! Which school day a moment belongs to. A school's day runs midnight to
//! midnight in its own time zone, across clock changes. School days are the
//! weekdays: the calendar knows no holidays.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// The school-local date of an instant.
pub fn school_date(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// The first instant of a school-local date. On the rare day whose midnight
/// does not exist (a clock change at midnight), the day starts at the first
/// instant that does.
pub fn start_of_day(date: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let mut local = date.and_hms_opt(0, 0, 0).expect("midnight is a valid time");
    for _ in 0..4 {
        if let Some(start) = zone.from_local_datetime(&local).earliest() {
            return start.with_timezone(&Utc);
        }
        local += Duration::minutes(30);
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight is a valid time"))
}

/// The earliest instant a behaviour may be back-dated to, given how many
/// school days back the school allows (0 means today only).
pub fn earliest_allowed(now: DateTime<Utc>, zone: Tz, days_back: u16) -> DateTime<Utc> {
    let today = school_date(now, zone);
    let first = today - Duration::days(i64::from(days_back));
    start_of_day(first, zone)
}

/// Whether pupils are in school on a date: Monday to Friday.
pub fn is_school_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The school days from `first` to `last`, both included, in order.
pub fn school_days(first: NaiveDate, last: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    first
        .iter_days()
        .take_while(move |date| *date <= last)
        .filter(|date| is_school_day(*date))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    #[test]
    fn weekends_are_not_school_days() {
        let friday = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let monday = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let days: Vec<_> = school_days(friday, monday).collect();
        assert_eq!(days, vec![friday, monday]);
        assert_eq!(school_days(monday, friday).count(), 0);
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn summer_evenings_belong_to_the_next_london_day_after_23_utc() {
        let date = school_date(utc("2026-06-30T23:30:00Z"), London);
        assert_eq!(date, NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
    }

    #[test]
    fn winter_dates_follow_utc() {
        let date = school_date(utc("2026-12-03T23:30:00Z"), London);
        assert_eq!(date, NaiveDate::from_ymd_opt(2026, 12, 3).unwrap());
    }

    #[test]
    fn days_start_at_local_midnight_across_clock_changes() {
        let spring = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!(start_of_day(spring, London), utc("2026-03-29T00:00:00Z"));
        let after = NaiveDate::from_ymd_opt(2026, 3, 30).unwrap();
        assert_eq!(start_of_day(after, London), utc("2026-03-29T23:00:00Z"));
    }

    #[test]
    fn back_dating_counts_school_days() {
        let now = utc("2026-12-03T10:00:00Z");
        assert_eq!(
            earliest_allowed(now, London, 0),
            utc("2026-12-03T00:00:00Z")
        );
        assert_eq!(
            earliest_allowed(now, London, 7),
            utc("2026-11-26T00:00:00Z")
        );
    }
}
