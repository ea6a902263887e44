//! `GET /v1/lessons/{classId}/lights?date=`: the class grid, every pupil
//! with their light for that lesson.

use chrono::{NaiveDate, Utc};
use domain::calendar::school_date;
use domain::{ClassId, LightScope, Permission, PupilId, Stage};
use lambda_http::{Body, Request, Response};
use platform::http::{only_known_query, query};
use platform::{Caller, Problem};
use serde::{Deserialize, Serialize};
use store::LightState;

use crate::{App, school, store_failed};

/// The class grid.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LessonLights {
    pub class_id: ClassId,
    pub class_name: String,
    pub date: NaiveDate,
    pub light_scope: LightScope,
    pub ladder: Vec<Stage>,
    pub pupils: Vec<PupilLight>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PupilLight {
    pub pupil_id: PupilId,
    pub display_name: String,
    pub light: LightState,
}

pub async fn lights(
    app: &App,
    caller: &Caller,
    request: &Request,
    class: &str,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ReadBehaviour)?;
    only_known_query(request, &["date"])?;
    let not_found = || Problem::not_found("no such class in your school");
    let class_id = ClassId::parse(class).map_err(|_| not_found())?;
    let (settings, policy) = school(app, caller).await?;
    let zone = settings.zone().map_err(store_failed)?;
    let date = match query(request, "date") {
        Some(text) => NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .ok()
            .filter(|date| date.format("%Y-%m-%d").to_string() == text)
            .ok_or_else(|| Problem::invalid_field("date", "must be a date such as 2026-12-03"))?,
        None => school_date(Utc::now(), zone),
    };

    let class = app
        .store
        .class(&caller.school, &class_id)
        .await
        .map_err(store_failed)?
        .ok_or_else(not_found)?;
    if !crate::reaches_class(caller, &class) {
        return Err(Problem::forbidden(
            "you may see the lights of the classes you teach",
        ));
    }
    let pupils: Vec<PupilId> = class.members.iter().map(|m| m.pupil_id.clone()).collect();
    let mut lights = app
        .store
        .lights(
            &caller.school,
            policy.light_scope,
            &class_id,
            date,
            &pupils,
            &policy.ladder,
        )
        .await
        .map_err(store_failed)?;

    let mut grid: Vec<PupilLight> = class
        .members
        .into_iter()
        .filter_map(|m| {
            let light = lights.remove(&m.pupil_id)?;
            Some(PupilLight {
                pupil_id: m.pupil_id,
                display_name: m.display_name,
                light,
            })
        })
        .collect();
    grid.sort_by(|a, b| a.display_name.cmp(&b.display_name));

    let body = LessonLights {
        class_id,
        class_name: class.name,
        date,
        light_scope: policy.light_scope,
        ladder: policy.ladder.stages,
        pupils: grid,
    };
    Ok(platform::http::json(200, &body))
}
