//! The charts function: behaviour charts of the whole school, a year group,
//! a house, a class, a pupil or a member of staff, as JSON, CSV or SVG.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /v1/charts/{chart}` | one chart, of the `scope` and `id` asked, from `from` to `to` |
//!
//! | chart | shows |
//! | --- | --- |
//! | `behaviour-over-time` | positives and negatives per day, week, month or term (lines) |
//! | `points-over-time` | net points per day, week, month or term (bars) |
//! | `behaviour-types` | how often each behaviour type was logged, most first |
//! | `heatmap` | negatives (or positives) by weekday and lesson period |
//! | `top` | the top or bottom pupils or classes by points, positives or negatives |
//! | `staff-ratio` | each member of staff's share of positive logs (senior leaders) |
//! | `groups` | each pupil group's share of behaviour beside its share of the roll |
//!
//! Charts read only the aggregates that `compute-charts` folds behaviours
//! into, never the behaviours, so an answer costs a few reads however much
//! was logged: the school's day tallies in one Query, a member's weeks in
//! one BatchGetItem, or one Query per week for the charts that compare
//! members. The whole school is counted by day; every other scope, and the
//! charts that compare members, by whole weeks (Monday to Sunday), so their
//! range is widened to whole weeks and the answer says which dates it
//! covers. Aggregates lag the behaviours by a few seconds.
//!
//! Who may read which chart is in [`reach`]; which rendering a request
//! gets is in [`accept`].

pub mod accept;
pub mod answer;
pub mod ask;
pub mod buckets;
pub mod draw;
pub mod ranks;
pub mod reach;
pub mod tallies;

use chrono::Utc;
use domain::Permission;
use domain::calendar::school_date;
use lambda_http::{Body, Request, Response};
use platform::{Access, Caller, ConfigError, Gate, Problem, Route, store_failed};
use store::Store;

use crate::answer::ChartAnswer;
use crate::ask::{Ask, ChartName};
use crate::draw::Setting;

/// Every route this function answers, with who may call it.
pub const ROUTES: [Route; 1] = [Route::new(
    "GET",
    "/v1/charts/{chart}",
    Access::Needs(Permission::ReadCharts),
)];

/// What the function holds for its whole life: built once per cold start.
pub struct App {
    pub store: Store,
    pub gate: Gate,
}

impl App {
    /// Reads the configuration every route needs, naming what is missing.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let aws = platform::config::aws().await;
        Ok(Self {
            store: Store::new(
                aws_sdk_dynamodb::Client::new(&aws),
                platform::env_var("TABLE_NAME")?,
            ),
            gate: Gate::from_env()?,
        })
    }
}

/// Answers one request. Every failure becomes a problem+json answer.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    app.gate
        .serve(
            &app.store,
            &ROUTES,
            &request,
            async |route, params, caller| match (route.path, params) {
                ("/v1/charts/{chart}", [chart]) => one(app, caller, &request, chart).await,
                _ => Err(Problem::not_found("no such route")),
            },
        )
        .await
}

/// `GET /v1/charts/{chart}`.
async fn one(
    app: &App,
    caller: &Caller,
    request: &Request,
    name: &str,
) -> Result<Response<Body>, Problem> {
    let chart = ChartName::from_path(name)?;
    let ask = Ask::read(request, chart)?;
    let format = accept::negotiate(request, ask.format)?;
    may_read(caller, chart)?;

    let store = &app.store;
    let (settings, policy) = store
        .school(&caller.school)
        .await
        .map_err(store_failed)?
        .ok_or_else(|| Problem::forbidden("your school is not set up yet"))?;
    if chart == ChartName::Groups {
        let analysis = store
            .roster_settings(&caller.school)
            .await
            .map_err(store_failed)?
            .is_some_and(|s| s.group_analysis);
        if !analysis {
            return Err(Problem::conflict(
                "group-analysis-off",
                "group analysis is off for this school",
            ));
        }
    }
    let zone = settings.zone().map_err(store_failed)?;
    let (from, to) = ask.range(school_date(Utc::now(), zone))?;
    let subject =
        reach::subject(store, caller, ask.scope, ask.id.as_deref(), &settings.name).await?;

    let setting = Setting {
        store,
        school: &caller.school,
        policy: &policy,
        ask: &ask,
        subject: &subject,
        from,
        to,
    };
    let drawn = draw::draw(&setting).await?;
    tracing::debug!(
        chart = chart.as_str(),
        scope = ask.scope.as_str(),
        format = format.as_str(),
        categories = drawn.categories.len(),
        "chart drawn"
    );
    Ok(answer::render(
        format,
        &ChartAnswer {
            chart: &drawn,
            scope: ask.scope,
            id: subject.id.as_deref(),
            from,
            to,
            interval: ask.interval,
        },
    ))
}

/// 403 for the charts that need more than reading charts.
fn may_read(caller: &Caller, chart: ChartName) -> Result<(), Problem> {
    match chart {
        ChartName::StaffRatio if !caller.allows(Permission::ReadStaffCharts) => {
            Err(Problem::forbidden(
                "the staff-ratio chart compares colleagues: it is for senior leaders and admins",
            ))
        }
        ChartName::Groups if !caller.allows(Permission::ReadGroupFlags) => Err(Problem::forbidden(
            "the groups chart needs access to pupils' group flags: pastoral staff, the DSL, \
             senior leaders and admins",
        )),
        _ => Ok(()),
    }
}
