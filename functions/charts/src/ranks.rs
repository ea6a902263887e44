//! The charts that compare the members of a scope: the top (or bottom)
//! pupils or classes, each member of staff's share of positive logs, and
//! each pupil group's share of behaviour beside its share of the roll.
//!
//! Each reads one Query per week of the range (every pupil, class, member
//! of staff or group of that week), plus the roster it needs to name the
//! members and, for the bottom of a ranking, to add those with nothing
//! logged at all. None of it grows with the number of behaviours.
//!
//! A pupil counts in a year or house by the year and house their weekly
//! aggregate carries: where they were when they behaved. A class's pupils
//! are ranked by all their behaviour, not only what was logged in that
//! class, since the aggregates do not split a pupil's week by class.

use std::collections::{HashMap, HashSet};

use chart::{Chart, Kind, Series, Tone};
use domain::charts::{AggregateKey, Dimension, Tally};
use domain::{PupilId, StaffId};
use platform::{Problem, store_failed};
use store::{ClassQuery, DirectoryClass, PupilQuery, StoredAggregate};

use crate::ask::{Measure, Members, Order, ScopeKind};
use crate::draw::{Setting, percent};

/// How many roster entries one directory read asks for.
const ROSTER_PAGE: usize = 200;

/// Readable names of the group codes, in the order charts show them.
const GROUP_LABELS: [(&str, &str); 9] = [
    ("gender:F", "Girls"),
    ("gender:M", "Boys"),
    ("sen:K", "SEN support"),
    ("sen:E", "EHC plan"),
    ("sen:N", "No SEN"),
    ("pp:yes", "Pupil premium"),
    ("pp:no", "Not pupil premium"),
    ("eal:yes", "EAL"),
    ("eal:no", "Not EAL"),
];

/// A member's weekly tallies added up, by id.
fn by_member(
    aggregates: Vec<StoredAggregate>,
    keep: impl Fn(&StoredAggregate) -> bool,
) -> HashMap<String, Tally> {
    let mut members: HashMap<String, Tally> = HashMap::new();
    for aggregate in aggregates.into_iter().filter(|a| keep(a)) {
        if let AggregateKey::Week { id, .. } = &aggregate.key {
            members.entry(id.clone()).or_default().add(&aggregate.tally);
        }
    }
    members
}

fn measured(tally: &Tally, measure: Measure) -> i64 {
    match measure {
        Measure::Points => tally.points,
        Measure::Positives => tally.positives,
        Measure::Negatives => tally.negatives,
    }
}

/// The pupils or classes of the scope with the most (or least) of the
/// measure, `limit` of them. The bottom includes members of the roster
/// with nothing logged.
pub async fn top(setting: &Setting<'_>) -> Result<Chart, Problem> {
    let ask = setting.ask;
    let (ranked, names) = match ask.members {
        Members::Pupils => pupils_ranked(setting).await?,
        Members::Classes => classes_ranked(setting).await?,
    };
    let mut entries: Vec<(String, i64)> = ranked
        .into_iter()
        .map(|(id, tally)| {
            let value = measured(&tally, ask.measure);
            (id, value)
        })
        .collect();
    // Ties in id order, so the same data always ranks the same way.
    match ask.order {
        Order::Top => entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0))),
        Order::Bottom => entries.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0))),
    }
    entries.truncate(ask.limit);

    let names = match names {
        Some(names) => names,
        None => pupil_names(setting, &entries).await?,
    };
    let (member, members) = match ask.members {
        Members::Pupils => ("Pupil", "pupils"),
        Members::Classes => ("Class", "classes"),
    };
    let (measure, tone) = match ask.measure {
        Measure::Points => ("Points", Tone::Neutral),
        Measure::Positives => ("Positives", Tone::Positive),
        Measure::Negatives => ("Negatives", Tone::Negative),
    };
    let end = match ask.order {
        Order::Top => "Top",
        Order::Bottom => "Bottom",
    };
    let (categories, values): (Vec<String>, Vec<f64>) = entries
        .into_iter()
        .map(|(id, value)| (names.get(&id).cloned().unwrap_or(id), value as f64))
        .unzip();
    Ok(Chart {
        chart: ask.chart.as_str().to_owned(),
        title: format!("{end} {} {members} by {}", ask.limit, ask.measure.as_str()),
        subtitle: setting.subtitle(),
        kind: Kind::HorizontalBars,
        x_label: member.to_owned(),
        y_label: measure.to_owned(),
        categories,
        series: vec![Series::new(measure, tone, values)],
    })
}

/// The pupils to rank with their tallies, and their names when the roster
/// was read for them anyway.
async fn pupils_ranked(
    setting: &Setting<'_>,
) -> Result<(HashMap<String, Tally>, Option<HashMap<String, String>>), Problem> {
    let ask = setting.ask;
    let id = setting.subject.id.clone().unwrap_or_default();
    let class_members: HashSet<String> = setting
        .subject
        .members
        .iter()
        .map(|m| m.pupil_id.to_string())
        .collect();
    let aggregates = setting.weeks_of(Dimension::Pupil).await?;
    let mut ranked = by_member(aggregates, |a| match ask.scope {
        ScopeKind::Year => a.labels.year.as_deref() == Some(id.as_str()),
        ScopeKind::House => a.labels.house.as_deref() == Some(id.as_str()),
        ScopeKind::Class => match &a.key {
            AggregateKey::Week { id, .. } => class_members.contains(id),
            AggregateKey::SchoolDay(_) => false,
        },
        _ => true,
    });

    if ask.scope == ScopeKind::Class {
        let names = setting
            .subject
            .members
            .iter()
            .map(|m| (m.pupil_id.to_string(), m.display_name.clone()))
            .collect();
        if ask.order == Order::Bottom {
            for pupil in class_members {
                ranked.entry(pupil).or_default();
            }
        }
        return Ok((ranked, Some(names)));
    }
    if ask.order == Order::Top {
        return Ok((ranked, None));
    }

    let roster = roster_pupils(setting).await?;
    for pupil in roster.keys() {
        ranked.entry(pupil.clone()).or_default();
    }
    Ok((ranked, Some(roster)))
}

/// The pupils on roll in the scope (the school, a year or a house), by id
/// with their names.
async fn roster_pupils(setting: &Setting<'_>) -> Result<HashMap<String, String>, Problem> {
    let id = setting.subject.id.clone();
    let mut query = PupilQuery {
        year_group: id.clone().filter(|_| setting.ask.scope == ScopeKind::Year),
        house: id.filter(|_| setting.ask.scope == ScopeKind::House),
        limit: ROSTER_PAGE,
        ..PupilQuery::default()
    };
    let mut pupils = HashMap::new();
    loop {
        let (page, next) = setting
            .store
            .pupils(setting.school, &query)
            .await
            .map_err(store_failed)?;
        for pupil in page {
            pupils.insert(pupil.id.to_string(), pupil.display_name());
        }
        match next {
            Some(next) => query.after = Some(next),
            None => return Ok(pupils),
        }
    }
}

/// The names of the pupils a ranking shows, in one read.
async fn pupil_names(
    setting: &Setting<'_>,
    entries: &[(String, i64)],
) -> Result<HashMap<String, String>, Problem> {
    let ids: Vec<PupilId> = entries
        .iter()
        .filter_map(|(id, _)| PupilId::parse(id).ok())
        .collect();
    let names = setting
        .store
        .pupil_names(setting.school, &ids)
        .await
        .map_err(store_failed)?;
    Ok(names
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect())
}

/// The classes to rank (those of the year, for a year) with their tallies
/// and names. The class directory is read whole: it names the classes,
/// gives their years, and holds those with nothing logged.
async fn classes_ranked(
    setting: &Setting<'_>,
) -> Result<(HashMap<String, Tally>, Option<HashMap<String, String>>), Problem> {
    let ask = setting.ask;
    let year = setting
        .subject
        .id
        .clone()
        .filter(|_| ask.scope == ScopeKind::Year);
    let in_scope = |class: &DirectoryClass| year.as_ref().is_none_or(|y| &class.year_group == y);
    let classes: Vec<DirectoryClass> = class_directory(setting)
        .await?
        .into_iter()
        .filter(in_scope)
        .collect();
    let names: HashMap<String, String> = classes
        .iter()
        .map(|c| (c.id.to_string(), c.name.clone()))
        .collect();

    let aggregates = setting.weeks_of(Dimension::Class).await?;
    let mut ranked = by_member(aggregates, |a| match &a.key {
        // A class no longer on the roster still counts for the school.
        AggregateKey::Week { id, .. } => year.is_none() || names.contains_key(id),
        AggregateKey::SchoolDay(_) => false,
    });
    if ask.order == Order::Bottom {
        for id in names.keys() {
            ranked.entry(id.clone()).or_default();
        }
    }
    Ok((ranked, Some(names)))
}

async fn class_directory(setting: &Setting<'_>) -> Result<Vec<DirectoryClass>, Problem> {
    let mut query = ClassQuery {
        teacher: None,
        limit: ROSTER_PAGE,
        after: None,
    };
    let mut classes = Vec::new();
    loop {
        let (page, next) = setting
            .store
            .classes(setting.school, &query)
            .await
            .map_err(store_failed)?;
        classes.extend(page.into_iter().map(|entry| entry.class));
        match next {
            Some(next) => query.after = Some(next),
            None => return Ok(classes),
        }
    }
}

/// Each member of staff who logged anything in the range, by the share of
/// what they logged that was positive, highest first.
pub async fn staff_ratio(setting: &Setting<'_>) -> Result<Chart, Problem> {
    let staff = by_member(setting.weeks_of(Dimension::Staff).await?, |_| true);
    let logging: Vec<(String, Tally)> = staff
        .into_iter()
        .filter(|(_, tally)| tally.behaviours() > 0)
        .collect();
    let ids: Vec<StaffId> = logging
        .iter()
        .filter_map(|(id, _)| StaffId::parse(id).ok())
        .collect();
    let named = setting
        .store
        .staff_named(setting.school, &ids)
        .await
        .map_err(store_failed)?;
    let mut shares: Vec<(String, f64)> = logging
        .into_iter()
        .map(|(id, tally)| {
            let name = StaffId::parse(&id)
                .ok()
                .and_then(|staff| named.get(&staff))
                .map(|m| {
                    format!("{} {}", m.first_name, m.last_name)
                        .trim()
                        .to_owned()
                })
                .unwrap_or(id);
            (name, percent(tally.positives, tally.behaviours()))
        })
        .collect();
    shares.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));

    let (categories, values): (Vec<String>, Vec<f64>) = shares.into_iter().unzip();
    Ok(Chart {
        chart: setting.ask.chart.as_str().to_owned(),
        title: "Share of logs that were positive, by member of staff".to_owned(),
        subtitle: setting.subtitle(),
        kind: Kind::HorizontalBars,
        x_label: "Staff".to_owned(),
        y_label: "%".to_owned(),
        categories,
        series: vec![Series::new("Positive share", Tone::Positive, values)],
    })
}

/// Each pupil group's share of the roll beside its share of the school's
/// negatives and positives in the range.
pub async fn groups(setting: &Setting<'_>) -> Result<Chart, Problem> {
    let (groups, school, roll) = tokio::join!(
        setting.weeks_of(Dimension::Group),
        setting
            .store
            .school_day_tallies(setting.school, setting.from, setting.to),
        setting.store.group_roll(setting.school),
    );
    let groups = by_member(groups?, |_| true);
    let mut school_total = Tally::default();
    for day in school.map_err(store_failed)? {
        school_total.add(&day.tally);
    }
    let (roll, on_roll) = roll.map_err(store_failed)?;

    let mut codes: Vec<String> = roll.keys().chain(groups.keys()).cloned().collect();
    codes.sort_by_key(|code| group_order(code));
    codes.dedup();
    let on_roll = i64::try_from(on_roll).unwrap_or(i64::MAX);
    let empty = Tally::default();
    let mut pupils = Vec::new();
    let mut negatives = Vec::new();
    let mut positives = Vec::new();
    for code in &codes {
        let tally = groups.get(code).unwrap_or(&empty);
        let members = roll.get(code).copied().unwrap_or_default();
        pupils.push(percent(i64::try_from(members).unwrap_or(i64::MAX), on_roll));
        negatives.push(percent(tally.negatives, school_total.negatives));
        positives.push(percent(tally.positives, school_total.positives));
    }
    Ok(Chart {
        chart: setting.ask.chart.as_str().to_owned(),
        title: "Behaviour by pupil group".to_owned(),
        subtitle: setting.subtitle(),
        kind: Kind::Bars,
        x_label: "Group".to_owned(),
        y_label: "%".to_owned(),
        categories: codes.iter().map(|code| group_label(code)).collect(),
        series: vec![
            Series::new("Share of pupils", Tone::Neutral, pupils),
            Series::new("Share of negatives", Tone::Negative, negatives),
            Series::new("Share of positives", Tone::Positive, positives),
        ],
    })
}

/// Where a group code comes: by family (gender, SEN, pupil premium, EAL,
/// then any other), the known codes of a family first in their order, then
/// its unknown ones by code.
fn group_order(code: &str) -> (usize, usize, String) {
    let family = ["gender:", "sen:", "pp:", "eal:"]
        .iter()
        .position(|prefix| code.starts_with(prefix))
        .unwrap_or(4);
    let known = GROUP_LABELS
        .iter()
        .position(|(c, _)| *c == code)
        .unwrap_or(usize::MAX);
    (family, known, code.to_owned())
}

/// A group as the chart names it; an unknown code as it is.
fn group_label(code: &str) -> String {
    GROUP_LABELS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.to_owned(), |(_, label)| (*label).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_come_in_a_readable_order_with_readable_names() {
        let mut codes = [
            "pp:no", "gender:X", "sen:N", "gender:M", "eal:yes", "gender:F", "sen:K",
        ];
        codes.sort_by_key(|code| group_order(code));
        assert_eq!(
            codes,
            [
                "gender:F", "gender:M", "gender:X", "sen:K", "sen:N", "pp:no", "eal:yes"
            ]
        );
        assert_eq!(group_label("sen:E"), "EHC plan");
        assert_eq!(group_label("gender:X"), "gender:X");
    }
}
