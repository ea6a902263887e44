//! The weekly summary: on Monday morning in each school's own time zone,
//! last week's figures go on the `notifications` queue, one message for
//! each of the school's senior leaders. The `notify` function emails them,
//! unless the leader switched the summary off.
//!
//! The schedule runs hourly; a school's summaries are queued in the hour
//! from 07:00 local on Mondays. Each message has an id made of the school,
//! the week and the leader, so a repeated run queues the same ids and
//! `notify` sends each once.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use domain::charts::{Dimension, Tally, week_of};
use domain::notification::{
    DayFigures, GroupFigures, Notification, TypeFigures, WeekFigures, WeeklySummary,
};
use domain::{BehaviourTypeId, Role, SchoolId};
use serde::Serialize;
use store::{AccountStatus, Store, StoreError};

use crate::App;

/// The local hour on Mondays in which summaries are queued.
pub const SEND_HOUR: u32 = 7;

/// How many of each kind of behaviour type a summary names.
const TOP_TYPES: usize = 5;

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryReport {
    pub schools: usize,
    pub queued: usize,
    pub failed: usize,
}

/// Whether a school's summaries are due at this moment.
pub fn due(now: DateTime<Utc>, zone: Tz) -> bool {
    let local = now.with_timezone(&zone);
    local.weekday() == Weekday::Mon && local.hour() == SEND_HOUR
}

/// Queues the summaries of every school whose Monday morning it is.
pub async fn queue_summaries(app: &App, now: DateTime<Utc>) -> Result<SummaryReport, StoreError> {
    let mut report = SummaryReport::default();
    for (school, zone) in app.store.schools_to_sync().await? {
        let zone: Tz = zone.parse().unwrap_or(chrono_tz::Europe::London);
        if !due(now, zone) {
            continue;
        }
        let today = domain::calendar::school_date(now, zone);
        let bodies = summaries_for(&app.store, &school, week_of(today) - Duration::days(7))
            .await?
            .iter()
            .map(|n| serde_json::to_string(n).expect("a notification serialises"))
            .collect::<Vec<_>>();
        report.schools += 1;
        let failed = app.notifications.send_all(&bodies).await;
        report.queued += bodies.len() - failed;
        report.failed += failed;
    }
    tracing::info!(
        schools = report.schools,
        queued = report.queued,
        failed = report.failed,
        "weekly summaries queued"
    );
    Ok(report)
}

/// The summary of the week starting `monday`, one per senior leader with an
/// active account.
pub async fn summaries_for(
    store: &Store,
    school: &SchoolId,
    monday: NaiveDate,
) -> Result<Vec<Notification>, StoreError> {
    let Some(summary) = week_summary(store, school, monday).await? else {
        return Ok(Vec::new());
    };
    let leaders = store
        .staff_directory(school)
        .await?
        .into_iter()
        .filter(|entry| {
            entry.account.as_ref().is_some_and(|account| {
                account.status == AccountStatus::Active && account.roles.contains(Role::Slt)
            })
        });
    Ok(leaders
        .map(|entry| Notification::WeeklySummary {
            id: format!("weekly-summary:{school}:{monday}:{}", entry.member.id),
            school_id: school.clone(),
            staff_id: entry.member.id.clone(),
            summary: summary.clone(),
        })
        .collect())
}

/// A school's week in figures; none if the school is not set up.
pub async fn week_summary(
    store: &Store,
    school: &SchoolId,
    monday: NaiveDate,
) -> Result<Option<WeeklySummary>, StoreError> {
    let Some((settings, policy)) = store.school(school).await? else {
        return Ok(None);
    };
    let previous = monday - Duration::days(7);
    let sunday = monday + Duration::days(6);
    let days = store.school_day_tallies(school, previous, sunday).await?;
    let mut this_week = Tally::default();
    let mut last_week = Tally::default();
    let mut by_day: BTreeMap<NaiveDate, &Tally> = BTreeMap::new();
    for day in &days {
        let domain::charts::AggregateKey::SchoolDay(date) = day.key else {
            continue;
        };
        if date >= monday {
            this_week.add(&day.tally);
            by_day.insert(date, &day.tally);
        } else {
            last_week.add(&day.tally);
        }
    }

    let mut types: Vec<TypeFigures> = this_week
        .types
        .iter()
        .filter(|(_, count)| **count > 0)
        .map(|(id, count)| {
            let kind = BehaviourTypeId::parse(id)
                .ok()
                .and_then(|id| policy.behaviour_type(&id).cloned());
            TypeFigures {
                name: kind.as_ref().map_or_else(|| id.clone(), |k| k.name.clone()),
                positive: kind.as_ref().is_some_and(|k| k.positive),
                count: (*count).max(0) as u64,
            }
        })
        .collect();
    types.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    let mut top_types: Vec<TypeFigures> = types
        .iter()
        .filter(|t| t.positive)
        .take(TOP_TYPES)
        .cloned()
        .collect();
    top_types.extend(
        types
            .iter()
            .filter(|t| !t.positive)
            .take(TOP_TYPES)
            .cloned(),
    );

    let members = store.week_tallies(school, monday, None).await?;
    let group = |dimension: Dimension| -> Vec<GroupFigures> {
        let mut groups: Vec<GroupFigures> = members
            .iter()
            .filter_map(|a| match &a.key {
                domain::charts::AggregateKey::Week {
                    dimension: d, id, ..
                } if *d == dimension => Some(GroupFigures {
                    name: id.clone(),
                    positives: a.tally.positives.max(0) as u64,
                    negatives: a.tally.negatives.max(0) as u64,
                }),
                _ => None,
            })
            .collect();
        groups.sort_by_key(|g| natural(&g.name));
        groups
    };

    Ok(Some(WeeklySummary {
        school_name: settings.name.clone(),
        week_start: monday,
        this_week: figures(&this_week),
        previous_week: figures(&last_week),
        days: (0..5)
            .map(|offset| {
                let date = monday + Duration::days(offset);
                let tally = by_day.get(&date);
                DayFigures {
                    date,
                    positives: tally.map_or(0, |t| t.positives.max(0) as u64),
                    negatives: tally.map_or(0, |t| t.negatives.max(0) as u64),
                }
            })
            .collect(),
        top_types,
        years: group(Dimension::Year),
        houses: group(Dimension::House),
    }))
}

fn figures(tally: &Tally) -> WeekFigures {
    WeekFigures {
        positives: tally.positives.max(0) as u64,
        negatives: tally.negatives.max(0) as u64,
        points: tally.points,
    }
}

/// Sorts "Year 7" before "Year 10".
fn natural(name: &str) -> (u64, String) {
    let digits: String = name.chars().filter(char::is_ascii_digit).collect();
    (digits.parse().unwrap_or(u64::MAX), name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_go_out_on_monday_morning_local_time() {
        let london = chrono_tz::Europe::London;
        let sydney = chrono_tz::Australia::Sydney;
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // 07:30 in London in winter.
        assert!(due(at("2026-12-07T07:30:00Z"), london));
        assert!(!due(at("2026-12-07T08:30:00Z"), london));
        assert!(!due(at("2026-12-08T07:30:00Z"), london));
        // 07:30 in London in summer is 06:30 UTC.
        assert!(due(at("2026-06-01T06:30:00Z"), london));
        // Monday 07:30 in Sydney is Sunday evening UTC.
        assert!(due(at("2026-12-06T20:30:00Z"), sydney));
    }

    #[test]
    fn year_groups_sort_as_people_count() {
        let mut names = vec!["Year 10", "Year 7", "Year 11", "Year 8"];
        names.sort_by_key(|n| natural(n));
        assert_eq!(names, ["Year 7", "Year 8", "Year 10", "Year 11"]);
    }
}
