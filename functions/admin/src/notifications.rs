//! `GET` and `PUT /v1/admin/me/notifications`: which emails the caller
//! gets. Every member of staff reads and changes their own, and only their
//! own: the staff id is the verified token's, and neither path nor body can
//! name anyone else. A change is recorded in the audit log as
//! `notifications.changed`, naming each field set and its value.

use chrono::{SubsecRound, Utc};
use domain::Permission;
use lambda_http::{Body, Request, Response};
use platform::http::{json_body, only_known_query};
use platform::{Caller, Problem, audit_record, store_failed};
use serde::{Deserialize, Deserializer, Serialize};
use store::{NotificationPreferences, PreferencesChange};

use crate::{App, BODY_LIMIT};

/// The caller's preferences, as the routes answer them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationsView {
    /// The Monday email of the school's week (senior leaders get it).
    pub weekly_summary: bool,
}

impl From<NotificationPreferences> for NotificationsView {
    fn from(preferences: NotificationPreferences) -> Self {
        Self {
            weekly_summary: preferences.weekly_summary,
        }
    }
}

/// The body of a change: each field given is set, each left out stays as
/// it is. `null` is not a value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ChangeRequest {
    #[serde(default, deserialize_with = "present")]
    weekly_summary: Option<bool>,
}

/// A field that, when present, must hold a value of its type.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// `GET /v1/admin/me/notifications`.
pub async fn read(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ManageOwnNotifications)?;
    only_known_query(request, &[])?;

    let preferences = app
        .store
        .notification_preferences(&caller.school, &caller.user)
        .await
        .map_err(store_failed)?;
    Ok(platform::http::json(
        200,
        &NotificationsView::from(preferences),
    ))
}

/// `PUT /v1/admin/me/notifications`. Setting what is already set changes
/// nothing and writes no audit record.
pub async fn change(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    caller.require(Permission::ManageOwnNotifications)?;
    only_known_query(request, &[])?;
    let body: ChangeRequest = json_body(request, BODY_LIMIT)?;

    let store = &app.store;
    let current = store
        .notification_preferences(&caller.school, &caller.user)
        .await
        .map_err(store_failed)?;
    let asked = PreferencesChange {
        weekly_summary: body.weekly_summary,
    };
    // Only what differs is written, so the audit log shows real changes.
    let change = PreferencesChange {
        weekly_summary: asked
            .weekly_summary
            .filter(|on| *on != current.weekly_summary),
    };
    if change.fields().is_empty() {
        return Ok(platform::http::json(200, &NotificationsView::from(current)));
    }

    let request_id = platform::http::request_id(caller.user.as_str(), None);
    let mut ids = vec![caller.user.to_string()];
    ids.extend(
        change
            .fields()
            .into_iter()
            .map(|(field, on)| format!("{field}:{on}")),
    );
    let record = audit_record(caller, "notifications.changed", "staff", ids, &request_id);
    let audit = store
        .audit_write(&caller.school, &record)
        .map_err(store_failed)?;
    let now = Utc::now().trunc_subsecs(3);
    let preferences = store
        .set_notification_preferences(&caller.school, &caller.user, &change, now, vec![audit])
        .await
        .map_err(store_failed)?;
    tracing::info!(
        school = %caller.school,
        staff = %caller.user,
        weekly_summary = preferences.weekly_summary,
        "notification preferences changed"
    );
    Ok(platform::http::json(
        200,
        &NotificationsView::from(preferences),
    ))
}
