//! `POST /v1/certificates`: a member of staff awards a certificate by hand,
//! once per `Idempotency-Key`.

use chrono::{SubsecRound, Utc};
use domain::{CertificateTemplate, Permission, PupilId};
use lambda_http::{Body, Request, Response};
use platform::http::{fingerprint, idempotency_key, json_body, request_id};
use platform::{Caller, FieldError, Problem, store_failed};
use serde::Deserialize;
use store::{AwardResult, AwardedBy, Certificate, EmailStatus};

use crate::{App, BODY_LIMIT};

/// The longest name a hand award may have: it has to fit the page.
const MAX_NAME: usize = 80;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AwardRequest {
    pupil_id: PupilId,
    /// What it is for, such as "Star of the Week".
    name: String,
    #[serde(default)]
    template: Option<CertificateTemplate>,
}

pub async fn award(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::AwardCertificate)?;
    let key = idempotency_key(request)?;
    let body: AwardRequest = json_body(request, BODY_LIMIT)?;
    let name = body.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(Problem::invalid_field(
            "name",
            format!("must be 1 to {MAX_NAME} characters"),
        ));
    }

    let (school, pupil, awarder) = tokio::join!(
        app.store.school(&caller.school),
        app.store.directory_pupil(&caller.school, &body.pupil_id),
        app.store.staff_member(&caller.school, &caller.user),
    );
    let (settings, policy) = school
        .map_err(store_failed)?
        .ok_or_else(|| Problem::forbidden("your school is not set up yet"))?;
    let pupil = pupil.map_err(store_failed)?.ok_or_else(|| {
        Problem::unprocessable(
            "unknown-reference",
            vec![FieldError::new("pupilId", "no such pupil in your school")],
        )
    })?;
    let awarder_name = awarder
        .map_err(store_failed)?
        .map(|m| {
            format!("{} {}", m.first_name, m.last_name)
                .trim()
                .to_owned()
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| settings.name.clone());

    let now = Utc::now().trunc_subsecs(3);
    let zone = settings.zone().map_err(store_failed)?;
    let cycle = policy.cycle_at(domain::calendar::school_date(now, zone));
    let id = ulid::Ulid::new().to_string();
    let certificate = Certificate {
        id: id.clone(),
        pupil_id: body.pupil_id.clone(),
        pupil_name: pupil.display_name(),
        year_group: pupil.year_group.clone(),
        rule_id: None,
        name,
        cycle,
        template: body.template.unwrap_or(CertificateTemplate::Classic),
        awarded_at: now,
        awarded_by: AwardedBy::Staff {
            staff_id: caller.user.clone(),
            name: awarder_name,
        },
        notify: vec![caller.user.clone()],
        email_status: EmailStatus::Pending,
        emailed_at: None,
    };
    let request_id = request_id(caller.user.as_str(), key.as_deref());
    let audit = platform::audit_record(
        caller,
        "certificate.awarded",
        "certificate",
        vec![id.clone(), format!("pupil:{}", body.pupil_id)],
        &request_id,
    );
    let result = app
        .store
        .award_certificate(
            &caller.school,
            certificate,
            &request_id,
            &fingerprint(request),
            &audit,
        )
        .await
        .map_err(store_failed)?;
    match result {
        AwardResult::Created(certificate) => {
            crate::queue(app, &caller.school, &certificate.id).await;
            tracing::info!(school = %caller.school, certificate = %certificate.id, "certificate awarded by hand");
            Ok(platform::http::json(201, &*certificate))
        }
        AwardResult::Replayed(certificate) => {
            let mut response = platform::http::json(201, &*certificate);
            response.headers_mut().insert(
                "idempotent-replayed",
                "true".parse().expect("a valid header"),
            );
            Ok(response)
        }
        AwardResult::Mismatch => Err(Problem::unprocessable(
            "idempotency-key-reused",
            vec![FieldError::new(
                "Idempotency-Key",
                "was already used for a different request",
            )],
        )),
    }
}
