//! `GET /v1/admin/staff`: every member of staff the roster lists, with the
//! roles their account holds and whether they have signed up.

use domain::{Email, Permission, Roles, StaffId};
use lambda_http::{Body, Request, Response};
use platform::http::only_known_query;
use platform::{Caller, Problem, store_failed};
use serde::{Deserialize, Serialize};
use store::{Account, AccountStatus, StaffMember};

use crate::App;

/// Where a member of staff stands with their account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StaffStatus {
    /// On the roster, never signed up.
    NoAccount,
    /// Signed up, address not yet proved.
    Pending,
    Active,
    /// Turned off by the school.
    Disabled,
}

/// A member of staff as the admin screens show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffView {
    pub staff_id: StaffId,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<Email>,
    pub roles: Roles,
    pub status: StaffStatus,
}

impl StaffView {
    pub fn new(member: &StaffMember, account: Option<&Account>) -> Self {
        let status = match account.map(|a| a.status) {
            None => StaffStatus::NoAccount,
            Some(AccountStatus::Pending) => StaffStatus::Pending,
            Some(AccountStatus::Active) => StaffStatus::Active,
            Some(AccountStatus::Disabled) => StaffStatus::Disabled,
        };
        Self {
            staff_id: member.id.clone(),
            first_name: member.first_name.clone(),
            last_name: member.last_name.clone(),
            email: member
                .email
                .clone()
                .or_else(|| account.map(|a| a.email.clone())),
            roles: account.map(|a| a.roles.clone()).unwrap_or_default(),
            status,
        }
    }
}

/// The whole staff list. A school's staff is a few hundred at most, so it
/// comes in one answer rather than pages.
#[derive(Debug, Serialize, Deserialize)]
pub struct StaffList {
    pub items: Vec<StaffView>,
}

pub async fn list(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ReadStaff)?;
    only_known_query(request, &[])?;

    let directory = app
        .store
        .staff_directory(&caller.school)
        .await
        .map_err(store_failed)?;
    let mut items: Vec<StaffView> = directory
        .iter()
        .map(|entry| StaffView::new(&entry.member, entry.account.as_ref()))
        .collect();
    items.sort_by_cached_key(|view| {
        (
            view.last_name.to_lowercase(),
            view.first_name.to_lowercase(),
            view.staff_id.clone(),
        )
    });
    Ok(platform::http::json(200, &StaffList { items }))
}
