//! The rewards function: pupils', classes' and houses' points, the
//! leaderboards that rank them, and points awarded by hand.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /v1/points/pupils/{id}` | a pupil's points this cycle, all time and by cycle |
//! | `GET /v1/points/leaderboards/houses` | the school's houses by points |
//! | `GET /v1/points/leaderboards/pupils` | the top pupils of a year, class or house |
//! | `GET /v1/points/leaderboards/classes` | the classes of a year by points |
//! | `POST /v1/points/awards` | award or deduct points by hand, to a pupil or a whole house |
//! | `POST /v1/points/awards/{id}/withdraw` | withdraw a hand award made by mistake |
//!
//! The totals are written by the store in the same transactions as the
//! behaviours and awards that move them ([`store::points`]); this function
//! reads them and writes hand awards. Every leaderboard is one cycle's,
//! the current one unless `cycle` names another.

mod awards;
mod boards;
mod pupils;

use chrono::Utc;
use domain::Permission;
use domain::calendar::school_date;
use lambda_http::{Body, Request, Response};
use platform::http::query;
use platform::queue::EventQueue;
use platform::{Access, Caller, ConfigError, FieldError, Gate, Problem, Route, store_failed};
use store::Store;

pub use awards::{house_cap, pupil_cap};
pub use boards::{ClassBoard, ClassEntry, HouseBoard, HouseEntry, PupilBoardView, PupilEntry};
pub use pupils::PupilPointsView;

/// Every route this function answers, with who may call it.
pub const ROUTES: [Route; 6] = [
    Route::new(
        "GET",
        "/v1/points/pupils/{id}",
        Access::Needs(Permission::ReadPoints),
    ),
    Route::new(
        "GET",
        "/v1/points/leaderboards/houses",
        Access::Needs(Permission::ReadPoints),
    ),
    Route::new(
        "GET",
        "/v1/points/leaderboards/pupils",
        Access::Needs(Permission::ReadPoints),
    ),
    Route::new(
        "GET",
        "/v1/points/leaderboards/classes",
        Access::Needs(Permission::ReadPoints),
    ),
    Route::new(
        "POST",
        "/v1/points/awards",
        Access::Needs(Permission::AwardPoints),
    ),
    Route::new(
        "POST",
        "/v1/points/awards/{id}/withdraw",
        Access::Needs(Permission::AwardPoints),
    ),
];

/// Largest body any route of this function accepts.
const BODY_LIMIT: usize = 8 * 1024;

/// The longest cycle, year group or house name accepted, in characters.
const MAX_NAME: usize = 64;

/// What the function holds for its whole life: built once per cold start.
pub struct App {
    pub store: Store,
    /// The `certificates` queue, where a certificate that points awarded by
    /// hand earn goes to be emailed.
    pub certificates: EventQueue,
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
            certificates: EventQueue::from_env(
                aws_sdk_sqs::Client::new(&aws),
                "CERTIFICATES_QUEUE_URL",
            )?,
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
            async |route, params, caller| dispatch(app, &request, route, params, caller).await,
        )
        .await
}

async fn dispatch(
    app: &App,
    request: &Request,
    route: &Route,
    params: &[&str],
    caller: &Caller,
) -> Result<Response<Body>, Problem> {
    match (route.path, params) {
        ("/v1/points/pupils/{id}", [id]) => pupils::one(app, caller, request, id).await,
        ("/v1/points/leaderboards/houses", []) => boards::houses(app, caller, request).await,
        ("/v1/points/leaderboards/pupils", []) => boards::pupils(app, caller, request).await,
        ("/v1/points/leaderboards/classes", []) => boards::classes(app, caller, request).await,
        ("/v1/points/awards", []) => awards::award(app, caller, request).await,
        ("/v1/points/awards/{id}/withdraw", [id]) => {
            awards::withdraw(app, caller, request, id).await
        }
        _ => Err(Problem::not_found("no such route")),
    }
}

/// The caller's school's settings and policy; a token for a school that is
/// not set up gets 403.
async fn school(app: &App, caller: &Caller) -> Result<(chrono_tz::Tz, domain::Policy), Problem> {
    let (settings, policy) = app
        .store
        .school(&caller.school)
        .await
        .map_err(store_failed)?
        .ok_or_else(|| Problem::forbidden("your school is not set up yet"))?;
    let zone = settings.zone().map_err(store_failed)?;
    Ok((zone, policy))
}

/// The points cycle the school is in today.
async fn current_cycle(app: &App, caller: &Caller) -> Result<String, Problem> {
    let (zone, policy) = school(app, caller).await?;
    Ok(policy.cycle_at(school_date(Utc::now(), zone)))
}

/// A text query parameter of at most [`MAX_NAME`] characters, or none.
fn name_param(request: &Request, name: &str) -> Result<Option<String>, FieldError> {
    match query(request, name) {
        Some(raw) if raw.chars().count() > MAX_NAME => Err(FieldError::new(
            name,
            format!("must be at most {MAX_NAME} characters"),
        )),
        other => Ok(other),
    }
}

/// Marks an answer as the replay of an earlier request.
fn replayed(mut response: Response<Body>) -> Response<Body> {
    response.headers_mut().insert(
        "idempotent-replayed",
        "true".parse().expect("a valid header"),
    );
    response
}

/// 422 for an idempotency key that already named a different request.
fn key_reused() -> Problem {
    Problem::unprocessable(
        "idempotency-key-reused",
        vec![FieldError::new(
            "Idempotency-Key",
            "was already used for a different request",
        )],
    )
}
