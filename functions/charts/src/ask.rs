//! What a request asks for: which chart, of what, over which dates, by
//! which interval, with the chart's own options. Every refused parameter is
//! named in one 400 answer.

use chrono::{Duration, NaiveDate};
use domain::charts::{Dimension, week_of};
use lambda_http::Request;
use platform::http::query;
use platform::{FieldError, Problem};
use serde::Serialize;

use crate::accept::Format;

/// The longest range a chart covers, in days counting both ends: a school
/// year with room to spare.
pub const MAX_DAYS: i64 = 400;

/// How many weeks a chart covers when no dates are given.
const DEFAULT_WEEKS: i64 = 12;

/// The longest year group or house name accepted, in characters.
const MAX_NAME: usize = 64;

/// The most members a ranking lists.
pub const MAX_LIMIT: usize = 50;
const DEFAULT_LIMIT: usize = 10;

/// The parameters every chart takes.
const COMMON: [&str; 6] = ["scope", "id", "from", "to", "interval", "format"];

/// Every parameter of the route: the common ones and each chart's options.
const KNOWN: [&str; 10] = [
    "scope", "id", "from", "to", "interval", "format", "measure", "members", "order", "limit",
];

/// A chart the route draws, by the name in its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartName {
    BehaviourOverTime,
    PointsOverTime,
    BehaviourTypes,
    Heatmap,
    Top,
    StaffRatio,
    Groups,
}

impl ChartName {
    pub const ALL: [ChartName; 7] = [
        ChartName::BehaviourOverTime,
        ChartName::PointsOverTime,
        ChartName::BehaviourTypes,
        ChartName::Heatmap,
        ChartName::Top,
        ChartName::StaffRatio,
        ChartName::Groups,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChartName::BehaviourOverTime => "behaviour-over-time",
            ChartName::PointsOverTime => "points-over-time",
            ChartName::BehaviourTypes => "behaviour-types",
            ChartName::Heatmap => "heatmap",
            ChartName::Top => "top",
            ChartName::StaffRatio => "staff-ratio",
            ChartName::Groups => "groups",
        }
    }

    /// The chart a path names; 404 naming the charts there are.
    pub fn from_path(name: &str) -> Result<Self, Problem> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
                Problem::not_found(format!(
                    "no such chart; the charts are {}",
                    known.join(", ")
                ))
            })
    }

    /// The options this chart takes besides the common parameters.
    fn options(self) -> &'static [&'static str] {
        match self {
            ChartName::Heatmap => &["measure"],
            ChartName::Top => &["members", "measure", "order", "limit"],
            _ => &[],
        }
    }

    /// Whether the chart reads weekly aggregates even for the whole school,
    /// so that it counts whole weeks.
    fn reads_weeks(self) -> bool {
        matches!(
            self,
            ChartName::Top | ChartName::StaffRatio | ChartName::Groups
        )
    }

    /// Whether the chart's categories are time buckets of the interval.
    pub fn over_time(self) -> bool {
        matches!(
            self,
            ChartName::BehaviourOverTime | ChartName::PointsOverTime
        )
    }
}

/// What a chart is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ScopeKind {
    School,
    Year,
    House,
    Class,
    Pupil,
    Staff,
}

impl ScopeKind {
    const ALL: [ScopeKind; 6] = [
        ScopeKind::School,
        ScopeKind::Year,
        ScopeKind::House,
        ScopeKind::Class,
        ScopeKind::Pupil,
        ScopeKind::Staff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ScopeKind::School => "school",
            ScopeKind::Year => "year",
            ScopeKind::House => "house",
            ScopeKind::Class => "class",
            ScopeKind::Pupil => "pupil",
            ScopeKind::Staff => "staff",
        }
    }

    /// The weekly aggregates of this scope; none for the whole school,
    /// which is counted by day.
    pub fn dimension(self) -> Option<Dimension> {
        match self {
            ScopeKind::School => None,
            ScopeKind::Year => Some(Dimension::Year),
            ScopeKind::House => Some(Dimension::House),
            ScopeKind::Class => Some(Dimension::Class),
            ScopeKind::Pupil => Some(Dimension::Pupil),
            ScopeKind::Staff => Some(Dimension::Staff),
        }
    }
}

/// How an over-time chart groups its dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Interval {
    Day,
    Week,
    Month,
    Term,
}

impl Interval {
    const ALL: [Interval; 4] = [
        Interval::Day,
        Interval::Week,
        Interval::Month,
        Interval::Term,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
            Interval::Term => "term",
        }
    }

    /// What one bucket is called on the x axis.
    pub fn label(self) -> &'static str {
        match self {
            Interval::Day => "Day",
            Interval::Week => "Week",
            Interval::Month => "Month",
            Interval::Term => "Term",
        }
    }
}

/// What a heatmap or a ranking counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Points,
    Positives,
    Negatives,
}

impl Measure {
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Points => "points",
            Measure::Positives => "positives",
            Measure::Negatives => "negatives",
        }
    }
}

/// Who a ranking ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Members {
    Pupils,
    Classes,
}

/// Which end of a ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Top,
    Bottom,
}

/// A request's query, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub chart: ChartName,
    pub scope: ScopeKind,
    /// The year group, house, class, pupil or member of staff; none for the
    /// school.
    pub id: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub interval: Interval,
    pub measure: Measure,
    pub members: Members,
    pub order: Order,
    pub limit: usize,
    /// The `format` override of the `Accept` header.
    pub format: Option<Format>,
}

impl Ask {
    /// Reads the query of a request for `chart`; 400 naming every refused
    /// parameter.
    pub fn read(request: &Request, chart: ChartName) -> Result<Self, Problem> {
        platform::http::only_known_query(request, &KNOWN)?;
        let mut params = Params {
            request,
            errors: Vec::new(),
        };
        params.only_options_of(chart);

        let scope = params
            .choice("scope", &ScopeKind::ALL, ScopeKind::as_str)
            .unwrap_or(ScopeKind::School);
        let id = params.parse("id", "must be at most 64 characters", |raw| {
            (raw.chars().count() <= MAX_NAME).then(|| raw.to_owned())
        });
        let from = params.date("from");
        let to = params.date("to");
        let interval = params
            .choice("interval", &Interval::ALL, Interval::as_str)
            .unwrap_or(Interval::Week);
        let format = params.choice("format", &Format::ALL, Format::as_str);
        let measure = params.measure(chart);
        let members = params
            .choice(
                "members",
                &[Members::Pupils, Members::Classes],
                |m| match m {
                    Members::Pupils => "pupils",
                    Members::Classes => "classes",
                },
            )
            .unwrap_or(Members::Pupils);
        let order = params
            .choice("order", &[Order::Top, Order::Bottom], |o| match o {
                Order::Top => "top",
                Order::Bottom => "bottom",
            })
            .unwrap_or(Order::Top);
        let limit = params
            .parse(
                "limit",
                &format!("must be a whole number from 1 to {MAX_LIMIT}"),
                |raw| {
                    raw.parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                },
            )
            .unwrap_or(DEFAULT_LIMIT);

        let ask = Ask {
            chart,
            scope,
            id,
            from,
            to,
            interval,
            measure,
            members,
            order,
            limit,
            format,
        };
        params.errors.extend(ask.contradictions(request));
        if params.errors.is_empty() {
            Ok(ask)
        } else {
            Err(Problem::invalid(params.errors))
        }
    }

    /// What the parameters say against each other or against the chart.
    fn contradictions(&self, request: &Request) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let scope = self.scope.as_str();
        match (self.scope, &self.id) {
            (ScopeKind::School, Some(_)) => {
                errors.push(FieldError::new("id", "is not taken by scope=school"));
            }
            (ScopeKind::School, None) => {}
            (_, None) if query(request, "id").is_none() => {
                errors.push(FieldError::new(
                    "id",
                    format!("is required for scope={scope}"),
                ));
            }
            _ => {}
        }
        if self.interval == Interval::Day && self.scope != ScopeKind::School {
            errors.push(FieldError::new(
                "interval",
                format!(
                    "day is only for scope=school: a {scope}'s behaviour is counted by week; \
                     ask for week, month or term"
                ),
            ));
        }
        let school_only = matches!(self.chart, ChartName::StaffRatio | ChartName::Groups);
        if school_only && self.scope != ScopeKind::School {
            errors.push(FieldError::new(
                "scope",
                format!(
                    "the {} chart is of the whole school only",
                    self.chart.as_str()
                ),
            ));
        }
        if self.chart == ChartName::Top {
            if matches!(self.scope, ScopeKind::Pupil | ScopeKind::Staff) {
                errors.push(FieldError::new(
                    "scope",
                    "the top chart ranks the pupils or classes of the school, a year, a house \
                     or a class",
                ));
            }
            let classes_fit = matches!(self.scope, ScopeKind::School | ScopeKind::Year);
            if self.members == Members::Classes && !classes_fit {
                errors.push(FieldError::new(
                    "members",
                    "classes are ranked for scope=school or scope=year only",
                ));
            }
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            errors.extend(span_refusal(from, to));
        }
        errors
    }

    /// Whether the chart counts whole weeks: every scope but the school is
    /// counted by week, and so are the charts that rank members.
    pub fn by_week(&self) -> bool {
        self.scope != ScopeKind::School || self.chart.reads_weeks()
    }

    /// The dates the chart covers, both included: those asked for, the last
    /// twelve weeks to `today` by default, widened to whole weeks (Monday to
    /// Sunday) for a chart that counts by week. 400 for a range that runs
    /// backwards or is too long once the defaults are filled in.
    pub fn range(&self, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), Problem> {
        let to = self.to.unwrap_or(today);
        let from = self
            .from
            .unwrap_or_else(|| week_of(to) - Duration::weeks(DEFAULT_WEEKS - 1));
        if let Some(refusal) = span_refusal(from, to) {
            return Err(Problem::invalid(vec![refusal]));
        }
        if self.by_week() {
            Ok((week_of(from), week_of(to) + Duration::days(6)))
        } else {
            Ok((from, to))
        }
    }
}

/// Why a range cannot be charted, if it cannot.
fn span_refusal(from: NaiveDate, to: NaiveDate) -> Option<FieldError> {
    if to < from {
        return Some(FieldError::new("to", "must not be before from"));
    }
    let days = (to - from).num_days() + 1;
    (days > MAX_DAYS).then(|| {
        FieldError::new(
            "to",
            format!("the range may be at most {MAX_DAYS} days long; this one is {days}"),
        )
    })
}

/// The query parameters, read one by one; each refusal is kept.
struct Params<'r> {
    request: &'r Request,
    errors: Vec<FieldError>,
}

impl Params<'_> {
    /// Refuses the options of other charts.
    fn only_options_of(&mut self, chart: ChartName) {
        for name in KNOWN {
            let allowed = COMMON.contains(&name) || chart.options().contains(&name);
            if !allowed && query(self.request, name).is_some() {
                self.errors.push(FieldError::new(
                    name,
                    format!("is not an option of the {} chart", chart.as_str()),
                ));
            }
        }
    }

    fn parse<T>(
        &mut self,
        name: &str,
        why: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        let raw = query(self.request, name)?;
        let parsed = parse(&raw);
        if parsed.is_none() {
            self.errors.push(FieldError::new(name, why));
        }
        parsed
    }

    /// One of a few values, by name.
    fn choice<T: Copy>(
        &mut self,
        name: &str,
        values: &[T],
        text: impl Fn(T) -> &'static str,
    ) -> Option<T> {
        let names: Vec<&str> = values.iter().map(|v| text(*v)).collect();
        let why = format!("must be one of {}", names.join(", "));
        self.parse(name, &why, |raw| {
            values.iter().copied().find(|v| text(*v) == raw)
        })
    }

    /// A school date, `YYYY-MM-DD`, in this century.
    fn date(&mut self, name: &str) -> Option<NaiveDate> {
        self.parse(
            name,
            "must be a date (YYYY-MM-DD) from 2000-01-01 to 2099-12-31",
            |raw| {
                let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
                let plain = raw.len() == 10 && date.format("%Y-%m-%d").to_string() == raw;
                let this_century = (2000..2100).contains(&chrono::Datelike::year(&date));
                (plain && this_century).then_some(date)
            },
        )
    }

    /// What a heatmap or a ranking counts, with each chart's default.
    fn measure(&mut self, chart: ChartName) -> Measure {
        match chart {
            ChartName::Heatmap => self
                .choice(
                    "measure",
                    &[Measure::Negatives, Measure::Positives],
                    Measure::as_str,
                )
                .unwrap_or(Measure::Negatives),
            _ => self
                .choice(
                    "measure",
                    &[Measure::Points, Measure::Positives, Measure::Negatives],
                    Measure::as_str,
                )
                .unwrap_or(Measure::Points),
        }
    }
}
