//! `GET /v1/behaviours`: the school's behaviours by pupil, class, member of
//! staff and time range, newest first, a page at a time.

use std::collections::HashMap;

use chrono::{DateTime, Datelike};
use domain::{Behaviour, ClassId, Permission, PupilId, StaffId};
use lambda_http::{Body, Request, Response};
use platform::http::{only_known_query, query};
use platform::{Caller, FieldError, Problem};
use serde::{Deserialize, Serialize};
use store::BehaviourQuery;

use crate::{App, reaches_class, store_failed};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 100;

/// A page of behaviours.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BehaviourPage {
    pub items: Vec<Behaviour>,
    pub next_cursor: Option<String>,
}

/// What a cursor holds: where the page ended, and the filters it was for,
/// so it cannot be replayed against another list.
#[derive(Serialize, Deserialize)]
struct Position {
    filters: String,
    after: HashMap<String, String>,
}

fn parse<T>(
    request: &Request,
    name: &str,
    errors: &mut Vec<FieldError>,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    let raw = query(request, name)?;
    let parsed = parse(&raw);
    if parsed.is_none() {
        errors.push(FieldError::new(name, "is not valid"));
    }
    parsed
}

pub async fn list(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ReadBehaviour)?;
    only_known_query(
        request,
        &[
            "pupilId", "classId", "staffId", "from", "to", "limit", "cursor",
        ],
    )?;

    let mut errors = Vec::new();
    // Keys store instants as fixed-width text, which holds for years 0 to 9999.
    let instant = |raw: &str| {
        DateTime::parse_from_rfc3339(raw)
            .ok()
            .map(|at| at.to_utc())
            .filter(|at| (0..=9999).contains(&at.year()))
    };
    let mut filter = BehaviourQuery {
        pupil: parse(request, "pupilId", &mut errors, |raw| {
            PupilId::parse(raw).ok()
        }),
        class: parse(request, "classId", &mut errors, |raw| {
            ClassId::parse(raw).ok()
        }),
        staff: parse(request, "staffId", &mut errors, |raw| {
            StaffId::parse(raw).ok()
        }),
        from: parse(request, "from", &mut errors, instant),
        to: parse(request, "to", &mut errors, instant),
        limit: parse(request, "limit", &mut errors, |raw| {
            raw.parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
        })
        .unwrap_or(DEFAULT_LIMIT),
        after: None,
    };
    if let Some(field) = errors.iter_mut().find(|e| e.field == "limit") {
        field.message = format!("must be a whole number from 1 to {MAX_LIMIT}");
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        errors.push(FieldError::new("from", "must not be after 'to'"));
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }

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
    reach(app, caller, &filter).await?;

    let (items, after) = app
        .store
        .behaviours(&caller.school, &filter)
        .await
        .map_err(store_failed)?;
    let next_cursor = after.map(|after| {
        app.cursors
            .seal(&caller.school, &Position { filters, after })
    });
    Ok(platform::http::json(
        200,
        &BehaviourPage { items, next_cursor },
    ))
}

fn describe(filter: &BehaviourQuery) -> String {
    let text = |v: Option<String>| v.unwrap_or_default();
    [
        text(filter.pupil.as_ref().map(ToString::to_string)),
        text(filter.class.as_ref().map(ToString::to_string)),
        text(filter.staff.as_ref().map(ToString::to_string)),
        text(filter.from.map(|t| t.to_rfc3339())),
        text(filter.to.map(|t| t.to_rfc3339())),
    ]
    .join("|")
}

/// Staff who cannot read the whole school's behaviour list what they logged
/// themselves, or a class they reach.
async fn reach(app: &App, caller: &Caller, filter: &BehaviourQuery) -> Result<(), Problem> {
    if caller
        .scopes(Permission::ReadBehaviour)
        .contains(&domain::Scope::WholeSchool)
        || filter.staff.as_ref() == Some(&caller.user)
    {
        return Ok(());
    }
    let refused = || {
        Problem::forbidden(
            "you may list the behaviour of classes you teach (classId) or that you logged (staffId)",
        )
    };
    let Some(class) = &filter.class else {
        return Err(refused());
    };
    let class = app
        .store
        .class(&caller.school, class)
        .await
        .map_err(store_failed)?
        .ok_or_else(refused)?;
    if reaches_class(caller, &class) {
        Ok(())
    } else {
        Err(refused())
    }
}
