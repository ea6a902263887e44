//! `PUT` and `DELETE /v1/admin/staff/{staffId}/roles/{role}`: grant and
//! remove a member of staff's roles. Nobody grants or removes a role above
//! their own rank, and nobody takes a role from someone who outranks them.
//! Both are idempotent: asking for what already holds changes nothing.

use domain::{Permission, Role};
use lambda_http::{Body, Request, Response};
use platform::{Caller, Problem};

use crate::App;
use crate::change::{self, Change, change_request, within_rank};

pub async fn grant(
    app: &App,
    caller: &Caller,
    request: &Request,
    staff: &str,
    role: &str,
) -> Result<Response<Body>, Problem> {
    let role = grantable(caller, role)?;
    let request_id = change_request(caller, request)?;

    let view = change::apply(app, caller, staff, &request_id, |target| {
        if target.account.roles.contains(role) {
            return Ok(None);
        }
        let mut account = target.account.clone();
        account.roles = account.roles.with(role);
        Ok(Some(Change {
            account,
            action: "role.granted",
            detail: vec![format!("role:{}", role.name())],
            revoke: true,
        }))
    })
    .await?;
    Ok(platform::http::json(200, &view))
}

pub async fn remove(
    app: &App,
    caller: &Caller,
    request: &Request,
    staff: &str,
    role: &str,
) -> Result<Response<Body>, Problem> {
    let role = grantable(caller, role)?;
    let request_id = change_request(caller, request)?;

    let view = change::apply(app, caller, staff, &request_id, |target| {
        within_rank(caller, target)?;
        if !target.account.roles.contains(role) {
            return Ok(None);
        }
        let mut account = target.account.clone();
        account.roles = account.roles.without(role);
        Ok(Some(Change {
            account,
            action: "role.removed",
            detail: vec![format!("role:{}", role.name())],
            revoke: true,
        }))
    })
    .await?;
    Ok(platform::http::json(200, &view))
}

/// The role named in the path, if the caller may grant and remove it: 403
/// without the permission or above their rank, 400 for a name that is not
/// a staff role.
fn grantable(caller: &Caller, raw: &str) -> Result<Role, Problem> {
    caller.require(Permission::ManageRoles)?;
    let role: Role = raw.parse().map_err(|()| {
        Problem::invalid_field(
            "role",
            "is not a role: use teacher, tutor, headOfYear, pastoral, dsl, slt or admin",
        )
    })?;
    if !role.is_staff() {
        return Err(Problem::invalid_field(
            "role",
            "is not a role a school grants to its staff",
        ));
    }
    if caller.roles.may_grant(role) {
        Ok(role)
    } else {
        Err(Problem::forbidden(
            "you may only grant or remove roles up to your own rank",
        ))
    }
}
