//! A school's behaviour policy: its behaviour types, the traffic-light
//! ladder, and how far back staff may date a behaviour.

use serde::{Deserialize, Serialize};

use crate::ids::BehaviourTypeId;

/// One rung of the ladder, such as "Amber".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stage {
    pub name: String,
    /// A CSS colour for apps, such as `#f59e0b`.
    pub colour: String,
}

/// The stages a pupil's light moves along, best first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ladder {
    pub stages: Vec<Stage>,
}

impl Ladder {
    pub const MIN_STAGES: usize = 2;
    pub const MAX_STAGES: usize = 8;

    /// The highest step a light can reach: the last stage.
    pub fn top(&self) -> u8 {
        u8::try_from(self.stages.len().saturating_sub(1)).unwrap_or(u8::MAX)
    }

    /// The stage a number of steps lands on; steps past the top stay there.
    pub fn stage(&self, steps: u8) -> (u8, &Stage) {
        let index = steps.min(self.top());
        (index, &self.stages[usize::from(index)])
    }
}

/// Whether lights reset with every lesson or once a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LightScope {
    Lesson,
    Day,
}

/// A kind of behaviour the school recognises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BehaviourType {
    pub id: BehaviourTypeId,
    pub name: String,
    pub positive: bool,
    /// Points added (or, if negative, taken away) each time it is logged.
    pub points: i32,
    /// How many stages a negative type moves the light up the ladder, or how
    /// many a positive type moves it back.
    pub steps: u8,
    pub category: String,
    #[serde(default)]
    pub note_required: bool,
    /// Archived types keep their meaning for past records but cannot be
    /// logged again.
    #[serde(default)]
    pub archived: bool,
}

/// A school's policy, versioned so that edits never overwrite each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub version: u32,
    pub light_scope: LightScope,
    pub ladder: Ladder,
    pub behaviour_types: Vec<BehaviourType>,
    /// How many school days back a behaviour may be dated (0: today only).
    pub backdate_days: u16,
}

/// Why a policy cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the ladder needs between 2 and 8 stages")]
    LadderSize,
    #[error("the policy needs at least one positive and one negative behaviour type in use")]
    OneSidedTypes,
    #[error("behaviour type '{0}' appears twice")]
    DuplicateType(String),
    #[error("behaviour type '{0}' has points of the wrong sign")]
    PointsSign(String),
}

impl Policy {
    /// The policy a new school starts from; leaders can adopt it as it is.
    pub fn default_for_new_school() -> Self {
        let stage = |name: &str, colour: &str| Stage {
            name: name.into(),
            colour: colour.into(),
        };
        let kind =
            |id: &str, name: &str, positive: bool, points: i32, steps: u8, category: &str| {
                BehaviourType {
                    id: BehaviourTypeId::parse(id).expect("default ids are valid"),
                    name: name.into(),
                    positive,
                    points,
                    steps,
                    category: category.into(),
                    note_required: false,
                    archived: false,
                }
            };
        let mut types = vec![
            kind("on-task", "Excellent focus", true, 1, 0, "Learning"),
            kind("kindness", "Kindness", true, 1, 0, "Character"),
            kind("great-work", "Outstanding work", true, 2, 0, "Learning"),
            kind(
                "participation",
                "Great participation",
                true,
                1,
                0,
                "Learning",
            ),
            kind("turnaround", "Turned it around", true, 1, 1, "Character"),
            kind("off-task", "Off task", false, 0, 1, "Learning"),
            kind("disruption", "Disrupting learning", false, -1, 1, "Conduct"),
            kind("no-equipment", "No equipment", false, 0, 1, "Readiness"),
            kind("defiance", "Refusing instructions", false, -2, 2, "Conduct"),
            kind("unkind", "Unkind language", false, -2, 2, "Conduct"),
            kind("serious", "Serious incident", false, -5, 4, "Conduct"),
        ];
        if let Some(serious) = types.last_mut() {
            serious.note_required = true;
        }
        Self {
            version: 1,
            light_scope: LightScope::Lesson,
            ladder: Ladder {
                stages: vec![
                    stage("Green", "#16a34a"),
                    stage("Warning", "#facc15"),
                    stage("Amber", "#f59e0b"),
                    stage("Red", "#dc2626"),
                    stage("Removal", "#7f1d1d"),
                ],
            },
            behaviour_types: types,
            backdate_days: 7,
        }
    }

    /// Checks the rules every policy must keep.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let stages = self.ladder.stages.len();
        if !(Ladder::MIN_STAGES..=Ladder::MAX_STAGES).contains(&stages) {
            return Err(PolicyError::LadderSize);
        }

        let in_use = || self.behaviour_types.iter().filter(|t| !t.archived);
        if !in_use().any(|t| t.positive) || !in_use().any(|t| !t.positive) {
            return Err(PolicyError::OneSidedTypes);
        }

        let mut seen_ids = std::collections::HashSet::new();
        let mut seen_names = std::collections::HashSet::new();
        for kind in &self.behaviour_types {
            if !seen_ids.insert(kind.id.as_str()) {
                return Err(PolicyError::DuplicateType(kind.id.to_string()));
            }
            if !seen_names.insert(kind.name.to_lowercase()) {
                return Err(PolicyError::DuplicateType(kind.name.clone()));
            }
            if (kind.positive && kind.points < 0) || (!kind.positive && kind.points > 0) {
                return Err(PolicyError::PointsSign(kind.id.to_string()));
            }
        }
        Ok(())
    }

    /// A behaviour type by id, archived or not.
    pub fn behaviour_type(&self, id: &BehaviourTypeId) -> Option<&BehaviourType> {
        self.behaviour_types.iter().find(|t| &t.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_is_valid() {
        let policy = Policy::default_for_new_school();
        assert_eq!(policy.validate(), Ok(()));
        assert_eq!(policy.ladder.top(), 4);
        assert_eq!(policy.ladder.stage(9).1.name, "Removal");
    }

    #[test]
    fn a_policy_needs_both_kinds_of_type() {
        let mut policy = Policy::default_for_new_school();
        policy.behaviour_types.retain(|t| t.positive);
        assert_eq!(policy.validate(), Err(PolicyError::OneSidedTypes));
    }

    #[test]
    fn duplicate_names_are_refused_whatever_their_case() {
        let mut policy = Policy::default_for_new_school();
        let mut copy = policy.behaviour_types[0].clone();
        copy.id = BehaviourTypeId::parse("copy").unwrap();
        copy.name = copy.name.to_uppercase();
        policy.behaviour_types.push(copy);
        assert!(matches!(
            policy.validate(),
            Err(PolicyError::DuplicateType(_))
        ));
    }

    #[test]
    fn ladders_have_two_to_eight_stages() {
        let mut policy = Policy::default_for_new_school();
        policy.ladder.stages.truncate(1);
        assert_eq!(policy.validate(), Err(PolicyError::LadderSize));
    }
}
