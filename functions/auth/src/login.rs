//! Login, refresh and logout.
//!
//! Failed logins are counted per address and per source address. Past a
//! limit the answer is 429 with `Retry-After`, checked before the password,
//! so that even the right password waits out the lock. Staff of a school
//! that has revoked our access get 403 `school-disabled` at login and at
//! refresh.

use chrono::Utc;
use lambda_http::{Body, Request, Response};
use platform::http::json_body;
use platform::{Problem, store_failed};
use serde::Deserialize;
use store::{
    Account, AccountKind, AccountStatus, SchoolStatus, TermsAcceptance, Throttle,
    identity::email_key,
};

use crate::{App, BODY_LIMIT, SESSION_IDLE_DAYS, email, secrets, signed_in, source_ip};

/// Failures are counted over this window.
pub const WINDOW_SECONDS: i64 = 15 * 60;
/// Failures of one address the window allows before it locks.
pub const ACCOUNT_LIMIT: u32 = 5;
/// Failures from one source the window allows; a school's staff share one
/// public address, so this is far higher than the per-address limit.
pub const SOURCE_LIMIT: u32 = 100;
/// The first lock of an address; each further failure doubles it.
pub const FIRST_LOCK_SECONDS: i64 = 60;
/// The longest lock.
pub const MAX_LOCK_SECONDS: i64 = 15 * 60;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Login {
    email: String,
    password: String,
    /// A parent accepting a new version of the terms at this login.
    #[serde(default)]
    accept_terms: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Refresh {
    refresh_token: String,
}

/// How long `what` stays locked after `failures` in the window; none below
/// the limit.
pub fn lock_seconds(failures: u32, limit: u32) -> Option<i64> {
    let over = failures.checked_sub(limit)?;
    let seconds = FIRST_LOCK_SECONDS.saturating_mul(1i64 << over.min(20));
    Some(seconds.min(MAX_LOCK_SECONDS))
}

fn wrong() -> Problem {
    Problem::unauthenticated("the email address or the password is wrong")
}

pub async fn login(app: &App, request: &Request) -> Result<Response<Body>, Problem> {
    let body: Login = json_body(request, BODY_LIMIT)?;
    let address = email(&body.email)?;
    if body.password.is_empty() || body.password.chars().count() > domain::password::MAX_LENGTH {
        return Err(wrong());
    }
    let now = Utc::now();
    let seconds = now.timestamp();
    let by_account = format!("ACCOUNT#{}", email_key(&address));
    let by_source = format!("SOURCE#{}", source_ip(request));
    let throttles = app
        .store
        .throttles(&[by_account.clone(), by_source.clone()])
        .await
        .map_err(store_failed)?;
    if let Some(until) = throttles.iter().map(|t| t.locked_until).max()
        && until > seconds
    {
        return Err(locked(until - seconds));
    }

    let account = app
        .store
        .account_by_email(&address)
        .await
        .map_err(store_failed)?;
    let right = match &account {
        Some(account) => app.passwords.verify(&body.password, &account.password_hash),
        None => {
            app.passwords.verify_decoy(&body.password);
            false
        }
    };
    let Some(mut account) = account.filter(|_| right) else {
        count_failure(app, &by_account, ACCOUNT_LIMIT, seconds).await?;
        count_failure(app, &by_source, SOURCE_LIMIT, seconds).await?;
        return Err(wrong());
    };

    match account.status {
        AccountStatus::Active => {}
        AccountStatus::Pending => {
            return Err(Problem::forbidden_as(
                "email-not-verified",
                "prove your email address with the code we sent before signing in",
            ));
        }
        AccountStatus::Disabled => {
            return Err(Problem::forbidden_as(
                "account-disabled",
                "this account has been disabled by your school",
            ));
        }
    }
    refuse_disabled_school(app, &account).await?;
    if account.kind == AccountKind::Parent
        && account.terms.as_ref().map(|t| t.version.as_str()) != Some(app.terms_version.as_str())
    {
        if body.accept_terms.as_deref() != Some(app.terms_version.as_str()) {
            return Err(Problem::forbidden_as(
                "terms-not-accepted",
                format!(
                    "the terms have changed; read version {} and sign in again with acceptTerms set to it",
                    app.terms_version
                ),
            ));
        }
        account.terms = Some(TermsAcceptance {
            version: app.terms_version.clone(),
            accepted_at: now,
        });
        account.updated_at = now;
        account.version += 1;
        if !app
            .store
            .save_account(&account, vec![])
            .await
            .map_err(store_failed)?
        {
            return Err(Problem::conflict(
                "account-changed",
                "the account changed while signing in; try again",
            ));
        }
    }

    app.store
        .clear_throttle(&by_account)
        .await
        .map_err(store_failed)?;
    tracing::info!(user = %account.user_id, "signed in");
    crate::sign_in(app, &account).await
}

/// Staff of a school that has revoked our access through Wonde neither
/// sign in nor refresh. Their sessions are kept: if the school approves
/// access again, they carry on.
async fn refuse_disabled_school(app: &App, account: &Account) -> Result<(), Problem> {
    let Some(school) = &account.school_id else {
        return Ok(());
    };
    let status = app
        .store
        .school_status(school)
        .await
        .map_err(store_failed)?;
    if status == SchoolStatus::Disabled {
        tracing::info!(user = %account.user_id, school = %school, "sign-in refused: the school is disabled");
        return Err(platform::school_disabled());
    }
    Ok(())
}

fn locked(seconds: i64) -> Problem {
    Problem::too_many_requests(
        u32::try_from(seconds).unwrap_or(u32::MAX),
        "too many failed sign-ins; wait before trying again",
    )
}

async fn count_failure(app: &App, what: &str, limit: u32, now: i64) -> Result<(), Problem> {
    let Throttle { failures, .. } = app
        .store
        .count_failure(what, now, WINDOW_SECONDS)
        .await
        .map_err(store_failed)?;
    if let Some(seconds) = lock_seconds(failures, limit) {
        tracing::warn!(failures, "sign-ins locked after repeated failures");
        app.store
            .lock(what, now + seconds)
            .await
            .map_err(store_failed)?;
    }
    Ok(())
}

/// The session and account a refresh token belongs to, if both still stand.
async fn live_session(
    app: &App,
    token: &str,
) -> Result<(store::Session, Account, String), Problem> {
    let refused =
        || Problem::unauthenticated("the refresh token is invalid or has expired; sign in again");
    let family = secrets::family_of(token).ok_or_else(refused)?;
    let session = app
        .store
        .session(family)
        .await
        .map_err(store_failed)?
        .ok_or_else(refused)?;
    let now = Utc::now().timestamp();
    if session.revoked || session.expires_at <= now {
        return Err(refused());
    }
    let hash = secrets::digest(token);
    if hash != session.current_hash {
        if session.used_hashes.contains(&hash) {
            // A used token came back: it was copied. End the whole family,
            // the thief's copy and the owner's alike.
            tracing::warn!(family = %session.family, "a refresh token was reused; the session is revoked");
            app.store
                .revoke_session(&session.family)
                .await
                .map_err(store_failed)?;
        }
        return Err(refused());
    }
    let account = app
        .store
        .account(&session.account)
        .await
        .map_err(store_failed)?
        .filter(|a| a.status == AccountStatus::Active)
        .filter(|a| session.created_at_ms > a.sessions_not_before_ms)
        .ok_or_else(refused)?;
    Ok((session, account, hash))
}

pub async fn refresh(app: &App, request: &Request) -> Result<Response<Body>, Problem> {
    let body: Refresh = json_body(request, BODY_LIMIT)?;
    let (session, account, _) = live_session(app, body.refresh_token.trim()).await?;
    refuse_disabled_school(app, &account).await?;
    let now = Utc::now().timestamp();
    let next = secrets::refresh_token(&session.family);
    let rotated = app
        .store
        .rotate_session(
            &session,
            &secrets::digest(&next),
            now,
            now + SESSION_IDLE_DAYS * 86_400,
        )
        .await
        .map_err(store_failed)?;
    if !rotated {
        // Another refresh with the same token won the race: one of the two
        // is a copy.
        app.store
            .revoke_session(&session.family)
            .await
            .map_err(store_failed)?;
        return Err(Problem::unauthenticated(
            "the refresh token was used twice; sign in again",
        ));
    }
    Ok(signed_in(app, &account, next, now))
}

pub async fn logout(app: &App, request: &Request) -> Result<Response<Body>, Problem> {
    let body: Refresh = json_body(request, BODY_LIMIT)?;
    let token = body.refresh_token.trim();
    if let Some(family) = secrets::family_of(token)
        && let Some(session) = app.store.session(family).await.map_err(store_failed)?
    {
        let hash = secrets::digest(token);
        if session.current_hash == hash || session.used_hashes.contains(&hash) {
            app.store
                .revoke_session(family)
                .await
                .map_err(store_failed)?;
        }
    }
    Ok(Response::builder()
        .status(204)
        .body(Body::Empty)
        .expect("a valid response"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_start_at_the_limit_and_double_to_a_cap() {
        assert_eq!(lock_seconds(4, 5), None);
        assert_eq!(lock_seconds(5, 5), Some(60));
        assert_eq!(lock_seconds(6, 5), Some(120));
        assert_eq!(lock_seconds(8, 5), Some(480));
        assert_eq!(lock_seconds(9, 5), Some(900));
        assert_eq!(lock_seconds(500, 5), Some(900));
    }
}
