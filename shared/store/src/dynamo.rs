//! Small conveniences over the DynamoDB client shared by the store's modules.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};

use crate::Store;
use crate::error::StoreError;
use crate::keys::{PK, SK};

pub type Item = HashMap<String, AttributeValue>;

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

pub fn text(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

/// How often a batch read or write resends what DynamoDB left unprocessed
/// (it is throttled) before the caller is told to retry later.
const UNPROCESSED_RETRIES: u32 = 8;

/// How long to wait before retry `attempt` (0-based) of a contended write:
/// short, growing, and jittered so that colliding writers fall apart.
pub fn backoff(attempt: u32) -> Duration {
    let base = 10u64 << attempt.min(5);
    let jitter = (ulid::Ulid::new().random() as u64) % base;
    Duration::from_millis(base + jitter)
}

impl Store {
    /// Reads one item by key with strong consistency.
    pub(crate) async fn get<T: serde::de::DeserializeOwned>(
        &self,
        key: Item,
    ) -> Result<Option<T>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await?;
        Ok(output.item.map(serde_dynamo::from_item).transpose()?)
    }

    /// Reads items by key with strong consistency, any number of them,
    /// retrying what DynamoDB leaves unprocessed.
    pub(crate) async fn get_many(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            );
            let mut attempt = 0;
            while let Some(request) = pending.take() {
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await?;
                if let Some(mut responses) = output.responses {
                    found.extend(responses.remove(&self.table).unwrap_or_default());
                }
                pending = output
                    .unprocessed_keys
                    .and_then(|mut left| left.remove(&self.table))
                    .filter(|left| !left.keys().is_empty());
                if pending.is_some() {
                    if attempt == UNPROCESSED_RETRIES {
                        return Err(StoreError::Contended);
                    }
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
            }
        }
        Ok(found)
    }

    /// Reads every item of one partition, in key order.
    pub(crate) async fn partition(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":pk", s(pk))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Writes items without conditions, 25 at a time. For seeding and syncs,
    /// never for facts.
    pub(crate) async fn put_many(&self, items: Vec<Item>) -> Result<(), StoreError> {
        let writes = items
            .into_iter()
            .map(|item| {
                PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build())
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        self.write_many(writes).await.map(|_| ())
    }

    /// Sends puts and deletes 25 to a request, retrying what DynamoDB
    /// leaves unprocessed (throttling) a few times before giving up as
    /// contended. Returns how many requests it sent.
    pub(crate) async fn write_many(&self, writes: Vec<WriteRequest>) -> Result<u32, StoreError> {
        let mut sent = 0;
        for chunk in writes.chunks(25) {
            let mut requests = chunk.to_vec();
            let mut attempt = 0;
            while !requests.is_empty() {
                sent += 1;
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await?;
                requests = output
                    .unprocessed_items
                    .and_then(|mut left| left.remove(&self.table))
                    .unwrap_or_default();
                if !requests.is_empty() {
                    if attempt == UNPROCESSED_RETRIES {
                        return Err(StoreError::Contended);
                    }
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
            }
        }
        Ok(sent)
    }
}
