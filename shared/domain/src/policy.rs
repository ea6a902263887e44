//! A school's behaviour policy: its behaviour types, the traffic-light
//! ladder, how far back staff may date a behaviour, when points reset, the
//! certificates pupils earn and the school's colours.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::ids::BehaviourTypeId;
use crate::role::Role;

mod validate;

pub use validate::{PolicyProblem, limits};

/// One rung of the ladder, such as "Amber".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Stage {
    pub name: String,
    /// A CSS hex colour for apps, such as `#f59e0b`.
    pub colour: String,
    /// What a light reaching this stage sets off.
    #[serde(default)]
    pub triggers: StageTriggers,
}

/// What a pupil's light reaching a stage of the ladder sets off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StageTriggers {
    /// Staff holding these roles (for the pupil: their tutor, head of year,
    /// and so on) get an email.
    #[serde(default)]
    pub alert_roles: Vec<Role>,
    /// A detention is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detention: Option<DetentionTrigger>,
    /// An incident form is opened for the member of staff to complete.
    #[serde(default)]
    pub incident_form: bool,
    /// The pupil is removed from the lesson (on call is summoned).
    #[serde(default)]
    pub removal: bool,
}

/// What logging a behaviour sets off, besides moving the light.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Triggers {
    /// Staff holding these roles for the pupil get an email.
    #[serde(default)]
    pub alert_roles: Vec<Role>,
    /// A detention is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detention: Option<DetentionTrigger>,
    /// An incident form is opened for the member of staff to complete.
    #[serde(default)]
    pub incident_form: bool,
}

/// A detention set off by a behaviour or a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DetentionTrigger {
    pub minutes: u16,
}

/// The icons the apps know how to draw for a behaviour type.
pub const ICONS: &[&str] = &[
    "star",
    "thumbs-up",
    "book",
    "heart",
    "trophy",
    "lightbulb",
    "handshake",
    "smile",
    "warning",
    "phone",
    "clock",
    "hand",
    "megaphone",
    "shield",
    "backpack",
    "flag",
];

/// The icon of a type stored before types had icons.
fn default_icon() -> String {
    "star".into()
}

/// The stages a pupil's light moves along, best first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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

    /// The stages a light passes onto when it climbs from `before` to
    /// `after` steps, lowest first, so that each sets off its triggers once;
    /// none when it stays or steps back.
    pub fn reached(&self, before: u8, after: u8) -> impl Iterator<Item = (u8, &Stage)> {
        let before = before.min(self.top());
        let after = after.min(self.top());
        (before + 1..=after).map(move |index| (index, &self.stages[usize::from(index)]))
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
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BehaviourType {
    pub id: BehaviourTypeId,
    pub name: String,
    pub positive: bool,
    /// Points added (or, if negative, taken away) each time it is logged.
    pub points: i32,
    /// How many stages a negative type moves the light up the ladder, or how
    /// many a positive type moves it back (0: the light stays where it is).
    pub steps: u8,
    pub category: String,
    /// One of [`ICONS`]; types stored before icons show a star.
    #[serde(default = "default_icon")]
    pub icon: String,
    #[serde(default)]
    pub note_required: bool,
    /// What logging it sets off.
    #[serde(default)]
    pub triggers: Triggers,
    /// Archived types keep their meaning for past records but cannot be
    /// logged again.
    #[serde(default)]
    pub archived: bool,
}

/// When pupils' "this cycle" points start again from nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PointsCycle {
    /// Every term.
    Term,
    /// Every school year, from 1 September.
    #[default]
    Year,
    /// Points only ever add up.
    Never,
}

/// The start of one of the school's own terms, such as "Autumn" on
/// 3 September 2026. A term runs until the next one starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Term {
    pub name: String,
    pub starts: NaiveDate,
}

/// A certificate pupils earn, and what earns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CertificateRule {
    /// A short slug such as `bronze`, unique in the policy, kept on every
    /// certificate awarded under the rule.
    pub id: String,
    pub name: String,
    pub trigger: CertificateTrigger,
    pub template: CertificateTemplate,
    /// Archived rules award nothing more but keep their meaning for
    /// certificates already awarded.
    #[serde(default)]
    pub archived: bool,
}

/// What earns a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum CertificateTrigger {
    /// Reaching this many points in the current points cycle.
    #[serde(rename_all = "camelCase")]
    Points { threshold: i32 },
    /// This many school days in a row with no negative behaviour standing
    /// ([`crate::streak`]).
    #[serde(rename_all = "camelCase")]
    GreenStreak { school_days: u16 },
}

/// The design a certificate is printed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CertificateTemplate {
    Classic,
    Bright,
    Formal,
}

/// The school's colours, as CSS hex colours such as `#1e3a5f`, for
/// certificates and apps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SchoolColours {
    pub primary: String,
    pub accent: String,
}

impl Default for SchoolColours {
    /// Navy and gold.
    fn default() -> Self {
        Self {
            primary: "#1e3a5f".into(),
            accent: "#d4a017".into(),
        }
    }
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
    #[serde(default)]
    pub points_cycle: PointsCycle,
    /// The school's own term start dates; without them terms follow the
    /// English defaults (see [`Policy::cycle_at`]).
    #[serde(default)]
    pub terms: Vec<Term>,
    #[serde(default)]
    pub certificate_rules: Vec<CertificateRule>,
    #[serde(default)]
    pub colours: SchoolColours,
}

impl Policy {
    /// The policy a new school starts from; leaders can adopt it as it is.
    pub fn default_for_new_school() -> Self {
        let stage = |name: &str, colour: &str| Stage {
            name: name.into(),
            colour: colour.into(),
            triggers: StageTriggers::default(),
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
                    icon: if positive { "star" } else { "warning" }.into(),
                    note_required: false,
                    triggers: Triggers::default(),
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
        let icons = [
            ("on-task", "lightbulb"),
            ("kindness", "heart"),
            ("great-work", "trophy"),
            ("participation", "hand"),
            ("turnaround", "thumbs-up"),
            ("off-task", "clock"),
            ("disruption", "megaphone"),
            ("no-equipment", "backpack"),
            ("defiance", "warning"),
            ("unkind", "shield"),
            ("serious", "flag"),
        ];
        for kind in &mut types {
            if let Some((_, icon)) = icons.iter().find(|(id, _)| *id == kind.id.as_str()) {
                kind.icon = (*icon).into();
            }
        }
        if let Some(serious) = types.last_mut() {
            serious.note_required = true;
            serious.triggers = Triggers {
                alert_roles: vec![Role::HeadOfYear, Role::Pastoral],
                detention: None,
                incident_form: true,
            };
        }
        let rule = |id: &str, name: &str, trigger, template| CertificateRule {
            id: id.into(),
            name: name.into(),
            trigger,
            template,
            archived: false,
        };
        let points = |threshold| CertificateTrigger::Points { threshold };
        let certificate_rules = vec![
            rule(
                "bronze",
                "Bronze award",
                points(50),
                CertificateTemplate::Classic,
            ),
            rule(
                "silver",
                "Silver award",
                points(100),
                CertificateTemplate::Classic,
            ),
            rule(
                "gold",
                "Gold award",
                points(200),
                CertificateTemplate::Formal,
            ),
            rule(
                "green-week",
                "Green all week",
                CertificateTrigger::GreenStreak { school_days: 5 },
                CertificateTemplate::Bright,
            ),
        ];
        Self {
            version: 1,
            light_scope: LightScope::Lesson,
            ladder: Ladder {
                stages: vec![
                    stage("Green", "#16a34a"),
                    stage("Warning", "#facc15"),
                    stage("Amber", "#f59e0b"),
                    Stage {
                        triggers: StageTriggers {
                            alert_roles: vec![Role::Tutor],
                            detention: Some(DetentionTrigger { minutes: 30 }),
                            ..StageTriggers::default()
                        },
                        ..stage("Red", "#dc2626")
                    },
                    Stage {
                        triggers: StageTriggers {
                            alert_roles: vec![Role::Tutor, Role::HeadOfYear],
                            detention: Some(DetentionTrigger { minutes: 60 }),
                            incident_form: true,
                            removal: true,
                        },
                        ..stage("Removal", "#7f1d1d")
                    },
                ],
            },
            behaviour_types: types,
            backdate_days: 7,
            points_cycle: PointsCycle::Year,
            terms: Vec::new(),
            certificate_rules,
            colours: SchoolColours::default(),
        }
    }

    /// The name of the points cycle a school date falls in: `all` when
    /// points never reset, the school year such as `2026-27` (years start on
    /// 1 September), or a term within it such as `2026-27-autumn`.
    ///
    /// Terms come from the school's own `terms` when it has set any for that
    /// school year: a date belongs to the latest of them that has started,
    /// and a date before the year's first term (the start of September)
    /// belongs to that first term. A school year without terms of its own
    /// uses the English defaults: autumn from 1 September, spring from
    /// 1 January and summer from the Monday after Easter Sunday.
    pub fn cycle_at(&self, date: NaiveDate) -> String {
        let year = school_year(date);
        match self.points_cycle {
            PointsCycle::Never => "all".into(),
            PointsCycle::Year => year_name(year),
            PointsCycle::Term => format!("{}-{}", year_name(year), self.term_at(year, date)),
        }
    }

    /// The first date of the points cycle `date` falls in; none when points
    /// never reset.
    pub fn cycle_start(&self, date: NaiveDate) -> Option<NaiveDate> {
        if self.points_cycle == PointsCycle::Never {
            return None;
        }
        let cycle = self.cycle_at(date);
        let mut start = date;
        // A cycle is at most a school year long.
        for _ in 0..400 {
            let before = start.pred_opt()?;
            if self.cycle_at(before) != cycle {
                break;
            }
            start = before;
        }
        Some(start)
    }

    /// The term a school date falls in, as people name it, with its school
    /// year: "Autumn 2026-27", or the school's own term name such as
    /// "Trinity term 2026-27". Terms are found as [`Policy::cycle_at`]
    /// finds them, whatever the points cycle, so charts can count by term.
    pub fn term_name(&self, date: NaiveDate) -> String {
        let year = school_year(date);
        format!("{} {}", self.term_title(year, date), year_name(year))
    }

    /// The slug of the term a date falls in, within its school year.
    fn term_at(&self, year: i32, date: NaiveDate) -> String {
        slug(&self.term_title(year, date))
    }

    /// The name of the term a date falls in, within its school year.
    fn term_title(&self, year: i32, date: NaiveDate) -> String {
        let mut own: Vec<&Term> = self
            .terms
            .iter()
            .filter(|t| school_year(t.starts) == year)
            .collect();
        own.sort_by_key(|t| t.starts);
        if let Some(first) = own.first() {
            let current = own.iter().rev().find(|t| t.starts <= date).unwrap_or(first);
            return current.name.clone();
        }

        let summer = easter_sunday(year + 1) + Duration::days(1);
        let spring = NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("1 January exists");
        if date >= summer {
            "Summer".into()
        } else if date >= spring {
            "Spring".into()
        } else {
            "Autumn".into()
        }
    }

    /// Every rule this policy breaks, each with the field it concerns;
    /// none if it can be used.
    pub fn validate(&self) -> Result<(), Vec<PolicyProblem>> {
        validate::problems(self, None)
    }

    /// As [`Policy::validate`], for a policy replacing `stored`: also refuses
    /// dropping any behaviour type or certificate rule that `stored` had,
    /// since past behaviours and certificates keep pointing at them. They can
    /// be archived instead.
    pub fn validate_change(&self, stored: &Policy) -> Result<(), Vec<PolicyProblem>> {
        validate::problems(self, Some(stored))
    }

    /// The default policy as a school that already has `self` adopts it:
    /// the default's types and rules, followed by this policy's own types
    /// and rules that the default lacks, archived, so that nothing past loses
    /// its meaning. The version stays this policy's.
    pub fn adopting_default(&self) -> Policy {
        let mut adopted = Policy::default_for_new_school();
        adopted.version = self.version;
        for kind in &self.behaviour_types {
            if adopted.behaviour_type(&kind.id).is_none() {
                let mut kept = BehaviourType {
                    archived: true,
                    ..kind.clone()
                };
                let clash = |name: &str| {
                    adopted
                        .behaviour_types
                        .iter()
                        .any(|t| t.name.to_lowercase() == name.to_lowercase())
                };
                if clash(&kept.name) {
                    kept.name = format!("{} ({})", kept.name, kept.id);
                }
                adopted.behaviour_types.push(kept);
            }
        }
        for rule in &self.certificate_rules {
            if !adopted.certificate_rules.iter().any(|r| r.id == rule.id) {
                let mut kept = CertificateRule {
                    archived: true,
                    ..rule.clone()
                };
                let name = kept.name.to_lowercase();
                if adopted
                    .certificate_rules
                    .iter()
                    .any(|r| r.name.to_lowercase() == name)
                {
                    kept.name = format!("{} ({})", kept.name, kept.id);
                }
                adopted.certificate_rules.push(kept);
            }
        }
        adopted
    }

    /// A behaviour type by id, archived or not.
    pub fn behaviour_type(&self, id: &BehaviourTypeId) -> Option<&BehaviourType> {
        self.behaviour_types.iter().find(|t| &t.id == id)
    }
}

/// The calendar year in which the school year holding `date` began.
fn school_year(date: NaiveDate) -> i32 {
    if date.month() >= 9 {
        date.year()
    } else {
        date.year() - 1
    }
}

/// `2026-27` for the school year that begins in September 2026.
fn year_name(year: i32) -> String {
    format!("{year}-{:02}", (year + 1).rem_euclid(100))
}

/// A term's name as it appears in a cycle name: lower case, words joined
/// by hyphens, anything but letters and digits dropped.
pub fn slug(name: &str) -> String {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// Easter Sunday in the Gregorian calendar (the anonymous Gregorian
/// algorithm, also known as Meeus/Jones/Butcher).
fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    let sunday = NaiveDate::from_ymd_opt(year, month as u32, day as u32)
        .expect("Easter falls in March or April");
    debug_assert_eq!(sunday.weekday(), Weekday::Sun);
    sunday
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn easter_falls_on_known_sundays() {
        assert_eq!(easter_sunday(2024), day(2024, 3, 31));
        assert_eq!(easter_sunday(2025), day(2025, 4, 20));
        assert_eq!(easter_sunday(2026), day(2026, 4, 5));
        assert_eq!(easter_sunday(2027), day(2027, 3, 28));
    }

    #[test]
    fn yearly_cycles_start_on_the_first_of_september() {
        let policy = Policy::default_for_new_school();
        assert_eq!(policy.points_cycle, PointsCycle::Year);
        assert_eq!(policy.cycle_at(day(2026, 8, 31)), "2025-26");
        assert_eq!(policy.cycle_at(day(2026, 9, 1)), "2026-27");
        assert_eq!(policy.cycle_at(day(2099, 12, 1)), "2099-00");
    }

    #[test]
    fn a_cycle_starts_on_its_first_date() {
        let mut policy = Policy::default_for_new_school();
        assert_eq!(policy.cycle_start(day(2026, 12, 3)), Some(day(2026, 9, 1)));
        assert_eq!(policy.cycle_start(day(2026, 9, 1)), Some(day(2026, 9, 1)));
        policy.points_cycle = PointsCycle::Term;
        assert_eq!(policy.cycle_start(day(2027, 2, 10)), Some(day(2027, 1, 1)));
        policy.points_cycle = PointsCycle::Never;
        assert_eq!(policy.cycle_start(day(2027, 2, 10)), None);
    }

    #[test]
    fn points_that_never_reset_share_one_cycle() {
        let mut policy = Policy::default_for_new_school();
        policy.points_cycle = PointsCycle::Never;
        assert_eq!(policy.cycle_at(day(2026, 9, 1)), "all");
        assert_eq!(policy.cycle_at(day(2031, 2, 1)), "all");
    }

    #[test]
    fn default_terms_follow_the_english_year() {
        let mut policy = Policy::default_for_new_school();
        policy.points_cycle = PointsCycle::Term;
        assert_eq!(policy.cycle_at(day(2026, 9, 1)), "2026-27-autumn");
        assert_eq!(policy.cycle_at(day(2026, 12, 31)), "2026-27-autumn");
        assert_eq!(policy.cycle_at(day(2027, 1, 1)), "2026-27-spring");
        // Easter 2027 is 28 March, so summer starts on Monday 29 March.
        assert_eq!(policy.cycle_at(day(2027, 3, 28)), "2026-27-spring");
        assert_eq!(policy.cycle_at(day(2027, 3, 29)), "2026-27-summer");
        assert_eq!(policy.cycle_at(day(2027, 8, 31)), "2026-27-summer");
    }

    #[test]
    fn a_schools_own_terms_name_the_cycles_of_their_year() {
        let mut policy = Policy::default_for_new_school();
        policy.points_cycle = PointsCycle::Term;
        policy.terms = vec![
            Term {
                name: "Michaelmas".into(),
                starts: day(2026, 9, 3),
            },
            Term {
                name: "Lent".into(),
                starts: day(2027, 1, 5),
            },
            Term {
                name: "Trinity Term".into(),
                starts: day(2027, 4, 19),
            },
        ];
        assert_eq!(policy.cycle_at(day(2026, 9, 1)), "2026-27-michaelmas");
        assert_eq!(policy.cycle_at(day(2027, 1, 4)), "2026-27-michaelmas");
        assert_eq!(policy.cycle_at(day(2027, 1, 5)), "2026-27-lent");
        assert_eq!(policy.cycle_at(day(2027, 5, 1)), "2026-27-trinity-term");
        // A year the school has not set falls back to the defaults.
        assert_eq!(policy.cycle_at(day(2027, 9, 6)), "2027-28-autumn");
    }

    #[test]
    fn terms_are_named_whatever_the_points_cycle() {
        let mut policy = Policy::default_for_new_school();
        assert_eq!(policy.points_cycle, PointsCycle::Year);
        assert_eq!(policy.term_name(day(2026, 9, 7)), "Autumn 2026-27");
        assert_eq!(policy.term_name(day(2027, 3, 29)), "Summer 2026-27");
        policy.terms = vec![
            Term {
                name: "Michaelmas".into(),
                starts: day(2026, 9, 3),
            },
            Term {
                name: "Lent".into(),
                starts: day(2027, 1, 5),
            },
        ];
        assert_eq!(policy.term_name(day(2027, 1, 4)), "Michaelmas 2026-27");
        assert_eq!(policy.term_name(day(2027, 6, 1)), "Lent 2026-27");
        assert_eq!(policy.term_name(day(2027, 9, 6)), "Autumn 2027-28");
    }

    #[test]
    fn the_default_rewards_bronze_silver_gold_and_a_green_week() {
        let policy = Policy::default_for_new_school();
        let ids: Vec<&str> = policy
            .certificate_rules
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(ids, ["bronze", "silver", "gold", "green-week"]);
        assert_eq!(
            policy.certificate_rules[3].trigger,
            CertificateTrigger::GreenStreak { school_days: 5 }
        );
        let json = serde_json::to_value(&policy.certificate_rules[0]).unwrap();
        assert_eq!(
            json["trigger"],
            serde_json::json!({"kind": "points", "threshold": 50})
        );
        let streak = serde_json::to_value(policy.certificate_rules[3].trigger).unwrap();
        assert_eq!(
            streak,
            serde_json::json!({"kind": "greenStreak", "schoolDays": 5})
        );
    }

    #[test]
    fn adopting_the_default_keeps_the_schools_own_types_archived() {
        let mut mine = Policy::default_for_new_school();
        mine.version = 7;
        mine.behaviour_types[0].points = 3;
        let mut own = mine.behaviour_types[1].clone();
        own.id = BehaviourTypeId::parse("litter").unwrap();
        own.name = "Kindness".into();
        mine.behaviour_types.push(own);
        mine.certificate_rules.push(CertificateRule {
            id: "platinum".into(),
            name: "Platinum".into(),
            trigger: CertificateTrigger::Points { threshold: 500 },
            template: CertificateTemplate::Formal,
            archived: false,
        });

        let adopted = mine.adopting_default();
        assert_eq!(adopted.version, 7);
        assert_eq!(adopted.behaviour_types[0].points, 1);
        let litter = adopted.behaviour_types.last().unwrap();
        assert!(litter.archived);
        assert_eq!(litter.name, "Kindness (litter)");
        assert!(adopted.certificate_rules.last().unwrap().archived);
        assert_eq!(adopted.validate_change(&mine), Ok(()));
    }

    #[test]
    fn unknown_fields_in_a_type_are_refused() {
        let mut json =
            serde_json::to_value(&Policy::default_for_new_school().behaviour_types[0]).unwrap();
        json["colour"] = "#fff".into();
        assert!(serde_json::from_value::<BehaviourType>(json).is_err());
    }

    #[test]
    fn policies_stored_before_cycles_and_certificates_still_read() {
        let mut json = serde_json::to_value(Policy::default_for_new_school()).unwrap();
        for field in ["pointsCycle", "terms", "certificateRules", "colours"] {
            json.as_object_mut().unwrap().remove(field);
        }
        for kind in json["behaviourTypes"].as_array_mut().unwrap() {
            kind.as_object_mut().unwrap().remove("icon");
            kind.as_object_mut().unwrap().remove("triggers");
        }
        for stage in json["ladder"]["stages"].as_array_mut().unwrap() {
            stage.as_object_mut().unwrap().remove("triggers");
        }
        let policy: Policy = serde_json::from_value(json).unwrap();
        assert_eq!(policy.points_cycle, PointsCycle::Year);
        assert!(policy.certificate_rules.is_empty());
        assert_eq!(policy.colours, SchoolColours::default());
        assert_eq!(policy.behaviour_types[0].icon, "star");
        assert_eq!(policy.ladder.stages[4].triggers, StageTriggers::default());
    }

    #[test]
    fn a_climbing_light_reaches_each_stage_once() {
        let ladder = Policy::default_for_new_school().ladder;
        let names = |from, to| -> Vec<String> {
            ladder
                .reached(from, to)
                .map(|(_, s)| s.name.clone())
                .collect()
        };
        assert_eq!(names(0, 2), ["Warning", "Amber"]);
        assert_eq!(names(3, 9), ["Removal"]);
        assert!(names(4, 9).is_empty());
        assert!(names(2, 1).is_empty());
    }

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
        let problems = policy.validate().unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].field, "behaviourTypes");
    }

    #[test]
    fn duplicate_names_are_refused_whatever_their_case() {
        let mut policy = Policy::default_for_new_school();
        let mut copy = policy.behaviour_types[0].clone();
        copy.id = BehaviourTypeId::parse("copy").unwrap();
        copy.name = copy.name.to_uppercase();
        policy.behaviour_types.push(copy);
        let problems = policy.validate().unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].field, "behaviourTypes[11].name");
    }

    #[test]
    fn ladders_have_two_to_eight_stages() {
        let mut policy = Policy::default_for_new_school();
        policy.ladder.stages.truncate(1);
        let problems = policy.validate().unwrap_err();
        assert_eq!(problems[0].field, "ladder.stages");
    }
}
