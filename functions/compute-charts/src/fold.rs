//! From behaviour events to the aggregate changes they make.
//!
//! A behaviour counts in the aggregates of its lesson date: the school's
//! day, and the week of its pupil, class, year and house (as they were when
//! it was logged), of the member of staff who logged it, of its type and,
//! where the school has group analysis on, of the pupil's groups (as the
//! roster has them now). The reconciliation places behaviours with the
//! same [`placement`], so the two always agree.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use domain::charts::{Counted, DayPlan, Fold, Placement};
use domain::{BehaviourEvent, BehaviourFact, PupilId, SchoolId};
use store::charts::MAX_EVENT_AGGREGATES;
use store::{EventFold, EventMark, FoldOutcome, Store, StoreError};

/// What placing a school's behaviours needs to know of the school.
#[derive(Debug, Clone)]
pub struct SchoolContext {
    pub zone: Tz,
    pub plan: DayPlan,
    pub group_analysis: bool,
}

impl SchoolContext {
    /// The school's zone and settings; a school not (or no longer) set up
    /// is placed in London's day without groups, so its events still count.
    pub async fn read(store: &Store, school: &SchoolId) -> Result<Self, StoreError> {
        let (zone, group_analysis) = match store.school_settings(school).await? {
            Some((settings, roster)) => (
                settings.zone().unwrap_or(chrono_tz::Europe::London),
                roster.group_analysis,
            ),
            None => (chrono_tz::Europe::London, false),
        };
        Ok(Self {
            zone,
            plan: DayPlan::default(),
            group_analysis,
        })
    }
}

/// What placing needs of one behaviour, from an event or from the table.
pub struct Facts<'a> {
    pub pupil: &'a PupilId,
    pub class: &'a str,
    pub staff: &'a str,
    pub type_id: &'a str,
    pub positive: bool,
    pub points: i32,
    pub occurred_at: DateTime<Utc>,
    pub lesson_date: NaiveDate,
    pub year: Option<&'a str>,
    pub house: Option<&'a str>,
}

impl<'a> From<&'a BehaviourFact> for Facts<'a> {
    fn from(fact: &'a BehaviourFact) -> Self {
        Facts {
            pupil: &fact.pupil_id,
            class: fact.class_id.as_str(),
            staff: fact.logged_by.as_str(),
            type_id: fact.behaviour_type_id.as_str(),
            positive: fact.positive,
            points: fact.points,
            occurred_at: fact.occurred_at,
            lesson_date: fact.lesson_date,
            year: fact.year_group.as_deref(),
            house: fact.house.as_deref(),
        }
    }
}

/// Where one behaviour counts.
pub fn placement(
    facts: &Facts<'_>,
    context: &SchoolContext,
    groups: &HashMap<PupilId, Vec<String>>,
) -> Placement {
    Placement {
        lesson_date: facts.lesson_date,
        pupil: facts.pupil.to_string(),
        class: facts.class.to_owned(),
        year: facts.year.map(str::to_owned),
        house: facts.house.map(str::to_owned),
        staff: facts.staff.to_owned(),
        groups: if context.group_analysis {
            groups.get(facts.pupil).cloned().unwrap_or_default()
        } else {
            Vec::new()
        },
        counted: Counted {
            positive: facts.positive,
            points: facts.points,
            type_id: facts.type_id.to_owned(),
            cell: context.plan.cell_of(facts.occurred_at, context.zone),
        },
    }
}

/// The group codes of the pupils, when the school has group analysis on.
pub async fn groups_of(
    store: &Store,
    school: &SchoolId,
    context: &SchoolContext,
    pupils: BTreeSet<PupilId>,
) -> Result<HashMap<PupilId, Vec<String>>, StoreError> {
    if !context.group_analysis || pupils.is_empty() {
        return Ok(HashMap::new());
    }
    store.pupil_group_codes(school, &pupils).await
}

/// Each event's changes, marked so it counts once. A log too large for one
/// transaction is split by behaviour.
pub fn event_folds(
    events: &[&BehaviourEvent],
    context: &SchoolContext,
    groups: &HashMap<PupilId, Vec<String>>,
) -> Vec<EventFold> {
    let mut folds = Vec::new();
    for event in events {
        match event {
            BehaviourEvent::Logged {
                request_id,
                behaviours,
                ..
            } => {
                let placements: Vec<_> = behaviours
                    .iter()
                    .map(|b| (b.id, placement(&Facts::from(b), context, groups)))
                    .collect();
                let mut whole = Fold::default();
                for (_, placement) in &placements {
                    whole.count(placement, 1);
                }
                if whole.len() <= MAX_EVENT_AGGREGATES {
                    folds.push(EventFold {
                        mark: EventMark::Logged {
                            request_id: request_id.clone(),
                        },
                        fold: whole,
                    });
                } else {
                    for (behaviour, placement) in placements {
                        let mut part = Fold::default();
                        part.count(&placement, 1);
                        folds.push(EventFold {
                            mark: EventMark::LoggedPart {
                                request_id: request_id.clone(),
                                behaviour,
                            },
                            fold: part,
                        });
                    }
                }
            }
            BehaviourEvent::Withdrawn {
                withdrawal_id,
                behaviour,
                ..
            } => {
                let mut fold = Fold::default();
                fold.count(&placement(&Facts::from(behaviour), context, groups), -1);
                folds.push(EventFold {
                    mark: EventMark::Withdrawn {
                        behaviour: behaviour.id,
                        withdrawal: *withdrawal_id,
                    },
                    fold,
                });
            }
        }
    }
    folds
}

/// Counts one school's events into its aggregates, each once.
pub async fn fold_events(
    store: &Store,
    school: &SchoolId,
    events: &[&BehaviourEvent],
) -> Result<FoldOutcome, StoreError> {
    let context = SchoolContext::read(store, school).await?;
    let pupils = events
        .iter()
        .flat_map(|event| match event {
            BehaviourEvent::Logged { behaviours, .. } => {
                behaviours.iter().map(|b| b.pupil_id.clone()).collect()
            }
            BehaviourEvent::Withdrawn { behaviour, .. } => vec![behaviour.pupil_id.clone()],
        })
        .collect();
    let groups = groups_of(store, school, &context, pupils).await?;
    let folds = event_folds(events, &context, &groups);
    store.apply_chart_folds(school, folds).await
}
