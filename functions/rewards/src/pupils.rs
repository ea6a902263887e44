//! `GET /v1/points/pupils/{id}`: one pupil's points this cycle, over all
//! time and in every cycle they have any in.

use domain::{Permission, PupilId};
use lambda_http::{Body, Request, Response};
use platform::http::only_known_query;
use platform::{Caller, Problem, store_failed};
use serde::{Deserialize, Serialize};
use store::CyclePoints;

use crate::{App, current_cycle};

/// A pupil's points.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PupilPointsView {
    pub pupil_id: PupilId,
    /// The cycle the school is in today.
    pub cycle: String,
    pub this_cycle: i64,
    pub all_time: i64,
    /// Every cycle with points, by name.
    pub cycles: Vec<CyclePoints>,
}

pub async fn one(
    app: &App,
    caller: &Caller,
    request: &Request,
    id: &str,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ReadPoints)?;
    only_known_query(request, &[])?;
    let not_found = || Problem::not_found("no such pupil in your school");
    let pupil = PupilId::parse(id).map_err(|_| not_found())?;

    let (cycle, found, points) = tokio::join!(
        current_cycle(app, caller),
        app.store.directory_pupil(&caller.school, &pupil),
        app.store.pupil_points_by_cycle(&caller.school, &pupil)
    );
    let cycle = cycle?;
    found.map_err(store_failed)?.ok_or_else(not_found)?;
    let (all_time, cycles) = points.map_err(store_failed)?;

    let this_cycle = cycles
        .iter()
        .find(|c| c.cycle == cycle)
        .map_or(0, |c| c.points);
    let body = PupilPointsView {
        pupil_id: pupil,
        cycle,
        this_cycle,
        all_time,
        cycles,
    };
    Ok(platform::http::json(200, &body))
}
