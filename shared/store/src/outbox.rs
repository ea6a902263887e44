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
    /// command that stopped half way so its event exists.
    pub async fn pending_events(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<PendingEvent>, StoreError> {
        let mut pending = Vec::new();
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
                    self.resume_log(&record).await?;
                    match self.record(&record.school_id, &record.request_id).await? {
                        Some(done) => record = done,
                        None => continue,
                    }
                }
                if let Some(body) = record.event {
                    pending.push(PendingEvent {
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
