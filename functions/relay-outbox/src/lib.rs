//! The relay: every minute, sends the events that the functions recorded but
//! could not put on the queue themselves (the send failed, or the function
//! stopped first), and finishes any command that stopped half way. Consumers
//! count each behaviour once by its id, so a rare second send is harmless.

use chrono::{DateTime, Duration, Utc};
use platform::queue::EventQueue;
use serde::Serialize;
use store::Store;

/// Records younger than this are left to the function that wrote them.
const GRACE: Duration = Duration::seconds(30);

/// Records handled per shard per run; the next run takes the rest.
const BATCH: usize = 100;

/// What one run did, returned to the scheduler and logged.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayReport {
    pub published: usize,
    pub failed: usize,
}

/// The relay's clients, built once per cold start.
pub struct Relay {
    pub store: Store,
    pub events: EventQueue,
}

impl Relay {
    /// Publishes what is waiting. A failed send stays in the outbox for the
    /// next run.
    pub async fn run(&self) -> Result<RelayReport, store::StoreError> {
        self.run_before(Utc::now() - GRACE).await
    }

    /// Publishes what was recorded before `cutoff` and is still waiting.
    pub async fn run_before(
        &self,
        cutoff: DateTime<Utc>,
    ) -> Result<RelayReport, store::StoreError> {
        let pending = self.store.pending_events(cutoff, BATCH).await?;
        let mut report = RelayReport {
            failed: pending.stuck,
            ..RelayReport::default()
        };
        for event in pending.events {
            match self.events.send(event.body).await {
                Ok(()) => {
                    self.store
                        .mark_published(&event.school, &event.request_id)
                        .await?;
                    report.published += 1;
                }
                Err(error) => {
                    tracing::warn!(school = %event.school, error = %error, "relay could not send an event");
                    report.failed += 1;
                }
            }
        }
        if report.published + report.failed > 0 {
            tracing::info!(
                published = report.published,
                failed = report.failed,
                "outbox relayed"
            );
        }
        Ok(report)
    }
}
