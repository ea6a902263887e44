//! `POST /v1/points/awards` and `POST /v1/points/awards/{id}/withdraw`:
//! points awarded or deducted by hand, with a reason, to a pupil (counting
//! to the pupil and their house) or to a whole house, and taken back when
//! given by mistake. Both are audited and safe to retry with an
//! `Idempotency-Key`.
//!
//! Each award is capped by the awarder's role, so a slip of the keyboard
//! cannot hand out a term's worth of points:
//!
//! | role | to a pupil | to a house |
//! | --- | --- | --- |
//! | tutor | 5 | |
//! | head of year | 10 | 25 |
//! | pastoral | 10 | |
//! | SLT, admin | 25 | 100 |
//!
//! Anyone who may award may withdraw their own awards; SLT and admins
//! withdraw anyone's. A house award is withdrawn only by someone who may
//! make one.

use chrono::{SubsecRound, Utc};
use domain::calendar::school_date;
use domain::{BehaviourId, Permission, PupilId, Reason, Role, Withdrawal};
use lambda_http::{Body, Request, Response};
use platform::http::{fingerprint, idempotency_key, json_body, only_known_query, request_id};
use platform::{Caller, FieldError, Problem, audit_record, store_failed};
use serde::Deserialize;
use store::{
    GroupKind, HandAward, HandAwardCommand, HandAwardResult, PupilPlace, WithdrawHandAwardCommand,
    WithdrawHandAwardResult,
};

use crate::{App, BODY_LIMIT, MAX_NAME, key_reused, replayed, school};

/// The most points one award to a pupil may give or take away, for a role
/// that may make one.
pub fn pupil_cap(role: Role) -> Option<i64> {
    match role {
        Role::Tutor => Some(5),
        Role::HeadOfYear | Role::Pastoral => Some(10),
        Role::Slt | Role::Admin => Some(25),
        _ => None,
    }
    .filter(|_| role.allows(Permission::AwardPoints))
}

/// The most points one award to a whole house may give or take away.
pub fn house_cap(role: Role) -> Option<i64> {
    match role {
        Role::HeadOfYear => Some(25),
        Role::Slt | Role::Admin => Some(100),
        _ => None,
    }
    .filter(|_| role.allows(Permission::AwardHousePoints))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AwardRequest {
    #[serde(default)]
    pupil_id: Option<PupilId>,
    #[serde(default)]
    house: Option<String>,
    #[serde(deserialize_with = "platform::http::whole_number")]
    points: i64,
    reason: Reason,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WithdrawRequest {
    reason: Reason,
}

/// Whom an award goes to, once checked.
enum Recipient {
    Pupil(PupilId),
    House(String),
}

fn check_shape(body: &AwardRequest) -> Result<Recipient, Problem> {
    let mut errors = Vec::new();
    if body.points == 0 {
        errors.push(FieldError::new("points", "must not be 0"));
    }
    let recipient = match (&body.pupil_id, &body.house) {
        (Some(pupil), None) => Some(Recipient::Pupil(pupil.clone())),
        (None, Some(house)) if house.trim().is_empty() => {
            errors.push(FieldError::new("house", "must not be blank"));
            None
        }
        (None, Some(house)) if house.chars().count() > MAX_NAME => {
            errors.push(FieldError::new(
                "house",
                format!("must be at most {MAX_NAME} characters"),
            ));
            None
        }
        (None, Some(house)) => Some(Recipient::House(house.clone())),
        _ => {
            for field in ["pupilId", "house"] {
                errors.push(FieldError::new(field, "give exactly one of these"));
            }
            None
        }
    };
    match recipient {
        Some(recipient) if errors.is_empty() => Ok(recipient),
        _ => Err(Problem::invalid(errors)),
    }
}

/// The largest award the caller's roles allow, or 403.
fn cap(caller: &Caller, recipient: &Recipient) -> Result<i64, Problem> {
    let (permission, cap): (Permission, fn(Role) -> Option<i64>) = match recipient {
        Recipient::Pupil(_) => (Permission::AwardPoints, pupil_cap),
        Recipient::House(_) => (Permission::AwardHousePoints, house_cap),
    };
    caller.require(permission)?;
    caller
        .roles
        .as_slice()
        .iter()
        .filter_map(|r| cap(*r))
        .max()
        .ok_or_else(|| Problem::forbidden("your role does not allow this"))
}

fn new_id() -> BehaviourId {
    BehaviourId::new(ulid::Ulid::new())
}

pub async fn award(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::AwardPoints)?;
    only_known_query(request, &[])?;
    let key = idempotency_key(request)?;
    let body: AwardRequest = json_body(request, BODY_LIMIT)?;
    let recipient = check_shape(&body)?;
    let most = cap(caller, &recipient)?;
    if body.points.abs() > most {
        return Err(Problem::unprocessable(
            "points-over-cap",
            vec![FieldError::new(
                "points",
                format!("your role may award or deduct at most {most} points at a time"),
            )],
        ));
    }
    let (zone, policy) = school(app, caller).await?;

    let (pupil_id, house, place) = match recipient {
        Recipient::Pupil(pupil) => {
            let found = app
                .store
                .directory_pupil(&caller.school, &pupil)
                .await
                .map_err(store_failed)?;
            let refused = |why: &str| {
                Problem::unprocessable("unknown-reference", vec![FieldError::new("pupilId", why)])
            };
            let found = found.ok_or_else(|| refused("no such pupil in your school"))?;
            if found.left_at.is_some() {
                return Err(refused("has left the school"));
            }
            let place = PupilPlace {
                year_group: Some(found.year_group).filter(|y| !y.trim().is_empty()),
                house: found.house.filter(|h| !h.trim().is_empty()),
            };
            (Some(pupil), place.house.clone(), place)
        }
        Recipient::House(house) => {
            let houses = app
                .store
                .groups(&caller.school, GroupKind::House)
                .await
                .map_err(store_failed)?;
            if !houses.iter().any(|g| g.name == house) {
                return Err(Problem::unprocessable(
                    "unknown-reference",
                    vec![FieldError::new("house", "no such house in your school")],
                ));
            }
            (None, Some(house), PupilPlace::default())
        }
    };

    let now = Utc::now().trunc_subsecs(3);
    let request_id = request_id(caller.user.as_str(), key.as_deref());
    let award = HandAward {
        id: new_id(),
        pupil_id,
        house,
        points: i32::try_from(body.points).expect("capped points fit"),
        reason: body.reason,
        cycle: policy.cycle_at(school_date(now, zone)),
        awarded_at: now,
        awarded_by: caller.user.clone(),
        withdrawal: None,
    };
    let mut targets = vec![award.id.to_string()];
    targets.extend(award.pupil_id.as_ref().map(|p| format!("pupil:{p}")));
    if award.pupil_id.is_none() {
        targets.extend(award.house.as_ref().map(|h| format!("house:{h}")));
    }
    let command = HandAwardCommand {
        school: caller.school.clone(),
        fingerprint: fingerprint(request),
        audit: audit_record(caller, "points.awarded", "award", targets, &request_id),
        request_id,
        award,
        place,
    };

    match app
        .store
        .award_points(command)
        .await
        .map_err(store_failed)?
    {
        HandAwardResult::Applied(award) => {
            tracing::info!(school = %caller.school, award = %award.id, points = award.points, "points awarded by hand");
            if let Some(pupil) = award.pupil_id.clone().filter(|_| award.points > 0) {
                platform::certificates::earn_for_points(
                    &app.store,
                    &app.certificates,
                    &caller.school,
                    &caller.user,
                    &policy,
                    &award.cycle,
                    &[pupil],
                )
                .await;
            }
            Ok(platform::http::json(201, &award))
        }
        HandAwardResult::Replayed(award) => Ok(replayed(platform::http::json(201, &award))),
        HandAwardResult::Mismatch => Err(key_reused()),
    }
}

pub async fn withdraw(
    app: &App,
    caller: &Caller,
    request: &Request,
    id: &str,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::AwardPoints)?;
    only_known_query(request, &[])?;
    let not_found = || Problem::not_found("no such award in your school");
    let award_id = BehaviourId::parse(id).map_err(|_| not_found())?;
    let key = idempotency_key(request)?;
    let body: WithdrawRequest = json_body(request, BODY_LIMIT)?;

    let request_id = request_id(caller.user.as_str(), key.as_deref());
    let command = WithdrawHandAwardCommand {
        school: caller.school.clone(),
        fingerprint: fingerprint(request),
        award_id,
        withdrawal: Withdrawal {
            id: new_id(),
            reason: body.reason,
            withdrawn_at: Utc::now().trunc_subsecs(3),
            withdrawn_by: caller.user.clone(),
        },
        may_withdraw_any: caller.roles.whole_school(Permission::WithdrawAnyAward),
        may_award_houses: caller.allows(Permission::AwardHousePoints),
        audit: audit_record(
            caller,
            "points.withdrawn",
            "award",
            vec![award_id.to_string()],
            &request_id,
        ),
        request_id,
    };

    match app
        .store
        .withdraw_award(command)
        .await
        .map_err(store_failed)?
    {
        WithdrawHandAwardResult::Withdrawn(award) => {
            tracing::info!(school = %caller.school, award = %award.id, "hand award withdrawn");
            Ok(platform::http::json(200, &award))
        }
        WithdrawHandAwardResult::Replayed(award) => Ok(replayed(platform::http::json(200, &award))),
        WithdrawHandAwardResult::NotFound => Err(not_found()),
        WithdrawHandAwardResult::AlreadyWithdrawn => Err(Problem::conflict(
            "already-withdrawn",
            "this award was already withdrawn",
        )),
        WithdrawHandAwardResult::NotYours => {
            Err(Problem::forbidden("you may only withdraw awards you made"))
        }
        WithdrawHandAwardResult::HouseAward => Err(Problem::forbidden(
            "your role does not allow withdrawing an award to a whole house",
        )),
        WithdrawHandAwardResult::Mismatch => Err(key_reused()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_that_may_award_has_a_cap_and_no_other_does() {
        for role in Role::ALL {
            assert_eq!(
                pupil_cap(role).is_some(),
                role.allows(Permission::AwardPoints),
                "{role:?}"
            );
            assert_eq!(
                house_cap(role).is_some(),
                role.allows(Permission::AwardHousePoints),
                "{role:?}"
            );
        }
    }
}
