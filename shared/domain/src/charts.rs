//! What the charts count and where each behaviour counts.
//!
//! Charts read precomputed tallies, never the behaviours themselves. A
//! [`Tally`] holds the positives, negatives and points of one aggregate,
//! with how many of each behaviour type and how many in each weekday and
//! lesson period. The whole school has one per school day; each pupil,
//! class, year group, house, member of staff, behaviour type and pupil group
//! has one per week ([`AggregateKey`]). A behaviour's [`Placement`] says
//! which aggregates it counts in, and a [`Fold`] adds up the placements of
//! many behaviours so that each aggregate is written once.
//!
//! Everything here is a sum, so folds commute: the order in which
//! behaviours and withdrawals arrive never changes the result.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// What a weekly aggregate is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Dimension {
    Pupil,
    Class,
    Year,
    House,
    Staff,
    Type,
    /// A pupil group for group analysis, such as `sen:K` or `gender:F`.
    Group,
}

impl Dimension {
    pub const ALL: [Dimension; 7] = [
        Dimension::Pupil,
        Dimension::Class,
        Dimension::Year,
        Dimension::House,
        Dimension::Staff,
        Dimension::Type,
        Dimension::Group,
    ];

    /// The name used in keys and query strings.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Pupil => "pupil",
            Dimension::Class => "class",
            Dimension::Year => "year",
            Dimension::House => "house",
            Dimension::Staff => "staff",
            Dimension::Type => "type",
            Dimension::Group => "group",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One aggregate: the school on one day, or one member of a dimension in
/// one week (weeks start on Monday).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AggregateKey {
    SchoolDay(NaiveDate),
    Week {
        monday: NaiveDate,
        dimension: Dimension,
        id: String,
    },
}

impl AggregateKey {
    pub fn week(date: NaiveDate, dimension: Dimension, id: impl Into<String>) -> Self {
        AggregateKey::Week {
            monday: week_of(date),
            dimension,
            id: id.into(),
        }
    }
}

/// The Monday of the week a date falls in.
pub fn week_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// The Mondays of the weeks that hold any day from `from` to `to`.
pub fn weeks_between(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut weeks = Vec::new();
    let mut monday = week_of(from);
    while monday <= to {
        weeks.push(monday);
        monday += Duration::days(7);
    }
    weeks
}

/// A school's day as lesson periods, for the weekday-by-period heatmap.
/// Each period runs from its start to the next one's; the first starts at
/// midnight, so every moment falls in one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DayPlan {
    pub periods: Vec<Period>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    pub name: String,
    pub starts: NaiveTime,
}

impl Default for DayPlan {
    /// A common English secondary day: five one-hour lessons around a
    /// morning break and lunch.
    fn default() -> Self {
        let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("a valid time");
        let periods = [
            ("Before school", at(0, 0)),
            ("Period 1", at(8, 45)),
            ("Period 2", at(9, 45)),
            ("Break", at(10, 45)),
            ("Period 3", at(11, 5)),
            ("Period 4", at(12, 5)),
            ("Lunch", at(13, 5)),
            ("Period 5", at(13, 50)),
            ("After school", at(14, 50)),
        ];
        DayPlan {
            periods: periods
                .into_iter()
                .map(|(name, starts)| Period {
                    name: name.to_owned(),
                    starts,
                })
                .collect(),
        }
    }
}

impl DayPlan {
    /// The index of the period a school-local time falls in.
    pub fn period_of(&self, time: NaiveTime) -> usize {
        self.periods
            .iter()
            .rposition(|p| p.starts <= time)
            .unwrap_or(0)
    }

    /// The weekday (1 for Monday to 7 for Sunday) and period of a moment in
    /// a school's zone.
    pub fn cell_of(&self, at: DateTime<Utc>, zone: Tz) -> Cell {
        let local = at.with_timezone(&zone);
        let time = NaiveTime::from_hms_opt(local.hour(), local.minute(), local.second())
            .expect("a valid time");
        Cell {
            weekday: local.weekday().number_from_monday() as u8,
            period: self.period_of(time) as u8,
        }
    }
}

/// One cell of the weekday-by-period heatmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cell {
    /// 1 for Monday to 7 for Sunday.
    pub weekday: u8,
    /// An index into the school's [`DayPlan`].
    pub period: u8,
}

impl Cell {
    /// `3.2` for Wednesday's third period (counting from 0).
    pub fn code(self) -> String {
        format!("{}.{}", self.weekday, self.period)
    }

    pub fn parse(code: &str) -> Option<Self> {
        let (weekday, period) = code.split_once('.')?;
        let weekday: u8 = weekday.parse().ok()?;
        (1..=7).contains(&weekday).then_some(())?;
        Some(Cell {
            weekday,
            period: period.parse().ok()?,
        })
    }
}

/// The counts of one aggregate. Counts may pass through negative values
/// while a withdrawal arrives before the behaviour it withdraws; they meet
/// again once both have arrived.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    pub positives: i64,
    pub negatives: i64,
    pub points: i64,
    /// Behaviours by type id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub types: BTreeMap<String, i64>,
    /// Positives by heatmap cell code.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub positive_cells: BTreeMap<String, i64>,
    /// Negatives by heatmap cell code.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub negative_cells: BTreeMap<String, i64>,
}

impl Tally {
    /// Counts one behaviour in (`sign` 1) or out (`sign` -1).
    pub fn count(&mut self, behaviour: &Counted, sign: i64) {
        if behaviour.positive {
            self.positives += sign;
        } else {
            self.negatives += sign;
        }
        self.points += sign * i64::from(behaviour.points);
        bump(&mut self.types, &behaviour.type_id, sign);
        let cells = if behaviour.positive {
            &mut self.positive_cells
        } else {
            &mut self.negative_cells
        };
        bump(cells, &behaviour.cell.code(), sign);
    }

    /// Adds another tally to this one.
    pub fn add(&mut self, other: &Tally) {
        self.positives += other.positives;
        self.negatives += other.negatives;
        self.points += other.points;
        for (map, theirs) in [
            (&mut self.types, &other.types),
            (&mut self.positive_cells, &other.positive_cells),
            (&mut self.negative_cells, &other.negative_cells),
        ] {
            for (key, value) in theirs {
                bump(map, key, *value);
            }
        }
    }

    /// What must be added to `self` to make it `wanted`.
    pub fn difference(&self, wanted: &Tally) -> Tally {
        let mut diff = Tally {
            positives: wanted.positives - self.positives,
            negatives: wanted.negatives - self.negatives,
            points: wanted.points - self.points,
            ..Tally::default()
        };
        for (out, mine, theirs) in [
            (&mut diff.types, &self.types, &wanted.types),
            (
                &mut diff.positive_cells,
                &self.positive_cells,
                &wanted.positive_cells,
            ),
            (
                &mut diff.negative_cells,
                &self.negative_cells,
                &wanted.negative_cells,
            ),
        ] {
            for (key, value) in theirs {
                bump(out, key, *value);
            }
            for (key, value) in mine {
                bump(out, key, -*value);
            }
        }
        diff
    }

    /// Whether every count is zero.
    pub fn is_zero(&self) -> bool {
        self.positives == 0
            && self.negatives == 0
            && self.points == 0
            && self.types.is_empty()
            && self.positive_cells.is_empty()
            && self.negative_cells.is_empty()
    }

    /// Every behaviour counted, positive or negative.
    pub fn behaviours(&self) -> i64 {
        self.positives + self.negatives
    }
}

/// Adds to a count, dropping it when it reaches zero so equal tallies
/// compare equal.
fn bump(map: &mut BTreeMap<String, i64>, key: &str, by: i64) {
    if by == 0 {
        return;
    }
    let value = map.entry(key.to_owned()).or_default();
    *value += by;
    if *value == 0 {
        map.remove(key);
    }
}

/// What a tally needs to know of one behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub positive: bool,
    pub points: i32,
    pub type_id: String,
    pub cell: Cell,
}

/// Where one behaviour counts: the school's day and the weeks of its pupil,
/// class, year, house, the member of staff who logged it, its type and the
/// pupil's groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub lesson_date: NaiveDate,
    pub pupil: String,
    pub class: String,
    pub year: Option<String>,
    pub house: Option<String>,
    pub staff: String,
    /// Group codes such as `gender:F`; empty for a school without group
    /// analysis.
    pub groups: Vec<String>,
    pub counted: Counted,
}

impl Placement {
    /// Every aggregate this behaviour counts in.
    pub fn keys(&self) -> Vec<AggregateKey> {
        let date = self.lesson_date;
        let mut keys = vec![
            AggregateKey::SchoolDay(date),
            AggregateKey::week(date, Dimension::Pupil, &self.pupil),
            AggregateKey::week(date, Dimension::Class, &self.class),
            AggregateKey::week(date, Dimension::Staff, &self.staff),
            AggregateKey::week(date, Dimension::Type, &self.counted.type_id),
        ];
        if let Some(year) = &self.year {
            keys.push(AggregateKey::week(date, Dimension::Year, year));
        }
        if let Some(house) = &self.house {
            keys.push(AggregateKey::week(date, Dimension::House, house));
        }
        for group in &self.groups {
            keys.push(AggregateKey::week(date, Dimension::Group, group));
        }
        keys
    }

    /// What a weekly aggregate of this behaviour carries besides its counts,
    /// so a chart can pick the members of a scope: a pupil's year and
    /// house.
    pub fn labels(&self, key: &AggregateKey) -> Labels {
        match key {
            AggregateKey::Week {
                dimension: Dimension::Pupil,
                ..
            } => Labels {
                year: self.year.clone(),
                house: self.house.clone(),
            },
            _ => Labels::default(),
        }
    }
}

/// The year and house a pupil's weekly aggregate is listed under.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Labels {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house: Option<String>,
}

/// The group codes of a pupil's group-analysis flags.
pub fn group_codes(
    gender: Option<&str>,
    sen_status: Option<&str>,
    pupil_premium: Option<bool>,
    eal: Option<bool>,
) -> Vec<String> {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut codes = Vec::new();
    if let Some(gender) = gender.filter(|g| !g.is_empty()) {
        codes.push(format!("gender:{gender}"));
    }
    if let Some(sen) = sen_status.filter(|s| !s.is_empty()) {
        codes.push(format!("sen:{sen}"));
    }
    if let Some(pp) = pupil_premium {
        codes.push(format!("pp:{}", yes_no(pp)));
    }
    if let Some(eal) = eal {
        codes.push(format!("eal:{}", yes_no(eal)));
    }
    codes
}

/// Tallies added up by aggregate, with the labels each was last given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fold {
    pub tallies: BTreeMap<AggregateKey, Tally>,
    pub labels: BTreeMap<AggregateKey, Labels>,
}

impl Fold {
    /// Counts a behaviour in (`sign` 1) or out (`sign` -1) of every
    /// aggregate it belongs to.
    pub fn count(&mut self, placement: &Placement, sign: i64) {
        for key in placement.keys() {
            let labels = placement.labels(&key);
            if labels != Labels::default() {
                self.labels.insert(key.clone(), labels);
            }
            self.tallies
                .entry(key)
                .or_default()
                .count(&placement.counted, sign);
        }
        self.tallies.retain(|_, t| !t.is_zero());
    }

    /// Adds another fold into this one.
    pub fn merge(&mut self, other: &Fold) {
        for (key, tally) in &other.tallies {
            self.tallies.entry(key.clone()).or_default().add(tally);
        }
        for (key, labels) in &other.labels {
            self.labels.insert(key.clone(), labels.clone());
        }
        self.tallies.retain(|_, t| !t.is_zero());
    }

    /// The aggregates this fold changes.
    pub fn len(&self) -> usize {
        self.tallies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tallies.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn placement(pupil: &str, positive: bool, points: i32) -> Placement {
        Placement {
            lesson_date: day(2026, 12, 3),
            pupil: pupil.into(),
            class: "10A-Ma".into(),
            year: Some("10".into()),
            house: Some("Kestrel".into()),
            staff: "E1".into(),
            groups: vec!["gender:F".into(), "pp:yes".into()],
            counted: Counted {
                positive,
                points,
                type_id: if positive { "great-work" } else { "disruption" }.into(),
                cell: Cell {
                    weekday: 4,
                    period: 2,
                },
            },
        }
    }

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(week_of(day(2026, 12, 3)), day(2026, 11, 30));
        assert_eq!(week_of(day(2026, 11, 30)), day(2026, 11, 30));
        assert_eq!(week_of(day(2026, 12, 6)), day(2026, 11, 30));
        assert_eq!(
            weeks_between(day(2026, 12, 6), day(2026, 12, 14)),
            [day(2026, 11, 30), day(2026, 12, 7), day(2026, 12, 14)]
        );
        assert!(weeks_between(day(2026, 12, 14), day(2026, 12, 6)).is_empty());
    }

    #[test]
    fn a_moment_falls_in_its_local_period() {
        let plan = DayPlan::default();
        // 10:00 in London in June is 09:00 UTC: Thursday's Period 2.
        let at = DateTime::parse_from_rfc3339("2026-06-04T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let cell = plan.cell_of(at, London);
        assert_eq!(plan.periods[cell.period as usize].name, "Period 2");
        assert_eq!(cell.weekday, 4);
        let night = DateTime::parse_from_rfc3339("2026-06-04T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(plan.cell_of(night, London).period, 0);
        let late = DateTime::parse_from_rfc3339("2026-12-04T17:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            plan.periods[plan.cell_of(late, London).period as usize].name,
            "After school"
        );
        assert_eq!(Cell::parse(&cell.code()), Some(cell));
        assert_eq!(Cell::parse("8.1"), None);
        assert_eq!(Cell::parse("x"), None);
    }

    #[test]
    fn a_behaviour_counts_in_each_of_its_aggregates() {
        let mut fold = Fold::default();
        fold.count(&placement("P1", true, 2), 1);
        // School day, pupil, class, staff, type, year, house, two groups.
        assert_eq!(fold.len(), 9);
        let school = &fold.tallies[&AggregateKey::SchoolDay(day(2026, 12, 3))];
        assert_eq!(
            (school.positives, school.negatives, school.points),
            (1, 0, 2)
        );
        assert_eq!(school.types["great-work"], 1);
        assert_eq!(school.positive_cells["4.2"], 1);
        let pupil = AggregateKey::week(day(2026, 12, 3), Dimension::Pupil, "P1");
        assert_eq!(fold.labels[&pupil].year.as_deref(), Some("10"));
        assert!(!fold.labels.contains_key(&AggregateKey::week(
            day(2026, 12, 1),
            Dimension::Class,
            "10A-Ma"
        )));
    }

    #[test]
    fn a_withdrawal_cancels_its_behaviour_in_either_order() {
        let mut first = Fold::default();
        first.count(&placement("P1", false, -1), -1);
        first.count(&placement("P1", false, -1), 1);
        assert!(first.is_empty());

        let mut logged = Fold::default();
        logged.count(&placement("P1", false, -1), 1);
        logged.count(&placement("P2", true, 3), 1);
        let mut withdrawn = Fold::default();
        withdrawn.count(&placement("P1", false, -1), -1);
        let mut a = logged.clone();
        a.merge(&withdrawn);
        let mut b = withdrawn.clone();
        b.merge(&logged);
        assert_eq!(a.tallies, b.tallies);
        let school = &a.tallies[&AggregateKey::SchoolDay(day(2026, 12, 3))];
        assert_eq!(
            (school.positives, school.negatives, school.points),
            (1, 0, 3)
        );
        assert!(!school.types.contains_key("disruption"));
    }

    #[test]
    fn a_difference_turns_one_tally_into_another() {
        let mut fold = Fold::default();
        fold.count(&placement("P1", true, 2), 1);
        fold.count(&placement("P1", false, -3), 1);
        let key = AggregateKey::SchoolDay(day(2026, 12, 3));
        let wanted = fold.tallies[&key].clone();
        let mut drifted = wanted.clone();
        drifted.positives += 4;
        drifted.types.insert("ghost".into(), 2);
        let diff = drifted.difference(&wanted);
        assert_eq!(diff.positives, -4);
        assert_eq!(diff.types["ghost"], -2);
        let mut repaired = drifted;
        repaired.add(&diff);
        assert_eq!(repaired, wanted);
        assert!(wanted.difference(&wanted).is_zero());
    }

    #[test]
    fn group_codes_name_only_what_is_known() {
        assert_eq!(
            group_codes(Some("F"), Some("K"), Some(true), Some(false)),
            ["gender:F", "sen:K", "pp:yes", "eal:no"]
        );
        assert!(group_codes(None, Some(""), None, None).is_empty());
    }
}
