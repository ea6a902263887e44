//! Forgotten passwords: an emailed code, then a new password, and every
//! session of the account ends.

use chrono::Utc;
use domain::check_new_password;
use lambda_http::{Body, Request, Response};
use platform::http::json_body;
use platform::{Problem, store_failed};
use serde::Deserialize;
use store::{AccountStatus, CodeCheck, CodePurpose, OneTimeCode};

use crate::signup::{CODE_ATTEMPTS, send_code};
use crate::{App, BODY_LIMIT, accepted, email, mail, secrets};

/// How long a reset code lasts.
pub const RESET_MINUTES: i64 = 30;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Forgot {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Reset {
    email: String,
    code: String,
    password: String,
}

pub async fn forgot(app: &App, request: &Request) -> Result<Response<Body>, Problem> {
    let body: Forgot = json_body(request, BODY_LIMIT)?;
    let address = email(&body.email)?;
    let account = app
        .store
        .account_by_email(&address)
        .await
        .map_err(store_failed)?;
    if account.is_some_and(|a| a.status == AccountStatus::Active) {
        let code = OneTimeCode {
            purpose: CodePurpose::Reset,
            code_hash: String::new(),
            attempts_left: CODE_ATTEMPTS,
            expires_at: Utc::now().timestamp() + RESET_MINUTES * 60,
            school_id: None,
            user_id: None,
            roles: None,
        };
        send_code(app, &address, code, RESET_MINUTES * 60, |plain| {
            mail::reset_code(plain, RESET_MINUTES)
        })
        .await?;
    }
    Ok(accepted(
        "if this address has an account, a reset code is on its way to it",
    ))
}

pub async fn reset(app: &App, request: &Request) -> Result<Response<Body>, Problem> {
    let body: Reset = json_body(request, BODY_LIMIT)?;
    let address = email(&body.email)?;
    let code = body.code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::invalid_field(
            "code",
            "must be the six digits emailed to you",
        ));
    }
    check_new_password(&body.password, address.as_str())
        .map_err(|why| Problem::invalid_field("password", why.to_string()))?;
    let refused =
        || Problem::unauthenticated("the code is wrong or has expired; ask for a new one");

    let now = Utc::now();
    let checked = app
        .store
        .check_code(
            &address,
            CodePurpose::Reset,
            &secrets::digest(code),
            now.timestamp(),
        )
        .await
        .map_err(store_failed)?;
    if !matches!(checked, CodeCheck::Accepted(_)) {
        return Err(refused());
    }
    let password_hash = app.passwords.hash(&body.password);
    let request_id = crate::request_id(request);

    for _ in 0..3 {
        let mut account = app
            .store
            .account_by_email(&address)
            .await
            .map_err(store_failed)?
            .filter(|a| a.status == AccountStatus::Active)
            .ok_or_else(refused)?;
        account.password_hash = password_hash.clone();
        account.sessions_not_before_ms = now.timestamp_millis();
        account.updated_at = now;
        account.version += 1;
        let mut with = Vec::new();
        if let Some(school) = &account.school_id {
            with.push(
                app.store
                    .revocation(school, &account.user_id, now.timestamp())
                    .map_err(store_failed)?,
            );
            with.push(
                app.store
                    .audit_write(
                        school,
                        &crate::account_audit(&account, "account.passwordReset", &request_id),
                    )
                    .map_err(store_failed)?,
            );
        }
        if app
            .store
            .save_account(&account, with)
            .await
            .map_err(store_failed)?
        {
            tracing::info!(user = %account.user_id, "password reset; every session ended");
            return Ok(Response::builder()
                .status(204)
                .body(Body::Empty)
                .expect("a valid response"));
        }
    }
    Err(Problem::unavailable(1))
}
