//! The behaviour function: staff log behaviour in lessons, see each pupil's
//! traffic light, list what was logged and withdraw mistakes.
//!
//! | route | what |
//! | --- | --- |
//! | `POST /v1/behaviours` | log one behaviour type for one pupil or up to 40 of a class |
//! | `GET /v1/behaviours` | list behaviours by pupil, class, staff and time, newest first |
//! | `POST /v1/behaviours/{id}/withdraw` | withdraw a behaviour logged by mistake |
//! | `GET /v1/lessons/{classId}/lights` | every pupil of a class with their light |

mod lights;
mod list;
mod log;
mod withdraw;

use domain::{Permission, Scope};
use lambda_http::{Body, Request, Response};
use platform::queue::EventQueue;
use platform::{Access, Caller, ConfigError, CursorSigner, Gate, Problem, Route, store_failed};
use store::{ClassRoster, SchoolSettings, Store};

/// Every route this function answers, with who may call it.
pub const ROUTES: [Route; 4] = [
    Route::new(
        "POST",
        "/v1/behaviours",
        Access::Needs(Permission::LogBehaviour),
    ),
    Route::new(
        "GET",
        "/v1/behaviours",
        Access::Needs(Permission::ReadBehaviour),
    ),
    Route::new(
        "POST",
        "/v1/behaviours/{id}/withdraw",
        Access::Needs(Permission::WithdrawOwnBehaviour),
    ),
    Route::new(
        "GET",
        "/v1/lessons/{classId}/lights",
        Access::Needs(Permission::ReadBehaviour),
    ),
];

/// Largest body any route of this function accepts.
const BODY_LIMIT: usize = 16 * 1024;

/// What the function holds for its whole life: built once per cold start.
pub struct App {
    pub store: Store,
    pub events: EventQueue,
    /// The `certificates` queue, where a certificate a behaviour earns goes
    /// to be emailed.
    pub certificates: EventQueue,
    pub gate: Gate,
    pub cursors: CursorSigner,
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
            events: EventQueue::from_env(
                aws_sdk_sqs::Client::new(&aws),
                "BEHAVIOUR_EVENTS_QUEUE_URL",
            )?,
            certificates: EventQueue::from_env(
                aws_sdk_sqs::Client::new(&aws),
                "CERTIFICATES_QUEUE_URL",
            )?,
            gate: Gate::from_env()?,
            cursors: CursorSigner::from_env()?,
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
    match (route.method, route.path, params) {
        ("POST", "/v1/behaviours", []) => log::log(app, caller, request).await,
        ("GET", "/v1/behaviours", []) => list::list(app, caller, request).await,
        (_, "/v1/behaviours/{id}/withdraw", [id]) => {
            withdraw::withdraw(app, caller, request, id).await
        }
        (_, "/v1/lessons/{classId}/lights", [class]) => {
            lights::lights(app, caller, request, class).await
        }
        _ => Err(Problem::not_found("no such route")),
    }
}

/// Whether the caller's read permission reaches a class: the whole school,
/// or a class they teach or tutor. Year-wide reach follows once the roster
/// says which staff lead which year.
fn reaches_class(caller: &Caller, class: &ClassRoster) -> bool {
    let scopes = caller.scopes(Permission::ReadBehaviour);
    scopes.contains(&Scope::WholeSchool)
        || (scopes
            .iter()
            .any(|s| matches!(s, Scope::OwnClasses | Scope::OwnTutorGroup | Scope::OwnYear))
            && class.teacher_ids.contains(&caller.user))
}

/// The caller's school settings and policy; a token for a school that is not
/// set up gets 403.
async fn school(app: &App, caller: &Caller) -> Result<(SchoolSettings, domain::Policy), Problem> {
    app.store
        .school(&caller.school)
        .await
        .map_err(store_failed)?
        .ok_or_else(|| Problem::forbidden("your school is not set up yet"))
}

/// Puts a recorded event on the queue at once. If that fails the record
/// stays in the outbox and the relay sends it within a minute or two.
async fn publish(app: &App, school: &domain::SchoolId, request_id: &str, event: String) {
    match app.events.send(event).await {
        Ok(()) => {
            if let Err(error) = app.store.mark_published(school, request_id).await {
                tracing::warn!(error = %error, "event sent but left in the outbox; it will be sent again");
            }
        }
        Err(error) => tracing::warn!(error = %error, "event left in the outbox for the relay"),
    }
}

/// 422 for an idempotency key that already named a different request.
fn key_reused() -> Problem {
    Problem::unprocessable(
        "idempotency-key-reused",
        vec![platform::FieldError::new(
            "Idempotency-Key",
            "was already used for a different request",
        )],
    )
}
