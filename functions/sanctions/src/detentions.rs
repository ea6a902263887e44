//! Detentions: the sessions pupils are kept back in, the detentions placed
//! in them, and the register the supervisor marks.
//!
//! A detention set without a session goes in the first session with a
//! place left that is at least the school's notice ahead (school days,
//! default one: a detention set today is sat the next school day at the
//! earliest). Places are taken by a conditional write on the session's
//! count, so concurrent placements never overfill it. A missed detention
//! is placed again, at double the minutes (at most two hours), in the
//! first session with room under the same notice, in the transaction that
//! marks it; both record the link.
//!
//! Detentions that the policy's triggers (`DetentionTrigger` on a
//! behaviour type or a ladder stage) would set automatically are not set
//! yet: the `behaviour-events` queue has one consumer (compute-charts), and
//! a second one needs its own queue fed by a fan-out, which this module
//! does not add. Until then staff set those detentions by hand, naming the
//! behaviours that led to them.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, SubsecRound, Utc};
use chrono_tz::Tz;
use domain::{Permission, PupilId, SchoolId, StaffId, calendar};
use lambda_http::{Body, Request, RequestExt, Response};
use platform::http::{fingerprint, idempotency_key, json_body, only_known_query, query};
use platform::{Caller, FieldError, Problem, store_failed};
use serde::{Deserialize, Serialize};
use store::{
    Detention, DetentionFilter, DetentionSession, DetentionStatus, MarkResult, PlaceResult,
};

use crate::App;

/// The API's usual body limit: a detention or a session is far smaller.
const BODY_LIMIT: usize = 16 * 1024;
const MAX_KIND: usize = 40;
const MAX_ROOM: usize = 60;
const MAX_REASON: usize = 300;
const MAX_BEHAVIOURS: usize = 10;
const MAX_PLACES: u32 = 200;
/// The longest session, and the longest detention.
const MAX_SESSION_MINUTES: u16 = 180;
const MAX_MINUTES: u16 = 120;
const MIN_MINUTES: u16 = 5;
/// The longest range of days one list of sessions covers.
const MAX_RANGE_DAYS: i64 = 62;
/// How far ahead a detention is looked for a session with room.
const PLACEMENT_HORIZON_DAYS: i64 = 62;
/// The most sessions a list or a placement reads.
const MAX_SESSIONS: usize = 500;
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 200;

/// What a missed detention becomes: twice as long, at most two hours.
/// The policy would set this rule (`DetentionTrigger` has only minutes
/// today); a school's own escalation belongs there when it has one.
pub fn escalated_minutes(missed: u16) -> u16 {
    missed.saturating_mul(2).min(MAX_MINUTES)
}

fn not_found() -> Problem {
    Problem::not_found("no such detention in your school")
}

fn session_not_found() -> Problem {
    Problem::not_found("no such detention session in your school")
}

/// A single line of text: its words one space apart, no control characters.
fn line(errors: &mut Vec<FieldError>, field: &str, raw: &str, max: usize) -> String {
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let length = text.chars().count();
    if length == 0 || length > max || text.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            format!("must be 1 to {max} characters on one line"),
        ));
    }
    text
}

fn minutes(errors: &mut Vec<FieldError>, field: &str, value: u16, max: u16) {
    if !(MIN_MINUTES..=max).contains(&value) {
        errors.push(FieldError::new(
            field,
            format!("must be {MIN_MINUTES} to {max} minutes"),
        ));
    }
}

/// The school's time zone: its days and session times are its own.
async fn zone(app: &App, school: &SchoolId) -> Result<Tz, Problem> {
    let (settings, _) = app
        .store
        .school_settings(school)
        .await
        .map_err(store_failed)?
        .ok_or_else(|| Problem::not_found("your school is not set up"))?;
    settings.zone().map_err(store_failed)
}

/// Whether a session is still to start at `now`.
fn is_ahead(session: &DetentionSession, now: DateTime<Utc>, zone: Tz) -> bool {
    let today = calendar::school_date(now, zone);
    let time = now.with_timezone(&zone).time().format("%H:%M").to_string();
    session.date > today || (session.date == today && session.start_time > time)
}

/// The first date a detention set at `now` may be sat: `notice` school
/// days after today (today itself when the notice is none).
pub fn first_date(now: DateTime<Utc>, zone: Tz, notice: u8) -> NaiveDate {
    let mut date = calendar::school_date(now, zone);
    let mut left = notice;
    while left > 0 {
        date += Duration::days(1);
        if calendar::is_school_day(date) {
            left -= 1;
        }
    }
    date
}

/// The sessions a detention set now may go in, first first: under the
/// notice, not started, with a place left, not `except`.
async fn candidates(
    app: &App,
    school: &SchoolId,
    zone: Tz,
    now: DateTime<Utc>,
    except: Option<&str>,
) -> Result<Vec<DetentionSession>, Problem> {
    let notice = app
        .store
        .detention_notice_days(school)
        .await
        .map_err(store_failed)?;
    let first = first_date(now, zone, notice);
    let sessions = app
        .store
        .detention_sessions(
            school,
            first,
            first + Duration::days(PLACEMENT_HORIZON_DAYS),
            MAX_SESSIONS,
        )
        .await
        .map_err(store_failed)?;
    Ok(sessions
        .into_iter()
        .filter(|s| s.placed < s.places && is_ahead(s, now, zone))
        .filter(|s| Some(s.id.as_str()) != except)
        .collect())
}

fn no_session() -> Problem {
    Problem::conflict(
        "no-session-available",
        "no detention session with a place left is far enough ahead; add a session and try again",
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SessionBody {
    kind: String,
    date: NaiveDate,
    start_time: String,
    minutes: u16,
    room: String,
    supervisor_id: StaffId,
    places: u32,
}

/// `POST /v1/detentions/sessions`.
pub async fn create_session(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    let body: SessionBody = json_body(request, BODY_LIMIT)?;
    let now = Utc::now().trunc_subsecs(3);
    let zone = zone(app, &caller.school).await?;
    let mut errors = Vec::new();
    let kind = line(&mut errors, "kind", &body.kind, MAX_KIND);
    let room = line(&mut errors, "room", &body.room, MAX_ROOM);
    minutes(&mut errors, "minutes", body.minutes, MAX_SESSION_MINUTES);
    if !(1..=MAX_PLACES).contains(&body.places) {
        errors.push(FieldError::new(
            "places",
            format!("must be 1 to {MAX_PLACES}"),
        ));
    }
    let start = NaiveTime::parse_from_str(&body.start_time, "%H:%M")
        .ok()
        .filter(|_| body.start_time.len() == 5);
    if start.is_none() {
        errors.push(FieldError::new("startTime", "must be a time as HH:MM"));
    }
    if body.date < calendar::school_date(now, zone) || !calendar::is_school_day(body.date) {
        errors.push(FieldError::new(
            "date",
            "must be a school day (Monday to Friday), today or later",
        ));
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    let supervisor = app
        .store
        .staff_member(&caller.school, &body.supervisor_id)
        .await
        .map_err(store_failed)?;
    if supervisor.is_none() {
        return Err(Problem::unprocessable(
            "unknown-reference",
            vec![FieldError::new(
                "supervisorId",
                "no such member of staff in your school",
            )],
        ));
    }

    let session = DetentionSession {
        id: ulid::Ulid::new().to_string(),
        kind,
        date: body.date,
        start_time: body.start_time,
        minutes: body.minutes,
        room,
        supervisor_id: body.supervisor_id,
        places: body.places,
        placed: 0,
        created_at: now,
        created_by: caller.user.to_string(),
    };
    let audit = platform::audit_record(
        caller,
        "detention.session.created",
        "detentionSession",
        vec![session.id.clone()],
        &format!("detention-session-{}", session.id),
    );
    let created = app
        .store
        .create_detention_session(&caller.school, &session, &audit)
        .await
        .map_err(store_failed)?;
    if !created {
        return Err(Problem::conflict("session-exists", "try again"));
    }
    tracing::info!(school = %caller.school, session = %session.id, "detention session added");
    Ok(platform::http::json(201, &session))
}

#[derive(Debug, Serialize)]
struct Sessions {
    items: Vec<DetentionSession>,
}

fn date_query(request: &Request, name: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    // Read as given: `?to=` names no date, and is refused rather than
    // taken as no filter.
    let raw = request
        .query_string_parameters_ref()
        .and_then(|params| params.first(name))?;
    let parsed = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok();
    if parsed.is_none() {
        errors.push(FieldError::new(name, "must be a date as YYYY-MM-DD"));
    }
    parsed
}

/// `GET /v1/detentions/sessions?from=&to=`: from today for two weeks
/// unless asked otherwise, at most 62 days.
pub async fn list_sessions(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    only_known_query(request, &["from", "to"])?;
    let mut errors = Vec::new();
    let from = date_query(request, "from", &mut errors);
    let to = date_query(request, "to", &mut errors);
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    let from = match from {
        Some(from) => from,
        None => calendar::school_date(Utc::now(), zone(app, &caller.school).await?),
    };
    let to = to.unwrap_or(from + Duration::days(14));
    if to < from || (to - from).num_days() > MAX_RANGE_DAYS {
        return Err(Problem::invalid_field(
            "to",
            format!("must be on or after 'from', at most {MAX_RANGE_DAYS} days later"),
        ));
    }
    let items = app
        .store
        .detention_sessions(&caller.school, from, to, MAX_SESSIONS)
        .await
        .map_err(store_failed)?;
    Ok(platform::http::json(200, &Sessions { items }))
}

/// A session with the pupils placed in it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Register {
    #[serde(flatten)]
    session: DetentionSession,
    pupils: Vec<Detention>,
}

/// `GET /v1/detentions/sessions/{id}`: the supervisor's register.
pub async fn register(app: &App, caller: &Caller, id: &str) -> Result<Response<Body>, Problem> {
    let session = app
        .store
        .detention_session(&caller.school, id)
        .await
        .map_err(store_failed)?
        .ok_or_else(session_not_found)?;
    let filter = DetentionFilter::Session {
        date: session.date,
        session_id: session.id.clone(),
    };
    let mut pupils = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = app
            .store
            .detentions(&caller.school, &filter, None, MAX_LIMIT, after)
            .await
            .map_err(store_failed)?;
        pupils.extend(page);
        match next {
            Some(next) if pupils.len() < MAX_PLACES as usize * 4 => after = Some(next),
            _ => break,
        }
    }
    Ok(platform::http::json(200, &Register { session, pupils }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DetentionBody {
    pupil_id: PupilId,
    reason: String,
    minutes: u16,
    #[serde(default)]
    behaviour_ids: Vec<String>,
    #[serde(default)]
    session_id: Option<String>,
}

fn replayed(mut response: Response<Body>) -> Response<Body> {
    response.headers_mut().insert(
        "idempotent-replayed",
        "true".parse().expect("a valid header"),
    );
    response
}

/// `POST /v1/detentions`: sets a detention by hand, in the session named or
/// the first with room under the notice; once per `Idempotency-Key`.
pub async fn create(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    let key = idempotency_key(request)?;
    let body: DetentionBody = json_body(request, BODY_LIMIT)?;
    let now = Utc::now().trunc_subsecs(3);
    let mut errors = Vec::new();
    let reason = line(&mut errors, "reason", &body.reason, MAX_REASON);
    minutes(&mut errors, "minutes", body.minutes, MAX_MINUTES);
    if body.behaviour_ids.len() > MAX_BEHAVIOURS {
        errors.push(FieldError::new(
            "behaviourIds",
            format!("must name at most {MAX_BEHAVIOURS} behaviours"),
        ));
    }
    for (i, id) in body.behaviour_ids.iter().enumerate() {
        if ulid::Ulid::from_string(id).is_err() {
            errors.push(FieldError::new(
                format!("behaviourIds[{i}]"),
                "is not a behaviour id",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    let pupil = app
        .store
        .directory_pupil(&caller.school, &body.pupil_id)
        .await
        .map_err(store_failed)?;
    if pupil.is_none() {
        return Err(Problem::unprocessable(
            "unknown-reference",
            vec![FieldError::new("pupilId", "no such pupil in your school")],
        ));
    }
    let zone = zone(app, &caller.school).await?;
    let sessions = match &body.session_id {
        Some(id) => {
            let session = app
                .store
                .detention_session(&caller.school, id)
                .await
                .map_err(store_failed)?
                .filter(|s| is_ahead(s, now, zone))
                .ok_or_else(|| {
                    Problem::unprocessable(
                        "unknown-reference",
                        vec![FieldError::new(
                            "sessionId",
                            "no such session to come in your school",
                        )],
                    )
                })?;
            vec![session]
        }
        None => candidates(app, &caller.school, zone, now, None).await?,
    };

    let request_id = platform::http::request_id(caller.user.as_str(), key.as_deref());
    let print = fingerprint(request);
    let id = ulid::Ulid::new().to_string();
    for session in &sessions {
        let detention = Detention {
            id: id.clone(),
            pupil_id: body.pupil_id.clone(),
            reason: reason.clone(),
            minutes: body.minutes,
            behaviour_ids: body.behaviour_ids.clone(),
            session_id: session.id.clone(),
            date: session.date,
            start_time: session.start_time.clone(),
            status: DetentionStatus::Set,
            set_by: caller.user.to_string(),
            set_at: now,
            marked_by: None,
            marked_at: None,
            escalated_from: None,
            escalated_to: None,
        };
        let audit = platform::audit_record(
            caller,
            "detention.set",
            "detention",
            vec![id.clone(), format!("session:{}", session.id)],
            &request_id,
        );
        let placed = app
            .store
            .place_detention(&caller.school, &detention, (&request_id, &print), &audit)
            .await
            .map_err(store_failed)?;
        match placed {
            PlaceResult::Placed => {
                tracing::info!(
                    school = %caller.school,
                    detention = %id,
                    session = %session.id,
                    "detention set"
                );
                return Ok(platform::http::json(201, &detention));
            }
            PlaceResult::Replayed(earlier) => {
                let earlier = app
                    .store
                    .detention(&caller.school, &earlier)
                    .await
                    .map_err(store_failed)?
                    .ok_or_else(Problem::internal)?;
                return Ok(replayed(platform::http::json(201, &earlier)));
            }
            PlaceResult::Mismatch => {
                return Err(Problem::unprocessable(
                    "idempotency-key-reused",
                    vec![FieldError::new(
                        "Idempotency-Key",
                        "was already used for a different request",
                    )],
                ));
            }
            PlaceResult::Full => continue,
        }
    }
    match body.session_id {
        Some(_) => Err(Problem::conflict(
            "session-full",
            "the session has no place left",
        )),
        None => Err(no_session()),
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DetentionPage {
    items: Vec<Detention>,
    next_cursor: Option<String>,
}

/// Where a page ended, and the filters it was for.
#[derive(Serialize, Deserialize)]
struct Position {
    filters: String,
    after: HashMap<String, String>,
}

fn status_of(raw: &str) -> Option<DetentionStatus> {
    serde_json::from_value(serde_json::json!(raw)).ok()
}

/// `GET /v1/detentions?pupilId=&date=&status=`: a pupil's detentions,
/// newest first, or a day's, in session order.
pub async fn list(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    only_known_query(request, &["pupilId", "date", "status", "limit", "cursor"])?;
    let mut errors = Vec::new();
    let pupil = query(request, "pupilId").and_then(|raw| {
        let parsed = PupilId::parse(&raw).ok();
        if parsed.is_none() {
            errors.push(FieldError::new("pupilId", "is not valid"));
        }
        parsed
    });
    let date = date_query(request, "date", &mut errors);
    let status = query(request, "status").and_then(|raw| {
        let parsed = status_of(&raw);
        if parsed.is_none() {
            errors.push(FieldError::new(
                "status",
                "must be set, attended, missed, excused or cancelled",
            ));
        }
        parsed
    });
    let limit = match query(request, "limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                ));
                DEFAULT_LIMIT
            }
        },
    };
    let filter = match (pupil, date) {
        (Some(pupil), None) => Some(DetentionFilter::Pupil(pupil)),
        (None, Some(date)) => Some(DetentionFilter::Day(date)),
        _ => {
            errors.push(FieldError::new(
                "pupilId",
                "give either pupilId or date, not both",
            ));
            None
        }
    };
    let Some(filter) = filter.filter(|_| errors.is_empty()) else {
        return Err(Problem::invalid(errors));
    };

    let filters = format!("{filter:?}|{status:?}");
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
        .detentions(&caller.school, &filter, status, limit, after)
        .await
        .map_err(store_failed)?;
    let next_cursor = after.map(|after| {
        app.cursors
            .seal(&caller.school, &Position { filters, after })
    });
    Ok(platform::http::json(
        200,
        &DetentionPage { items, next_cursor },
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttendanceBody {
    status: DetentionStatus,
}

/// A marked detention, and the one that replaces it if it was missed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Marked {
    #[serde(flatten)]
    detention: Detention,
    escalation: Option<Detention>,
}

/// `POST /v1/detentions/{id}/attendance`: the session's supervisor, or
/// those who manage detentions, mark it once; only the latter mark it
/// again. A missed detention is placed again, longer.
pub async fn attendance(
    app: &App,
    caller: &Caller,
    request: &Request,
    id: &str,
) -> Result<Response<Body>, Problem> {
    let detention = app
        .store
        .detention(&caller.school, id)
        .await
        .map_err(store_failed)?
        .ok_or_else(not_found)?;
    let body: AttendanceBody = json_body(request, BODY_LIMIT)?;
    if body.status == DetentionStatus::Set {
        return Err(Problem::invalid_field(
            "status",
            "must be attended, missed, excused or cancelled",
        ));
    }
    let leader = caller.allows(Permission::ManageDetentions);
    let session = app
        .store
        .detention_session(&caller.school, &detention.session_id)
        .await
        .map_err(store_failed)?;
    let supervisor = session
        .as_ref()
        .is_some_and(|s| s.supervisor_id == caller.user);
    if !leader && !supervisor {
        return Err(Problem::forbidden(
            "only the session's supervisor or those who run detentions mark it",
        ));
    }
    if detention.status == body.status || (detention.status != DetentionStatus::Set && !leader) {
        return Err(Problem::conflict(
            "already-marked",
            format!("the detention is already {}", detention.status.name()),
        ));
    }

    let now = Utc::now().trunc_subsecs(3);
    let mut marked = detention.clone();
    marked.status = body.status;
    marked.marked_by = Some(caller.user.to_string());
    marked.marked_at = Some(now);
    let escalate = body.status == DetentionStatus::Missed && detention.escalated_to.is_none();
    let sessions = if escalate {
        let zone = zone(app, &caller.school).await?;
        let found = candidates(app, &caller.school, zone, now, Some(&detention.session_id)).await?;
        if found.is_empty() {
            return Err(no_session());
        }
        found
    } else {
        Vec::new()
    };

    let mut attempts = sessions.iter().map(Some).collect::<Vec<_>>();
    if attempts.is_empty() {
        attempts.push(None);
    }
    for session in attempts {
        let escalation = session.map(|session| Detention {
            id: ulid::Ulid::new().to_string(),
            pupil_id: detention.pupil_id.clone(),
            reason: detention.reason.clone(),
            minutes: escalated_minutes(detention.minutes),
            behaviour_ids: detention.behaviour_ids.clone(),
            session_id: session.id.clone(),
            date: session.date,
            start_time: session.start_time.clone(),
            status: DetentionStatus::Set,
            set_by: caller.user.to_string(),
            set_at: now,
            marked_by: None,
            marked_at: None,
            escalated_from: Some(detention.id.clone()),
            escalated_to: None,
        });
        marked.escalated_to = escalation
            .as_ref()
            .map(|e| e.id.clone())
            .or(detention.escalated_to.clone());
        let mut targets = vec![
            detention.id.clone(),
            format!("status:{}", body.status.name()),
        ];
        if let Some(escalation) = &escalation {
            targets.push(format!("escalation:{}", escalation.id));
        }
        let audit = platform::audit_record(
            caller,
            "detention.marked",
            "detention",
            targets,
            &format!("detention-{}-{}", detention.id, now.timestamp_millis()),
        );
        let result = app
            .store
            .mark_detention(
                &caller.school,
                &detention,
                &marked,
                escalation.as_ref(),
                &audit,
            )
            .await
            .map_err(store_failed)?;
        match result {
            MarkResult::Marked => {
                tracing::info!(
                    school = %caller.school,
                    detention = %detention.id,
                    status = body.status.name(),
                    escalation = escalation.as_ref().map(|e| e.id.as_str()),
                    "detention marked"
                );
                return Ok(platform::http::json(
                    200,
                    &Marked {
                        detention: marked,
                        escalation,
                    },
                ));
            }
            MarkResult::Changed => {
                return Err(Problem::conflict(
                    "already-marked",
                    "the detention was marked meanwhile; read it again",
                ));
            }
            // Its place was taken back (a cancelled detention restored
            // into a session now full) or the escalation's session filled.
            MarkResult::Full if escalation.is_some() => continue,
            MarkResult::Full => {
                return Err(Problem::conflict(
                    "session-full",
                    "the detention's session has no place left to restore it to",
                ));
            }
        }
    }
    Err(no_session())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::London;

    #[test]
    fn missed_detentions_double_up_to_two_hours() {
        assert_eq!(escalated_minutes(30), 60);
        assert_eq!(escalated_minutes(60), 120);
        assert_eq!(escalated_minutes(90), 120);
    }

    #[test]
    fn notice_counts_school_days() {
        // Friday 4 December 2026, in the afternoon.
        let friday = Utc.with_ymd_and_hms(2026, 12, 4, 15, 0, 0).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        assert_eq!(first_date(friday, London, 0), day(4));
        assert_eq!(first_date(friday, London, 1), day(7));
        assert_eq!(first_date(friday, London, 2), day(8));
    }
}
