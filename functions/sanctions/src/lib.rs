//! The sanctions function: detentions, incident forms, and where the
//! school's safeguarding concerns are forwarded.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /v1/detentions/sessions` | the school's detention sessions from one date to another |
//! | `POST /v1/detentions/sessions` | add a session (those who run detentions) |
//! | `GET /v1/detentions/sessions/{id}` | a session's register: the pupils placed in it |
//! | `GET /v1/detentions` | a pupil's detentions, or a day's |
//! | `POST /v1/detentions` | set a detention, in a named session or the next with room |
//! | `POST /v1/detentions/{id}/attendance` | mark it attended, missed, excused or cancelled |
//! | `GET /v1/incidents` | the forms the caller may see, by pupil, status and time |
//! | `POST /v1/incidents` | write a new form, as a draft |
//! | `GET /v1/incidents/{id}` | one form as it stands, with its delivery |
//! | `PUT /v1/incidents/{id}` | edit a form: a new version, the old one kept |
//! | `POST /v1/incidents/{id}/submit` | draft to submitted |
//! | `POST /v1/incidents/{id}/review` | submitted to reviewed |
//! | `POST /v1/incidents/{id}/close` | submitted or reviewed to closed |
//! | `GET /v1/incidents/{id}/history` | every version of a form |
//! | `GET /v1/safeguarding/settings` | where safeguarding concerns go |
//! | `PUT /v1/safeguarding/settings` | set it; the signing secret is shown once |
//!
//! A form is seen by its author, pastoral staff, the DSL and leaders; a
//! safeguarding concern by its author, the DSL and leaders only. Anyone
//! else gets 404 for it and never finds it in a list.

mod detentions;
mod incidents;
mod input;
mod precondition;
mod settings;

use domain::{Permission, SchoolId};
use lambda_http::{Body, Request, Response};
use platform::queue::EventQueue;
use platform::{Access, Caller, ConfigError, CursorSigner, Gate, Problem, Route};
use store::{SafeguardingMessage, Store};

/// Every route this function answers, with who may call it.
pub const ROUTES: [Route; 16] = [
    Route::new(
        "GET",
        "/v1/detentions/sessions",
        Access::Needs(Permission::SetDetentions),
    ),
    Route::new(
        "POST",
        "/v1/detentions/sessions",
        Access::Needs(Permission::ManageDetentions),
    ),
    Route::new(
        "GET",
        "/v1/detentions/sessions/{id}",
        Access::Needs(Permission::SetDetentions),
    ),
    Route::new(
        "GET",
        "/v1/detentions",
        Access::Needs(Permission::SetDetentions),
    ),
    Route::new(
        "POST",
        "/v1/detentions",
        Access::Needs(Permission::SetDetentions),
    ),
    Route::new(
        "POST",
        "/v1/detentions/{id}/attendance",
        Access::Needs(Permission::SetDetentions),
    ),
    Route::new(
        "GET",
        "/v1/incidents",
        Access::Needs(Permission::RecordIncidents),
    ),
    Route::new(
        "POST",
        "/v1/incidents",
        Access::Needs(Permission::RecordIncidents),
    ),
    Route::new(
        "GET",
        "/v1/incidents/{id}",
        Access::Needs(Permission::RecordIncidents),
    ),
    Route::new(
        "PUT",
        "/v1/incidents/{id}",
        Access::Needs(Permission::RecordIncidents),
    ),
    Route::new(
        "POST",
        "/v1/incidents/{id}/submit",
        Access::Needs(Permission::RecordIncidents),
    ),
    Route::new(
        "POST",
        "/v1/incidents/{id}/review",
        Access::Needs(Permission::ReviewIncidents),
    ),
    Route::new(
        "POST",
        "/v1/incidents/{id}/close",
        Access::Needs(Permission::ReviewIncidents),
    ),
    Route::new(
        "GET",
        "/v1/incidents/{id}/history",
        Access::Needs(Permission::RecordIncidents),
    ),
    Route::new(
        "GET",
        "/v1/safeguarding/settings",
        Access::Needs(Permission::ManageSafeguarding),
    ),
    Route::new(
        "PUT",
        "/v1/safeguarding/settings",
        Access::Needs(Permission::ManageSafeguarding),
    ),
];

/// Largest body any route of this function accepts: a form at its limits.
const BODY_LIMIT: usize = 64 * 1024;

/// What the function holds for its whole life: built once per cold start.
pub struct App {
    pub store: Store,
    /// The `safeguarding` queue, where a submitted concern goes.
    pub safeguarding: EventQueue,
    pub gate: Gate,
    pub cursors: CursorSigner,
    /// Whether a school may forward to `http://127.0.0.1` or `localhost`:
    /// only on a developer's machine (`SAFEGUARDING_ALLOW_LOCAL_HTTP=true`).
    pub allow_local_webhooks: bool,
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
            safeguarding: EventQueue::from_env(
                aws_sdk_sqs::Client::new(&aws),
                "SAFEGUARDING_QUEUE_URL",
            )?,
            gate: Gate::from_env()?,
            cursors: CursorSigner::from_env()?,
            allow_local_webhooks: allow_local_http()?,
        })
    }
}

/// Reads `SAFEGUARDING_ALLOW_LOCAL_HTTP`: unset or `false` in AWS.
pub fn allow_local_http() -> Result<bool, ConfigError> {
    match std::env::var("SAFEGUARDING_ALLOW_LOCAL_HTTP").as_deref() {
        Err(_) | Ok("") | Ok("false") => Ok(false),
        Ok("true") => Ok(true),
        Ok(_) => Err(ConfigError::Invalid {
            name: "SAFEGUARDING_ALLOW_LOCAL_HTTP",
            why: "must be true or false".into(),
        }),
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
    use incidents::Transition;
    match (route.method, route.path, params) {
        ("GET", "/v1/detentions/sessions", []) => {
            detentions::list_sessions(app, caller, request).await
        }
        ("POST", "/v1/detentions/sessions", []) => {
            detentions::create_session(app, caller, request).await
        }
        ("GET", "/v1/detentions/sessions/{id}", [id]) => {
            detentions::register(app, caller, id).await
        }
        ("GET", "/v1/detentions", []) => detentions::list(app, caller, request).await,
        ("POST", "/v1/detentions", []) => detentions::create(app, caller, request).await,
        ("POST", "/v1/detentions/{id}/attendance", [id]) => {
            detentions::attendance(app, caller, request, id).await
        }
        ("GET", "/v1/incidents", []) => incidents::list(app, caller, request).await,
        ("POST", "/v1/incidents", []) => incidents::create(app, caller, request).await,
        ("GET", "/v1/incidents/{id}", [id]) => incidents::read(app, caller, id).await,
        ("PUT", "/v1/incidents/{id}", [id]) => incidents::edit(app, caller, request, id).await,
        ("POST", "/v1/incidents/{id}/submit", [id]) => {
            incidents::transition(app, caller, request, id, Transition::Submit).await
        }
        ("POST", "/v1/incidents/{id}/review", [id]) => {
            incidents::transition(app, caller, request, id, Transition::Review).await
        }
        ("POST", "/v1/incidents/{id}/close", [id]) => {
            incidents::transition(app, caller, request, id, Transition::Close).await
        }
        ("GET", "/v1/incidents/{id}/history", [id]) => {
            incidents::history(app, caller, request, id).await
        }
        ("GET", "/v1/safeguarding/settings", []) => settings::read(app, caller).await,
        ("PUT", "/v1/safeguarding/settings", []) => settings::change(app, caller, request).await,
        _ => Err(Problem::not_found("no such route")),
    }
}

/// Puts a new delivery's message on the queue at once; if that fails it
/// stays on the outbox index and forward-safeguarding's sweep queues it.
async fn queue_delivery(app: &App, school: &SchoolId, incident: &str, version: u32) {
    let message = SafeguardingMessage {
        school_id: school.clone(),
        incident_id: incident.to_owned(),
        version,
    };
    match app.safeguarding.send(message.body()).await {
        Ok(()) => {
            if let Err(error) = app
                .store
                .mark_delivery_queued(school, incident, version)
                .await
            {
                tracing::warn!(error = %error, "delivery queued but left for the sweep");
            }
        }
        Err(error) => tracing::warn!(error = %error, "delivery left for the sweep to queue"),
    }
}
