//! The reconciliation: rebuilds a school's aggregates for some weeks from
//! the behaviours themselves, compares them with what is stored, repairs
//! what differs and reports it.
//!
//! The fold may be running at the same time, so one week goes like this:
//!
//! 1. read the week's behaviours;
//! 2. claim the marks of every event among them that is not yet counted,
//!    so the fold will skip them: the rebuild counts them instead;
//! 3. read the stored aggregates, each with its revision;
//! 4. read the behaviours again: if anything was logged or withdrawn
//!    meanwhile, start the week again;
//! 5. write each aggregate that differs on condition that its revision is
//!    still the one read; if the fold wrote it meanwhile, start the week
//!    again.
//!
//! So a repair never undoes a count the fold made, nor counts an event the
//! fold will count again.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::SchoolId;
use domain::charts::{AggregateKey, Fold, Labels, Tally, week_of, weeks_between};
use serde::{Deserialize, Serialize};
use store::{ChartFact, EventMark, Store, StoreError, StoredAggregate};

use crate::fold::{Facts, SchoolContext, groups_of, placement};

/// How many days back the nightly run looks: the current and the previous
/// week, so a late log or withdrawal is caught within a night.
pub const NIGHTLY_DAYS: i64 = 7;

/// How often one week is started again when writers keep changing it.
const MAX_ROUNDS: u32 = 5;

/// The most drifted aggregates a report lists by name.
const REPORTED: usize = 20;

/// An operator's request: one school, from one date to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReconcileRequest {
    pub school_id: SchoolId,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// What a reconciliation found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileReport {
    pub school_id: Option<SchoolId>,
    /// The whole weeks reconciled.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub behaviours: usize,
    pub aggregates: usize,
    /// Events no fold had counted, claimed and counted here.
    pub claimed: usize,
    /// Aggregates that differed from the behaviours, now repaired.
    pub drifted: usize,
    /// Some of them, by key (ids only).
    pub examples: Vec<String>,
    /// Weeks given up on because writers kept changing them.
    pub busy_weeks: usize,
}

/// Why a reconciliation could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("the range ends before it starts")]
    BackwardsRange,
    #[error("the range is longer than a school year")]
    TooLong,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reconciles the whole weeks holding `from` to `to`.
pub async fn reconcile(
    store: &Store,
    request: &ReconcileRequest,
) -> Result<ReconcileReport, ReconcileError> {
    if request.to < request.from {
        return Err(ReconcileError::BackwardsRange);
    }
    if request.to - request.from > Duration::days(400) {
        return Err(ReconcileError::TooLong);
    }
    let school = &request.school_id;
    let context = SchoolContext::read(store, school).await?;
    let weeks = weeks_between(request.from, request.to);
    let mut report = ReconcileReport {
        school_id: Some(school.clone()),
        from: weeks.first().copied(),
        to: weeks.last().map(|w| *w + Duration::days(6)),
        ..ReconcileReport::default()
    };
    for monday in weeks {
        let mut done = false;
        for _ in 0..MAX_ROUNDS {
            // Boxed: the week's future is deep, and one at a time is enough.
            if Box::pin(reconcile_week(store, school, &context, monday, &mut report)).await? {
                done = true;
                break;
            }
        }
        if !done {
            tracing::warn!(school = %school, week = %monday, "week kept changing; left for the next run");
            report.busy_weeks += 1;
        }
    }
    tracing::info!(
        school = %school,
        behaviours = report.behaviours,
        aggregates = report.aggregates,
        claimed = report.claimed,
        drifted = report.drifted,
        busy_weeks = report.busy_weeks,
        "charts reconciled"
    );
    Ok(report)
}

/// One round of one week; `false` when something changed under it.
async fn reconcile_week(
    store: &Store,
    school: &SchoolId,
    context: &SchoolContext,
    monday: NaiveDate,
    report: &mut ReconcileReport,
) -> Result<bool, StoreError> {
    let sunday = monday + Duration::days(6);
    let facts = store.chart_facts(school, monday, sunday).await?;
    let claimed = store.claim_marks(school, &marks_of(&facts)).await?;

    let mut stored: BTreeMap<AggregateKey, StoredAggregate> = BTreeMap::new();
    for aggregate in store.school_day_tallies(school, monday, sunday).await? {
        stored.insert(aggregate.key.clone(), aggregate);
    }
    for aggregate in store.week_tallies(school, monday, None).await? {
        stored.insert(aggregate.key.clone(), aggregate);
    }

    if store.chart_facts(school, monday, sunday).await? != facts {
        return Ok(false);
    }

    let pupils = facts.iter().map(|f| f.behaviour.pupil_id.clone()).collect();
    let groups = groups_of(store, school, context, pupils).await?;
    let wanted = rebuild(&facts, context, &groups);

    let keys: BTreeSet<&AggregateKey> = wanted.tallies.keys().chain(stored.keys()).collect();
    let zero = Tally::default();
    let mut drifted = Vec::new();
    for key in keys {
        let want = wanted.tallies.get(key).unwrap_or(&zero);
        let have = stored.get(key);
        let labels = wanted.labels.get(key);
        let same_tally = have.map_or(want.is_zero(), |h| &h.tally == want);
        let same_labels =
            labels.is_none_or(|l| have.is_some_and(|h| &h.labels == l) || *l == Labels::default());
        if same_tally && same_labels {
            continue;
        }
        if !store
            .repair_aggregate(school, key, have, want, labels)
            .await?
        {
            return Ok(false);
        }
        if !same_tally {
            drifted.push(describe(key));
        }
    }

    report.behaviours += facts.len();
    report.aggregates += wanted.tallies.len();
    report.claimed += claimed;
    report.drifted += drifted.len();
    for key in drifted {
        if report.examples.len() < REPORTED {
            report.examples.push(key);
        }
    }
    Ok(true)
}

/// The marks of every event that made these behaviours what they are.
fn marks_of(facts: &[ChartFact]) -> BTreeSet<EventMark> {
    let mut marks = BTreeSet::new();
    for fact in facts {
        if let Some(request_id) = &fact.request_id {
            marks.insert(EventMark::Logged {
                request_id: request_id.clone(),
            });
        }
        if let Some(withdrawal) = &fact.behaviour.withdrawal {
            marks.insert(EventMark::Withdrawn {
                behaviour: fact.behaviour.id,
                withdrawal: withdrawal.id,
            });
        }
    }
    marks
}

/// The aggregates as the behaviours say they should be: every behaviour not
/// withdrawn, counted once.
pub fn rebuild(
    facts: &[ChartFact],
    context: &SchoolContext,
    groups: &std::collections::HashMap<domain::PupilId, Vec<String>>,
) -> Fold {
    let mut fold = Fold::default();
    for fact in facts.iter().filter(|f| f.behaviour.withdrawal.is_none()) {
        let b = &fact.behaviour;
        let facts = Facts {
            pupil: &b.pupil_id,
            class: b.class_id.as_str(),
            staff: b.logged_by.as_str(),
            type_id: b.behaviour_type_id.as_str(),
            positive: b.positive,
            points: b.points,
            occurred_at: b.occurred_at,
            lesson_date: b.lesson_date,
            year: fact.year.as_deref(),
            house: fact.house.as_deref(),
        };
        fold.count(&placement(&facts, context, groups), 1);
    }
    fold
}

fn describe(key: &AggregateKey) -> String {
    match key {
        AggregateKey::SchoolDay(date) => format!("school {date}"),
        AggregateKey::Week {
            monday,
            dimension,
            id,
        } => format!("{dimension} {id} week of {monday}"),
    }
}

/// The nightly run: every school's last [`NIGHTLY_DAYS`] days.
pub async fn reconcile_all(
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Vec<ReconcileReport>, ReconcileError> {
    let mut reports = Vec::new();
    for (school, zone) in store.schools_to_sync().await? {
        let zone: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::Europe::London);
        let today = domain::calendar::school_date(now, zone);
        let request = ReconcileRequest {
            school_id: school,
            from: week_of(today - Duration::days(NIGHTLY_DAYS - 1)),
            to: today,
        };
        match Box::pin(reconcile(store, &request)).await {
            Ok(report) => reports.push(report),
            Err(error) => {
                // One school's failure must not stop the others'.
                tracing::error!(school = %request.school_id, error = %error, "reconciliation failed");
                reports.push(ReconcileReport {
                    school_id: Some(request.school_id),
                    busy_weeks: 1,
                    ..ReconcileReport::default()
                });
            }
        }
    }
    Ok(reports)
}
