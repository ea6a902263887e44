//! The leaderboards: the school's houses, the pupils of a year, class or
//! house, and the classes of a year, each by points in one cycle (today's
//! unless `cycle` names another), highest first, the top `limit`.

use domain::{ClassId, Permission};
use lambda_http::{Body, Request, Response};
use platform::http::{only_known_query, query};
use platform::{Caller, FieldError, Problem, store_failed};
use serde::{Deserialize, Serialize};
use store::points::ranks;
use store::{GroupKind, HouseStanding, PupilBoard};

use crate::{App, current_cycle, name_param};

const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;

/// A house's place.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HouseEntry {
    pub rank: usize,
    pub house: String,
    pub points: i64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HouseBoard {
    pub cycle: String,
    pub items: Vec<HouseEntry>,
}

/// A pupil's place.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PupilEntry {
    pub rank: usize,
    pub pupil_id: String,
    pub display_name: String,
    pub points: i64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PupilBoardView {
    pub cycle: String,
    pub items: Vec<PupilEntry>,
}

/// A class's place.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassEntry {
    pub rank: usize,
    pub class_id: String,
    pub name: String,
    pub points: i64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassBoard {
    pub cycle: String,
    pub year_group: String,
    pub items: Vec<ClassEntry>,
}

/// The parameters every leaderboard takes, and the filters of one.
struct BoardParams {
    cycle: Option<String>,
    limit: usize,
    filters: Vec<(&'static str, Option<String>)>,
}

fn params(request: &Request, filters: &[&'static str]) -> Result<BoardParams, Problem> {
    let mut known = vec!["cycle", "limit"];
    known.extend_from_slice(filters);
    only_known_query(request, &known)?;

    let mut errors = Vec::new();
    let cycle = name_param(request, "cycle").unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let limit = match query(request, "limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                ));
                DEFAULT_LIMIT
            }
        },
    };
    let mut given = Vec::new();
    for name in filters {
        let value = name_param(request, name).unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        given.push((*name, value));
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    Ok(BoardParams {
        cycle,
        limit,
        filters: given,
    })
}

impl BoardParams {
    async fn cycle(&self, app: &App, caller: &Caller) -> Result<String, Problem> {
        match &self.cycle {
            Some(cycle) => Ok(cycle.clone()),
            None => current_cycle(app, caller).await,
        }
    }
}

/// `GET /v1/points/leaderboards/houses`: every house of the school, those
/// with no points in the cycle at nought.
pub async fn houses(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ReadPoints)?;
    let params = params(request, &[])?;
    let cycle = params.cycle(app, caller).await?;

    let (standings, groups) = tokio::join!(
        app.store.house_standings(&caller.school, &cycle),
        app.store.groups(&caller.school, GroupKind::House)
    );
    let mut standings = standings.map_err(store_failed)?;
    for group in groups.map_err(store_failed)? {
        if !standings.iter().any(|s| s.house == group.name) {
            standings.push(HouseStanding {
                house: group.name,
                points: 0,
            });
        }
    }
    standings.sort_by(|a, b| b.points.cmp(&a.points).then_with(|| a.house.cmp(&b.house)));
    standings.truncate(params.limit);

    let items = ranks(standings.iter().map(|s| s.points))
        .into_iter()
        .zip(standings)
        .map(|(rank, s)| HouseEntry {
            rank,
            house: s.house,
            points: s.points,
        })
        .collect();
    Ok(platform::http::json(200, &HouseBoard { cycle, items }))
}

/// `GET /v1/points/leaderboards/pupils`: the pupils of exactly one of a
/// year group, a class or a house.
pub async fn pupils(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ReadPoints)?;
    let params = params(request, &["yearGroup", "classId", "house"])?;
    let chosen: Vec<(&str, String)> = params
        .filters
        .iter()
        .filter_map(|(name, value)| value.clone().map(|v| (*name, v)))
        .collect();
    let board = match chosen.as_slice() {
        [("yearGroup", year)] => PupilBoard::Year(year.clone()),
        [("house", house)] => PupilBoard::House(house.clone()),
        [("classId", class)] => PupilBoard::Class(
            ClassId::parse(class)
                .map_err(|_| Problem::not_found("no such class in your school"))?,
        ),
        _ => {
            return Err(Problem::invalid(
                ["yearGroup", "classId", "house"]
                    .into_iter()
                    .map(|name| FieldError::new(name, "give exactly one of these"))
                    .collect(),
            ));
        }
    };
    let cycle = params.cycle(app, caller).await?;

    let standings = app
        .store
        .pupil_standings(&caller.school, &cycle, &board, params.limit)
        .await
        .map_err(store_failed)?
        .ok_or_else(|| Problem::not_found("no such class in your school"))?;
    let ids: Vec<_> = standings.iter().map(|s| s.pupil_id.clone()).collect();
    let names = app
        .store
        .pupil_names(&caller.school, &ids)
        .await
        .map_err(store_failed)?;

    let items = ranks(standings.iter().map(|s| s.points))
        .into_iter()
        .zip(standings)
        .map(|(rank, s)| PupilEntry {
            rank,
            display_name: names.get(&s.pupil_id).cloned().unwrap_or_default(),
            pupil_id: s.pupil_id.to_string(),
            points: s.points,
        })
        .collect();
    Ok(platform::http::json(200, &PupilBoardView { cycle, items }))
}

/// `GET /v1/points/leaderboards/classes`: the classes of one year group.
pub async fn classes(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ReadPoints)?;
    let params = params(request, &["yearGroup"])?;
    let Some(year) = params.filters[0].1.clone() else {
        return Err(Problem::invalid_field("yearGroup", "is required"));
    };
    let cycle = params.cycle(app, caller).await?;

    let mut standings = app
        .store
        .class_standings(&caller.school, &cycle, &year)
        .await
        .map_err(store_failed)?;
    standings.truncate(params.limit);

    let items = ranks(standings.iter().map(|s| s.points))
        .into_iter()
        .zip(standings)
        .map(|(rank, s)| ClassEntry {
            rank,
            class_id: s.class_id.to_string(),
            name: s.name,
            points: s.points,
        })
        .collect();
    let body = ClassBoard {
        cycle,
        year_group: year,
        items,
    };
    Ok(platform::http::json(200, &body))
}
