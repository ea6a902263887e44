//! Incident forms: written as drafts, edited as new versions (the old ones
//! kept), submitted, reviewed and closed, each change naming the version it
//! was made from.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, SubsecRound, Utc};
use domain::{Permission, PupilId};
use lambda_http::{Body, Request, Response};
use platform::http::{fingerprint, idempotency_key, json_body, only_known_query, query};
use platform::{Caller, FieldError, Problem, store_failed};
use serde::{Deserialize, Serialize};
use store::{
    CreateResult, Delivery, DeliveryState, IncidentChange, IncidentContent, IncidentQuery,
    IncidentStatus, IncidentSummary, IncidentVersion, Visibility,
};

use crate::input::{FormBody, check_references};
use crate::precondition::{failed, if_match, tagged};
use crate::{App, BODY_LIMIT};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 100;

/// How many versions one form may have; a form edited more is a sign of
/// something other than record keeping, and its history must stay
/// readable in one answer.
const MAX_VERSIONS: u32 = 100;

/// A form as it stands, with the state of its latest delivery.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IncidentView {
    id: String,
    version: u32,
    status: IncidentStatus,
    author: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[serde(flatten)]
    content: IncidentContent,
    delivery: Option<DeliveryView>,
}

/// Where the forwarding of a safeguarding concern stands.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DeliveryView {
    id: String,
    version: u32,
    state: DeliveryState,
    attempts: u32,
    delivered_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
}

impl From<Delivery> for DeliveryView {
    fn from(delivery: Delivery) -> Self {
        Self {
            id: delivery.id,
            version: delivery.version,
            state: delivery.state,
            attempts: delivery.attempts,
            delivered_at: delivery.delivered_at,
            last_error: delivery.last_error,
        }
    }
}

/// A move of a form's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Submit,
    Review,
    Close,
}

/// The forms the caller may see.
fn visibility(caller: &Caller) -> Visibility {
    let me = caller.user.to_string();
    if caller.allows(Permission::ReadSafeguardingIncidents) {
        Visibility::All
    } else if caller.allows(Permission::ReadIncidents) {
        Visibility::NotSafeguardingOrOwn(me)
    } else {
        Visibility::Own(me)
    }
}

fn not_found() -> Problem {
    Problem::not_found("no such incident form in your school")
}

/// A form of the caller's school that the caller may see; 404 for any
/// other, so that a form one may not see cannot be told from none.
async fn visible_form(app: &App, caller: &Caller, id: &str) -> Result<IncidentSummary, Problem> {
    if ulid::Ulid::from_string(id).is_err() {
        return Err(not_found());
    }
    app.store
        .incident(&caller.school, id)
        .await
        .map_err(store_failed)?
        .filter(|form| visibility(caller).sees(form))
        .ok_or_else(not_found)
}

async fn view(app: &App, caller: &Caller, form: &IncidentSummary) -> Result<IncidentView, Problem> {
    let school = &caller.school;
    let (version, delivery) = tokio::join!(
        app.store.incident_version(school, &form.id, form.version),
        async {
            match form.delivery_version {
                Some(v) => app.store.delivery(school, &form.id, v).await,
                None => Ok(None),
            }
        }
    );
    let version = version.map_err(store_failed)?.ok_or_else(|| {
        tracing::error!(school = %school, incident = %form.id, "a form names a missing version");
        Problem::internal()
    })?;
    Ok(IncidentView {
        id: form.id.clone(),
        version: form.version,
        status: form.status,
        author: form.author.clone(),
        created_at: form.created_at,
        updated_at: form.updated_at,
        content: version.content,
        delivery: delivery.map_err(store_failed)?.map(DeliveryView::from),
    })
}

fn answer(status: u16, view: &IncidentView) -> Response<Body> {
    tagged(platform::http::json(status, view), view.version)
}

/// `GET /v1/incidents/{id}`.
pub async fn read(app: &App, caller: &Caller, id: &str) -> Result<Response<Body>, Problem> {
    let form = visible_form(app, caller, id).await?;
    Ok(answer(200, &view(app, caller, &form).await?))
}

/// `POST /v1/incidents`: a new draft, once per `Idempotency-Key`.
pub async fn create(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    let key = idempotency_key(request)?;
    let body: FormBody = json_body(request, BODY_LIMIT)?;
    let now = Utc::now().trunc_subsecs(3);
    let content = body.content(now)?;
    check_references(&app.store, &caller.school, &content).await?;

    let id = ulid::Ulid::new().to_string();
    let first = IncidentVersion {
        incident_id: id.clone(),
        version: 1,
        status: IncidentStatus::Draft,
        change: IncidentChange::Created,
        changed_at: now,
        changed_by: caller.user.to_string(),
        content,
    };
    let request_id = platform::http::request_id(caller.user.as_str(), key.as_deref());
    let audit = platform::audit_record(
        caller,
        "incident.created",
        "incident",
        vec![id.clone(), "version:1".to_owned()],
        &request_id,
    );
    let result = app
        .store
        .create_incident(
            &caller.school,
            &first,
            &request_id,
            &fingerprint(request),
            &audit,
        )
        .await
        .map_err(store_failed)?;
    match result {
        CreateResult::Created => {
            tracing::info!(school = %caller.school, incident = %id, "incident form written");
            let form = IncidentSummary::of(&first, &first.changed_by, now, None);
            Ok(answer(201, &view(app, caller, &form).await?))
        }
        CreateResult::Replayed(earlier) => {
            let form = visible_form(app, caller, &earlier).await?;
            let mut response = answer(201, &view(app, caller, &form).await?);
            response.headers_mut().insert(
                "idempotent-replayed",
                "true".parse().expect("a valid header"),
            );
            Ok(response)
        }
        CreateResult::Mismatch => Err(Problem::unprocessable(
            "idempotency-key-reused",
            vec![FieldError::new(
                "Idempotency-Key",
                "was already used for a different request",
            )],
        )),
    }
}

/// `PUT /v1/incidents/{id}`: the form's whole content again, as a new
/// version. The author edits their form until it is closed; pastoral
/// staff, the DSL and leaders edit a submitted one.
pub async fn edit(
    app: &App,
    caller: &Caller,
    request: &Request,
    id: &str,
) -> Result<Response<Body>, Problem> {
    let form = visible_form(app, caller, id).await?;
    let read = if_match(request)?;
    let body: FormBody = json_body(request, BODY_LIMIT)?;
    if read != form.version {
        return Err(failed("the form has changed since you read it"));
    }
    let author = form.author == caller.user.as_str();
    match form.status {
        IncidentStatus::Closed => {
            return Err(Problem::conflict(
                "incident-closed",
                "a closed form is not edited",
            ));
        }
        IncidentStatus::Draft if !author => {
            return Err(Problem::forbidden(
                "a draft is its author's to edit until it is submitted",
            ));
        }
        IncidentStatus::Submitted | IncidentStatus::Reviewed
            if !author && !caller.allows(Permission::ReviewIncidents) =>
        {
            return Err(Problem::forbidden("your role does not allow this"));
        }
        _ => {}
    }
    let now = Utc::now().trunc_subsecs(3);
    let content = body.content(now)?;
    check_references(&app.store, &caller.school, &content).await?;
    save(
        app,
        caller,
        &form,
        form.status,
        IncidentChange::Edited,
        content,
        now,
    )
    .await
}

/// `POST /v1/incidents/{id}/submit|review|close`.
pub async fn transition(
    app: &App,
    caller: &Caller,
    request: &Request,
    id: &str,
    transition: Transition,
) -> Result<Response<Body>, Problem> {
    let form = visible_form(app, caller, id).await?;
    let read = if_match(request)?;
    if read != form.version {
        return Err(failed("the form has changed since you read it"));
    }
    let (allowed, next, change) = match transition {
        Transition::Submit => (
            form.status == IncidentStatus::Draft,
            IncidentStatus::Submitted,
            IncidentChange::Submitted,
        ),
        Transition::Review => (
            form.status == IncidentStatus::Submitted,
            IncidentStatus::Reviewed,
            IncidentChange::Reviewed,
        ),
        Transition::Close => (
            matches!(
                form.status,
                IncidentStatus::Submitted | IncidentStatus::Reviewed
            ),
            IncidentStatus::Closed,
            IncidentChange::Closed,
        ),
    };
    if !allowed {
        return Err(Problem::conflict(
            "invalid-transition",
            format!("a {} form cannot be {}", form.status.name(), next.name()),
        ));
    }
    if transition == Transition::Submit && form.author != caller.user.as_str() {
        return Err(Problem::forbidden("only the form's author submits it"));
    }
    let current = app
        .store
        .incident_version(&caller.school, &form.id, form.version)
        .await
        .map_err(store_failed)?
        .ok_or_else(Problem::internal)?;
    let now = Utc::now().trunc_subsecs(3);
    save(app, caller, &form, next, change, current.content, now).await
}

/// Writes the form's next version; a safeguarding concern that has left
/// draft gets a delivery of it in the same transaction, then queued.
async fn save(
    app: &App,
    caller: &Caller,
    form: &IncidentSummary,
    status: IncidentStatus,
    change: IncidentChange,
    content: IncidentContent,
    now: DateTime<Utc>,
) -> Result<Response<Body>, Problem> {
    if form.version >= MAX_VERSIONS {
        return Err(Problem::conflict(
            "too-many-versions",
            format!("a form keeps at most {MAX_VERSIONS} versions"),
        ));
    }
    let version = form.version + 1;
    let forwarded = content.safeguarding
        && status != IncidentStatus::Draft
        && matches!(change, IncidentChange::Submitted | IncidentChange::Edited);
    let next = IncidentVersion {
        incident_id: form.id.clone(),
        version,
        status,
        change,
        changed_at: now,
        changed_by: caller.user.to_string(),
        content,
    };
    let delivery = forwarded.then(|| Delivery::pending(&form.id, version, now));
    let summary = IncidentSummary::of(
        &next,
        &form.author,
        form.created_at,
        delivery
            .as_ref()
            .map(|d| d.version)
            .or(form.delivery_version),
    );
    let action = match change {
        IncidentChange::Created => "incident.created",
        IncidentChange::Edited => "incident.edited",
        IncidentChange::Submitted => "incident.submitted",
        IncidentChange::Reviewed => "incident.reviewed",
        IncidentChange::Closed => "incident.closed",
    };
    let mut targets = vec![form.id.clone(), format!("version:{version}")];
    if let Some(delivery) = &delivery {
        targets.push(format!("delivery:{}", delivery.id));
    }
    let audit = platform::audit_record(
        caller,
        action,
        "incident",
        targets,
        &format!("incident-{}-v{version}", form.id),
    );
    let saved = app
        .store
        .change_incident(
            &caller.school,
            form.version,
            &summary,
            &next,
            delivery.as_ref(),
            &audit,
        )
        .await
        .map_err(store_failed)?;
    if !saved {
        return Err(failed("the form has changed since you read it"));
    }
    tracing::info!(
        school = %caller.school,
        incident = %form.id,
        version,
        action,
        forwarded,
        "incident form changed"
    );
    if forwarded {
        crate::queue_delivery(app, &caller.school, &form.id, version).await;
    }
    Ok(answer(200, &view(app, caller, &summary).await?))
}

/// The versions of a form, newest first.
#[derive(Debug, Serialize)]
struct History {
    items: Vec<IncidentVersion>,
}

/// `GET /v1/incidents/{id}/history`.
pub async fn history(
    app: &App,
    caller: &Caller,
    request: &Request,
    id: &str,
) -> Result<Response<Body>, Problem> {
    only_known_query(request, &[])?;
    let form = visible_form(app, caller, id).await?;
    let mut items = app
        .store
        .incident_history(&caller.school, &form.id)
        .await
        .map_err(store_failed)?;
    items.reverse();
    Ok(tagged(
        platform::http::json(200, &History { items }),
        form.version,
    ))
}

/// A page of forms.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IncidentPage {
    items: Vec<IncidentSummary>,
    next_cursor: Option<String>,
}

/// Where a page ended, and the filters and caller it was for.
#[derive(Serialize, Deserialize)]
struct Position {
    filters: String,
    after: HashMap<String, String>,
}

fn parse<T>(
    request: &Request,
    name: &str,
    message: &str,
    errors: &mut Vec<FieldError>,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    let raw = query(request, name)?;
    let parsed = parse(&raw);
    if parsed.is_none() {
        errors.push(FieldError::new(name, message));
    }
    parsed
}

/// `GET /v1/incidents`: the forms the caller may see, newest first by when
/// they happened.
pub async fn list(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    only_known_query(
        request,
        &["pupilId", "status", "from", "to", "limit", "cursor"],
    )?;
    let mut errors = Vec::new();
    let instant = |raw: &str| {
        DateTime::parse_from_rfc3339(raw)
            .ok()
            .map(|at| at.to_utc())
            .filter(|at| (0..=9999).contains(&at.year()))
    };
    let pupil = parse(request, "pupilId", "is not valid", &mut errors, |raw| {
        PupilId::parse(raw).ok()
    });
    let status = parse(
        request,
        "status",
        "must be draft, submitted, reviewed or closed",
        &mut errors,
        |raw| serde_json::from_value::<IncidentStatus>(serde_json::json!(raw)).ok(),
    );
    let from = parse(
        request,
        "from",
        "must be an RFC 3339 time",
        &mut errors,
        instant,
    );
    let to = parse(
        request,
        "to",
        "must be an RFC 3339 time",
        &mut errors,
        instant,
    );
    let limit = parse(
        request,
        "limit",
        &format!("must be a whole number from 1 to {MAX_LIMIT}"),
        &mut errors,
        |raw| {
            raw.parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
        },
    )
    .unwrap_or(DEFAULT_LIMIT);
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        errors.push(FieldError::new("from", "must not be after 'to'"));
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }

    let visible = visibility(caller);
    let text = |v: Option<String>| v.unwrap_or_default();
    let filters = [
        text(pupil.as_ref().map(ToString::to_string)),
        text(status.map(|s| s.name().to_owned())),
        text(from.map(|t| t.to_rfc3339())),
        text(to.map(|t| t.to_rfc3339())),
        format!("{visible:?}"),
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
    let (items, after) = app
        .store
        .incidents(
            &caller.school,
            &IncidentQuery {
                pupil,
                status,
                from,
                to,
                visible,
                limit,
                after,
            },
        )
        .await
        .map_err(store_failed)?;
    let next_cursor = after.map(|after| {
        app.cursors
            .seal(&caller.school, &Position { filters, after })
    });
    Ok(platform::http::json(
        200,
        &IncidentPage { items, next_cursor },
    ))
}
