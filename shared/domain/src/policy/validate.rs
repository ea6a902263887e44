//! The rules every policy keeps. Each broken rule is reported with the
//! field it concerns, as a JSON path such as `behaviourTypes[3].name`, so
//! that the portal can show every problem beside its field at once.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::{
    BehaviourType, CertificateRule, CertificateTrigger, DetentionTrigger, ICONS, Ladder, Policy,
    Stage, Term, school_year, slug,
};
use crate::role::Role;

/// The limits a policy stays within, in one place for the API document.
pub mod limits {
    pub const MAX_STAGE_NAME: usize = 30;
    pub const MAX_TYPES: usize = 100;
    pub const MAX_TYPE_NAME: usize = 60;
    pub const MAX_CATEGORY: usize = 40;
    /// Points one behaviour may add or take away.
    pub const MAX_POINTS: i32 = 100;
    pub const MAX_BACKDATE_DAYS: u16 = 60;
    pub const MAX_ALERT_ROLES: usize = 7;
    pub const MIN_DETENTION_MINUTES: u16 = 5;
    pub const MAX_DETENTION_MINUTES: u16 = 240;
    pub const MAX_RULES: usize = 30;
    pub const MAX_RULE_ID: usize = 40;
    pub const MAX_RULE_NAME: usize = 60;
    pub const MAX_THRESHOLD: i32 = 100_000;
    /// A school year's worth of school days.
    pub const MAX_STREAK_DAYS: u16 = 195;
    pub const MAX_TERMS: usize = 36;
    pub const MAX_TERM_NAME: usize = 30;
}

use limits::*;

/// One rule a policy breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyProblem {
    /// Where: a JSON path into the policy.
    pub field: String,
    pub message: String,
}

/// Collects problems as the checks walk the policy.
#[derive(Default)]
struct Problems(Vec<PolicyProblem>);

impl Problems {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(PolicyProblem {
            field: field.into(),
            message: message.into(),
        });
    }

    /// A name that must be present, trimmed, and at most `max` characters.
    fn name(&mut self, field: &str, name: &str, max: usize) {
        if name.trim().is_empty() {
            self.add(field, "must not be empty");
        } else if name.trim() != name {
            self.add(field, "must not start or end with spaces");
        } else if name.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        } else if name.chars().any(char::is_control) {
            self.add(field, "must not contain control characters");
        }
    }

    fn colour(&mut self, field: &str, colour: &str) {
        if !is_hex_colour(colour) {
            self.add(field, "must be a CSS hex colour such as #1e3a5f");
        }
    }

    fn alert_roles(&mut self, field: &str, roles: &[Role]) {
        if roles.len() > MAX_ALERT_ROLES {
            self.add(field, format!("may name at most {MAX_ALERT_ROLES} roles"));
        }
        let mut seen = HashSet::new();
        for (i, role) in roles.iter().enumerate() {
            if !role.is_staff() {
                self.add(format!("{field}[{i}]"), "must be a staff role");
            } else if !seen.insert(role) {
                self.add(format!("{field}[{i}]"), "is named twice");
            }
        }
    }

    fn detention(&mut self, field: &str, detention: Option<&DetentionTrigger>) {
        if let Some(detention) = detention {
            let range = MIN_DETENTION_MINUTES..=MAX_DETENTION_MINUTES;
            if !range.contains(&detention.minutes) {
                self.add(
                    format!("{field}.minutes"),
                    format!("must be from {MIN_DETENTION_MINUTES} to {MAX_DETENTION_MINUTES}"),
                );
            }
        }
    }
}

/// Every problem of `policy`, and, when it replaces `stored`, every type or
/// rule it drops.
pub(super) fn problems(policy: &Policy, stored: Option<&Policy>) -> Result<(), Vec<PolicyProblem>> {
    let mut problems = Problems::default();
    ladder(&mut problems, &policy.ladder);
    behaviour_types(&mut problems, &policy.behaviour_types, policy.ladder.top());
    if policy.backdate_days > MAX_BACKDATE_DAYS {
        problems.add(
            "backdateDays",
            format!("must be at most {MAX_BACKDATE_DAYS} school days"),
        );
    }
    terms(&mut problems, &policy.terms);
    certificate_rules(&mut problems, &policy.certificate_rules);
    problems.colour("colours.primary", &policy.colours.primary);
    problems.colour("colours.accent", &policy.colours.accent);
    if let Some(stored) = stored {
        nothing_dropped(&mut problems, policy, stored);
    }

    if problems.0.is_empty() {
        Ok(())
    } else {
        Err(problems.0)
    }
}

fn ladder(problems: &mut Problems, ladder: &Ladder) {
    let count = ladder.stages.len();
    if !(Ladder::MIN_STAGES..=Ladder::MAX_STAGES).contains(&count) {
        problems.add(
            "ladder.stages",
            format!(
                "the ladder needs {} to {} stages",
                Ladder::MIN_STAGES,
                Ladder::MAX_STAGES
            ),
        );
    }

    let mut names = HashSet::new();
    for (i, stage) in ladder.stages.iter().enumerate() {
        let at = format!("ladder.stages[{i}]");
        problems.name(&format!("{at}.name"), &stage.name, MAX_STAGE_NAME);
        if !names.insert(stage.name.trim().to_lowercase()) {
            problems.add(format!("{at}.name"), "another stage has this name");
        }
        problems.colour(&format!("{at}.colour"), &stage.colour);
        stage_triggers(problems, &at, i, stage);
    }
}

fn stage_triggers(problems: &mut Problems, at: &str, index: usize, stage: &Stage) {
    let triggers = &stage.triggers;
    if index == 0 && *triggers != Default::default() {
        problems.add(
            format!("{at}.triggers"),
            "every light starts on the first stage, so it cannot set anything off",
        );
        return;
    }
    problems.alert_roles(&format!("{at}.triggers.alertRoles"), &triggers.alert_roles);
    problems.detention(
        &format!("{at}.triggers.detention"),
        triggers.detention.as_ref(),
    );
}

fn behaviour_types(problems: &mut Problems, types: &[BehaviourType], top: u8) {
    if types.len() > MAX_TYPES {
        problems.add(
            "behaviourTypes",
            format!("may hold at most {MAX_TYPES} types"),
        );
    }
    let in_use = || types.iter().filter(|t| !t.archived);
    if !in_use().any(|t| t.positive) || !in_use().any(|t| !t.positive) {
        problems.add(
            "behaviourTypes",
            "needs at least one positive and one negative type that is not archived",
        );
    }

    let mut ids = HashSet::new();
    let mut names = HashSet::new();
    for (i, kind) in types.iter().enumerate() {
        let at = format!("behaviourTypes[{i}]");
        if !ids.insert(kind.id.as_str()) {
            problems.add(format!("{at}.id"), "another type has this id");
        }
        problems.name(&format!("{at}.name"), &kind.name, MAX_TYPE_NAME);
        if !names.insert(kind.name.trim().to_lowercase()) {
            problems.add(format!("{at}.name"), "another type has this name");
        }
        problems.name(&format!("{at}.category"), &kind.category, MAX_CATEGORY);

        if kind.positive && kind.points < 0 {
            problems.add(
                format!("{at}.points"),
                "a positive type cannot take points away",
            );
        } else if !kind.positive && kind.points > 0 {
            problems.add(format!("{at}.points"), "a negative type cannot add points");
        } else if kind.points.abs() > MAX_POINTS {
            problems.add(
                format!("{at}.points"),
                format!("must be from -{MAX_POINTS} to {MAX_POINTS}"),
            );
        }
        if kind.steps > top {
            problems.add(
                format!("{at}.steps"),
                format!("the ladder has only {top} stages past the first"),
            );
        }
        if !ICONS.contains(&kind.icon.as_str()) {
            problems.add(
                format!("{at}.icon"),
                format!("must be one of {}", ICONS.join(", ")),
            );
        }
        problems.alert_roles(
            &format!("{at}.triggers.alertRoles"),
            &kind.triggers.alert_roles,
        );
        problems.detention(
            &format!("{at}.triggers.detention"),
            kind.triggers.detention.as_ref(),
        );
    }
}

fn terms(problems: &mut Problems, terms: &[Term]) {
    if terms.len() > MAX_TERMS {
        problems.add("terms", format!("may hold at most {MAX_TERMS} terms"));
    }
    let mut slugs = HashSet::new();
    for (i, term) in terms.iter().enumerate() {
        let at = format!("terms[{i}]");
        problems.name(&format!("{at}.name"), &term.name, MAX_TERM_NAME);
        let slug = slug(&term.name);
        if !term.name.trim().is_empty() && slug.is_empty() {
            problems.add(format!("{at}.name"), "needs at least one letter or digit");
        } else if !slugs.insert((school_year(term.starts), slug)) {
            problems.add(
                format!("{at}.name"),
                "another term of the same school year has this name",
            );
        }
        if i > 0 && term.starts <= terms[i - 1].starts {
            problems.add(
                format!("{at}.starts"),
                "terms must be listed in date order, each starting after the one before",
            );
        }
    }
}

fn certificate_rules(problems: &mut Problems, rules: &[CertificateRule]) {
    if rules.len() > MAX_RULES {
        problems.add(
            "certificateRules",
            format!("may hold at most {MAX_RULES} rules"),
        );
    }
    let mut ids = HashSet::new();
    let mut names = HashSet::new();
    let mut last_threshold: Option<(usize, i32)> = None;
    for (i, rule) in rules.iter().enumerate() {
        let at = format!("certificateRules[{i}]");
        if !is_slug(&rule.id) {
            problems.add(
                format!("{at}.id"),
                format!(
                    "must be 1 to {MAX_RULE_ID} lower-case letters and digits, words joined by hyphens"
                ),
            );
        } else if !ids.insert(rule.id.as_str()) {
            problems.add(format!("{at}.id"), "another rule has this id");
        }
        problems.name(&format!("{at}.name"), &rule.name, MAX_RULE_NAME);
        if !names.insert(rule.name.trim().to_lowercase()) {
            problems.add(format!("{at}.name"), "another rule has this name");
        }

        match rule.trigger {
            CertificateTrigger::Points { threshold } => {
                if !(1..=MAX_THRESHOLD).contains(&threshold) {
                    problems.add(
                        format!("{at}.trigger.threshold"),
                        format!("must be from 1 to {MAX_THRESHOLD}"),
                    );
                }
                if rule.archived {
                    continue;
                }
                if let Some((before, previous)) = last_threshold
                    && threshold <= previous
                {
                    problems.add(
                        format!("{at}.trigger.threshold"),
                        format!(
                            "must be more than the {previous} points of certificateRules[{before}]: \
                             points certificates rise in the order given"
                        ),
                    );
                }
                last_threshold = Some((i, threshold));
            }
            CertificateTrigger::GreenStreak { school_days } => {
                if !(1..=MAX_STREAK_DAYS).contains(&school_days) {
                    problems.add(
                        format!("{at}.trigger.schoolDays"),
                        format!("must be from 1 to {MAX_STREAK_DAYS}"),
                    );
                }
            }
        }
    }
}

/// Past behaviours and certificates name their type or rule, so a policy
/// may archive them but never drop them.
fn nothing_dropped(problems: &mut Problems, policy: &Policy, stored: &Policy) {
    let kept: HashSet<&str> = policy
        .behaviour_types
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    for kind in &stored.behaviour_types {
        if !kept.contains(kind.id.as_str()) {
            problems.add(
                "behaviourTypes",
                format!(
                    "behaviour type '{}' is missing: a type may be archived but never removed",
                    kind.id
                ),
            );
        }
    }
    let kept: HashMap<&str, &CertificateRule> = policy
        .certificate_rules
        .iter()
        .map(|r| (r.id.as_str(), r))
        .collect();
    for rule in &stored.certificate_rules {
        if !kept.contains_key(rule.id.as_str()) {
            problems.add(
                "certificateRules",
                format!(
                    "certificate rule '{}' is missing: a rule may be archived but never removed",
                    rule.id
                ),
            );
        }
    }
}

/// `#rgb` or `#rrggbb`.
fn is_hex_colour(colour: &str) -> bool {
    let Some(digits) = colour.strip_prefix('#') else {
        return false;
    };
    matches!(digits.len(), 3 | 6) && digits.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Lower-case letters and digits, words joined by single hyphens.
fn is_slug(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_RULE_ID
        && id.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;

    fn fields(policy: &Policy) -> Vec<String> {
        match policy.validate() {
            Ok(()) => Vec::new(),
            Err(problems) => problems.into_iter().map(|p| p.field).collect(),
        }
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let mut policy = Policy::default_for_new_school();
        policy.ladder.stages[1].colour = "yellow".into();
        policy.ladder.stages[2].name = "warning".into();
        policy.behaviour_types[0].points = -1;
        policy.behaviour_types[5].points = 3;
        policy.behaviour_types[1].icon = "unicorn".into();
        policy.colours.accent = "#12345".into();
        assert_eq!(
            fields(&policy),
            [
                "ladder.stages[1].colour",
                "ladder.stages[2].name",
                "behaviourTypes[0].points",
                "behaviourTypes[1].icon",
                "behaviourTypes[5].points",
                "colours.accent",
            ]
        );
    }

    #[test]
    fn archiving_every_negative_type_leaves_the_policy_one_sided() {
        let mut policy = Policy::default_for_new_school();
        for kind in &mut policy.behaviour_types {
            kind.archived |= !kind.positive;
        }
        assert_eq!(fields(&policy), ["behaviourTypes"]);
    }

    #[test]
    fn ids_repeat_in_no_case_and_names_in_any() {
        let mut policy = Policy::default_for_new_school();
        let mut copy = policy.behaviour_types[0].clone();
        copy.name = "Something else".into();
        policy.behaviour_types.push(copy);
        policy.certificate_rules[1].name = "BRONZE AWARD".into();
        policy.certificate_rules[2].id = "bronze".into();
        assert_eq!(
            fields(&policy),
            [
                "behaviourTypes[11].id",
                "certificateRules[1].name",
                "certificateRules[2].id"
            ]
        );
    }

    #[test]
    fn points_thresholds_rise_in_the_order_given_ignoring_archived_rules() {
        let mut policy = Policy::default_for_new_school();
        policy.certificate_rules[1].trigger = CertificateTrigger::Points { threshold: 50 };
        assert_eq!(fields(&policy), ["certificateRules[1].trigger.threshold"]);

        policy.certificate_rules[1].archived = true;
        assert_eq!(fields(&policy), Vec::<String>::new());

        policy.certificate_rules.swap(0, 2);
        assert_eq!(fields(&policy), ["certificateRules[2].trigger.threshold"]);
    }

    #[test]
    fn streaks_last_from_one_day_to_a_school_year() {
        let mut policy = Policy::default_for_new_school();
        policy.certificate_rules[3].trigger = CertificateTrigger::GreenStreak { school_days: 0 };
        assert_eq!(fields(&policy), ["certificateRules[3].trigger.schoolDays"]);
        policy.certificate_rules[3].trigger = CertificateTrigger::GreenStreak { school_days: 195 };
        assert_eq!(fields(&policy), Vec::<String>::new());
        policy.certificate_rules[3].trigger = CertificateTrigger::GreenStreak { school_days: 196 };
        assert_eq!(fields(&policy), ["certificateRules[3].trigger.schoolDays"]);
    }

    #[test]
    fn terms_come_in_date_order_with_names() {
        let day = |m, d| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let mut policy = Policy::default_for_new_school();
        policy.terms = vec![
            Term {
                name: "Autumn".into(),
                starts: day(9, 3),
            },
            Term {
                name: "  ".into(),
                starts: day(11, 2),
            },
            Term {
                name: "autumn!".into(),
                starts: day(10, 1),
            },
        ];
        assert_eq!(
            fields(&policy),
            ["terms[1].name", "terms[2].name", "terms[2].starts"]
        );
    }

    #[test]
    fn triggers_name_staff_roles_once_and_sensible_detentions() {
        let mut policy = Policy::default_for_new_school();
        policy.behaviour_types[6].triggers = Triggers {
            alert_roles: vec![Role::Tutor, Role::Parent, Role::Tutor],
            detention: Some(DetentionTrigger { minutes: 0 }),
            incident_form: false,
        };
        policy.ladder.stages[0].triggers.removal = true;
        assert_eq!(
            fields(&policy),
            [
                "ladder.stages[0].triggers",
                "behaviourTypes[6].triggers.alertRoles[1]",
                "behaviourTypes[6].triggers.alertRoles[2]",
                "behaviourTypes[6].triggers.detention.minutes",
            ]
        );
    }

    #[test]
    fn a_type_moves_no_further_than_the_ladder_reaches() {
        let mut policy = Policy::default_for_new_school();
        policy.ladder.stages.truncate(3);
        assert_eq!(
            fields(&policy),
            ["behaviourTypes[10].steps"],
            "the serious incident climbs four stages"
        );
    }

    #[test]
    fn types_and_rules_are_archived_never_dropped() {
        let stored = Policy::default_for_new_school();
        let mut next = stored.clone();
        next.behaviour_types.retain(|t| t.id.as_str() != "kindness");
        next.certificate_rules.retain(|r| r.id != "gold");
        let problems = next.validate_change(&stored).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert!(problems[0].message.contains("'kindness'"));
        assert!(problems[1].message.contains("'gold'"));

        let mut next = stored.clone();
        next.behaviour_types[1].archived = true;
        next.certificate_rules[2].archived = true;
        assert_eq!(next.validate_change(&stored), Ok(()));
    }

    #[test]
    fn colours_are_hex() {
        assert!(is_hex_colour("#1e3a5f"));
        assert!(is_hex_colour("#FFF"));
        assert!(!is_hex_colour("1e3a5f"));
        assert!(!is_hex_colour("#1e3a5g"));
        assert!(!is_hex_colour("navy"));
    }

    #[test]
    fn rule_ids_are_slugs() {
        assert!(is_slug("green-week"));
        assert!(is_slug("gold2"));
        assert!(!is_slug("Gold"));
        assert!(!is_slug("green--week"));
        assert!(!is_slug("-gold"));
        assert!(!is_slug(""));
    }
}
