//! Vendor support reaching a school: a support engineer signed in without a
//! school exchanges their token for one that acts in a school, which only
//! a live grant from that school's admin allows. The token ends when the
//! grant does, names the grant, and is written to the school's audit log.

use chrono::Utc;
use domain::{Role, Roles, SchoolId};
use lambda_http::{Body, Request, Response};
use platform::http::json_body;
use platform::signing::Grant;
use platform::{Problem, store_failed};
use serde::{Deserialize, Serialize};

use crate::{App, BODY_LIMIT};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SessionRequest {
    school_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SupportSession {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    school_id: SchoolId,
    grant_id: String,
    grant_ends_at: chrono::DateTime<Utc>,
}

pub async fn session(app: &App, request: &Request) -> Result<Response<Body>, Problem> {
    let claims = app.verifier.claims(request)?;
    if !claims.roles.contains(Role::Support) || claims.school.is_some() {
        return Err(Problem::forbidden(
            "only vendor support, signed in as themselves, may ask for a school's access",
        ));
    }
    let body: SessionRequest = json_body(request, BODY_LIMIT)?;
    let school = SchoolId::parse(&body.school_id)
        .map_err(|e| Problem::invalid_field("schoolId", e.to_string()))?;
    let now = Utc::now();
    let state = app
        .store
        .access_state(&school)
        .await
        .map_err(store_failed)?;
    if state.school_disabled() {
        return Err(platform::school_disabled());
    }
    let grant = state
        .grants
        .iter()
        .filter(|g| g.is_live(now))
        .max_by_key(|g| g.ends_at)
        .ok_or_else(|| {
            Problem::forbidden("this school has not granted support access, or the grant has ended")
        })?;

    let (access_token, expires) = app.signer.issue(
        Grant {
            subject: &claims.sub,
            school: Some(&school),
            roles: Roles::new([Role::Support]),
            support_grant: Some(&grant.id),
            not_after: Some(grant.ends_at.timestamp()),
        },
        now.timestamp(),
    );
    let request_id = crate::request_id(request);
    let record = store::AuditRecord {
        id: request_id.clone(),
        at: now,
        actor: claims.sub.clone(),
        actor_roles: Roles::new([Role::Support]),
        action: "support.sessionStarted".into(),
        target_type: "grant".into(),
        target_ids: vec![grant.id.clone()],
        request_id,
        grant: Some(grant.id.clone()),
    };
    app.store
        .write_audit(&school, &record)
        .await
        .map_err(store_failed)?;
    tracing::info!(school = %school, grant = %grant.id, "support session started");
    Ok(platform::http::json(
        200,
        &SupportSession {
            access_token,
            token_type: "Bearer",
            expires_in: expires - now.timestamp(),
            school_id: school,
            grant_id: grant.id.clone(),
            grant_ends_at: grant.ends_at,
        },
    ))
}
