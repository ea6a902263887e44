//! `POST /v1/admin/staff/{staffId}/disable` and `/enable`: turn a member of
//! staff's account off and on. Disabling ends every session at once and
//! refuses the access tokens already out there; enabling lets them sign in
//! again (old sessions stay dead).

use chrono::Utc;
use domain::Permission;
use lambda_http::{Body, Request, Response};
use platform::{Caller, Problem};
use store::AccountStatus;

use crate::App;
use crate::change::{self, Change, Target, change_request, within_rank};

pub async fn disable(
    app: &App,
    caller: &Caller,
    request: &Request,
    staff: &str,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ManageAccounts)?;
    let request_id = change_request(caller, request)?;

    let view = change::apply(app, caller, staff, &request_id, |target| {
        if target.account.user_id == caller.user.as_str() {
            return Err(Problem::conflict(
                "cannot-disable-self",
                "you cannot disable your own account; ask another admin",
            ));
        }
        within_rank(caller, target)?;
        match target.account.status {
            AccountStatus::Disabled => return Ok(None),
            AccountStatus::Pending => return Err(not_yet_active()),
            AccountStatus::Active => {}
        }
        let mut account = target.account.clone();
        account.status = AccountStatus::Disabled;
        account.sessions_not_before_ms = Utc::now().timestamp_millis();
        Ok(Some(Change {
            account,
            action: "account.disabled",
            detail: vec![],
            revoke: true,
        }))
    })
    .await?;
    Ok(platform::http::json(200, &view))
}

pub async fn enable(
    app: &App,
    caller: &Caller,
    request: &Request,
    staff: &str,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ManageAccounts)?;
    let request_id = change_request(caller, request)?;

    let view = change::apply(app, caller, staff, &request_id, |target: &Target| {
        within_rank(caller, target)?;
        match target.account.status {
            AccountStatus::Active => return Ok(None),
            AccountStatus::Pending => return Err(not_yet_active()),
            AccountStatus::Disabled => {}
        }
        let mut account = target.account.clone();
        account.status = AccountStatus::Active;
        Ok(Some(Change {
            account,
            action: "account.enabled",
            detail: vec![],
            revoke: false,
        }))
    })
    .await?;
    Ok(platform::http::json(200, &view))
}

/// A pending account has not proved its address. Turning it off and on
/// again must not make it active without that proof, so neither is allowed.
fn not_yet_active() -> Problem {
    Problem::conflict(
        "account-pending",
        "this account has not been activated yet; it becomes active when its owner proves their address",
    )
}
