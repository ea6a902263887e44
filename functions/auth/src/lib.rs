//! The auth function: accounts and sessions.
//!
//! | route | what |
//! | --- | --- |
//! | `POST /v1/auth/staff/signup` | email a code to a work address the school's roster holds |
//! | `POST /v1/auth/parents/signup` | a parent's name, address, password and the terms they accept |
//! | `POST /v1/auth/verify` | prove an address with its code (and choose a password): signed in |
//! | `POST /v1/auth/login` | address and password: an access token and a refresh token |
//! | `POST /v1/auth/refresh` | a refresh token for new tokens; the old one is used up |
//! | `POST /v1/auth/logout` | end the session a refresh token belongs to |
//! | `POST /v1/auth/password/forgot` | email a reset code |
//! | `POST /v1/auth/password/reset` | a reset code and a new password; every session ends |
//! | `POST /v1/auth/support/sessions` | vendor support: a token for a school that granted access |
//!
//! Answers never tell whether an address has an account: sign-up and
//! reset requests get the same answer either way, and a login with an
//! unknown address costs the same time as one with a wrong password.

pub mod mail;
pub mod secrets;

mod login;
mod reset;
mod signup;
mod support;

use chrono::Utc;
use domain::{Email, SchoolId};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use platform::auth::ACCESS_TOKEN_SECONDS;
use platform::signing::Grant;
use platform::{
    Access, ConfigError, Problem, Route, SigningKeys, TokenSigner, TokenVerifier, store_failed,
};
use serde::Serialize;
use store::{Account, AccountKind, Session, Store};

pub use mail::Mailer;
pub use platform::Passwords;

/// Every route this function answers, with who may call it.
pub const ROUTES: [Route; 9] = [
    Route::new("POST", "/v1/auth/staff/signup", Access::Public),
    Route::new("POST", "/v1/auth/parents/signup", Access::Public),
    Route::new("POST", "/v1/auth/verify", Access::Public),
    Route::new("POST", "/v1/auth/login", Access::Public),
    Route::new("POST", "/v1/auth/refresh", Access::Public),
    Route::new("POST", "/v1/auth/logout", Access::Public),
    Route::new("POST", "/v1/auth/password/forgot", Access::Public),
    Route::new("POST", "/v1/auth/password/reset", Access::Public),
    Route::new("POST", "/v1/auth/support/sessions", Access::SupportAccount),
];

/// Largest body any route accepts.
const BODY_LIMIT: usize = 4 * 1024;

/// How long a refresh token's session lasts without being used.
pub const SESSION_IDLE_DAYS: i64 = 30;

/// What the function holds for its whole life.
pub struct App {
    pub store: Store,
    pub mailer: Mailer,
    pub signer: TokenSigner,
    pub verifier: TokenVerifier,
    pub passwords: Passwords,
    /// The version of the parents' terms in force.
    pub terms_version: String,
}

impl App {
    /// Reads `TABLE_NAME`, `MAIL_FROM`, `TERMS_VERSION`,
    /// `ACCESS_TOKEN_ISSUER`, `ACCESS_TOKEN_AUDIENCE` and the signing keys
    /// from the Secrets Manager secret `SIGNING_KEYS_SECRET_ARN`.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let aws = platform::config::aws().await;
        let keys = SigningKeys::from_json(
            &platform::config::secret(&aws, "SIGNING_KEYS_SECRET_ARN").await?,
        )?;
        Self::new(
            Store::new(
                aws_sdk_dynamodb::Client::new(&aws),
                platform::env_var("TABLE_NAME")?,
            ),
            Mailer::new(
                aws_sdk_sesv2::Client::new(&aws),
                platform::env_var("MAIL_FROM")?,
            ),
            &keys,
            &platform::env_var("ACCESS_TOKEN_ISSUER")?,
            &platform::env_var("ACCESS_TOKEN_AUDIENCE")?,
            platform::env_var("TERMS_VERSION")?,
        )
    }

    pub fn new(
        store: Store,
        mailer: Mailer,
        keys: &SigningKeys,
        issuer: &str,
        audience: &str,
        terms_version: String,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            store,
            mailer,
            signer: keys.signer(issuer, audience)?,
            verifier: keys.verifier(issuer, audience),
            passwords: Passwords::new(),
            terms_version,
        })
    }
}

/// Answers one request. Every failure becomes a problem+json answer.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    let path = request.raw_http_path().to_owned();
    let method = request.method().as_str().to_owned();
    let response = dispatch(app, &request, &path, &method)
        .await
        .unwrap_or_else(|problem| problem.to_response());
    let request_id = request
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    tracing::info!(
        method,
        route = platform::route::name(&ROUTES, &path),
        status = response.status().as_u16(),
        request_id,
        "request handled"
    );
    response
}

async fn dispatch(
    app: &App,
    request: &Request,
    path: &str,
    method: &str,
) -> Result<Response<Body>, Problem> {
    let (route, _) = platform::route::find(&ROUTES, method, path)?;
    match route.path {
        "/v1/auth/staff/signup" => signup::staff(app, request).await,
        "/v1/auth/parents/signup" => signup::parent(app, request).await,
        "/v1/auth/verify" => signup::verify(app, request).await,
        "/v1/auth/login" => login::login(app, request).await,
        "/v1/auth/refresh" => login::refresh(app, request).await,
        "/v1/auth/logout" => login::logout(app, request).await,
        "/v1/auth/password/forgot" => reset::forgot(app, request).await,
        "/v1/auth/password/reset" => reset::reset(app, request).await,
        "/v1/auth/support/sessions" => support::session(app, request).await,
        _ => Err(Problem::not_found("no such route")),
    }
}

/// What a successful sign-in answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    pub user: UserSummary,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    pub id: String,
    pub kind: AccountKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub school_id: Option<SchoolId>,
    pub roles: domain::Roles,
}

/// An access token for an account as it now stands.
fn access_token(app: &App, account: &Account, now: i64) -> (String, i64) {
    app.signer.issue(
        Grant {
            subject: &account.user_id,
            school: account.school_id.as_ref(),
            roles: account.roles.clone(),
            support_grant: None,
            not_after: None,
        },
        now,
    )
}

/// Starts a session for an account: a new refresh-token family.
async fn sign_in(app: &App, account: &Account) -> Result<Response<Body>, Problem> {
    let now = Utc::now().timestamp();
    let family = secrets::random(18);
    let refresh_token = secrets::refresh_token(&family);
    let session = Session {
        family,
        account: account.key(),
        current_hash: secrets::digest(&refresh_token),
        used_hashes: Vec::new(),
        created_at_ms: Utc::now().timestamp_millis(),
        rotated_at: now,
        revoked: false,
        expires_at: now + SESSION_IDLE_DAYS * 86_400,
    };
    app.store
        .create_session(&session)
        .await
        .map_err(store_failed)?;
    Ok(signed_in(app, account, refresh_token, now))
}

fn signed_in(app: &App, account: &Account, refresh_token: String, now: i64) -> Response<Body> {
    let (access_token, expires) = access_token(app, account, now);
    debug_assert!(expires - now <= ACCESS_TOKEN_SECONDS);
    platform::http::json(
        200,
        &SignedIn {
            access_token,
            token_type: "Bearer",
            expires_in: expires - now,
            refresh_token,
            user: UserSummary {
                id: account.user_id.clone(),
                kind: account.kind,
                school_id: account.school_id.clone(),
                roles: account.roles.clone(),
            },
        },
    )
}

/// The answer to requests that must not tell whether an address is known.
fn accepted(detail: &str) -> Response<Body> {
    platform::http::json(202, &serde_json::json!({ "detail": detail }))
}

/// Parses an address field, naming it when it is not an address.
fn email(raw: &str) -> Result<Email, Problem> {
    Email::parse(raw).map_err(|e| Problem::invalid_field("email", e.to_string()))
}

/// Where a request came from, as API Gateway saw it.
fn source_ip(request: &Request) -> String {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .http
            .source_ip
            .clone()
            .unwrap_or_else(|| "unknown".into()),
        _ => "unknown".into(),
    }
}

/// The audit record of something done to an account, by its owner or by
/// the service itself.
fn account_audit(account: &Account, action: &str, request_id: &str) -> store::AuditRecord {
    store::AuditRecord {
        id: request_id.to_owned(),
        at: Utc::now(),
        actor: account.user_id.clone(),
        actor_roles: account.roles.clone(),
        action: action.to_owned(),
        target_type: "account".to_owned(),
        target_ids: vec![account.user_id.clone()],
        request_id: request_id.to_owned(),
        grant: None,
    }
}

fn request_id(request: &Request) -> String {
    request
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| ulid::Ulid::new().to_string())
}
