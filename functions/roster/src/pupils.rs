//! `GET /v1/pupils` and `GET /v1/pupils/{id}`: finding a pupil, and one
//! pupil with their classes.

use chrono::{DateTime, Utc};
use domain::{ClassId, Permission, PupilId};
use lambda_http::{Body, Request, Response};
use platform::{Caller, Problem, store_failed};
use serde::{Deserialize, Serialize};
use store::{DirectoryPupil, GroupFlags, PupilQuery};

use crate::{App, MAX_GROUP, MAX_NAME, Params, opened, sealed, year};

/// A pupil as a list shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PupilSummary {
    pub id: PupilId,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    pub year_group: Option<String>,
    pub house: Option<String>,
    pub registration_group: Option<String>,
    pub left: bool,
}

impl From<&DirectoryPupil> for PupilSummary {
    fn from(pupil: &DirectoryPupil) -> Self {
        Self {
            id: pupil.id.clone(),
            first_name: pupil.first_name.clone(),
            last_name: pupil.last_name.clone(),
            display_name: pupil.display_name(),
            year_group: year(&pupil.year_group),
            house: pupil.house.clone(),
            registration_group: pupil.registration_group.clone(),
            left: pupil.left_at.is_some(),
        }
    }
}

/// A page of pupils.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PupilPage {
    pub items: Vec<PupilSummary>,
    pub next_cursor: Option<String>,
}

/// A class a pupil is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PupilClass {
    pub id: ClassId,
    pub name: String,
    pub subject: Option<String>,
}

/// The flags a school with group analysis on compares behaviour across.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupFlagsView {
    pub gender: Option<String>,
    pub sen_status: Option<String>,
    pub pupil_premium: Option<bool>,
    pub eal: Option<bool>,
}

impl From<GroupFlags> for GroupFlagsView {
    fn from(flags: GroupFlags) -> Self {
        Self {
            gender: flags.gender,
            sen_status: flags.sen_status,
            pupil_premium: flags.pupil_premium,
            eal: flags.eal,
        }
    }
}

/// One pupil. `group_flags` is absent for callers who may not see it, and
/// null for a school that does not share them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PupilView {
    #[serde(flatten)]
    pub pupil: PupilSummary,
    pub left_at: Option<DateTime<Utc>>,
    pub classes: Vec<PupilClass>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_flags: Option<Option<GroupFlagsView>>,
}

const KNOWN: [&str; 8] = [
    "q",
    "yearGroup",
    "classId",
    "house",
    "registrationGroup",
    "includeLeft",
    "limit",
    "cursor",
];

pub async fn list(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    let mut params = Params::new(request, &KNOWN)?;
    let mut filter = PupilQuery {
        name: params
            .text("q", MAX_NAME)
            .map(|q| store::keys::fold(&q))
            .filter(|q| !q.is_empty()),
        year_group: params.text("yearGroup", MAX_GROUP),
        house: params.text("house", MAX_GROUP),
        registration_group: params.text("registrationGroup", MAX_GROUP),
        class: params.parse("classId", "is not a valid class id", |raw| {
            ClassId::parse(raw).ok()
        }),
        include_left: params.flag("includeLeft").unwrap_or(false),
        limit: params.limit(),
        after: None,
    };
    params.finish()?;

    let filters = describe(&filter);
    filter.after = opened(app, caller, request, &filters)?;
    let (pupils, after) = app
        .store
        .pupils(&caller.school, &filter)
        .await
        .map_err(store_failed)?;
    Ok(platform::http::json(
        200,
        &PupilPage {
            items: pupils.iter().map(PupilSummary::from).collect(),
            next_cursor: sealed(app, caller, filters, after),
        },
    ))
}

fn describe(filter: &PupilQuery) -> String {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        text(&filter.name),
        text(&filter.year_group),
        text(&filter.house),
        text(&filter.registration_group),
        filter
            .class
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        filter.include_left.to_string(),
    ]
    .join("|")
}

pub async fn one(
    app: &App,
    caller: &Caller,
    request: &Request,
    id: &str,
) -> Result<Response<Body>, Problem> {
    Params::new(request, &[])?.finish()?;
    let not_found = || Problem::not_found("no such pupil in your school");
    let id = PupilId::parse(id).map_err(|_| not_found())?;

    let pupil = app
        .store
        .directory_pupil(&caller.school, &id)
        .await
        .map_err(store_failed)?
        .ok_or_else(not_found)?;
    let classes = app
        .store
        .classes_of_pupil(&caller.school, &id)
        .await
        .map_err(store_failed)?;

    let group_flags = caller
        .allows(Permission::ReadGroupFlags)
        .then(|| pupil.group_flags.clone().map(GroupFlagsView::from));
    let view = PupilView {
        pupil: PupilSummary::from(&pupil),
        left_at: pupil.left_at,
        classes: classes
            .into_iter()
            .map(|class| PupilClass {
                id: class.id,
                name: class.name,
                subject: class.subject,
            })
            .collect(),
        group_flags,
    };
    Ok(platform::http::json(200, &view))
}
