//! `GET /v1/classes` and `GET /v1/classes/{id}`: the classes a member of
//! staff teaches (or, for leaders, every class), and one class with its
//! teachers and pupils.

use std::collections::HashMap;

use domain::{ClassId, PupilId, StaffId};
use lambda_http::{Body, Request, Response};
use platform::{Caller, Problem, store_failed};
use serde::{Deserialize, Serialize};
use store::{ClassQuery, DirectoryClass, DirectoryStaff};

use crate::{App, Params, opened, sealed, whole_school, year};

/// One of a class's teachers; `name` is null for a teacher the roster does
/// not list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeacherView {
    pub id: StaffId,
    pub name: Option<String>,
    /// The class's main teacher.
    pub main: bool,
}

/// A class as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassSummary {
    pub id: ClassId,
    pub name: String,
    pub year_group: Option<String>,
    pub subject: Option<String>,
    pub teachers: Vec<TeacherView>,
    pub main_teacher_id: Option<StaffId>,
    pub pupil_count: usize,
}

/// A page of classes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassPage {
    pub items: Vec<ClassSummary>,
    pub next_cursor: Option<String>,
}

/// A pupil of a class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassPupil {
    pub id: PupilId,
    pub display_name: String,
}

/// One class with its pupils, by display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassView {
    #[serde(flatten)]
    pub class: ClassSummary,
    pub pupils: Vec<ClassPupil>,
}

fn summary(
    class: DirectoryClass,
    pupil_count: usize,
    staff: &HashMap<StaffId, DirectoryStaff>,
) -> ClassSummary {
    let mut ids = class.teacher_ids.clone();
    if let Some(main) = &class.main_teacher_id
        && !ids.contains(main)
    {
        ids.insert(0, main.clone());
    }
    let teachers = ids
        .into_iter()
        .map(|id| TeacherView {
            name: staff.get(&id).map(|m| {
                format!("{} {}", m.first_name, m.last_name)
                    .trim()
                    .to_owned()
            }),
            main: class.main_teacher_id.as_ref() == Some(&id),
            id,
        })
        .collect();
    ClassSummary {
        year_group: year(&class.year_group),
        teachers,
        main_teacher_id: class.main_teacher_id,
        pupil_count,
        id: class.id,
        name: class.name,
        subject: class.subject,
    }
}

/// The roster entries of every teacher of these classes, in one read.
async fn teachers<'c>(
    app: &App,
    caller: &Caller,
    classes: impl Iterator<Item = &'c DirectoryClass>,
) -> Result<HashMap<StaffId, DirectoryStaff>, Problem> {
    let ids: Vec<StaffId> = classes
        .flat_map(|c| c.teacher_ids.iter().chain(c.main_teacher_id.iter()))
        .cloned()
        .collect();
    app.store
        .staff_named(&caller.school, &ids)
        .await
        .map_err(store_failed)
}

pub async fn list(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    let mut params = Params::new(request, &["all", "limit", "cursor"])?;
    let all = params.flag("all").unwrap_or(false);
    let limit = params.limit();
    params.finish()?;
    if all && !whole_school(caller) {
        return Err(Problem::forbidden(
            "every class (all=true) is for roles that read the whole school's behaviour; \
             leave out `all` for the classes you teach",
        ));
    }

    let filters = if all {
        "all".to_owned()
    } else {
        format!("taught-by|{}", caller.user)
    };
    let query = ClassQuery {
        teacher: (!all).then(|| caller.user.clone()),
        limit,
        after: opened(app, caller, request, &filters)?,
    };
    let (entries, after) = app
        .store
        .classes(&caller.school, &query)
        .await
        .map_err(store_failed)?;
    let staff = teachers(app, caller, entries.iter().map(|e| &e.class)).await?;
    let items = entries
        .into_iter()
        .map(|entry| summary(entry.class, entry.pupil_count, &staff))
        .collect();
    Ok(platform::http::json(
        200,
        &ClassPage {
            items,
            next_cursor: sealed(app, caller, filters, after),
        },
    ))
}

pub async fn one(
    app: &App,
    caller: &Caller,
    request: &Request,
    id: &str,
) -> Result<Response<Body>, Problem> {
    Params::new(request, &[])?.finish()?;
    let not_found = || Problem::not_found("no such class in your school");
    let id = ClassId::parse(id).map_err(|_| not_found())?;

    let detail = app
        .store
        .class_detail(&caller.school, &id)
        .await
        .map_err(store_failed)?
        .ok_or_else(not_found)?;
    if !whole_school(caller) && !detail.class.teaches(&caller.user) {
        return Err(Problem::forbidden(
            "you may see the pupils of classes you teach; leaders see every class",
        ));
    }

    let staff = teachers(app, caller, std::iter::once(&detail.class)).await?;
    let pupils: Vec<ClassPupil> = detail
        .members
        .into_iter()
        .map(|m| ClassPupil {
            id: m.pupil_id,
            display_name: m.display_name,
        })
        .collect();
    let view = ClassView {
        class: summary(detail.class, pupils.len(), &staff),
        pupils,
    };
    Ok(platform::http::json(200, &view))
}
