//! Signing up: staff prove a work address the roster holds, parents give
//! their details and accept the terms, and both prove their address with an
//! emailed code. Invitations from the operator end at the same door.

use chrono::Utc;
use domain::{Role, Roles, check_new_password};
use lambda_http::{Body, Request, Response};
use platform::http::json_body;
use platform::{FieldError, Problem, store_failed};
use serde::Deserialize;
use store::{
    Account, AccountKind, AccountStatus, CodeCheck, CodePurpose, OneTimeCode, TermsAcceptance,
};

use crate::{App, BODY_LIMIT, accepted, email, mail, secrets};

/// How long a sign-up code lasts.
pub const VERIFY_MINUTES: i64 = 30;
/// Wrong tries a code survives.
pub const CODE_ATTEMPTS: u32 = 5;
/// A new code is not sent sooner than this after the last one.
pub const RESEND_SECONDS: i64 = 60;

const SENT: &str = "if this address can sign up, a code is on its way to it";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StaffSignup {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ParentSignup {
    name: String,
    email: String,
    password: String,
    /// The version of the terms the parent was shown and accepted.
    accept_terms: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Verify {
    email: String,
    code: String,
    /// Staff and invited admins choose their password here; parents chose
    /// theirs when they signed up.
    #[serde(default)]
    password: Option<String>,
}

/// Stores a fresh code and emails it, unless one was sent moments ago or
/// the address is on the suppression list (then no code is stored either,
/// so one can be sent at once when the suppression is lifted).
pub(crate) async fn send_code(
    app: &App,
    address: &domain::Email,
    mut code: OneTimeCode,
    lifetime_seconds: i64,
    letter: impl FnOnce(&str) -> mail::Letter,
) -> Result<(), Problem> {
    if app.mailer.suppressed(&app.store, address).await {
        return Ok(());
    }
    let now = Utc::now().timestamp();
    if let Some(previous) = app
        .store
        .code(address, code.purpose)
        .await
        .map_err(store_failed)?
        && previous.expires_at - lifetime_seconds > now - RESEND_SECONDS
        && previous.expires_at > now
    {
        return Ok(());
    }
    let plain = secrets::new_code();
    code.code_hash = secrets::digest(&plain);
    app.store
        .put_code(address, &code)
        .await
        .map_err(store_failed)?;
    // A lost email is not the caller's fault, and saying so would tell them
    // the address is known; they can ask again in a minute.
    let _ = app.mailer.send(address, letter(&plain)).await;
    Ok(())
}

pub async fn staff(app: &App, request: &Request) -> Result<Response<Body>, Problem> {
    let body: StaffSignup = json_body(request, BODY_LIMIT)?;
    let address = email(&body.email)?;

    if let Some(account) = app
        .store
        .account_by_email(&address)
        .await
        .map_err(store_failed)?
    {
        if account.status != AccountStatus::Pending {
            let _ = app
                .mailer
                .send_unless_suppressed(&app.store, &address, mail::already_registered())
                .await;
        }
        return Ok(accepted(SENT));
    }
    let matches = app
        .store
        .staff_by_email(&address)
        .await
        .map_err(store_failed)?;
    // An address on two schools' rosters is one person with two jobs; they
    // sign up to the first, and the second school's admin can be asked to
    // correct the roster.
    let Some((school, member)) = matches.into_iter().next() else {
        return Ok(accepted(SENT));
    };
    let now = Utc::now().timestamp();
    let code = OneTimeCode {
        purpose: CodePurpose::Verify,
        code_hash: String::new(),
        attempts_left: CODE_ATTEMPTS,
        expires_at: now + VERIFY_MINUTES * 60,
        school_id: Some(school),
        user_id: Some(member.id.to_string()),
        roles: Some(Roles::new([Role::Teacher])),
    };
    send_code(app, &address, code, VERIFY_MINUTES * 60, |plain| {
        mail::verify_code(plain, VERIFY_MINUTES)
    })
    .await?;
    Ok(accepted(SENT))
}

pub async fn parent(app: &App, request: &Request) -> Result<Response<Body>, Problem> {
    let body: ParentSignup = json_body(request, BODY_LIMIT)?;
    let mut errors = Vec::new();
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new("name", "must be 1 to 100 characters"));
    }
    let address = match domain::Email::parse(&body.email) {
        Ok(address) => Some(address),
        Err(e) => {
            errors.push(FieldError::new("email", e.to_string()));
            None
        }
    };
    if let Some(address) = &address
        && let Err(why) = check_new_password(&body.password, address.as_str())
    {
        errors.push(FieldError::new("password", why.to_string()));
    }
    if body.accept_terms != app.terms_version {
        errors.push(FieldError::new(
            "acceptTerms",
            format!(
                "must be the version of the terms in force, {}",
                app.terms_version
            ),
        ));
    }
    let (Some(address), true) = (address, errors.is_empty()) else {
        return Err(Problem::invalid(errors));
    };

    // Hash before looking the address up, so both answers take as long.
    let password_hash = app.passwords.hash(&body.password);
    let now = Utc::now();
    let existing = app
        .store
        .account_by_email(&address)
        .await
        .map_err(store_failed)?;
    let account = match existing {
        Some(account) if account.status != AccountStatus::Pending => {
            let _ = app
                .mailer
                .send_unless_suppressed(&app.store, &address, mail::already_registered())
                .await;
            return Ok(accepted(SENT));
        }
        Some(account) if account.kind != AccountKind::Parent => return Ok(accepted(SENT)),
        // Signed up before without proving the address: the latest details
        // win, so nobody can hold an address they do not own.
        Some(mut account) => {
            account.name = Some(name);
            account.password_hash = password_hash;
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
                return Ok(accepted(SENT));
            }
            account
        }
        None => {
            let account = Account {
                user_id: format!("parent-{}", ulid::Ulid::new().to_string().to_lowercase()),
                kind: AccountKind::Parent,
                school_id: None,
                email: address.clone(),
                name: Some(name),
                password_hash,
                roles: Roles::new([Role::Parent]),
                status: AccountStatus::Pending,
                sessions_not_before_ms: 0,
                terms: Some(TermsAcceptance {
                    version: app.terms_version.clone(),
                    accepted_at: now,
                }),
                created_at: now,
                updated_at: now,
                version: 1,
            };
            if !app
                .store
                .create_account(&account, vec![])
                .await
                .map_err(store_failed)?
            {
                return Ok(accepted(SENT));
            }
            account
        }
    };

    let code = OneTimeCode {
        purpose: CodePurpose::Verify,
        code_hash: String::new(),
        attempts_left: CODE_ATTEMPTS,
        expires_at: now.timestamp() + VERIFY_MINUTES * 60,
        school_id: None,
        user_id: Some(account.user_id.clone()),
        roles: None,
    };
    send_code(app, &address, code, VERIFY_MINUTES * 60, |plain| {
        mail::verify_code(plain, VERIFY_MINUTES)
    })
    .await?;
    Ok(accepted(SENT))
}

pub async fn verify(app: &App, request: &Request) -> Result<Response<Body>, Problem> {
    let body: Verify = json_body(request, BODY_LIMIT)?;
    let address = email(&body.email)?;
    let code = body.code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::invalid_field(
            "code",
            "must be the six digits emailed to you",
        ));
    }
    if let Some(password) = &body.password {
        check_new_password(password, address.as_str())
            .map_err(|why| Problem::invalid_field("password", why.to_string()))?;
    }
    let refused =
        || Problem::unauthenticated("the code is wrong or has expired; ask for a new one");

    let hash = secrets::digest(code);
    let now = Utc::now();
    // An invitation, if one waits, is checked first: it carries more.
    let mut accepted_code = None;
    for purpose in [CodePurpose::Invite, CodePurpose::Verify] {
        let Some(pending) = app
            .store
            .code(&address, purpose)
            .await
            .map_err(store_failed)?
        else {
            continue;
        };
        // Staff and invited admins choose their password here: asking for
        // it before the code is checked leaves the code for the retry.
        if pending.roles.is_some() && body.password.is_none() {
            return Err(Problem::invalid_field(
                "password",
                "choose a password to finish signing up",
            ));
        }
        if let CodeCheck::Accepted(found) = app
            .store
            .check_code(&address, purpose, &hash, now.timestamp())
            .await
            .map_err(store_failed)?
        {
            accepted_code = Some(found);
            break;
        }
    }
    let found = accepted_code.ok_or_else(refused)?;

    let request_id = crate::request_id(request);
    match (&found.school_id, &found.roles) {
        // A parent proving the address they signed up with.
        (None, None) => {
            let mut account = app
                .store
                .account_by_email(&address)
                .await
                .map_err(store_failed)?
                .filter(|a| a.status == AccountStatus::Pending)
                .ok_or_else(refused)?;
            account.status = AccountStatus::Active;
            account.updated_at = now;
            account.version += 1;
            if let Some(password) = &body.password {
                account.password_hash = app.passwords.hash(password);
            }
            if !app
                .store
                .save_account(&account, vec![])
                .await
                .map_err(store_failed)?
            {
                return Err(Problem::conflict(
                    "account-changed",
                    "the account changed while it was being verified; sign in",
                ));
            }
            crate::sign_in(app, &account).await
        }
        // Staff proving a roster address, an invited admin, or vendor support.
        (school, Some(roles)) => {
            let password = body.password.as_deref().ok_or_else(|| {
                Problem::invalid_field("password", "choose a password to finish signing up")
            })?;
            let user_id = found.user_id.clone().ok_or_else(refused)?;
            let kind = if roles.contains(Role::Support) {
                AccountKind::Support
            } else {
                AccountKind::Staff
            };
            let account = Account {
                user_id,
                kind,
                school_id: school.clone(),
                email: address.clone(),
                name: None,
                password_hash: app.passwords.hash(password),
                roles: roles.clone(),
                status: AccountStatus::Active,
                sessions_not_before_ms: 0,
                terms: None,
                created_at: now,
                updated_at: now,
                version: 1,
            };
            let audit = match &account.school_id {
                Some(school) => vec![
                    app.store
                        .audit_write(
                            school,
                            &crate::account_audit(&account, "account.created", &request_id),
                        )
                        .map_err(store_failed)?,
                ],
                None => vec![],
            };
            if !app
                .store
                .create_account(&account, audit)
                .await
                .map_err(store_failed)?
            {
                return Err(Problem::conflict(
                    "already-registered",
                    "this address already has an account; sign in or reset the password",
                ));
            }
            tracing::info!(user = %account.user_id, kind = ?account.kind, "account created");
            crate::sign_in(app, &account).await
        }
        (Some(_), None) => Err(refused()),
    }
}
