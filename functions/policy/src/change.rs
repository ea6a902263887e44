//! Changing the policy: a leader replaces it as a whole or adopts the
//! default. Either way the change names the version it was made from, is
//! checked against every rule and against the version it replaces, and is
//! written with its history and audit record in one transaction, or not at
//! all.

use chrono::{SubsecRound, Utc};
use domain::{Permission, Policy};
use lambda_http::{Body, Request, Response};
use platform::http::{only_known_query, request_id};
use platform::{Caller, FieldError, Problem, audit_record, store_failed};
use store::{PolicyRecord, PolicySource};

use crate::input::PolicyInput;
use crate::precondition::{failed, if_match, tagged};
use crate::read::not_set_up;
use crate::{App, no_body};

/// `PUT /v1/policy`: replaces the whole policy.
pub async fn replace(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ManagePolicy)?;
    only_known_query(request, &[])?;
    let read = if_match(request)?;
    let input = PolicyInput::read(request)?;

    save(app, caller, read, PolicySource::Edited, |_| {
        input.into_policy(0)
    })
    .await
}

/// `POST /v1/policy/adopt-default`: the default policy, as it is. Types and
/// rules of the school's own that the default lacks stay, archived.
pub async fn adopt_default(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ManagePolicy)?;
    only_known_query(request, &[])?;
    let read = if_match(request)?;
    no_body(request)?;

    save(
        app,
        caller,
        read,
        PolicySource::Adopted,
        Policy::adopting_default,
    )
    .await
}

/// Writes the policy `make` builds from the stored one as the next version,
/// if the stored one is still version `read` and the new one keeps every
/// rule.
async fn save(
    app: &App,
    caller: &Caller,
    read: u32,
    source: PolicySource,
    make: impl FnOnce(&Policy) -> Policy,
) -> Result<Response<Body>, Problem> {
    let stored = app
        .store
        .policy(&caller.school)
        .await
        .map_err(store_failed)?
        .ok_or_else(not_set_up)?;
    if stored.policy.version != read {
        return Err(stale(stored.policy.version));
    }

    let mut next = make(&stored.policy);
    next.version = stored.policy.version + 1;
    next.validate_change(&stored.policy).map_err(|problems| {
        let errors = problems
            .into_iter()
            .map(|p| FieldError::new(p.field, p.message))
            .collect();
        Problem::unprocessable("invalid-policy", errors)
    })?;

    let record = PolicyRecord {
        policy: next,
        source,
        changed_at: Some(Utc::now().trunc_subsecs(3)),
        changed_by: Some(caller.user.to_string()),
    };
    let version = record.policy.version;
    let action = match source {
        PolicySource::Adopted => "policy.adopted",
        _ => "policy.changed",
    };
    let id = request_id(caller.user.as_str(), None);
    let audit = audit_record(caller, action, "policy", vec![format!("v{version}")], &id);
    let saved = app
        .store
        .save_policy(&caller.school, &stored, &record, &audit)
        .await
        .map_err(store_failed)?;
    if !saved {
        return Err(failed(
            "the policy changed while yours was being saved: read it again",
        ));
    }

    tracing::info!(school = %caller.school, version, action, "policy changed");
    Ok(tagged(platform::http::json(200, &record), version))
}

fn stale(current: u32) -> Problem {
    failed(&format!(
        "the policy has changed since you read it (it is at version {current}): read it again"
    ))
}
