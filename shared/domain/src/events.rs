//! The messages the `behaviour-events` queue carries. They hold ids, types
//! and numbers only, never notes or names, so consumers fold them into
//! aggregates without touching personal text.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::behaviour::Behaviour;
use crate::ids::{BehaviourId, BehaviourTypeId, ClassId, PupilId, SchoolId, StaffId};

/// One behaviour as consumers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BehaviourFact {
    pub id: BehaviourId,
    pub pupil_id: PupilId,
    pub class_id: ClassId,
    pub behaviour_type_id: BehaviourTypeId,
    pub positive: bool,
    pub points: i32,
    pub occurred_at: DateTime<Utc>,
    pub lesson_date: NaiveDate,
    pub logged_by: StaffId,
    /// The pupil's year group when the behaviour was logged, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_group: Option<String>,
    /// The pupil's house when the behaviour was logged, if they had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house: Option<String>,
}

impl BehaviourFact {
    /// The fact with the pupil's year and house when it was logged.
    pub fn placed(mut self, year_group: Option<String>, house: Option<String>) -> Self {
        self.year_group = year_group;
        self.house = house;
        self
    }
}

impl From<&Behaviour> for BehaviourFact {
    fn from(b: &Behaviour) -> Self {
        Self {
            id: b.id,
            pupil_id: b.pupil_id.clone(),
            class_id: b.class_id.clone(),
            behaviour_type_id: b.behaviour_type_id.clone(),
            positive: b.positive,
            points: b.points,
            occurred_at: b.occurred_at,
            lesson_date: b.lesson_date,
            logged_by: b.logged_by.clone(),
            year_group: None,
            house: None,
        }
    }
}

/// A message on the `behaviour-events` queue. Each carries the id of the
/// request that produced it, so a consumer that sees it twice can tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
// A withdrawal carries one whole fact inline; events are read one message at
// a time, so the size of the larger variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
pub enum BehaviourEvent {
    /// Behaviours were logged, for one pupil or many.
    #[serde(rename = "behaviour.logged", rename_all = "camelCase")]
    Logged {
        school_id: SchoolId,
        request_id: String,
        behaviours: Vec<BehaviourFact>,
    },
    /// A behaviour was withdrawn and no longer counts.
    #[serde(rename = "behaviour.withdrawn", rename_all = "camelCase")]
    Withdrawn {
        school_id: SchoolId,
        request_id: String,
        withdrawal_id: BehaviourId,
        behaviour: BehaviourFact,
        withdrawn_at: DateTime<Utc>,
        withdrawn_by: StaffId,
    },
}
