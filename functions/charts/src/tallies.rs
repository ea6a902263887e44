//! The charts of one subject's own tallies: behaviour and points over
//! time, behaviour types, and the weekday-by-lesson heatmap. The whole
//! school's come from its day tallies (one Query for the range); any other
//! subject's from its weeks (one BatchGetItem).

use std::collections::BTreeMap;

use chart::{Chart, Kind, Series, Tone};
use chrono::NaiveDate;
use domain::BehaviourTypeId;
use domain::charts::{AggregateKey, Cell, DayPlan, Tally, weeks_between};
use platform::{Problem, store_failed};

use crate::ask::{ChartName, Measure};
use crate::buckets::Buckets;
use crate::draw::Setting;

/// The weekdays, 1 for Monday.
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The subject's tallies in the range, each with its day (the school) or
/// its week's Monday (anyone else).
async fn dated(setting: &Setting<'_>) -> Result<Vec<(NaiveDate, Tally)>, Problem> {
    let store = setting.store;
    let found = match setting.ask.scope.dimension() {
        None => store
            .school_day_tallies(setting.school, setting.from, setting.to)
            .await
            .map_err(store_failed)?,
        Some(dimension) => {
            let id = setting.subject.id.as_deref().unwrap_or_default();
            let mondays = weeks_between(setting.from, setting.to);
            store
                .member_weeks(setting.school, dimension, id, &mondays)
                .await
                .map_err(store_failed)?
        }
    };
    Ok(found
        .into_iter()
        .map(|aggregate| {
            let date = match aggregate.key {
                AggregateKey::SchoolDay(date) => date,
                AggregateKey::Week { monday, .. } => monday,
            };
            (date, aggregate.tally)
        })
        .collect())
}

/// The subject's tallies added up.
async fn total(setting: &Setting<'_>) -> Result<Tally, Problem> {
    let mut total = Tally::default();
    for (_, tally) in dated(setting).await? {
        total.add(&tally);
    }
    Ok(total)
}

/// Behaviour over time (positives and negatives as lines) or points over
/// time (net points as bars), one bucket per day, week, month or term.
pub async fn over_time(setting: &Setting<'_>) -> Result<Chart, Problem> {
    let ask = setting.ask;
    let buckets = if ask.by_week() {
        Buckets::of_weeks(ask.interval, setting.from, setting.to, setting.policy)
    } else {
        Buckets::of_days(ask.interval, setting.from, setting.to, setting.policy)
    };
    let mut positives = vec![0.0; buckets.labels.len()];
    let mut negatives = vec![0.0; buckets.labels.len()];
    let mut points = vec![0.0; buckets.labels.len()];
    for (date, tally) in dated(setting).await? {
        if let Some(at) = buckets.of(date) {
            positives[at] += tally.positives as f64;
            negatives[at] += tally.negatives as f64;
            points[at] += tally.points as f64;
        }
    }

    let (title, kind, y_label, series) = if ask.chart == ChartName::PointsOverTime {
        let series = vec![Series::new("Points", Tone::Neutral, points)];
        ("Points over time", Kind::Bars, "Points", series)
    } else {
        let series = vec![
            Series::new("Positives", Tone::Positive, positives),
            Series::new("Negatives", Tone::Negative, negatives),
        ];
        ("Behaviour over time", Kind::Line, "Behaviours", series)
    };
    Ok(Chart {
        chart: ask.chart.as_str().to_owned(),
        title: title.to_owned(),
        subtitle: setting.subtitle(),
        kind,
        x_label: ask.interval.label().to_owned(),
        y_label: y_label.to_owned(),
        categories: buckets.labels,
        series,
    })
}

/// One bar per behaviour type logged in the range, most logged first, named
/// as the policy names it (archived types too).
pub async fn types(setting: &Setting<'_>) -> Result<Chart, Problem> {
    let total = total(setting).await?;
    let mut logged: Vec<(String, i64)> = total
        .types
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(id, count)| {
            let name = BehaviourTypeId::parse(&id)
                .ok()
                .and_then(|type_id| setting.policy.behaviour_type(&type_id))
                .map_or(id, |kind| kind.name.clone());
            (name, count)
        })
        .collect();
    logged.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));

    let (categories, values): (Vec<String>, Vec<f64>) = logged
        .into_iter()
        .map(|(name, count)| (name, count as f64))
        .unzip();
    Ok(Chart {
        chart: setting.ask.chart.as_str().to_owned(),
        title: "Behaviour types".to_owned(),
        subtitle: setting.subtitle(),
        kind: Kind::HorizontalBars,
        x_label: "Type".to_owned(),
        y_label: "Times logged".to_owned(),
        categories,
        series: vec![Series::new("Times logged", Tone::Neutral, values)],
    })
}

/// Negatives (or positives) by weekday and lesson period: a row for each
/// weekday Monday to Friday, and for Saturday and Sunday only when
/// something was logged on them.
pub async fn heatmap(setting: &Setting<'_>) -> Result<Chart, Problem> {
    let plan = DayPlan::default();
    let positive = setting.ask.measure == Measure::Positives;
    let total = total(setting).await?;
    let cells = if positive {
        total.positive_cells
    } else {
        total.negative_cells
    };
    let mut grid: BTreeMap<u8, Vec<f64>> = (1..=5)
        .map(|weekday| (weekday, vec![0.0; plan.periods.len()]))
        .collect();
    for (code, count) in cells {
        let Some(cell) = Cell::parse(&code) else {
            continue;
        };
        let row = grid
            .entry(cell.weekday)
            .or_insert_with(|| vec![0.0; plan.periods.len()]);
        if let Some(value) = row.get_mut(usize::from(cell.period)) {
            *value += count as f64;
        }
    }
    grid.retain(|weekday, row| *weekday <= 5 || row.iter().any(|v| *v != 0.0));

    let (title, tone) = if positive {
        ("Positive behaviour by day and lesson", Tone::Positive)
    } else {
        ("Negative behaviour by day and lesson", Tone::Negative)
    };
    Ok(Chart {
        chart: setting.ask.chart.as_str().to_owned(),
        title: title.to_owned(),
        subtitle: setting.subtitle(),
        kind: Kind::Heatmap,
        x_label: "Lesson".to_owned(),
        y_label: "Day".to_owned(),
        categories: plan.periods.into_iter().map(|p| p.name).collect(),
        series: grid
            .into_iter()
            .map(|(weekday, row)| Series::new(WEEKDAYS[usize::from(weekday - 1)], tone, row))
            .collect(),
    })
}
