//! `GET /v1/certificates`: the school's certificates by pupil, class, year
//! group and time, newest first, a page at a time.

use std::collections::HashMap;

use chrono::{DateTime, Datelike};
use domain::{ClassId, Permission, PupilId};
use lambda_http::{Body, Request, Response};
use platform::http::{only_known_query, query};
use platform::{Caller, FieldError, Problem, store_failed};
use serde::{Deserialize, Serialize};
use store::{Certificate, CertificateQuery};

use crate::App;

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 100;

/// A page of certificates.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificatePage {
    pub items: Vec<Certificate>,
    pub next_cursor: Option<String>,
}

/// Where a page ended, and the filters it was for.
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
    caller.require(Permission::ReadCertificates)?;
    only_known_query(
        request,
        &[
            "pupilId",
            "classId",
            "yearGroup",
            "from",
            "to",
            "limit",
            "cursor",
        ],
    )?;

    let mut errors = Vec::new();
    let instant = |raw: &str| {
        DateTime::parse_from_rfc3339(raw)
            .ok()
            .map(|at| at.to_utc())
            .filter(|at| (0..=9999).contains(&at.year()))
    };
    let pupil = parse(request, "pupilId", &mut errors, |raw| {
        PupilId::parse(raw).ok()
    });
    let class = parse(request, "classId", &mut errors, |raw| {
        ClassId::parse(raw).ok()
    });
    let year_group = parse(request, "yearGroup", &mut errors, |raw| {
        let raw = raw.trim();
        (!raw.is_empty() && raw.len() <= 40).then(|| raw.to_owned())
    });
    let from = parse(request, "from", &mut errors, instant);
    let to = parse(request, "to", &mut errors, instant);
    let limit = parse(request, "limit", &mut errors, |raw| {
        raw.parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
    })
    .unwrap_or(DEFAULT_LIMIT);
    if let Some(field) = errors.iter_mut().find(|e| e.field == "limit") {
        field.message = format!("must be a whole number from 1 to {MAX_LIMIT}");
    }
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        errors.push(FieldError::new("from", "must not be after 'to'"));
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }

    let text = |v: Option<String>| v.unwrap_or_default();
    let filters = [
        text(pupil.as_ref().map(ToString::to_string)),
        text(class.as_ref().map(ToString::to_string)),
        text(year_group.clone()),
        text(from.map(|t| t.to_rfc3339())),
        text(to.map(|t| t.to_rfc3339())),
    ]
    .join("|");
    let after = match query(request, "cursor") {
        Some(cursor) => {
            let position: Position = app.cursors.open(&caller.school, &cursor)?;
            if position.filters != filters {
                return Err(Problem::invalid_field(
                    "cursor",
                    "belongs to a list with other filters",
                ));
            }
            Some(position.after)
        }
        None => None,
    };

    // A class's certificates are its pupils' certificates; a class of
    // another school is simply not found, and lists nothing.
    let pupils = match &class {
        Some(class) => Some(
            app.store
                .class(&caller.school, class)
                .await
                .map_err(store_failed)?
                .map(|c| c.members.into_iter().map(|m| m.pupil_id).collect())
                .unwrap_or_default(),
        ),
        None => None,
    };
    let filter = CertificateQuery {
        pupil,
        pupils,
        year_group,
        from,
        to,
        limit,
        after,
    };
    let (items, after) = app
        .store
        .certificates(&caller.school, &filter)
        .await
        .map_err(store_failed)?;
    let next_cursor = after.map(|after| {
        app.cursors
            .seal(&caller.school, &Position { filters, after })
    });
    Ok(platform::http::json(
        200,
        &CertificatePage { items, next_cursor },
    ))
}
