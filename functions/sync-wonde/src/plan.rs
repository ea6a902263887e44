//! Which syncs the schedule asks for at a tick: a delta for every active
//! school during its school day, a full sync of every school each night.
//! Times are the school's own (Europe/London by default), across clock
//! changes.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use domain::SchoolId;
use domain::calendar::school_date;
use store::SyncKind;

use crate::SyncMessage;

/// How often the schedule ticks.
pub const TICK: Duration = Duration::minutes(5);

/// Deltas run from this local time on a school day...
pub const DAY_STARTS: NaiveTime = NaiveTime::from_hms_opt(7, 0, 0).expect("a valid time");
/// ...until this one.
pub const DAY_ENDS: NaiveTime = NaiveTime::from_hms_opt(18, 0, 0).expect("a valid time");
/// The full sync runs in the tick that starts at this local time.
pub const NIGHTLY_FULL: NaiveTime = NaiveTime::from_hms_opt(2, 0, 0).expect("a valid time");

/// A school whose roster comes from Wonde.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSchool {
    pub id: SchoolId,
    pub zone: Tz,
}

/// The messages to enqueue at the tick `now`: at most one per school.
pub fn plan_syncs(now: DateTime<Utc>, schools: &[ActiveSchool]) -> Vec<SyncMessage> {
    schools
        .iter()
        .filter_map(|school| {
            kind_at(now, school.zone).map(|kind| SyncMessage {
                school_id: school.id.clone(),
                kind,
            })
        })
        .collect()
}

/// The sync a school gets at this tick, if any.
pub fn kind_at(now: DateTime<Utc>, zone: Tz) -> Option<SyncKind> {
    let time = now.with_timezone(&zone).time();
    let weekday = school_date(now, zone).weekday();
    let nightly_ends = NIGHTLY_FULL + TICK;
    if time >= NIGHTLY_FULL && time < nightly_ends {
        return Some(SyncKind::Full);
    }
    let school_day = !matches!(weekday, Weekday::Sat | Weekday::Sun);
    (school_day && time >= DAY_STARTS && time < DAY_ENDS).then_some(SyncKind::Delta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn the_school_day_follows_london_time_across_clock_changes() {
        // 06:30 UTC is 07:30 in a London summer and 06:30 in winter.
        assert_eq!(
            kind_at(at("2026-06-30T06:30:00Z"), London),
            Some(SyncKind::Delta)
        );
        assert_eq!(kind_at(at("2026-12-01T06:30:00Z"), London), None);
        // 17:30 UTC is 18:30 in summer, after the day, and 17:30 in winter.
        assert_eq!(kind_at(at("2026-06-30T17:30:00Z"), London), None);
        assert_eq!(
            kind_at(at("2026-12-01T17:30:00Z"), London),
            Some(SyncKind::Delta)
        );
    }

    #[test]
    fn weekends_get_no_deltas_but_every_night_gets_a_full_sync() {
        assert_eq!(kind_at(at("2026-12-05T10:00:00Z"), London), None);
        assert_eq!(
            kind_at(at("2026-12-05T02:01:00Z"), London),
            Some(SyncKind::Full)
        );
        assert_eq!(
            kind_at(at("2026-06-30T01:02:00Z"), London),
            Some(SyncKind::Full)
        );
        assert_eq!(kind_at(at("2026-06-30T02:02:00Z"), London), None);
    }

    #[test]
    fn one_message_per_school_that_is_due() {
        let schools = [
            ActiveSchool {
                id: SchoolId::parse("riverside").unwrap(),
                zone: London,
            },
            ActiveSchool {
                id: SchoolId::parse("far-away").unwrap(),
                zone: chrono_tz::Pacific::Auckland,
            },
        ];
        // 10:00 on a Tuesday in London is 23:00 in Auckland.
        let planned = plan_syncs(at("2026-12-01T10:00:00Z"), &schools);
        assert_eq!(
            planned,
            vec![SyncMessage {
                school_id: SchoolId::parse("riverside").unwrap(),
                kind: SyncKind::Delta,
            }]
        );
    }
}
