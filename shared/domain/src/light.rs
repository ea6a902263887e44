//! The traffic light: where a pupil stands on the ladder in one lesson (or
//! one day). A light is the fold of the behaviours logged in that lesson, in
//! the order they were logged; withdrawing one folds the rest again.

use serde::{Deserialize, Serialize};

use crate::ids::BehaviourId;
use crate::policy::{BehaviourType, Ladder};

/// What one logged behaviour did to a light, fixed when it was logged so
/// that later policy edits never rewrite the past.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LightEntry {
    pub behaviour_id: BehaviourId,
    pub positive: bool,
    pub steps: u8,
    pub points: i32,
}

impl LightEntry {
    pub fn new(behaviour_id: BehaviourId, kind: &BehaviourType) -> Self {
        Self {
            behaviour_id,
            positive: kind.positive,
            steps: kind.steps,
            points: kind.points,
        }
    }
}

/// A pupil's light in one lesson or day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Light {
    pub entries: Vec<LightEntry>,
}

/// A light as apps show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LightSummary {
    /// The stage reached, 0 being the first (green).
    pub steps: u8,
    pub positives: u32,
    pub negatives: u32,
    pub points: i64,
}

impl Light {
    /// Adds a behaviour to the light.
    pub fn record(&mut self, entry: LightEntry) {
        self.entries.push(entry);
    }

    /// Takes a withdrawn behaviour out; false if it was never in this light.
    pub fn withdraw(&mut self, behaviour_id: BehaviourId) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| e.behaviour_id != behaviour_id);
        self.entries.len() != before
    }

    /// Folds the entries along the ladder: a negative behaviour climbs its
    /// steps (never past the top), a positive one steps back (never below
    /// green).
    pub fn summary(&self, ladder: &Ladder) -> LightSummary {
        let top = ladder.top();
        let mut summary = LightSummary {
            steps: 0,
            positives: 0,
            negatives: 0,
            points: 0,
        };
        for entry in &self.entries {
            if entry.positive {
                summary.positives += 1;
                summary.steps = summary.steps.saturating_sub(entry.steps);
            } else {
                summary.negatives += 1;
                summary.steps = summary.steps.saturating_add(entry.steps).min(top);
            }
            summary.points += i64::from(entry.points);
        }
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn entry(n: u128, positive: bool, steps: u8, points: i32) -> LightEntry {
        LightEntry {
            behaviour_id: BehaviourId::new(ulid::Ulid(n)),
            positive,
            steps,
            points,
        }
    }

    #[test]
    fn a_new_light_is_green() {
        let ladder = Policy::default_for_new_school().ladder;
        let summary = Light::default().summary(&ladder);
        assert_eq!(summary.steps, 0);
        assert_eq!(ladder.stage(summary.steps).1.name, "Green");
    }

    #[test]
    fn negatives_climb_and_stop_at_the_top() {
        let ladder = Policy::default_for_new_school().ladder;
        let mut light = Light::default();
        light.record(entry(1, false, 2, -1));
        assert_eq!(ladder.stage(light.summary(&ladder).steps).1.name, "Amber");
        light.record(entry(2, false, 4, -5));
        let summary = light.summary(&ladder);
        assert_eq!(summary.steps, 4);
        assert_eq!(summary.points, -6);
        assert_eq!(summary.negatives, 2);
    }

    #[test]
    fn positives_step_back_but_never_below_green() {
        let ladder = Policy::default_for_new_school().ladder;
        let mut light = Light::default();
        light.record(entry(1, true, 1, 1));
        light.record(entry(2, false, 1, 0));
        light.record(entry(3, true, 1, 1));
        let summary = light.summary(&ladder);
        assert_eq!(summary.steps, 0);
        assert_eq!(summary.positives, 2);
        assert_eq!(summary.points, 2);
    }

    #[test]
    fn a_positive_type_moves_the_light_back_its_own_steps() {
        let ladder = Policy::default_for_new_school().ladder;
        let mut light = Light::default();
        light.record(entry(1, false, 3, -2));
        light.record(entry(2, true, 0, 1));
        assert_eq!(
            light.summary(&ladder).steps,
            3,
            "0 steps leaves the light alone"
        );
        light.record(entry(3, true, 2, 1));
        assert_eq!(light.summary(&ladder).steps, 1);
        light.record(entry(4, true, 5, 1));
        assert_eq!(light.summary(&ladder).steps, 0);
    }

    #[test]
    fn the_default_policys_types_move_lights_as_they_say() {
        let policy = Policy::default_for_new_school();
        let kind = |id: &str| {
            policy
                .behaviour_type(&crate::BehaviourTypeId::parse(id).unwrap())
                .unwrap()
        };
        let mut light = Light::default();
        light.record(LightEntry::new(
            BehaviourId::new(ulid::Ulid(1)),
            kind("defiance"),
        ));
        light.record(LightEntry::new(
            BehaviourId::new(ulid::Ulid(2)),
            kind("kindness"),
        ));
        assert_eq!(
            light.summary(&policy.ladder).steps,
            2,
            "kindness moves no stage"
        );
        light.record(LightEntry::new(
            BehaviourId::new(ulid::Ulid(3)),
            kind("turnaround"),
        ));
        let summary = light.summary(&policy.ladder);
        assert_eq!(summary.steps, 1, "turning it around moves one stage back");
        assert_eq!(summary.points, 0);
    }

    #[test]
    fn a_light_folded_on_a_shorter_ladder_stops_at_its_top() {
        let mut ladder = Policy::default_for_new_school().ladder;
        let mut light = Light::default();
        light.record(entry(1, false, 4, -5));
        light.record(entry(2, true, 1, 1));
        ladder.stages.truncate(3);
        assert_eq!(light.summary(&ladder).steps, 1);
    }

    #[test]
    fn withdrawing_folds_the_rest_again() {
        let ladder = Policy::default_for_new_school().ladder;
        let mut light = Light::default();
        light.record(entry(1, false, 4, -5));
        light.record(entry(2, true, 1, 1));
        assert_eq!(light.summary(&ladder).steps, 3);
        assert!(light.withdraw(BehaviourId::new(ulid::Ulid(1))));
        assert_eq!(light.summary(&ladder).steps, 0);
        assert!(!light.withdraw(BehaviourId::new(ulid::Ulid(1))));
    }
}
