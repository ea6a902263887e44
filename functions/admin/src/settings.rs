//! `GET` and `PUT /v1/admin/settings`: the school's own settings. Leaders
//! switch group analysis on or off here; the school's name and time zone
//! are shown beside it but come from Wonde and the school's setup, so they
//! are not changed here.
//!
//! Group analysis decides whether the roster sync brings in each pupil's
//! gender, SEN, pupil premium and EAL flags (special category data, so off
//! until a leader switches it on). A switch is written in one transaction
//! with its audit record (`settings.changed`), and only if the setting is
//! not already so, so of two leaders switching at once exactly one changes
//! it. The one that changes it queues a full roster sync of the school at
//! once, which brings the flags in or removes them. If that message does
//! not reach the queue, or a full sync that read the old setting is already
//! running and takes it as done, the change still stands: the school's next
//! scheduled sync sees that the setting differs from what the last one
//! synced with and runs as a full sync itself.

use domain::{Permission, SchoolId};
use lambda_http::{Body, Request, Response};
use platform::http::{json_body, only_known_query, request_id};
use platform::{Caller, Problem, audit_record, store_failed};
use serde::{Deserialize, Serialize};
use store::{RosterSettings, SchoolSettings, SchoolStatus, SyncKind};

use crate::{App, BODY_LIMIT};

/// How many times a switch is tried when another request changes the
/// setting between its read and its write.
const ATTEMPTS: u32 = 3;

/// The school's settings, as the routes answer them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    /// Whether the roster sync brings in the group-analysis flags.
    pub group_analysis: bool,
    /// The school's name. Read only.
    pub name: String,
    /// The IANA zone the school's days are counted in. Read only.
    pub time_zone: String,
}

impl SettingsView {
    fn new(settings: &SchoolSettings, roster: &RosterSettings) -> Self {
        Self {
            group_analysis: roster.group_analysis,
            name: settings.name.clone(),
            time_zone: settings.time_zone.clone(),
        }
    }
}

/// The body of a change. The name and time zone are not fields of it: a
/// body that sends them is refused, so nobody believes they changed them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ChangeRequest {
    group_analysis: bool,
}

/// `GET /v1/admin/settings`.
pub async fn read(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ReadPolicy)?;
    only_known_query(request, &[])?;

    let (settings, roster) = load(app, &caller.school).await?;
    Ok(platform::http::json(
        200,
        &SettingsView::new(&settings, &roster),
    ))
}

/// `PUT /v1/admin/settings`. Asking for what is already so changes
/// nothing, audits nothing and queues nothing.
pub async fn change(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ManagePolicy)?;
    only_known_query(request, &[])?;
    let body: ChangeRequest = json_body(request, BODY_LIMIT)?;
    an_object(request)?;
    let on = body.group_analysis;
    let school = &caller.school;

    for attempt in 0..ATTEMPTS {
        let (settings, mut roster) = load(app, school).await?;
        if roster.group_analysis == on {
            return Ok(platform::http::json(
                200,
                &SettingsView::new(&settings, &roster),
            ));
        }

        let id = request_id(caller.user.as_str(), None);
        let ids = vec![school.to_string(), format!("groupAnalysis:{on}")];
        let record = audit_record(caller, "settings.changed", "school", ids, &id);
        let audit = app
            .store
            .audit_write(school, &record)
            .map_err(store_failed)?;
        let switched = app
            .store
            .switch_group_analysis(school, on, vec![audit])
            .await
            .map_err(store_failed)?;
        if switched {
            tracing::info!(school = %school, staff = %caller.user, group_analysis = on, "group analysis switched");
            roster.group_analysis = on;
            queue_full_sync(app, school, &roster).await;
            return Ok(platform::http::json(
                200,
                &SettingsView::new(&settings, &roster),
            ));
        }
        tracing::debug!(school = %school, attempt, "group analysis changed meanwhile; reading it again");
    }
    tracing::warn!(school = %school, "group analysis switch gave up after repeated conflicts");
    Err(Problem::unavailable(1))
}

/// 400 for a body that is a JSON array: serde reads a struct from one by
/// position, so `[true]` would otherwise pass for `{"groupAnalysis": true}`.
fn an_object(request: &Request) -> Result<(), Problem> {
    let bytes: &[u8] = request.body().as_ref();
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(()),
        _ => Err(Problem::invalid_field(
            ".",
            "the body must be a JSON object",
        )),
    }
}

/// The school's settings item; 403, as everywhere, for a school that is not
/// set up.
async fn load(app: &App, school: &SchoolId) -> Result<(SchoolSettings, RosterSettings), Problem> {
    app.store
        .school_settings(school)
        .await
        .map_err(store_failed)?
        .ok_or_else(|| Problem::forbidden("your school is not set up yet"))
}

/// Puts a full sync of the school on the `roster-sync` queue, in the shape
/// the sync reads (`{"schoolId": ..., "kind": "full"}`). A school the sync
/// would skip (not linked to Wonde, or disabled) gets none.
async fn queue_full_sync(app: &App, school: &SchoolId, roster: &RosterSettings) {
    if roster.wonde_id.is_none() || roster.status == SchoolStatus::Disabled {
        tracing::debug!(school = %school, "school not synced from Wonde; no sync queued");
        return;
    }
    let message = serde_json::json!({
        "schoolId": school,
        "kind": SyncKind::Full,
    });
    match app.syncs.send(message.to_string()).await {
        Ok(()) => tracing::info!(school = %school, "full roster sync queued"),
        Err(error) => tracing::warn!(
            school = %school,
            error = %error,
            "the full roster sync did not reach the queue; the next scheduled sync runs full instead"
        ),
    }
}
