//! The charts job. Three things invoke it:
//!
//! - the `behaviour-events` queue: each behaviour logged or withdrawn is
//!   folded into the school's chart aggregates ([`fold`]), each event
//!   counted once however often SQS delivers it, and the events of a batch
//!   coalesced so that an aggregate they share is written once;
//! - a nightly schedule (`{"job": "reconcile"}`), and an operator on demand
//!   (`{"reconcile": {"schoolId": ..., "from": ..., "to": ...}}`): the
//!   aggregates are rebuilt from the behaviours themselves, compared, and
//!   repaired where they drifted ([`reconcile`]);
//! - a weekly schedule (`{"job": "weeklySummary"}`): each school's week in
//!   figures is queued on `notifications` for its senior leaders
//!   ([`summary`]).
//!
//! A message that cannot be read, or whose school's write failed, is named
//! in the batch's failures and tried again; after five tries it lands in
//! the dead-letter queue. The rest of its batch goes on.

use std::collections::BTreeMap;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use domain::{BehaviourEvent, SchoolId};
use platform::ConfigError;
use platform::queue::EventQueue;
use serde::Deserialize;
use store::Store;

pub mod fold;
pub mod reconcile;
pub mod summary;

/// What the function holds for its whole life: built once per cold start.
pub struct App {
    pub store: Store,
    /// The `notifications` queue, for the weekly summaries.
    pub notifications: EventQueue,
}

impl App {
    /// Reads `TABLE_NAME` and `NOTIFICATIONS_QUEUE_URL`.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let aws = platform::config::aws().await;
        Ok(Self {
            store: Store::new(
                aws_sdk_dynamodb::Client::new(&aws),
                platform::env_var("TABLE_NAME")?,
            ),
            notifications: EventQueue::from_env(
                aws_sdk_sqs::Client::new(&aws),
                "NOTIFICATIONS_QUEUE_URL",
            )?,
        })
    }
}

/// What invokes the function.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Invocation {
    /// A scheduled job.
    Job(JobInput),
    /// An operator's reconciliation of one school and date range.
    Reconcile(ReconcileInput),
    Queue(SqsEvent),
}

/// The input of a schedule: `{"job": "reconcile"}` or
/// `{"job": "weeklySummary"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobInput {
    pub job: Job,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Job {
    /// Reconcile every school's last days.
    Reconcile,
    /// Queue last week's summaries.
    WeeklySummary,
}

/// `{"reconcile": {"schoolId": "...", "from": "2026-09-01", "to": "2026-12-18"}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconcileInput {
    pub reconcile: reconcile::ReconcileRequest,
}

/// What one batch did, for logs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchReport {
    pub counted: usize,
    pub duplicates: usize,
    pub writes: usize,
    pub failed: usize,
}

/// Folds a batch of events into the aggregates, school by school, and names
/// the messages to try again.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    handle_batch(app, event).await.0
}

/// As [`handle`], with what the batch did.
pub async fn handle_batch(app: &App, event: SqsEvent) -> (SqsBatchResponse, BatchReport) {
    let mut response = SqsBatchResponse::default();
    let mut report = BatchReport::default();
    let mut by_school: BTreeMap<SchoolId, Vec<(String, BehaviourEvent)>> = BTreeMap::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        match serde_json::from_str::<BehaviourEvent>(record.body.as_deref().unwrap_or_default()) {
            Ok(event) => by_school
                .entry(school_of(&event).clone())
                .or_default()
                .push((id, event)),
            Err(_) => {
                tracing::warn!(message_id = %id, "not a behaviour event; it goes to the dead-letter queue");
                report.failed += 1;
                response.add_failure(id);
            }
        }
    }
    for (school, messages) in by_school {
        let events: Vec<&BehaviourEvent> = messages.iter().map(|(_, e)| e).collect();
        match fold::fold_events(&app.store, &school, &events).await {
            Ok(outcome) => {
                report.counted += outcome.counted;
                report.duplicates += outcome.duplicates;
                report.writes += outcome.writes;
            }
            Err(error) => {
                tracing::warn!(school = %school, error = %error, messages = messages.len(), "events not counted; they will be tried again");
                report.failed += messages.len();
                for (id, _) in messages {
                    response.add_failure(id);
                }
            }
        }
    }
    tracing::info!(
        counted = report.counted,
        duplicates = report.duplicates,
        writes = report.writes,
        failed = report.failed,
        "behaviour events folded"
    );
    (response, report)
}

fn school_of(event: &BehaviourEvent) -> &SchoolId {
    match event {
        BehaviourEvent::Logged { school_id, .. } | BehaviourEvent::Withdrawn { school_id, .. } => {
            school_id
        }
    }
}
