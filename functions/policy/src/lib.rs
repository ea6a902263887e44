//! The policy function: the school's own behaviour policy, which every
//! member of staff's app reads and which its leaders change.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /v1/policy` | the current policy with its version (also as `ETag`) and source |
//! | `PUT /v1/policy` | replace the whole policy; `If-Match` with the version read |
//! | `GET /v1/policy/default` | the policy a new school starts with |
//! | `POST /v1/policy/adopt-default` | adopt the default as it is; `If-Match` too |
//! | `GET /v1/policy/history` | every version with who made it and when, newest first |
//!
//! A change is refused as a whole: 428 without `If-Match`, 412 when the
//! policy changed since it was read, 422 with every broken rule by field,
//! and nothing is written. Behaviour types and certificate rules that the
//! policy had are archived, never removed, so that past behaviours and
//! certificates keep their meaning.

mod change;
mod input;
mod precondition;
mod read;

use domain::Permission;
use lambda_http::{Body, Request, Response};
use platform::{Access, Caller, ConfigError, CursorSigner, Gate, Problem, Route};
use store::Store;

pub use input::PolicyInput;
pub use precondition::etag;
pub use read::HistoryPage;

/// Every route this function answers, with who may call it.
pub const ROUTES: [Route; 5] = [
    Route::new("GET", "/v1/policy", Access::Needs(Permission::ReadPolicy)),
    Route::new("PUT", "/v1/policy", Access::Needs(Permission::ManagePolicy)),
    Route::new(
        "GET",
        "/v1/policy/default",
        Access::Needs(Permission::ReadPolicy),
    ),
    Route::new(
        "POST",
        "/v1/policy/adopt-default",
        Access::Needs(Permission::ManagePolicy),
    ),
    Route::new(
        "GET",
        "/v1/policy/history",
        Access::Needs(Permission::ManagePolicy),
    ),
];

/// Largest body any route of this function accepts: room for a policy at
/// every limit of its rules.
pub const BODY_LIMIT: usize = 256 * 1024;

/// What the function holds for its whole life: built once per cold start.
pub struct App {
    pub store: Store,
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
    _params: &[&str],
    caller: &Caller,
) -> Result<Response<Body>, Problem> {
    match (route.method, route.path) {
        ("GET", "/v1/policy") => read::current(app, caller, request).await,
        ("PUT", "/v1/policy") => change::replace(app, caller, request).await,
        (_, "/v1/policy/default") => read::default(caller, request),
        (_, "/v1/policy/adopt-default") => change::adopt_default(app, caller, request).await,
        (_, "/v1/policy/history") => read::history(app, caller, request).await,
        _ => Err(Problem::not_found("no such route")),
    }
}

/// Refuses a body on a route that takes none, so that a client who thinks
/// it is sending something learns otherwise.
fn no_body(request: &Request) -> Result<(), Problem> {
    let bytes: &[u8] = request.body().as_ref();
    if bytes.len() > BODY_LIMIT {
        return Err(Problem::too_large(BODY_LIMIT));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(())
    } else {
        Err(Problem::malformed("this route takes no body"))
    }
}
