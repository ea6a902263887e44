//! Where the school's safeguarding concerns are forwarded: a webhook URL,
//! and the secret every delivery is signed with. The secret is made here,
//! shown once when it is made, and never again.

use chrono::{DateTime, SubsecRound, Utc};
use domain::WebhookUrl;
use lambda_http::{Body, Request, Response};
use platform::http::json_body;
use platform::{Caller, Problem, store_failed};
use serde::{Deserialize, Serialize};
use store::SafeguardingSettings;

use crate::App;

const SETTINGS_LIMIT: usize = 2 * 1024;

/// The settings as they are read: never the secret.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SettingsView {
    configured: bool,
    webhook_url: Option<String>,
    secret_set_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    /// The new secret, only in the answer of the change that made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl SettingsView {
    fn of(settings: Option<&SafeguardingSettings>) -> Self {
        Self {
            configured: settings.is_some(),
            webhook_url: settings.map(|s| s.webhook_url.clone()),
            secret_set_at: settings.map(|s| s.secret_set_at),
            updated_at: settings.map(|s| s.updated_at),
            secret: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SettingsChange {
    webhook_url: String,
    /// Make a new secret, and stop signing with the old one.
    #[serde(default)]
    rotate_secret: bool,
}

/// `GET /v1/safeguarding/settings`.
pub async fn read(app: &App, caller: &Caller) -> Result<Response<Body>, Problem> {
    let settings = app
        .store
        .safeguarding_settings(&caller.school)
        .await
        .map_err(store_failed)?;
    Ok(platform::http::json(
        200,
        &SettingsView::of(settings.as_ref()),
    ))
}

/// `PUT /v1/safeguarding/settings`: sets the URL; makes the secret the
/// first time and whenever `rotateSecret` asks.
pub async fn change(
    app: &App,
    caller: &Caller,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    let body: SettingsChange = json_body(request, SETTINGS_LIMIT)?;
    let url = WebhookUrl::parse(body.webhook_url.trim(), app.allow_local_webhooks)
        .map_err(|why| Problem::invalid_field("webhookUrl", why))?;
    let stored = app
        .store
        .safeguarding_settings(&caller.school)
        .await
        .map_err(store_failed)?;

    let now = Utc::now().trunc_subsecs(3);
    let new_secret = (stored.is_none() || body.rotate_secret).then(secret);
    let settings = SafeguardingSettings {
        webhook_url: url.to_string(),
        secret: new_secret
            .clone()
            .or_else(|| stored.as_ref().map(|s| s.secret.clone()))
            .unwrap_or_default(),
        secret_set_at: match (&new_secret, &stored) {
            (None, Some(stored)) => stored.secret_set_at,
            _ => now,
        },
        updated_at: now,
        updated_by: caller.user.to_string(),
    };
    let request_id = platform::http::request_id(caller.user.as_str(), None);
    let mut targets = vec!["safeguarding-settings".to_owned()];
    if new_secret.is_some() {
        targets.push("secret:rotated".to_owned());
    }
    let audit = platform::audit_record(
        caller,
        "safeguarding.settings.changed",
        "settings",
        targets,
        &request_id,
    );
    let saved = app
        .store
        .save_safeguarding_settings(
            &caller.school,
            stored.as_ref().map(|s| s.updated_at),
            &settings,
            &audit,
        )
        .await
        .map_err(store_failed)?;
    if !saved {
        return Err(Problem::conflict(
            "settings-changed",
            "the settings changed while you changed them; read them and try again",
        ));
    }
    tracing::info!(
        school = %caller.school,
        rotated = new_secret.is_some(),
        "safeguarding settings changed"
    );
    let mut view = SettingsView::of(Some(&settings));
    view.secret = new_secret;
    Ok(platform::http::json(200, &view))
}

/// 32 random bytes, as hex.
fn secret() -> String {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
