//! The roster sync's own records: which Wonde school a school is, whether
//! it has switched group analysis on, the lease that lets one sync of a
//! school run at a time, the watermark a delta starts from, and a record of
//! every run.
//!
//! The Wonde link and the group-analysis setting are attributes of the
//! school's settings item (`S#<school>` / `SCHOOL`); group analysis is off
//! unless the school's leaders switch it on (the admin function's settings
//! routes, through [`Store::switch_group_analysis`]). The rest lives in
//! `S#<school>#SYNC`.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use domain::SchoolId;
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::dynamo::{key, n, s};
use crate::error::StoreError;
use crate::keys;
use crate::roster::RosterCounts;
use crate::school::SchoolSettings;

/// What the sync needs from the school's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterSettings {
    /// Wonde's id of the school, once the school has approved access.
    #[serde(default)]
    pub wonde_id: Option<String>,
    /// Whether gender, SEN, pupil premium and EAL are synced for group
    /// analysis. Off by default.
    #[serde(default)]
    pub group_analysis: bool,
    /// Where the school is in its life ([`crate::lifecycle`]): a disabled
    /// school is not synced.
    #[serde(default)]
    pub status: crate::lifecycle::SchoolStatus,
}

/// A full sync reads every record; a delta reads what changed since the
/// last completed sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SyncKind {
    Full,
    Delta,
}

/// Where the last completed sync left off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncState {
    /// The next delta reads records Wonde changed after this, by Wonde's
    /// clock.
    #[serde(default)]
    pub watermark: Option<DateTime<Utc>>,
    /// Whether that sync wrote the group-analysis flags; when the setting
    /// changes, the next sync is a full one.
    #[serde(default)]
    pub group_analysis: bool,
    #[serde(default)]
    pub last_full_at: Option<DateTime<Utc>>,
}

/// Who holds a school's sync lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncLease {
    pub owner: String,
    pub kind: SyncKind,
    /// Seconds since the epoch; also the item's TTL.
    pub expires_at: i64,
}

/// What asking for the lease found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseOutcome {
    Acquired,
    /// Another sync holds it until it finishes or the lease expires.
    Held(SyncLease),
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RunOutcome {
    Completed,
    Failed,
}

/// One run of the sync, kept for the operator (90 days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncRun {
    pub id: String,
    pub kind: SyncKind,
    pub outcome: RunOutcome,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub pupils_read: u32,
    pub staff_read: u32,
    pub classes_read: u32,
    pub groups_read: u32,
    pub deletions_read: u32,
    #[serde(flatten)]
    pub counts: RosterCounts,
    /// HTTP requests to Wonde, retries included.
    pub wonde_requests: u64,
    /// Write requests to the table for the roster itself.
    pub table_writes: u32,
    /// The error's kind for a failed run, never a value read from a record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How long a run's record is kept.
const RUN_RETENTION_DAYS: i64 = 90;

#[derive(Serialize, Deserialize)]
struct Keyed<T> {
    pk: String,
    sk: String,
    #[serde(flatten)]
    value: T,
}

fn run_sk(started_at: DateTime<Utc>, id: &str) -> String {
    format!("RUN#{}#{id}", keys::instant(started_at))
}

impl Store {
    /// The school's Wonde link and group-analysis setting; none if the
    /// school is not set up.
    pub async fn roster_settings(
        &self,
        school: &SchoolId,
    ) -> Result<Option<RosterSettings>, StoreError> {
        self.get(key(keys::school(school), keys::SCHOOL)).await
    }

    /// Records which Wonde school this school is.
    pub async fn link_wonde(&self, school: &SchoolId, wonde_id: &str) -> Result<(), StoreError> {
        self.set_school_attribute(school, "wondeId", s(wonde_id))
            .await
    }

    /// The school's settings item in one read: its name and time zone, and
    /// what the sync reads of it; none if the school is not set up.
    pub async fn school_settings(
        &self,
        school: &SchoolId,
    ) -> Result<Option<(SchoolSettings, RosterSettings)>, StoreError> {
        let Some(item) = self
            .get_item(key(keys::school(school), keys::SCHOOL))
            .await?
        else {
            return Ok(None);
        };
        let settings: Keyed<SchoolSettings> = serde_dynamo::from_item(item.clone())?;
        let roster: RosterSettings = serde_dynamo::from_item(item)?;
        Ok(Some((settings.value, roster)))
    }

    /// Switches group analysis on or off (seeding and tests). The next sync
    /// is a full one, which writes the flags or removes them.
    pub async fn set_group_analysis(&self, school: &SchoolId, on: bool) -> Result<(), StoreError> {
        let value = AttributeValue::Bool(on);
        self.set_school_attribute(school, "groupAnalysis", value)
            .await
    }

    /// Switches group analysis to `on` in one transaction with `with` (the
    /// audit record), only if the school is set up and the setting is not
    /// `on` already. False if it was not switched: another request got there
    /// first, or there is no such school. The next sync is a full one.
    pub async fn switch_group_analysis(
        &self,
        school: &SchoolId,
        on: bool,
        with: Vec<TransactWriteItem>,
    ) -> Result<bool, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(keys::school(school), keys::SCHOOL)))
            .update_expression("SET groupAnalysis = :on")
            .condition_expression(
                "attribute_exists(pk) AND \
                 (attribute_not_exists(groupAnalysis) OR groupAnalysis <> :on)",
            )
            .expression_attribute_values(":on", AttributeValue::Bool(on))
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut writes = vec![TransactWriteItem::builder().update(update).build()];
        writes.extend(with);
        self.transact(writes).await
    }

    async fn set_school_attribute(
        &self,
        school: &SchoolId,
        name: &str,
        value: AttributeValue,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::school(school), keys::SCHOOL)))
            .update_expression("SET #name = :value")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#name", name)
            .expression_attribute_values(":value", value)
            .send()
            .await?;
        Ok(())
    }

    /// Takes the school's sync lease until `expires_at`, unless another
    /// sync holds a lease that has not expired.
    pub async fn take_sync_lease(
        &self,
        school: &SchoolId,
        lease: &SyncLease,
        now: DateTime<Utc>,
    ) -> Result<LeaseOutcome, StoreError> {
        let pk = keys::roster_sync(school);
        let item = serde_dynamo::to_item(Keyed {
            pk: pk.clone(),
            sk: "LEASE".to_owned(),
            value: lease,
        })?;
        let taken = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR expiresAt < :now")
            .expression_attribute_values(":now", n(now.timestamp()))
            .send()
            .await;
        match taken.map_err(StoreError::from) {
            Ok(_) => Ok(LeaseOutcome::Acquired),
            Err(StoreError::ConditionFailed) => {
                let held: Option<Keyed<SyncLease>> = self.get(key(pk, "LEASE")).await?;
                Ok(match held {
                    Some(held) => LeaseOutcome::Held(held.value),
                    // Released between the two requests: the caller may try again.
                    None => LeaseOutcome::Held(lease.clone()),
                })
            }
            Err(error) => Err(error),
        }
    }

    /// Gives the lease back, if this owner still holds it.
    pub async fn release_sync_lease(
        &self,
        school: &SchoolId,
        owner: &str,
    ) -> Result<(), StoreError> {
        let released = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::roster_sync(school), "LEASE")))
            .condition_expression("#owner = :owner")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match released.map_err(StoreError::from) {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(error) => Err(error),
        }
    }

    pub async fn sync_state(&self, school: &SchoolId) -> Result<SyncState, StoreError> {
        let state: Option<Keyed<SyncState>> =
            self.get(key(keys::roster_sync(school), "STATE")).await?;
        Ok(state.map(|s| s.value).unwrap_or_default())
    }

    /// Records where a completed sync left off.
    pub async fn put_sync_state(
        &self,
        school: &SchoolId,
        state: &SyncState,
    ) -> Result<(), StoreError> {
        let item = serde_dynamo::to_item(Keyed {
            pk: keys::roster_sync(school),
            sk: "STATE".to_owned(),
            value: state,
        })?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await?;
        Ok(())
    }

    pub async fn put_sync_run(&self, school: &SchoolId, run: &SyncRun) -> Result<(), StoreError> {
        let mut item: crate::dynamo::Item = serde_dynamo::to_item(Keyed {
            pk: keys::roster_sync(school),
            sk: run_sk(run.started_at, &run.id),
            value: run,
        })?;
        let expires = run.started_at + chrono::Duration::days(RUN_RETENTION_DAYS);
        item.insert("expiresAt".to_owned(), n(expires.timestamp()));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await?;
        Ok(())
    }

    /// The school's sync runs, oldest first.
    pub async fn sync_runs(&self, school: &SchoolId) -> Result<Vec<SyncRun>, StoreError> {
        self.partition(&keys::roster_sync(school))
            .await?
            .into_iter()
            .filter(|item| {
                crate::dynamo::text(item, keys::SK).is_some_and(|sk| sk.starts_with("RUN#"))
            })
            .map(|item| Ok(serde_dynamo::from_item::<_, Keyed<SyncRun>>(item)?.value))
            .collect()
    }
}
