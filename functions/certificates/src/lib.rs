//! The certificates function: the school's certificates, each downloadable
//! as a PDF rendered again from its record, and certificates awarded by
//! hand. Certificates earned by points are written by the behaviour
//! function; the `send-certificate` job emails them all.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /v1/certificates` | list by pupil, class, year group and time, newest first |
//! | `POST /v1/certificates` | award a certificate by hand |
//! | `GET /v1/certificates/{id}` | one certificate |
//! | `GET /v1/certificates/{id}/pdf` | the certificate as a PDF |

mod award;
mod list;

use domain::Permission;
use lambda_http::{Body, Request, Response};
use platform::queue::EventQueue;
use platform::{Access, Caller, ConfigError, CursorSigner, Gate, Problem, Route, store_failed};
use store::{Certificate, CertificateMessage, Store};

/// Every route this function answers, with who may call it.
pub const ROUTES: [Route; 4] = [
    Route::new(
        "GET",
        "/v1/certificates",
        Access::Needs(Permission::ReadCertificates),
    ),
    Route::new(
        "POST",
        "/v1/certificates",
        Access::Needs(Permission::AwardCertificate),
    ),
    Route::new(
        "GET",
        "/v1/certificates/{id}",
        Access::Needs(Permission::ReadCertificates),
    ),
    Route::new(
        "GET",
        "/v1/certificates/{id}/pdf",
        Access::Needs(Permission::ReadCertificates),
    ),
];

/// Largest body any route of this function accepts.
const BODY_LIMIT: usize = 4 * 1024;

/// What the function holds for its whole life: built once per cold start.
pub struct App {
    pub store: Store,
    /// The `certificates` queue, where a hand award goes to be emailed.
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
        ("GET", "/v1/certificates", []) => list::list(app, caller, request).await,
        ("POST", "/v1/certificates", []) => award::award(app, caller, request).await,
        ("GET", "/v1/certificates/{id}", [id]) => {
            let found = certificate(app, caller, id).await?;
            Ok(platform::http::json(200, &found))
        }
        ("GET", "/v1/certificates/{id}/pdf", [id]) => pdf(app, caller, id).await,
        _ => Err(Problem::not_found("no such route")),
    }
}

/// One certificate of the caller's school; 404 for any other.
async fn certificate(app: &App, caller: &Caller, id: &str) -> Result<Certificate, Problem> {
    caller.require(Permission::ReadCertificates)?;
    let valid = ulid::Ulid::from_string(id).is_ok();
    let found = if valid {
        app.store
            .certificate(&caller.school, id)
            .await
            .map_err(store_failed)?
    } else {
        None
    };
    found.ok_or_else(|| Problem::not_found("no such certificate in your school"))
}

/// `GET /v1/certificates/{id}/pdf`: the certificate rendered from its
/// record with the school's name and colours as they are now.
async fn pdf(app: &App, caller: &Caller, id: &str) -> Result<Response<Body>, Problem> {
    let found = certificate(app, caller, id).await?;
    let (settings, policy) = app
        .store
        .school(&caller.school)
        .await
        .map_err(store_failed)?
        .ok_or_else(|| Problem::forbidden("your school is not set up yet"))?;
    let zone = settings.zone().map_err(store_failed)?;
    let sheet = certificate::Sheet::of(&found, &settings.name, zone, &policy.colours);
    let bytes = certificate::render(&sheet);
    let name = certificate::file_name(&found.pupil_name, &found.name);
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/pdf")
        .header(
            "content-disposition",
            format!("attachment; filename=\"{name}\""),
        )
        .body(Body::Binary(bytes))
        .expect("a valid response"))
}

/// Puts a new certificate's message on the queue at once; if that fails it
/// stays on the outbox index and the send-certificate sweep queues it.
async fn queue(app: &App, school: &domain::SchoolId, id: &str) {
    let message = CertificateMessage {
        school_id: school.clone(),
        certificate_id: id.to_owned(),
    };
    match app.certificates.send(message.body()).await {
        Ok(()) => {
            if let Err(error) = app.store.mark_certificate_queued(school, id).await {
                tracing::warn!(error = %error, "certificate queued but left for the sweep");
            }
        }
        Err(error) => tracing::warn!(error = %error, "certificate left for the sweep to queue"),
    }
}
