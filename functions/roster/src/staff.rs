//! `GET /v1/staff`: the school's staff as the roster lists them, by name.

use domain::{Email, Permission, StaffId};
use lambda_http::{Body, Request, Response};
use platform::{Caller, Problem, store_failed};
use serde::{Deserialize, Serialize};
use store::{DirectoryStaff, StaffQuery};

use crate::{App, MAX_NAME, Params, opened, sealed};

/// A member of staff. `email` is there only for callers who may read the
/// staff list with its addresses, and null when the roster holds none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffView {
    pub id: StaffId,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    pub teaching: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Option<Email>>,
}

impl StaffView {
    fn new(member: DirectoryStaff, with_email: bool) -> Self {
        Self {
            display_name: format!("{} {}", member.first_name, member.last_name)
                .trim()
                .to_owned(),
            id: member.id,
            first_name: member.first_name,
            last_name: member.last_name,
            teaching: member.teaching,
            email: with_email.then_some(member.email),
        }
    }
}

/// A page of staff.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffPage {
    pub items: Vec<StaffView>,
    pub next_cursor: Option<String>,
}

pub async fn list(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    let mut params = Params::new(request, &["q", "teaching", "limit", "cursor"])?;
    let mut query = StaffQuery {
        name: params
            .text("q", MAX_NAME)
            .map(|q| store::keys::fold(&q))
            .filter(|q| !q.is_empty()),
        teaching: params.flag("teaching"),
        limit: params.limit(),
        after: None,
    };
    params.finish()?;

    let filters = format!(
        "{}|{}",
        query.name.clone().unwrap_or_default(),
        query.teaching.map(|t| t.to_string()).unwrap_or_default()
    );
    query.after = opened(app, caller, request, &filters)?;
    let (staff, after) = app
        .store
        .directory_staff(&caller.school, &query)
        .await
        .map_err(store_failed)?;
    let with_email = caller.allows(Permission::ReadStaff);
    Ok(platform::http::json(
        200,
        &StaffPage {
            items: staff
                .into_iter()
                .map(|member| StaffView::new(member, with_email))
                .collect(),
            next_cursor: sealed(app, caller, filters, after),
        },
    ))
}
