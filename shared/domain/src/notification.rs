//! The messages on the `notifications` queue: each one asks the `notify`
//! function to email one member of staff about one thing. A notification
//! carries the figures it reports and the ids of who it is for, never a
//! pupil's name: what travels through the queue may end up in a
//! dead-letter queue that an operator reads.
//!
//! The first kind is the weekly summary to senior leaders, queued every
//! Monday morning. Incident alerts and parent notices will join the enum.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{SchoolId, StaffId};

/// One email to send, as queued. The JSON carries `"type"` to say which.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Notification {
    #[serde(rename = "weeklySummary", rename_all = "camelCase")]
    WeeklySummary {
        /// Stable for one summary of one week to one person, so a message queued or delivered twice is sent once.
        id: String,
        school_id: SchoolId,
        staff_id: StaffId,
        summary: WeeklySummary,
    },
}

/// Which kind a notification is, for preferences and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NotificationKind {
    WeeklySummary,
}

impl NotificationKind {
    pub fn name(self) -> &'static str {
        match self {
            NotificationKind::WeeklySummary => "weeklySummary",
        }
    }
}

impl Notification {
    /// The producer's id of this notification.
    pub fn id(&self) -> &str {
        match self {
            Notification::WeeklySummary { id, .. } => id,
        }
    }

    pub fn school_id(&self) -> &SchoolId {
        match self {
            Notification::WeeklySummary { school_id, .. } => school_id,
        }
    }

    /// The member of staff it is for.
    pub fn staff_id(&self) -> &StaffId {
        match self {
            Notification::WeeklySummary { staff_id, .. } => staff_id,
        }
    }

    pub fn kind(&self) -> NotificationKind {
        match self {
            Notification::WeeklySummary { .. } => NotificationKind::WeeklySummary,
        }
    }
}

/// A school's week of behaviour, as the weekly summary reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WeeklySummary {
    pub school_name: String,
    /// The Monday the week began.
    pub week_start: NaiveDate,
    pub this_week: WeekFigures,
    pub previous_week: WeekFigures,
    /// Each school day of the week, Monday first.
    pub days: Vec<DayFigures>,
    /// The most logged behaviour types of the week, most first (at most 5 positive and 5 negative).
    pub top_types: Vec<TypeFigures>,
    /// Each year group's week.
    pub years: Vec<GroupFigures>,
    /// Each house's week.
    pub houses: Vec<GroupFigures>,
}

/// A whole week's counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WeekFigures {
    pub positives: u64,
    pub negatives: u64,
    pub points: i64,
}

/// One school day's counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DayFigures {
    pub date: NaiveDate,
    pub positives: u64,
    pub negatives: u64,
}

/// How often one behaviour type was logged in the week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeFigures {
    pub name: String,
    pub positive: bool,
    pub count: u64,
}

/// One year group's or house's week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupFigures {
    pub name: String,
    pub positives: u64,
    pub negatives: u64,
}

/// How a figure moved from one week to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Same,
    /// Up by this much; the percentage of last week's figure, none when
    /// last week's was zero.
    Up {
        by: u64,
        percent: Option<u64>,
    },
    Down {
        by: u64,
        percent: Option<u64>,
    },
}

impl Change {
    /// The move from `previous` to `now`. Percentages are of the size of
    /// last week's figure, rounded to the nearest whole number, so points
    /// that go from -20 to -10 are up 50%.
    pub fn between(previous: i64, now: i64) -> Self {
        let by = now.abs_diff(previous);
        let base = previous.unsigned_abs();
        let percent = (base > 0).then(|| {
            let scaled = u128::from(by) * 100 + u128::from(base) / 2;
            u64::try_from(scaled / u128::from(base)).unwrap_or(u64::MAX)
        });
        match now.cmp(&previous) {
            std::cmp::Ordering::Equal => Change::Same,
            std::cmp::Ordering::Greater => Change::Up { by, percent },
            std::cmp::Ordering::Less => Change::Down { by, percent },
        }
    }

    /// The same for counts.
    pub fn of_counts(previous: u64, now: u64) -> Self {
        let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        Self::between(clamp(previous), clamp(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Notification {
        let date = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        Notification::WeeklySummary {
            id: "weekly-2026-11-30-staff-head".into(),
            school_id: SchoolId::parse("riverside").unwrap(),
            staff_id: StaffId::parse("staff-head").unwrap(),
            summary: WeeklySummary {
                school_name: "Riverside Academy".into(),
                week_start: date(30),
                this_week: WeekFigures {
                    positives: 120,
                    negatives: 30,
                    points: 210,
                },
                previous_week: WeekFigures {
                    positives: 100,
                    negatives: 40,
                    points: 160,
                },
                days: vec![DayFigures {
                    date: date(30),
                    positives: 24,
                    negatives: 6,
                }],
                top_types: vec![TypeFigures {
                    name: "Great work".into(),
                    positive: true,
                    count: 50,
                }],
                years: vec![GroupFigures {
                    name: "7".into(),
                    positives: 60,
                    negatives: 10,
                }],
                houses: vec![],
            },
        }
    }

    #[test]
    fn a_weekly_summary_travels_as_camel_case_json_tagged_by_type() {
        let value = serde_json::to_value(sample()).unwrap();
        assert_eq!(value["type"], "weeklySummary");
        assert_eq!(value["schoolId"], "riverside");
        assert_eq!(value["staffId"], "staff-head");
        assert_eq!(value["summary"]["weekStart"], "2026-11-30");
        assert_eq!(value["summary"]["thisWeek"]["positives"], 120);
        assert_eq!(value["summary"]["previousWeek"]["points"], 160);
        assert_eq!(value["summary"]["topTypes"][0]["positive"], true);
        assert_eq!(value["summary"]["days"][0]["date"], "2026-11-30");
        let back: Notification = serde_json::from_value(value).unwrap();
        assert_eq!(back, sample());
        assert_eq!(back.kind(), NotificationKind::WeeklySummary);
        assert_eq!(back.id(), "weekly-2026-11-30-staff-head");
    }

    #[test]
    fn unknown_kinds_and_bad_ids_are_refused() {
        let mut value = serde_json::to_value(sample()).unwrap();
        value["type"] = json!("parentNotice");
        assert!(serde_json::from_value::<Notification>(value).is_err());
        let mut value = serde_json::to_value(sample()).unwrap();
        value["staffId"] = json!("staff#head");
        assert!(serde_json::from_value::<Notification>(value).is_err());
        let mut value = serde_json::to_value(sample()).unwrap();
        value["summary"]["thisWeek"]["negatives"] = json!(-1);
        assert!(serde_json::from_value::<Notification>(value).is_err());
    }

    #[test]
    fn changes_are_measured_against_last_week() {
        assert_eq!(Change::of_counts(10, 10), Change::Same);
        assert_eq!(
            Change::of_counts(100, 120),
            Change::Up {
                by: 20,
                percent: Some(20)
            }
        );
        assert_eq!(
            Change::of_counts(3, 2),
            Change::Down {
                by: 1,
                percent: Some(33)
            }
        );
        assert_eq!(
            Change::of_counts(0, 5),
            Change::Up {
                by: 5,
                percent: None
            }
        );
        assert_eq!(
            Change::between(-20, -10),
            Change::Up {
                by: 10,
                percent: Some(50)
            }
        );
        assert_eq!(
            Change::between(i64::MIN, i64::MAX),
            Change::Up {
                by: u64::MAX,
                percent: Some(200)
            }
        );
    }
}
