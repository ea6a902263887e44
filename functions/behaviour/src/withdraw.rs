//! `POST /v1/behaviours/{id}/withdraw`: take back a behaviour logged by
//! mistake. The withdrawal is a new fact; the original stays on record.

use chrono::{SubsecRound, Utc};
use domain::{Behaviour, BehaviourId, Permission, Reason, Withdrawal};
use lambda_http::{Body, Request, Response};
use platform::http::{fingerprint, idempotency_key, json_body, request_id};
use platform::{Caller, Problem};
use serde::{Deserialize, Serialize};
use store::{WithdrawCommand, WithdrawResult};

use crate::log::PupilAfter;
use crate::{App, BODY_LIMIT, school, store_failed};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WithdrawRequest {
    reason: Reason,
}

/// The answer: the behaviour with its withdrawal, and the pupil's light and
/// points after it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawResponse {
    pub behaviour: Behaviour,
    pub pupil: PupilAfter,
}

pub async fn withdraw(
    app: &App,
    caller: &Caller,
    request: &Request,
    id: &str,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::WithdrawOwnBehaviour)?;
    let not_found = || Problem::not_found("no such behaviour in your school");
    let behaviour_id = BehaviourId::parse(id).map_err(|_| not_found())?;
    let key = idempotency_key(request)?;
    let body: WithdrawRequest = json_body(request, BODY_LIMIT)?;
    let (_, policy) = school(app, caller).await?;

    let mut ids = ulid::Generator::new();
    let command = WithdrawCommand {
        school: caller.school.clone(),
        request_id: request_id(caller.user.as_str(), key.as_deref()),
        fingerprint: fingerprint(request),
        behaviour_id,
        withdrawal: Withdrawal {
            id: BehaviourId::new(ids.generate().unwrap_or_else(|_| ulid::Ulid::new())),
            reason: body.reason,
            withdrawn_at: Utc::now().trunc_subsecs(3),
            withdrawn_by: caller.user.clone(),
        },
        ladder: policy.ladder,
        may_withdraw_any: caller
            .scopes(Permission::WithdrawAnyBehaviour)
            .contains(&domain::Scope::WholeSchool),
        audit: platform::audit_record(
            caller,
            "behaviour.withdrawn",
            "behaviour",
            vec![behaviour_id.to_string()],
            &request_id(caller.user.as_str(), key.as_deref()),
        ),
    };
    let request_id = command.request_id.clone();

    let (outcome, replayed) = match app.store.withdraw(command).await.map_err(store_failed)? {
        WithdrawResult::Withdrawn { outcome, event } => {
            crate::publish(app, &caller.school, &request_id, event).await;
            tracing::info!(school = %caller.school, behaviour = %behaviour_id, "behaviour withdrawn");
            (outcome, false)
        }
        WithdrawResult::Replayed(outcome) => (outcome, true),
        WithdrawResult::NotFound => return Err(not_found()),
        WithdrawResult::AlreadyWithdrawn => {
            return Err(Problem::conflict(
                "already-withdrawn",
                "this behaviour was already withdrawn",
            ));
        }
        WithdrawResult::NotYours => {
            return Err(Problem::forbidden(
                "you may only withdraw behaviours you logged",
            ));
        }
        WithdrawResult::Mismatch => return Err(crate::key_reused()),
    };

    let body = WithdrawResponse {
        behaviour: outcome.behaviour.clone(),
        pupil: PupilAfter::from(&outcome),
    };
    let mut response = platform::http::json(200, &body);
    if replayed {
        response.headers_mut().insert(
            "idempotent-replayed",
            "true".parse().expect("a valid header"),
        );
    }
    Ok(response)
}
