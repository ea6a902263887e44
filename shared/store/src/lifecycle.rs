//! A school's life in the service, from Wonde's side: a school that
//! approves our access through Wonde is created `pending` (awaiting setup by
//! its admin), becomes `active` once set up, and is `disabled` when it
//! revokes that access. A disabled school's staff cannot sign in, its tokens
//! stop working, its roster is not synced, and its data is due for deletion
//! by the retention job once [`RETENTION_GRACE_DAYS`] have passed. Approving
//! it again before then re-enables it as it was.
//!
//! The status is written in three places, always in one transaction:
//!
//! - the school's settings item (`S#<school>` / `SCHOOL`), where the roster
//!   sync reads it with the Wonde link in the same read;
//! - the school's access partition (`S#<school>#ACCESS` / `STATUS`), which
//!   every function's gate already reads (and caches) for revocations, so a
//!   disabled school's tokens are refused without another read;
//! - the registry of schools (`SCHOOLS` / `SCHOOL#<school>`), which lists
//!   every school with its Wonde id and time zone so that the sync planner
//!   and the retention job find them with a Query, never a Scan. The
//!   registry item is the lifecycle's own record: every change is
//!   conditional on the version of it that was read.
//!
//! A school set up before the lifecycle existed (seeded, or by hand) has no
//! status anywhere and counts as active.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use chrono::{DateTime, Duration, Utc};
use domain::{Policy, SchoolId};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::dynamo::{Item, key, s};
use crate::error::StoreError;
use crate::identity::{conditional_put, plain_put};
use crate::keys;
use crate::policy::PolicyRecord;

/// How long a disabled school's data is kept before the retention job may
/// delete it: the retention policy's grace period, in which a school that
/// revoked access by mistake can approve it again and find everything as it
/// was.
pub const RETENTION_GRACE_DAYS: i64 = 30;

/// The time zone a school approved through Wonde starts with.
pub const DEFAULT_TIME_ZONE: &str = "Europe/London";

/// How many times a lifecycle change is tried again when another change of
/// the same school lands between its read and its write.
const CHANGE_ATTEMPTS: usize = 3;

/// Where a school is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SchoolStatus {
    /// Approved through Wonde, awaiting setup by its admin.
    Pending,
    /// In use. Also what a school without a recorded status is.
    #[default]
    Active,
    /// The school revoked our access: nobody signs in, nothing syncs.
    Disabled,
}

impl SchoolStatus {
    pub fn name(self) -> &'static str {
        match self {
            SchoolStatus::Pending => "pending",
            SchoolStatus::Active => "active",
            SchoolStatus::Disabled => "disabled",
        }
    }
}

/// A school as the registry lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchoolEntry {
    pub school_id: SchoolId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wonde_id: Option<String>,
    /// An IANA zone name, as in the school's settings.
    pub time_zone: String,
    pub status: SchoolStatus,
    /// What a disabled school goes back to when it is approved again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_before_disabled: Option<SchoolStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<DateTime<Utc>>,
    /// From when the retention job may delete a disabled school's data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_after: Option<DateTime<Utc>>,
    /// When the full sync that follows an approval reached the queue; none
    /// until it has, so a retried approval sends it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_sync_queued_at: Option<DateTime<Utc>>,
    /// Every change sets it; every change is conditional on it.
    pub changed_at: DateTime<Utc>,
}

impl SchoolEntry {
    /// Whether the roster sync should run for the school.
    pub fn syncs(&self) -> bool {
        self.status != SchoolStatus::Disabled && self.wonde_id.is_some()
    }
}

/// What an approval did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// The school is new: created pending.
    Created(SchoolEntry),
    /// The school had been disabled: it is back as it was.
    Reenabled(SchoolEntry),
    /// The school was already approved (a repeated delivery): nothing changed.
    Unchanged(SchoolEntry),
}

impl Approval {
    pub fn entry(&self) -> &SchoolEntry {
        match self {
            Approval::Created(entry) | Approval::Reenabled(entry) | Approval::Unchanged(entry) => {
                entry
            }
        }
    }
}

/// What a revocation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    Disabled(SchoolEntry),
    /// Already disabled (a repeated delivery): nothing changed.
    Unchanged(SchoolEntry),
    /// No such school in the registry: nothing to disable.
    Unknown,
}

/// The school's settings item as a new school gets it. The Wonde link is
/// the attribute [`Store::link_wonde`] sets, written here with the rest so
/// that a school never exists unlinked.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewSettingsItem<'a> {
    pk: String,
    sk: &'static str,
    name: &'a str,
    time_zone: &'a str,
    wonde_id: &'a str,
    status: SchoolStatus,
}

#[derive(Serialize, Deserialize)]
struct Keyed<T> {
    pk: String,
    sk: String,
    #[serde(flatten)]
    value: T,
}

/// The status item of a school's access partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatusRecord {
    pub status: SchoolStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<DateTime<Utc>>,
}

fn registry_key(school: &SchoolId) -> Item {
    key(keys::SCHOOLS, keys::school_entry(school))
}

impl Store {
    /// The school's registry entry; none if the school never came through
    /// the lifecycle.
    pub async fn school_entry(&self, school: &SchoolId) -> Result<Option<SchoolEntry>, StoreError> {
        let found: Option<Keyed<SchoolEntry>> = self.get(registry_key(school)).await?;
        Ok(found.map(|keyed| keyed.value))
    }

    /// The school's status as its access partition records it: what the
    /// sign-in checks. Active when none is recorded.
    pub async fn school_status(&self, school: &SchoolId) -> Result<SchoolStatus, StoreError> {
        let found: Option<Keyed<StatusRecord>> = self
            .get(key(keys::access(school), keys::ACCESS_STATUS))
            .await?;
        Ok(found.map_or(SchoolStatus::Active, |keyed| keyed.value.status))
    }

    /// Records that a school approved our access through Wonde: creates it
    /// pending with `name`, the London time zone and the default policy, or
    /// re-enables it if it was disabled, or changes nothing if it is already
    /// approved. Safe to repeat.
    pub async fn approve_school(
        &self,
        school: &SchoolId,
        wonde_id: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Approval, StoreError> {
        for _ in 0..CHANGE_ATTEMPTS {
            let done = match self.school_entry(school).await? {
                None => self
                    .create_school(school, wonde_id, name, now)
                    .await?
                    .map(Approval::Created),
                Some(entry) if entry.status == SchoolStatus::Disabled => {
                    let restored = entry
                        .status_before_disabled
                        .unwrap_or(SchoolStatus::Pending);
                    let next = SchoolEntry {
                        wonde_id: Some(wonde_id.to_owned()),
                        status: restored,
                        status_before_disabled: None,
                        disabled_at: None,
                        delete_after: None,
                        first_sync_queued_at: None,
                        changed_at: now,
                        ..entry.clone()
                    };
                    self.change_status(&entry, &next)
                        .await?
                        .then_some(Approval::Reenabled(next))
                }
                Some(entry) => Some(Approval::Unchanged(entry)),
            };
            if let Some(approval) = done {
                return Ok(approval);
            }
        }
        Err(StoreError::Contended)
    }

    /// Records that a school revoked our access: disables it, with when and
    /// from when its data may be deleted. Safe to repeat.
    pub async fn disable_school(
        &self,
        school: &SchoolId,
        now: DateTime<Utc>,
    ) -> Result<Revocation, StoreError> {
        for _ in 0..CHANGE_ATTEMPTS {
            let Some(entry) = self.school_entry(school).await? else {
                return Ok(Revocation::Unknown);
            };
            if entry.status == SchoolStatus::Disabled {
                return Ok(Revocation::Unchanged(entry));
            }
            let next = SchoolEntry {
                status: SchoolStatus::Disabled,
                status_before_disabled: Some(entry.status),
                disabled_at: Some(now),
                delete_after: Some(now + Duration::days(RETENTION_GRACE_DAYS)),
                changed_at: now,
                ..entry.clone()
            };
            if self.change_status(&entry, &next).await? {
                return Ok(Revocation::Disabled(next));
            }
        }
        Err(StoreError::Contended)
    }

    /// Records that the full sync following an approval reached the queue,
    /// unless the school changed since `entry` was read (then the next
    /// approval decides again).
    pub async fn first_sync_queued(
        &self,
        entry: &SchoolEntry,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let next = SchoolEntry {
            first_sync_queued_at: Some(now),
            changed_at: now.max(entry.changed_at + Duration::milliseconds(1)),
            ..entry.clone()
        };
        let write = self.registry_write(&next, Some(entry))?;
        self.transact(vec![write]).await?;
        Ok(())
    }

    /// The schools the roster sync runs for, with their time zones: every
    /// school in the registry that is linked to Wonde and not disabled.
    pub async fn schools_to_sync(&self) -> Result<Vec<(SchoolId, String)>, StoreError> {
        let mut schools = Vec::new();
        for item in self.partition(keys::SCHOOLS).await? {
            let entry = serde_dynamo::from_item::<_, Keyed<SchoolEntry>>(item)?.value;
            if entry.syncs() {
                schools.push((entry.school_id, entry.time_zone));
            }
        }
        Ok(schools)
    }

    /// Creates the school, its policy, its registry entry and its status in
    /// one transaction; none if it appeared meanwhile.
    async fn create_school(
        &self,
        school: &SchoolId,
        wonde_id: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SchoolEntry>, StoreError> {
        let entry = SchoolEntry {
            school_id: school.clone(),
            wonde_id: Some(wonde_id.to_owned()),
            time_zone: DEFAULT_TIME_ZONE.to_owned(),
            status: SchoolStatus::Pending,
            status_before_disabled: None,
            disabled_at: None,
            delete_after: None,
            first_sync_queued_at: None,
            changed_at: now,
        };
        let settings = serde_dynamo::to_item(NewSettingsItem {
            pk: keys::school(school),
            sk: keys::SCHOOL,
            name,
            time_zone: DEFAULT_TIME_ZONE,
            wonde_id,
            status: entry.status,
        })?;
        // The default, marked as such until a leader adopts or edits it.
        let policy = crate::policy::current_item(
            school,
            &PolicyRecord::starting(Policy::default_for_new_school()),
        )?;
        let writes = vec![
            conditional_put(&self.table, settings, "attribute_not_exists(pk)", vec![])?,
            conditional_put(&self.table, policy, "attribute_not_exists(pk)", vec![])?,
            self.registry_write(&entry, None)?,
            self.status_write(school, &entry)?,
        ];
        Ok(self.transact(writes).await?.then_some(entry))
    }

    /// Moves a school from `seen` to `next` everywhere its status is
    /// written; false if the registry entry changed since `seen` was read.
    async fn change_status(
        &self,
        seen: &SchoolEntry,
        next: &SchoolEntry,
    ) -> Result<bool, StoreError> {
        let school = &next.school_id;
        let settings = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(keys::school(school), keys::SCHOOL)))
            .update_expression("SET #status = :status, wondeId = :wonde")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", s(next.status.name()))
            .expression_attribute_values(":wonde", s(next.wonde_id.clone().unwrap_or_default()))
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let writes = vec![
            TransactWriteItem::builder().update(settings).build(),
            self.registry_write(next, Some(seen))?,
            self.status_write(school, next)?,
        ];
        self.transact(writes).await
    }

    /// The registry entry's write: new when `seen` is none, otherwise only
    /// if it is still as `seen` was read.
    fn registry_write(
        &self,
        entry: &SchoolEntry,
        seen: Option<&SchoolEntry>,
    ) -> Result<TransactWriteItem, StoreError> {
        let item = serde_dynamo::to_item(Keyed {
            pk: keys::SCHOOLS.to_owned(),
            sk: keys::school_entry(&entry.school_id),
            value: entry,
        })?;
        match seen {
            None => conditional_put(&self.table, item, "attribute_not_exists(pk)", vec![]),
            Some(seen) => conditional_put(
                &self.table,
                item,
                "changedAt = :seen",
                vec![(":seen", changed_at(seen)?)],
            ),
        }
    }

    /// The status item of the school's access partition.
    fn status_write(
        &self,
        school: &SchoolId,
        entry: &SchoolEntry,
    ) -> Result<TransactWriteItem, StoreError> {
        let item = serde_dynamo::to_item(Keyed {
            pk: keys::access(school),
            sk: keys::ACCESS_STATUS.to_owned(),
            value: StatusRecord {
                status: entry.status,
                disabled_at: entry.disabled_at,
            },
        })?;
        plain_put(&self.table, item)
    }
}

/// `changedAt` as serde writes it, to compare in a condition.
fn changed_at(entry: &SchoolEntry) -> Result<AttributeValue, StoreError> {
    let value: AttributeValue = serde_dynamo::to_attribute_value(entry.changed_at)?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_school_without_a_status_is_active() {
        assert_eq!(SchoolStatus::default(), SchoolStatus::Active);
        let json = serde_json::to_string(&SchoolStatus::Disabled).unwrap();
        assert_eq!(json, "\"disabled\"");
        assert_eq!(SchoolStatus::Pending.name(), "pending");
    }

    #[test]
    fn only_linked_schools_that_are_not_disabled_sync() {
        let entry = SchoolEntry {
            school_id: SchoolId::parse("s1").unwrap(),
            wonde_id: Some("A1".to_owned()),
            time_zone: DEFAULT_TIME_ZONE.to_owned(),
            status: SchoolStatus::Pending,
            status_before_disabled: None,
            disabled_at: None,
            delete_after: None,
            first_sync_queued_at: None,
            changed_at: Utc::now(),
        };
        assert!(entry.syncs());
        assert!(
            !SchoolEntry {
                status: SchoolStatus::Disabled,
                ..entry.clone()
            }
            .syncs()
        );
        assert!(
            !SchoolEntry {
                wonde_id: None,
                ..entry
            }
            .syncs()
        );
    }
}
