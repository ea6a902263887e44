//! `GET /v1/houses` and `GET /v1/year-groups`: the school's groups of one
//! kind, as the roster sync wrote them. A school has a handful of each, so
//! they come in one answer.

use lambda_http::{Body, Request, Response};
use platform::{Caller, Problem, store_failed};
use serde::{Deserialize, Serialize};
use store::GroupKind;

use crate::{App, Params};

/// A house or year group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    /// The MIS's id of the group.
    pub id: String,
    pub name: String,
    pub code: Option<String>,
}

/// Every group of one kind, by name.
#[derive(Debug, Serialize, Deserialize)]
pub struct GroupList {
    pub items: Vec<GroupView>,
}

pub async fn list(
    app: &App,
    caller: &Caller,
    request: &Request,
    kind: GroupKind,
) -> Result<Response<Body>, Problem> {
    Params::new(request, &[])?.finish()?;
    let groups = app
        .store
        .groups(&caller.school, kind)
        .await
        .map_err(store_failed)?;
    let items = groups
        .into_iter()
        .map(|group| GroupView {
            id: group.id,
            name: group.name,
            code: group.code,
        })
        .collect();
    Ok(platform::http::json(200, &GroupList { items }))
}
