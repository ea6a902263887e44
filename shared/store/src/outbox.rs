//! The outbox: request records whose event has not yet reached the queue.
//! The function that wrote them sends the event at once; this is for when
//! that send failed or the function stopped before it.

use chrono::{DateTime, Utc};
use domain::SchoolId;

use crate::Store;
use crate::behaviours::RecordItem;
use crate::dynamo::s;
use crate::error::StoreError;
use crate::keys;

/// What the outbox holds that is old enough to relay.
#[derive(Debug, Default)]
pub struct Pending {
    pub events: Vec<PendingEvent>,
    /// Commands that could not be finished this time; each is logged.
    pub stuck: usize,
}

/// An event waiting to be published.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    pub school: SchoolId,
    pub request_id: String,
    /// The message body.
    pub body: String,
}

impl Store {
    /// Events recorded before `before` and not yet published, finishing any
    /// command that stopped half way so its event exists. A command that
    /// cannot be finished is counted and left for the next run, so it never
    /// holds up the others.
    pub async fn pending_events(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Pending, StoreError> {
        let mut pending = Pending::default();
        for shard in 0..keys::OUTBOX_SHARDS {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("outbox")
                .key_condition_expression("outboxShard = :shard AND outboxAt < :before")
                .expression_attribute_values(":shard", s(format!("OUTBOX#{shard}")))
                .expression_attribute_values(":before", s(keys::instant(before)))
                .limit(limit as i32)
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                let mut record: RecordItem = serde_dynamo::from_item(item)?;
                if record.event.is_none() {
                    if let Err(error) = self.resume_log(&record).await {
                        tracing::error!(
                            school = %record.school_id,
                            error = %error,
                            "a stopped command could not be finished"
                        );
                        pending.stuck += 1;
                        continue;
                    }
                    match self.record(&record.school_id, &record.request_id).await? {
                        Some(done) => record = done,
                        None => continue,
                    }
                }
                if let Some(body) = record.event {
                    pending.events.push(PendingEvent {
                        school: record.school_id,
                        request_id: record.request_id,
                        body,
                    });
                }
            }
        }
        Ok(pending)
    }
}
