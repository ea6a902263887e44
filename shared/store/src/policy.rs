//! A school's behaviour policy as the policy function keeps it: the current
//! version at `S#<school>` / `POLICY` (where the behaviour function reads
//! it with the school's settings), and every version it replaced at
//! `S#<school>#POLICY` / `V#<version>`, with who made each and when.
//!
//! A new version is written only if the current one is still the version
//! the editor read (`version = :read`), in one transaction with the history
//! item of the version it replaces and the audit record of the change, so
//! two leaders editing at once never overwrite each other and nothing is
//! written when the change is refused.

use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};
use domain::{Policy, SchoolId};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::audit::AuditRecord;
use crate::dynamo::{Item, key, n, s};
use crate::error::StoreError;
use crate::identity::conditional_put;
use crate::keys;

/// Where the school's current policy came from, so that the admin's setup
/// can tell whether the school has looked at it yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PolicySource {
    /// The default a new school starts with, not yet adopted or edited.
    /// Also what a policy written without a source (seeding) is.
    #[default]
    Default,
    /// A leader adopted the default as it is.
    Adopted,
    /// A leader edited it.
    Edited,
}

/// One version of a school's policy with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRecord {
    #[serde(flatten)]
    pub policy: Policy,
    #[serde(default)]
    pub source: PolicySource,
    /// When this version was made; none for the version the school started
    /// with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<DateTime<Utc>>,
    /// The user who made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
}

impl PolicyRecord {
    /// The policy a school starts with.
    pub fn starting(policy: Policy) -> Self {
        Self {
            policy,
            source: PolicySource::Default,
            changed_at: None,
            changed_by: None,
        }
    }
}

/// A version in the history, without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyVersion {
    pub version: u32,
    #[serde(default)]
    pub source: PolicySource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
}

impl From<&PolicyRecord> for PolicyVersion {
    fn from(record: &PolicyRecord) -> Self {
        Self {
            version: record.policy.version,
            source: record.source,
            changed_at: record.changed_at,
            changed_by: record.changed_by.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Keyed<T> {
    pk: String,
    sk: String,
    #[serde(flatten)]
    value: T,
}

/// How many history versions one read returns at most.
pub const MAX_HISTORY_PAGE: usize = 100;

fn history_sk(version: u32) -> String {
    format!("{}{version:010}", keys::POLICY_VERSION_PREFIX)
}

/// The item of a school's current policy, for a transaction.
pub(crate) fn current_item(school: &SchoolId, record: &PolicyRecord) -> Result<Item, StoreError> {
    Ok(serde_dynamo::to_item(Keyed {
        pk: keys::school(school),
        sk: keys::POLICY.to_owned(),
        value: record,
    })?)
}

impl Store {
    /// The school's current policy with its version and source; none if the
    /// school is not set up.
    pub async fn policy(&self, school: &SchoolId) -> Result<Option<PolicyRecord>, StoreError> {
        let found: Option<Keyed<PolicyRecord>> =
            self.get(key(keys::school(school), keys::POLICY)).await?;
        Ok(found.map(|keyed| keyed.value))
    }

    /// Replaces `stored` with `next` (whose version must be the one after),
    /// keeping `stored` in the history and writing `audit`, all or nothing.
    /// False if the current policy is no longer the version `stored` was.
    pub async fn save_policy(
        &self,
        school: &SchoolId,
        stored: &PolicyRecord,
        next: &PolicyRecord,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        if next.policy.version != stored.policy.version + 1 {
            return Err(StoreError::Corrupt(format!(
                "policy version {} cannot follow {}",
                next.policy.version, stored.policy.version
            )));
        }
        let current = conditional_put(
            &self.table,
            current_item(school, next)?,
            "version = :read",
            vec![(":read", n(stored.policy.version))],
        )?;
        let superseded = serde_dynamo::to_item(Keyed {
            pk: keys::policy_history(school),
            sk: history_sk(stored.policy.version),
            value: stored,
        })?;
        let history = conditional_put(&self.table, superseded, "attribute_not_exists(pk)", vec![])?;
        let writes: Vec<TransactWriteItem> =
            vec![current, history, self.audit_write(school, audit)?];
        self.transact(writes).await
    }

    /// Versions of the school's policy, newest first: the current one, then
    /// those it replaced. `before` continues a page that ended there.
    /// Answers the page and the version to continue before, if any remain.
    pub async fn policy_history(
        &self,
        school: &SchoolId,
        limit: usize,
        before: Option<u32>,
    ) -> Result<(Vec<PolicyVersion>, Option<u32>), StoreError> {
        let limit = limit.clamp(1, MAX_HISTORY_PAGE);
        let mut versions = Vec::new();
        if before.is_none()
            && let Some(current) = self.policy(school).await?
        {
            versions.push(PolicyVersion::from(&current));
        }
        let upper = versions
            .first()
            .map(|v| v.version)
            .or(before)
            .unwrap_or(u32::MAX);

        let mut start = None;
        while versions.len() <= limit {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_names("#sk", keys::SK)
                .expression_attribute_names("#version", "version")
                .expression_attribute_names("#source", "source")
                .expression_attribute_values(":pk", s(keys::policy_history(school)))
                .expression_attribute_values(":low", s(history_sk(0)))
                .expression_attribute_values(":high", s(history_sk(upper.saturating_sub(1))))
                .projection_expression("#version, #source, changedAt, changedBy")
                .scan_index_forward(false)
                .consistent_read(true)
                .limit(i32::try_from(limit - versions.len() + 1).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start)
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                versions.push(serde_dynamo::from_item(item)?);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }

        let more = versions.len() > limit;
        versions.truncate(limit);
        let next = more.then(|| versions.last().map(|v| v.version)).flatten();
        Ok((versions, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_keys_sort_by_version() {
        assert!(history_sk(9) < history_sk(10));
        assert_eq!(history_sk(3), "V#0000000003");
    }

    #[test]
    fn a_policy_without_a_source_is_the_untouched_default() {
        let json = serde_json::to_value(Policy::default_for_new_school()).unwrap();
        let record: PolicyRecord = serde_json::from_value(json).unwrap();
        assert_eq!(record.source, PolicySource::Default);
        assert_eq!(record.changed_by, None);
    }
}
