//! Reading the policy: the current one for every member of staff's app, the
//! default a new school starts with, and the history for leaders.

use domain::{Permission, Policy};
use lambda_http::{Body, Request, Response};
use platform::http::{only_known_query, query};
use platform::{Caller, Problem, store_failed};
use serde::{Deserialize, Serialize};
use store::PolicyVersion;

use crate::precondition::tagged;
use crate::{App, no_body};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = store::policy::MAX_HISTORY_PAGE;

/// A page of the policy's history, newest first.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    pub items: Vec<PolicyVersion>,
    pub next_cursor: Option<String>,
}

/// What a history cursor holds: the version the page ended on.
#[derive(Serialize, Deserialize)]
struct Position {
    before: u32,
}

/// `GET /v1/policy`: the current policy, its version also as the `ETag` a
/// change must send back.
pub async fn current(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ReadPolicy)?;
    only_known_query(request, &[])?;
    no_body(request)?;

    let record = app
        .store
        .policy(&caller.school)
        .await
        .map_err(store_failed)?
        .ok_or_else(not_set_up)?;
    let version = record.policy.version;
    Ok(tagged(platform::http::json(200, &record), version))
}

/// `GET /v1/policy/default`: the policy a new school starts with, to compare
/// with the school's own before adopting it.
pub fn default(caller: &Caller, request: &Request) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ReadPolicy)?;
    only_known_query(request, &[])?;
    no_body(request)?;
    Ok(platform::http::json(200, &Policy::default_for_new_school()))
}

/// `GET /v1/policy/history`: every version, the current one first, with
/// who made it and when; a page at a time.
pub async fn history(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ManagePolicy)?;
    only_known_query(request, &["limit", "cursor"])?;
    no_body(request)?;
    let limit = match query(request, "limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                Problem::invalid_field(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                )
            })?,
    };
    let before = match query(request, "cursor") {
        None => None,
        Some(cursor) => Some(
            app.cursors
                .open::<Position>(&caller.school, &cursor)?
                .before,
        ),
    };

    let (items, next) = app
        .store
        .policy_history(&caller.school, limit, before)
        .await
        .map_err(store_failed)?;
    let next_cursor = next.map(|before| app.cursors.seal(&caller.school, &Position { before }));
    Ok(platform::http::json(
        200,
        &HistoryPage { items, next_cursor },
    ))
}

/// The school has no policy: it was never set up.
pub fn not_set_up() -> Problem {
    Problem::not_found("your school has no behaviour policy yet")
}
