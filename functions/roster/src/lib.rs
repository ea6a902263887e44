//! The roster function: staff find the school's pupils, classes, staff,
//! houses and year groups, as the roster sync keeps them. It only reads.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /v1/pupils` | search pupils by name, year, class, house and tutor group |
//! | `GET /v1/pupils/{id}` | one pupil with their classes |
//! | `GET /v1/classes` | the classes the caller teaches, or every class |
//! | `GET /v1/classes/{id}` | one class with its teachers and pupils |
//! | `GET /v1/staff` | the school's staff on the roster |
//! | `GET /v1/houses` | the school's houses |
//! | `GET /v1/year-groups` | the school's year groups |
//!
//! Any member of staff may find any pupil, since any may log behaviour for
//! any pupil. What the answer shows is narrower: a pupil's group-analysis
//! flags only to holders of [`Permission::ReadGroupFlags`], staff work
//! addresses only to holders of [`Permission::ReadStaff`], every class and
//! any class's pupils only to those whose [`Permission::ReadBehaviour`]
//! reaches the whole school.

mod classes;
mod groups;
mod pupils;
mod staff;

use domain::{Permission, Scope};
use lambda_http::{Body, Request, Response};
use platform::http::query;
use platform::{Access, Caller, ConfigError, CursorSigner, FieldError, Gate, Problem, Route};
use serde::{Deserialize, Serialize};
use store::Store;

pub use classes::{ClassPage, ClassPupil, ClassSummary, ClassView, TeacherView};
pub use groups::{GroupList, GroupView};
pub use pupils::{GroupFlagsView, PupilClass, PupilPage, PupilSummary, PupilView};
pub use staff::{StaffPage, StaffView};

/// Every route this function answers, with who may call it.
pub const ROUTES: [Route; 7] = [
    Route::new("GET", "/v1/pupils", Access::Needs(Permission::ReadRoster)),
    Route::new(
        "GET",
        "/v1/pupils/{id}",
        Access::Needs(Permission::ReadRoster),
    ),
    Route::new("GET", "/v1/classes", Access::Needs(Permission::ReadRoster)),
    Route::new(
        "GET",
        "/v1/classes/{id}",
        Access::Needs(Permission::ReadRoster),
    ),
    Route::new("GET", "/v1/staff", Access::Needs(Permission::ReadRoster)),
    Route::new("GET", "/v1/houses", Access::Needs(Permission::ReadRoster)),
    Route::new(
        "GET",
        "/v1/year-groups",
        Access::Needs(Permission::ReadRoster),
    ),
];

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 200;
/// The longest name search accepted, in characters.
const MAX_NAME: usize = 100;
/// The longest year group, house or tutor group accepted, in characters.
const MAX_GROUP: usize = 64;

/// What the function holds for its whole life: built once per cold start.
pub struct App {
    pub store: Store,
    pub gate: Gate,
    pub cursors: CursorSigner,
}

impl App {
    /// Reads the configuration every route needs, naming what is missing.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let aws = platform::config::aws().await;
        Ok(Self {
            store: Store::new(
                aws_sdk_dynamodb::Client::new(&aws),
                platform::env_var("TABLE_NAME")?,
            ),
            gate: Gate::from_env()?,
            cursors: CursorSigner::from_env()?,
        })
    }
}

/// Answers one request. Every failure becomes a problem+json answer.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    app.gate
        .serve(
            &app.store,
            &ROUTES,
            &request,
            async |route, params, caller| dispatch(app, &request, route, params, caller).await,
        )
        .await
}

async fn dispatch(
    app: &App,
    request: &Request,
    route: &Route,
    params: &[&str],
    caller: &Caller,
) -> Result<Response<Body>, Problem> {
    match (route.path, params) {
        ("/v1/pupils", []) => pupils::list(app, caller, request).await,
        ("/v1/pupils/{id}", [id]) => pupils::one(app, caller, request, id).await,
        ("/v1/classes", []) => classes::list(app, caller, request).await,
        ("/v1/classes/{id}", [id]) => classes::one(app, caller, request, id).await,
        ("/v1/staff", []) => staff::list(app, caller, request).await,
        ("/v1/houses", []) => groups::list(app, caller, request, store::GroupKind::House).await,
        ("/v1/year-groups", []) => groups::list(app, caller, request, store::GroupKind::Year).await,
        _ => Err(Problem::not_found("no such route")),
    }
}

/// Whether the caller's behaviour reading reaches the whole school: they
/// see every class, and any class's pupils.
fn whole_school(caller: &Caller) -> bool {
    caller
        .scopes(Permission::ReadBehaviour)
        .contains(&Scope::WholeSchool)
}

/// The query parameters of a list, read one by one; each refusal is kept,
/// so one answer names every bad field.
struct Params<'r> {
    request: &'r Request,
    errors: Vec<FieldError>,
}

impl<'r> Params<'r> {
    fn new(request: &'r Request, known: &[&str]) -> Result<Self, Problem> {
        platform::http::only_known_query(request, known)?;
        Ok(Self {
            request,
            errors: Vec::new(),
        })
    }

    fn parse<T>(
        &mut self,
        name: &str,
        why: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        let raw = query(self.request, name)?;
        let parsed = parse(&raw);
        if parsed.is_none() {
            self.errors.push(FieldError::new(name, why));
        }
        parsed
    }

    /// A piece of text of at most `max` characters.
    fn text(&mut self, name: &str, max: usize) -> Option<String> {
        self.parse(name, &format!("must be at most {max} characters"), |raw| {
            (raw.chars().count() <= max).then(|| raw.to_owned())
        })
    }

    fn flag(&mut self, name: &str) -> Option<bool> {
        self.parse(name, "must be true or false", |raw| match raw {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        })
    }

    fn limit(&mut self) -> usize {
        self.parse(
            "limit",
            &format!("must be a whole number from 1 to {MAX_LIMIT}"),
            |raw| {
                raw.parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
            },
        )
        .unwrap_or(DEFAULT_LIMIT)
    }

    /// 400 naming every refused field, if any was.
    fn finish(self) -> Result<(), Problem> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Problem::invalid(self.errors))
        }
    }
}

/// What a cursor holds: where the page ended, and the filters it was for,
/// so it cannot be replayed against another list.
#[derive(Serialize, Deserialize)]
struct Position {
    filters: String,
    after: String,
}

/// The position a `cursor` parameter holds, for a list with these filters.
fn opened(
    app: &App,
    caller: &Caller,
    request: &Request,
    filters: &str,
) -> Result<Option<String>, Problem> {
    let Some(cursor) = query(request, "cursor") else {
        return Ok(None);
    };
    let position: Position = app.cursors.open(&caller.school, &cursor)?;
    if position.filters != filters {
        return Err(Problem::invalid_field(
            "cursor",
            "belongs to a list with other filters",
        ));
    }
    Ok(Some(position.after))
}

/// The cursor of the next page, if there is one.
fn sealed(app: &App, caller: &Caller, filters: String, after: Option<String>) -> Option<String> {
    after.map(|after| {
        app.cursors
            .seal(&caller.school, &Position { filters, after })
    })
}

/// The year group as answers show it: none where the MIS gives none.
fn year(year_group: &str) -> Option<String> {
    (!year_group.trim().is_empty()).then(|| year_group.to_owned())
}
