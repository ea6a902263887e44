//! The daily green-streak check. A schedule every half hour asks for it;
//! for each active school whose local time is past the end of a school day
//! (16:00 on a weekday) it claims the school's check of the day, so the
//! check runs once a day, and earns every green-streak certificate due
//! (see [`domain::streak`] for what a streak is). Each one goes straight to
//! the `certificates` queue; one whose send fails waits on the outbox for
//! the sweep.
//!
//! A negative behaviour logged for a day after that day's check (in the
//! evening, or back-dated) does not take back a certificate already earned.
//! The calendar has no holidays, so weekdays of a holiday count as clean
//! school days.

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use domain::calendar::{is_school_day, school_date};
use domain::{CertificateRule, CertificateTrigger, SchoolId, StreakHistory};
use serde::{Deserialize, Serialize};
use store::{AwardedBy, Certificate, Earned, EmailStatus, PupilQuery, StoreError};

use crate::App;

/// The local hour from which a school's day is over.
pub const DAY_ENDS_AT_HOUR: u32 = 16;

/// How long one run holds a school's check; a run that dies leaves it to
/// the next schedule once this runs out.
const CHECK_LEASE: Duration = Duration::minutes(10);

/// Pupils read at once.
const PAGE: usize = 100;

/// The input of the streak schedule: `{"check": "greenStreaks"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreakCheck {
    pub check: CheckKind,
}

#[derive(Debug, Deserialize)]
pub enum CheckKind {
    #[serde(rename = "greenStreaks")]
    GreenStreaks,
}

/// What one run of the check did.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreakReport {
    /// Schools checked in this run.
    pub schools: usize,
    pub earned: usize,
    /// Schools whose check failed, to be tried again.
    pub failed: usize,
}

/// Checks every active school whose school day has ended and whose check
/// of today has not run.
pub async fn check_green_streaks(
    app: &App,
    now: DateTime<Utc>,
) -> Result<StreakReport, StoreError> {
    let mut report = StreakReport::default();
    for (school, zone) in app.store.schools_to_sync().await? {
        let Ok(zone) = zone.parse::<Tz>() else {
            tracing::warn!(school = %school, "school has an unknown time zone; streaks not checked");
            continue;
        };
        let local = now.with_timezone(&zone);
        let today = school_date(now, zone);
        if !is_school_day(today) || local.hour() < DAY_ENDS_AT_HOUR {
            continue;
        }
        if !app
            .store
            .claim_streak_check(&school, today, now, CHECK_LEASE)
            .await?
        {
            continue;
        }
        // One school's failure leaves the rest to be checked; its claim
        // runs out and the next run tries it again.
        let checked = async {
            let earned = school_green_streaks(app, &school, today, now).await?;
            app.store.finish_streak_check(&school, today, now).await?;
            Ok::<_, StoreError>(earned.len())
        };
        match checked.await {
            Ok(earned) => {
                report.schools += 1;
                report.earned += earned;
            }
            Err(error) => {
                tracing::warn!(school = %school, error = %error, "green streaks not checked; the next run tries again");
                report.failed += 1;
            }
        }
    }
    if report.schools > 0 || report.failed > 0 {
        tracing::info!(
            schools = report.schools,
            earned = report.earned,
            failed = report.failed,
            "green streaks checked"
        );
    }
    Ok(report)
}

/// Earns and queues the green-streak certificates of one school's pupils
/// due at the end of `today`, and returns them. Safe to run again: a streak
/// already awarded is not awarded twice.
pub async fn school_green_streaks(
    app: &App,
    school: &SchoolId,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<Certificate>, StoreError> {
    let Some((_, policy)) = app.store.school(school).await? else {
        return Ok(Vec::new());
    };
    let rules: Vec<(&CertificateRule, u16)> = policy
        .certificate_rules
        .iter()
        .filter(|rule| !rule.archived)
        .filter_map(|rule| match rule.trigger {
            CertificateTrigger::GreenStreak { school_days } => Some((rule, school_days)),
            CertificateTrigger::Points { .. } => None,
        })
        .collect();
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let rule_ids: Vec<&str> = rules.iter().map(|(rule, _)| rule.id.as_str()).collect();
    let cycle_start = policy.cycle_start(today);

    let mut ids = ulid::Generator::new();
    let mut earned = Vec::new();
    let mut after = None;
    loop {
        let query = PupilQuery {
            limit: PAGE,
            after,
            ..PupilQuery::default()
        };
        let (pupils, next) = app.store.pupils(school, &query).await?;
        for standing in app
            .store
            .streak_standings(school, pupils, &rule_ids)
            .await?
        {
            for (rule, days) in &rules {
                let history = StreakHistory {
                    cycle_start,
                    last_negative: standing.last_negative,
                    last_awarded_end: standing.awarded_ends.get(&rule.id).copied(),
                };
                let Some(streak) = history.completed(today, *days) else {
                    continue;
                };
                let certificate = Certificate {
                    id: ids
                        .generate()
                        .unwrap_or_else(|_| ulid::Ulid::new())
                        .to_string(),
                    pupil_id: standing.pupil.id.clone(),
                    pupil_name: standing.pupil.display_name(),
                    year_group: standing.pupil.year_group.clone(),
                    rule_id: Some(rule.id.clone()),
                    name: rule.name.clone(),
                    cycle: policy.cycle_at(streak.ends_on),
                    template: rule.template,
                    awarded_at: now,
                    awarded_by: AwardedBy::Automatic,
                    notify: Vec::new(),
                    email_status: EmailStatus::Pending,
                    emailed_at: None,
                };
                if let Earned::New(certificate) = app
                    .store
                    .earn_streak_certificate(school, certificate, streak)
                    .await?
                {
                    queue(app, school, &certificate).await;
                    earned.push(*certificate);
                }
            }
        }
        after = next;
        if after.is_none() {
            return Ok(earned);
        }
    }
}

/// Puts a new certificate on the queue; if that fails it stays on the
/// outbox for the sweep.
async fn queue(app: &App, school: &SchoolId, certificate: &Certificate) {
    let message = store::CertificateMessage {
        school_id: school.clone(),
        certificate_id: certificate.id.clone(),
    };
    let queued = match app.queue.send(message.body()).await {
        Ok(()) => {
            app.store
                .mark_certificate_queued(school, &certificate.id)
                .await
        }
        Err(error) => {
            tracing::warn!(school = %school, certificate = %certificate.id, error = %error, "streak certificate left for the sweep");
            return;
        }
    };
    if let Err(error) = queued {
        tracing::warn!(school = %school, certificate = %certificate.id, error = %error, "streak certificate queued but still on the outbox");
    }
}
