//! Vendor support access: the school's admin lets support engineers reach
//! the school for a stated reason and a number of hours, sees every grant
//! given, and can end one early. A grant starts at once; the gate of every
//! function refuses support tokens once it has ended.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use domain::Permission;
use lambda_http::{Body, Request, Response};
use platform::http::{idempotency_key, json_body, only_known_query, request_id};
use platform::{Caller, FieldError, Problem, audit_record, store_failed};
use serde::{Deserialize, Serialize};
use store::SupportGrant;

use crate::{App, BODY_LIMIT, no_body};

const MAX_REASON_CHARS: usize = 500;
const MAX_HOURS: i64 = 7 * 24;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GrantRequest {
    reason: String,
    #[serde(deserialize_with = "platform::http::whole_number")]
    hours: i64,
}

/// A grant as the admin screens show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantView {
    #[serde(flatten)]
    pub grant: SupportGrant,
    /// Whether support may use it now.
    pub live: bool,
}

impl GrantView {
    fn new(grant: SupportGrant, now: DateTime<Utc>) -> Self {
        let live = grant.is_live(now);
        Self { grant, live }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct GrantList {
    pub items: Vec<GrantView>,
}

/// `POST /v1/admin/support-grants`. The grant's id comes from the caller and
/// their `Idempotency-Key`, so a retry finds the grant the first attempt
/// made instead of making a second.
pub async fn create(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ManageSupportAccess)?;
    only_known_query(request, &[])?;
    let key = idempotency_key(request)?;
    let body: GrantRequest = json_body(request, BODY_LIMIT)?;
    let reason = check(&body)?;

    let id = request_id(caller.user.as_str(), key.as_deref());
    let now = Utc::now().trunc_subsecs(3);
    let grant = SupportGrant {
        id: id.clone(),
        granted_by: caller.user.to_string(),
        reason,
        starts_at: now,
        ends_at: now + Duration::hours(body.hours),
        ended_by: None,
        ended_at: None,
    };
    let record = audit_record(
        caller,
        "support.granted",
        "supportGrant",
        vec![id.clone(), format!("hours:{}", body.hours)],
        &id,
    );
    let writes = vec![
        app.store
            .grant_write(&caller.school, &grant)
            .map_err(store_failed)?,
        app.store
            .audit_write(&caller.school, &record)
            .map_err(store_failed)?,
    ];
    if app.store.transact(writes).await.map_err(store_failed)? {
        app.gate.forget(&caller.school);
        tracing::info!(school = %caller.school, grant = %id, hours = body.hours, "support access granted");
        return Ok(platform::http::json(201, &GrantView::new(grant, now)));
    }

    // The grant exists already: this is a retry, or the key was used before.
    let first = app
        .store
        .grant(&caller.school, &id)
        .await
        .map_err(store_failed)?
        .ok_or_else(|| Problem::unavailable(1))?;
    let same = first.granted_by == grant.granted_by
        && first.reason == grant.reason
        && first.ends_at - first.starts_at == grant.ends_at - grant.starts_at;
    if !same {
        return Err(Problem::unprocessable(
            "idempotency-key-reused",
            vec![FieldError::new(
                "Idempotency-Key",
                "was already used for a different request",
            )],
        ));
    }
    let mut response = platform::http::json(201, &GrantView::new(first, Utc::now()));
    response.headers_mut().insert(
        "idempotent-replayed",
        "true".parse().expect("a valid header"),
    );
    Ok(response)
}

/// The reason, trimmed, if the request is acceptable; every refused field
/// otherwise.
fn check(body: &GrantRequest) -> Result<String, Problem> {
    let mut errors = Vec::new();
    let reason = body.reason.trim();
    if reason.is_empty() {
        errors.push(FieldError::new("reason", "say why support needs access"));
    } else if reason.chars().count() > MAX_REASON_CHARS {
        errors.push(FieldError::new(
            "reason",
            format!("must be at most {MAX_REASON_CHARS} characters"),
        ));
    }
    if !(1..=MAX_HOURS).contains(&body.hours) {
        errors.push(FieldError::new(
            "hours",
            format!("must be a whole number from 1 to {MAX_HOURS}"),
        ));
    }
    if errors.is_empty() {
        Ok(reason.to_owned())
    } else {
        Err(Problem::invalid(errors))
    }
}

/// `GET /v1/admin/support-grants`: every grant the school gave, newest
/// first. Grants are few (one per support ticket), so there is one page.
pub async fn list(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ManageSupportAccess)?;
    only_known_query(request, &[])?;

    let state = app
        .store
        .access_state(&caller.school)
        .await
        .map_err(store_failed)?;
    let now = Utc::now();
    let mut grants = state.grants;
    grants.sort_by(|a, b| (b.starts_at, &b.id).cmp(&(a.starts_at, &a.id)));
    let items = grants
        .into_iter()
        .map(|grant| GrantView::new(grant, now))
        .collect();
    Ok(platform::http::json(200, &GrantList { items }))
}

/// `POST /v1/admin/support-grants/{id}/end`: ends a live grant now.
pub async fn end(
    app: &App,
    caller: &Caller,
    request: &Request,
    id: &str,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ManageSupportAccess)?;
    only_known_query(request, &[])?;
    no_body(request)?;
    let key = idempotency_key(request)?;

    let not_found = || Problem::not_found("no such support grant in your school");
    let safe = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !safe {
        return Err(not_found());
    }
    let grant = app
        .store
        .grant(&caller.school, id)
        .await
        .map_err(store_failed)?
        .ok_or_else(not_found)?;
    let now = Utc::now().trunc_subsecs(3);
    if grant.ended_at.is_some() {
        return Err(already_ended());
    }
    if grant.ends_at <= now {
        return Err(Problem::conflict(
            "grant-expired",
            "this grant has already run out",
        ));
    }

    let mut ended = grant;
    ended.ended_at = Some(now);
    ended.ended_by = Some(caller.user.to_string());
    let request_id = request_id(caller.user.as_str(), key.as_deref());
    let record = audit_record(
        caller,
        "support.ended",
        "supportGrant",
        vec![ended.id.clone()],
        &request_id,
    );
    let writes = vec![
        app.store
            .end_grant_write(&caller.school, &ended)
            .map_err(store_failed)?,
        app.store
            .audit_write(&caller.school, &record)
            .map_err(store_failed)?,
    ];
    if !app.store.transact(writes).await.map_err(store_failed)? {
        // Someone ended it between the read and the write.
        return Err(already_ended());
    }
    app.gate.forget(&caller.school);
    tracing::info!(school = %caller.school, grant = %ended.id, "support access ended");
    Ok(platform::http::json(200, &GrantView::new(ended, now)))
}

fn already_ended() -> Problem {
    Problem::conflict("grant-ended", "this grant was already ended")
}
