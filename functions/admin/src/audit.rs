//! `GET /v1/admin/audit`: the school's audit log, newest first, by actor,
//! action and time range, a page at a time.

use chrono::{DateTime, Datelike};
use domain::{Permission, StaffId};
use lambda_http::{Body, Request, Response};
use platform::http::{only_known_query, query};
use platform::{Caller, FieldError, Problem, store_failed};
use serde::{Deserialize, Serialize};
use store::{AuditQuery, AuditRecord};

use crate::App;

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 200;
const MAX_ACTION_LEN: usize = 64;

/// A page of the audit log.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub items: Vec<AuditRecord>,
    pub next_cursor: Option<String>,
}

/// What a cursor holds: where the page ended, and the filters it was for,
/// so it cannot be replayed against another list.
#[derive(Serialize, Deserialize)]
struct Position {
    filters: String,
    after: String,
}

pub async fn list(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ReadAudit)?;
    only_known_query(
        request,
        &["actor", "action", "from", "to", "limit", "cursor"],
    )?;
    let mut filter = read_filter(request)?;

    let filters = describe(&filter);
    if let Some(cursor) = query(request, "cursor") {
        let position: Position = app.cursors.open(&caller.school, &cursor)?;
        if position.filters != filters {
            return Err(Problem::invalid_field(
                "cursor",
                "belongs to a list with other filters",
            ));
        }
        filter.after = Some(position.after);
    }

    let (items, after) = app
        .store
        .audit(&caller.school, &filter)
        .await
        .map_err(store_failed)?;
    let next_cursor = after.map(|after| {
        app.cursors
            .seal(&caller.school, &Position { filters, after })
    });
    Ok(platform::http::json(200, &AuditPage { items, next_cursor }))
}

/// The filters of the query string, or every refused parameter.
fn read_filter(request: &Request) -> Result<AuditQuery, Problem> {
    let mut errors = Vec::new();
    let mut refuse = |field: &str, message: String| errors.push(FieldError::new(field, message));

    let actor = query(request, "actor");
    if actor.as_deref().is_some_and(|a| StaffId::parse(a).is_err()) {
        refuse("actor", "is not a user id".into());
    }
    let action = query(request, "action");
    if action.as_deref().is_some_and(|a| !is_action(a)) {
        refuse(
            "action",
            "must be an action such as role.granted, or a prefix ending in '.' such as role."
                .into(),
        );
    }
    let mut instant = |name: &str| {
        let raw = query(request, name)?;
        let parsed = DateTime::parse_from_rfc3339(&raw)
            .ok()
            .map(|at| at.to_utc())
            // Keys hold instants as fixed-width text, which holds for years 0 to 9999.
            .filter(|at| (0..=9999).contains(&at.year()));
        if parsed.is_none() {
            refuse(name, "must be an RFC 3339 date and time".into());
        }
        parsed
    };
    let from = instant("from");
    let to = instant("to");
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        refuse("from", "must not be after 'to'".into());
    }
    let limit = match query(request, "limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                refuse(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                );
                DEFAULT_LIMIT
            }
        },
    };

    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    Ok(AuditQuery {
        actor,
        action,
        from,
        to,
        limit,
        after: None,
    })
}

/// An action (`role.granted`) or a prefix of one that ends in `.`
/// (`role.`): dot-separated words of letters, digits, `-` and `_`.
fn is_action(raw: &str) -> bool {
    let words = raw.strip_suffix('.').unwrap_or(raw);
    raw.len() <= MAX_ACTION_LEN
        && words.split('.').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn describe(filter: &AuditQuery) -> String {
    [
        filter.actor.clone().unwrap_or_default(),
        filter.action.clone().unwrap_or_default(),
        filter.from.map(|t| t.to_rfc3339()).unwrap_or_default(),
        filter.to.map(|t| t.to_rfc3339()).unwrap_or_default(),
    ]
    .join("|")
}

#[cfg(test)]
mod tests {
    use super::is_action;

    #[test]
    fn actions_and_prefixes_are_recognised() {
        for good in ["role.granted", "role.", "support.request", "account"] {
            assert!(is_action(good), "{good}");
        }
        for bad in ["", ".", "role..", "role granted", "role.*", ".role", "a#b"] {
            assert!(!is_action(bad), "{bad}");
        }
    }
}
