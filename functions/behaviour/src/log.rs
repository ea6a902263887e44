//! `POST /v1/behaviours`: log one behaviour type for one pupil, or for many
//! pupils of the same class at once.

use std::collections::HashSet;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use domain::calendar::{earliest_allowed, school_date};
use domain::{Behaviour, BehaviourId, BehaviourTypeId, ClassId, Note, Permission, PupilId};
use lambda_http::{Body, Request, Response};
use platform::http::{fingerprint, idempotency_key, json_body, request_id};
use platform::{Caller, FieldError, Problem};
use serde::{Deserialize, Serialize};
use store::{LogCommand, LogResult, PupilOutcome};

use crate::{App, BODY_LIMIT, school, store_failed};

/// The most pupils one request may log: a whole class.
pub const MAX_PUPILS: usize = 40;

/// How far ahead of the server's clock a device's clock may run.
const CLOCK_SKEW: Duration = Duration::minutes(5);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LogRequest {
    class_id: ClassId,
    pupil_ids: Vec<PupilId>,
    behaviour_type_id: BehaviourTypeId,
    #[serde(default)]
    note: Option<Note>,
    #[serde(default)]
    occurred_at: Option<DateTime<Utc>>,
}

/// The answer: each behaviour created, and each pupil's light and points
/// after it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogResponse {
    pub behaviours: Vec<Behaviour>,
    pub pupils: Vec<PupilAfter>,
}

/// A pupil's light and points after a change.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PupilAfter {
    pub pupil_id: PupilId,
    pub light: store::LightState,
    pub total_points: i64,
}

impl From<&PupilOutcome> for PupilAfter {
    fn from(outcome: &PupilOutcome) -> Self {
        Self {
            pupil_id: outcome.behaviour.pupil_id.clone(),
            light: outcome.light.clone(),
            total_points: outcome.total_points,
        }
    }
}

fn check_shape(body: &LogRequest, now: DateTime<Utc>) -> Result<(), Problem> {
    let mut errors = Vec::new();
    if body.pupil_ids.is_empty() {
        errors.push(FieldError::new("pupilIds", "name at least one pupil"));
    }
    if body.pupil_ids.len() > MAX_PUPILS {
        errors.push(FieldError::new(
            "pupilIds",
            format!("at most {MAX_PUPILS} pupils per request"),
        ));
    }
    let mut seen = HashSet::new();
    for (i, pupil) in body.pupil_ids.iter().enumerate() {
        if !seen.insert(pupil) {
            errors.push(FieldError::new(
                format!("pupilIds[{i}]"),
                "appears more than once",
            ));
        }
    }
    if body.occurred_at.is_some_and(|at| at > now + CLOCK_SKEW) {
        errors.push(FieldError::new("occurredAt", "must not be in the future"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::invalid(errors))
    }
}

pub async fn log(app: &App, caller: &Caller, request: &Request) -> Result<Response<Body>, Problem> {
    caller.require(Permission::LogBehaviour)?;
    let key = idempotency_key(request)?;
    let body: LogRequest = json_body(request, BODY_LIMIT)?;
    // Milliseconds are as precise as a classroom needs, and as keys sort.
    let now = Utc::now().trunc_subsecs(3);
    check_shape(&body, now)?;

    // The school, the class and the pupils' years and houses (which their
    // points are counted under) are independent reads: one round trip.
    let (school, class, places) = tokio::join!(
        school(app, caller),
        app.store.class(&caller.school, &body.class_id),
        app.store.pupil_places(&caller.school, &body.pupil_ids)
    );
    let (settings, policy) = school?;
    let places = places.map_err(store_failed)?;
    let zone = settings.zone().map_err(store_failed)?;
    let class = class.map_err(store_failed)?.ok_or_else(|| {
        Problem::unprocessable(
            "unknown-reference",
            vec![FieldError::new("classId", "no such class in your school")],
        )
    })?;

    let mut refused = Vec::new();
    for (i, pupil) in body.pupil_ids.iter().enumerate() {
        if !class.has_pupil(pupil) {
            refused.push(FieldError::new(
                format!("pupilIds[{i}]"),
                "is not a pupil of this class",
            ));
        }
    }
    let kind = policy.behaviour_type(&body.behaviour_type_id);
    match kind {
        None => refused.push(FieldError::new(
            "behaviourTypeId",
            "no such behaviour type in your school's policy",
        )),
        Some(kind) if kind.archived => refused.push(FieldError::new(
            "behaviourTypeId",
            "this behaviour type is archived",
        )),
        Some(kind) if kind.note_required && body.note.is_none() => {
            refused.push(FieldError::new("note", "this behaviour type needs a note"))
        }
        Some(_) => {}
    }
    let occurred_at = body.occurred_at.unwrap_or(now);
    if occurred_at < earliest_allowed(now, zone, policy.backdate_days) {
        let days = policy.backdate_days;
        refused.push(FieldError::new(
            "occurredAt",
            format!("your school allows dating behaviour at most {days} days back"),
        ));
    }
    let Some(kind) = kind.filter(|_| refused.is_empty()) else {
        return Err(Problem::unprocessable("unknown-reference", refused));
    };

    let mut ids = ulid::Generator::new();
    let lesson_date = school_date(occurred_at, zone);
    let behaviours = body
        .pupil_ids
        .iter()
        .map(|pupil| Behaviour {
            id: BehaviourId::new(ids.generate().unwrap_or_else(|_| ulid::Ulid::new())),
            pupil_id: pupil.clone(),
            class_id: body.class_id.clone(),
            behaviour_type_id: kind.id.clone(),
            behaviour_type_name: kind.name.clone(),
            positive: kind.positive,
            points: kind.points,
            steps: kind.steps,
            note: body.note.clone(),
            occurred_at,
            lesson_date,
            logged_at: now,
            logged_by: caller.user.clone(),
            withdrawal: None,
        })
        .collect::<Vec<Behaviour>>();
    let request_id = request_id(caller.user.as_str(), key.as_deref());
    let mut audit_ids: Vec<String> = vec![format!("class:{}", body.class_id)];
    audit_ids.extend(behaviours.iter().map(|b| b.id.to_string()));
    let command = LogCommand {
        audit: platform::audit_record(
            caller,
            "behaviour.logged",
            "behaviour",
            audit_ids,
            &request_id,
        ),
        school: caller.school.clone(),
        request_id,
        fingerprint: fingerprint(request),
        light_scope: policy.light_scope,
        ladder: policy.ladder.clone(),
        behaviours,
        accepted_at: now,
        cycle: policy.cycle_at(lesson_date),
        places,
        class_name: class.name.clone(),
        class_year: class.year_group.clone(),
    };
    let event = command.event_body();
    let request_id = command.request_id.clone();

    match app
        .store
        .log_behaviours(command)
        .await
        .map_err(store_failed)?
    {
        LogResult::Applied(outcomes) => {
            crate::publish(app, &caller.school, &request_id, event).await;
            if kind.points > 0 {
                let pupils: Vec<PupilId> = outcomes
                    .iter()
                    .map(|o| o.behaviour.pupil_id.clone())
                    .collect();
                platform::certificates::earn_for_points(
                    &app.store,
                    &app.certificates,
                    &caller.school,
                    &caller.user,
                    &policy,
                    &policy.cycle_at(lesson_date),
                    &pupils,
                )
                .await;
            }
            tracing::info!(school = %caller.school, count = outcomes.len(), "behaviours logged");
            Ok(answer(&outcomes, false))
        }
        LogResult::Replayed(outcomes) => Ok(answer(&outcomes, true)),
        LogResult::Mismatch => Err(crate::key_reused()),
    }
}

fn answer(outcomes: &[PupilOutcome], replayed: bool) -> Response<Body> {
    let body = LogResponse {
        behaviours: outcomes.iter().map(|o| o.behaviour.clone()).collect(),
        pupils: outcomes.iter().map(PupilAfter::from).collect(),
    };
    let mut response = platform::http::json(201, &body);
    if replayed {
        response.headers_mut().insert(
            "idempotent-replayed",
            "true".parse().expect("a valid header"),
        );
    }
    response
}
