//! The roster sync: each message on the `roster-sync` queue names one
//! school and a full or delta sync, and this function pulls that school's
//! roster from Wonde and writes what changed ([`sync`]). The same function
//! is also invoked by a schedule every five minutes: each tick lists the
//! schools linked to Wonde and puts on the queue the syncs that are due
//! ([`plan::plan_syncs`]), so a school with many pages never holds up
//! another and each sync gets a whole invocation's time.
//!
//! A message body is JSON: `{"schoolId": "riverside", "kind": "delta"}`
//! (`kind` is `full` or `delta`). The function reports each message that
//! failed on its own, so one bad message never holds up the rest of its
//! batch; a message that keeps failing goes to the queue's dead-letter
//! queue.

pub mod plan;
pub mod sync;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use domain::SchoolId;
use platform::ConfigError;
use platform::queue::EventQueue;
use serde::{Deserialize, Serialize};
use store::{Store, StoreError, SyncKind};

pub use plan::{ActiveSchool, plan_syncs};
pub use sync::{SyncError, SyncOutcome, sync_school};

/// One message on the `roster-sync` queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncMessage {
    pub school_id: SchoolId,
    pub kind: SyncKind,
}

/// What the function holds for its whole life: built once per cold start.
pub struct App {
    pub store: Store,
    pub wonde: wonde::Client,
    /// The `roster-sync` queue, where a tick puts the syncs that are due.
    pub syncs: EventQueue,
    /// How long a sync may hold a school's lease before another may take
    /// over: longer than the function's timeout.
    pub lease_for: chrono::Duration,
}

/// A sync's lease outlives the longest a Lambda invocation may run.
pub const DEFAULT_LEASE: chrono::Duration = chrono::Duration::minutes(16);

impl App {
    /// Reads `TABLE_NAME`, `ROSTER_SYNC_QUEUE_URL`, `WONDE_API_URL` and the Wonde token from the
    /// Secrets Manager secret `WONDE_TOKEN_SECRET_ARN` (the token as the
    /// secret string, or `{"token": "..."}`).
    pub async fn from_env() -> Result<Self, ConfigError> {
        let aws = platform::config::aws().await;
        let token =
            token_from_secret(&platform::config::secret(&aws, "WONDE_TOKEN_SECRET_ARN").await?)?;
        let base_url = platform::env_var("WONDE_API_URL")?;
        let mut config = wonde::Config::new(base_url, token);
        config.regions = wonde::WONDE_REGION_BASE_URLS.map(str::to_owned).to_vec();
        let wonde = wonde::Client::new(config).map_err(|error| ConfigError::Invalid {
            name: "WONDE_API_URL",
            why: error.to_string(),
        })?;
        Ok(Self {
            store: Store::new(
                aws_sdk_dynamodb::Client::new(&aws),
                platform::env_var("TABLE_NAME")?,
            ),
            wonde,
            syncs: EventQueue::from_env(aws_sdk_sqs::Client::new(&aws), "ROSTER_SYNC_QUEUE_URL")?,
            lease_for: DEFAULT_LEASE,
        })
    }
}

/// The token from the secret's string: the token itself or a JSON object
/// with a `token` field.
pub fn token_from_secret(secret: &str) -> Result<wonde::Token, ConfigError> {
    #[derive(Deserialize)]
    struct Wrapped {
        token: String,
    }
    let raw = match serde_json::from_str::<Wrapped>(secret) {
        Ok(wrapped) => wrapped.token,
        Err(_) => secret.trim().to_owned(),
    };
    wonde::Token::new(raw).map_err(|_| ConfigError::Invalid {
        name: "WONDE_TOKEN_SECRET_ARN",
        why: "the secret holds no usable Wonde token".to_owned(),
    })
}

/// What invokes the function: a batch from the `roster-sync` queue, or a
/// tick of the schedule (an EventBridge scheduled event, whose `time` is
/// the tick's).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Invocation {
    Tick(Tick),
    Queue(SqsEvent),
}

/// The part of a scheduled event the planner reads.
#[derive(Debug, Deserialize)]
pub struct Tick {
    #[serde(rename = "detail-type")]
    pub detail_type: TickKind,
    pub time: DateTime<Utc>,
}

/// Only EventBridge's scheduled events are ticks.
#[derive(Debug, Deserialize)]
pub enum TickKind {
    #[serde(rename = "Scheduled Event")]
    Scheduled,
}

/// What a tick did.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TickReport {
    pub schools: usize,
    pub queued: usize,
    pub failed: usize,
}

/// Puts on the queue the sync each linked school is due at `now`. A school
/// whose message did not reach the queue is synced at a later tick (a
/// delta catches up on everything since the last good run); the tick fails
/// so the operator's alarm sees it.
pub async fn plan_tick(app: &App, now: DateTime<Utc>) -> Result<TickReport, StoreError> {
    let schools: Vec<ActiveSchool> = app
        .store
        .schools_to_sync()
        .await?
        .into_iter()
        .filter_map(|(id, zone)| match zone.parse() {
            Ok(zone) => Some(ActiveSchool { id, zone }),
            Err(_) => {
                tracing::error!(school = %id, "school's time zone is not one we know; not synced");
                None
            }
        })
        .collect();
    let due = plan_syncs(now, &schools);
    let bodies: Vec<String> = due
        .iter()
        .map(|message| serde_json::to_string(message).expect("a sync message is JSON"))
        .collect();
    let failed = app.syncs.send_all(&bodies).await;
    let report = TickReport {
        schools: schools.len(),
        queued: bodies.len() - failed,
        failed,
    };
    tracing::info!(
        schools = report.schools,
        queued = report.queued,
        failed = report.failed,
        "roster syncs planned"
    );
    Ok(report)
}

/// Runs the sync each message asks for, one after another, and names the
/// messages to try again.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        if !handle_message(app, &record).await {
            response.add_failure(id);
        }
    }
    response
}

/// Whether the message is done with (synced, or nothing to do).
async fn handle_message(app: &App, record: &SqsMessage) -> bool {
    let message_id = record.message_id.as_deref().unwrap_or_default();
    let message: SyncMessage = match serde_json::from_str(record.body.as_deref().unwrap_or("")) {
        Ok(message) => message,
        Err(error) => {
            tracing::error!(message_id, error = %error, "not a roster sync message");
            return false;
        }
    };
    let school = &message.school_id;
    match sync_school(app, school, message.kind).await {
        Ok(SyncOutcome::Completed(_)) => true,
        Ok(SyncOutcome::NotLinked) => {
            tracing::warn!(message_id, school = %school, "school has not linked Wonde; nothing synced");
            true
        }
        Ok(SyncOutcome::Disabled) => {
            tracing::info!(message_id, school = %school, "school has revoked access; nothing synced");
            true
        }
        Ok(SyncOutcome::Declined { running }) => {
            // A running sync covers a delta; a full sync asked for while a
            // delta runs comes back once that one is done.
            let covered = message.kind == SyncKind::Delta || running == SyncKind::Full;
            tracing::info!(message_id, school = %school, requested = ?message.kind, running = ?running, retry = !covered, "another sync of the school is running");
            covered
        }
        Err(error) => {
            tracing::warn!(message_id, school = %school, error = error.kind(), "roster sync failed; the message will be retried");
            false
        }
    }
}
