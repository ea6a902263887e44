//! The audit log: who did what to which ids, and when. Records carry ids
//! and roles, never names, addresses or notes. A record is written in the
//! same transaction as the change it describes wherever the change is a
//! transaction, and its key comes from the request, so a retry never writes
//! it twice.

use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};
use domain::{Roles, SchoolId};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::dynamo::s;
use crate::error::StoreError;
use crate::identity::{conditional_put, is_condition_failure};
use crate::keys;

/// One audited action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// Unique within the school; derived from the request where there is one.
    pub id: String,
    pub at: DateTime<Utc>,
    /// The user who acted; `operator` for the service's operators.
    pub actor: String,
    pub actor_roles: Roles,
    /// What was done, as `thing.verb`: `behaviour.logged`, `role.granted`.
    pub action: String,
    pub target_type: String,
    pub target_ids: Vec<String>,
    pub request_id: String,
    /// The support grant a vendor engineer acted under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<String>,
}

impl AuditRecord {
    fn sk(&self) -> String {
        format!("AT#{}#{}", keys::instant(self.at), self.id)
    }
}

/// Which records to read, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    /// An exact action, or a prefix ending in `.` (`behaviour.`).
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: usize,
    /// Where the previous page ended.
    pub after: Option<String>,
}

/// How many table pages one audit query reads at most before it returns
/// what it has, so a narrow filter over a long history stays quick.
const PAGES_PER_QUERY: usize = 10;

#[derive(Serialize, Deserialize)]
struct AuditItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    record: AuditRecord,
}

impl Store {
    /// The write of an audit record, for a transaction.
    pub fn audit_write(
        &self,
        school: &SchoolId,
        record: &AuditRecord,
    ) -> Result<TransactWriteItem, StoreError> {
        let item = serde_dynamo::to_item(AuditItem {
            pk: keys::audit(school),
            sk: record.sk(),
            record: record.clone(),
        })?;
        conditional_put(&self.table, item, "attribute_not_exists(pk)", vec![])
    }

    /// Writes an audit record on its own. Writing the same record again
    /// changes nothing.
    pub async fn write_audit(
        &self,
        school: &SchoolId,
        record: &AuditRecord,
    ) -> Result<(), StoreError> {
        let item = serde_dynamo::to_item(AuditItem {
            pk: keys::audit(school),
            sk: record.sk(),
            record: record.clone(),
        })?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(StoreError::from);
        match result {
            Err(error) if is_condition_failure(&error) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// A page of the school's audit log, newest first, and where the next
    /// page starts (none at the end).
    pub async fn audit(
        &self,
        school: &SchoolId,
        query: &AuditQuery,
    ) -> Result<(Vec<AuditRecord>, Option<String>), StoreError> {
        let low = query.from.map_or_else(
            || "AT#".to_owned(),
            |at| format!("AT#{}", keys::instant(at)),
        );
        let mut high = query.to.map_or_else(
            || "AT#~".to_owned(),
            |at| format!("AT#{}#~", keys::instant(at)),
        );
        if let Some(after) = &query.after {
            // Newest first: the next page holds keys below the last one seen.
            if after.as_str() < high.as_str() {
                high = after.clone();
            }
        }

        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
            .expression_attribute_values(":pk", s(keys::audit(school)))
            .expression_attribute_values(":low", s(low))
            .expression_attribute_values(":high", s(high))
            .scan_index_forward(false);
        let mut filters = Vec::new();
        if let Some(actor) = &query.actor {
            filters.push("actor = :actor");
            request = request.expression_attribute_values(":actor", s(actor.clone()));
        }
        if let Some(action) = &query.action {
            if action.ends_with('.') {
                filters.push("begins_with(#action, :action)");
            } else {
                filters.push("#action = :action");
            }
            request = request
                .expression_attribute_names("#action", "action")
                .expression_attribute_values(":action", s(action.clone()));
        }
        if !filters.is_empty() {
            request = request.filter_expression(filters.join(" AND "));
        }

        let mut found: Vec<AuditItem> = Vec::new();
        let mut start = None;
        for _ in 0..PAGES_PER_QUERY {
            let output = request
                .clone()
                .set_exclusive_start_key(start)
                .limit(((query.limit - found.len()) as i32 + 1).max(25))
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                let item: AuditItem = serde_dynamo::from_item(item)?;
                // Skip the boundary record a cursor names.
                if query.after.as_deref() == Some(item.sk.as_str()) {
                    continue;
                }
                if found.len() == query.limit {
                    let next = found.last().map(|last| last.sk.clone());
                    return Ok((found.into_iter().map(|i| i.record).collect(), next));
                }
                found.push(item);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok((found.into_iter().map(|i| i.record).collect(), None));
            }
        }
        // The page budget ran out: hand back what was found and a cursor
        // from the last key read, so the caller can go on.
        let next = start
            .as_ref()
            .and_then(|key| key.get(keys::SK))
            .and_then(|sk| sk.as_s().ok())
            .cloned();
        Ok((found.into_iter().map(|i| i.record).collect(), next))
    }
}
