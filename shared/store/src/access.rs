//! Who may still use the tokens they hold: revocations (a disabled
//! account, changed roles, a new password), the support grants a school
//! gives, and whether the school itself is disabled
//! ([`crate::lifecycle`]). All live in one small partition per school, which functions read
//! at most every [`ACCESS_REFRESH`] and otherwise keep in memory, so a
//! revoked token stops working within a minute without a read per request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};
use domain::SchoolId;
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::dynamo::{key, text};
use crate::error::StoreError;
use crate::identity::conditional_put;
use crate::keys;
use crate::lifecycle::{SchoolStatus, StatusRecord};

/// How long a function trusts what it read of a school's access partition.
pub const ACCESS_REFRESH: Duration = Duration::from_secs(30);

/// How long a revocation is kept: longer than any access token lives.
const REVOCATION_LIFETIME: i64 = 2 * 3600;

/// A school's permission for vendor support to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportGrant {
    pub id: String,
    pub granted_by: String,
    pub reason: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
}

impl SupportGrant {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.ended_at.is_none() && self.starts_at <= now && now < self.ends_at
    }
}

/// What a school's access partition says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessState {
    /// For each user, the instant (seconds) before which their tokens are
    /// refused.
    pub revoked: HashMap<String, i64>,
    pub grants: Vec<SupportGrant>,
    /// Active unless the school's lifecycle says otherwise.
    pub school_status: SchoolStatus,
}

impl AccessState {
    /// Whether a token issued at `issued_at` for `user` was revoked since.
    /// Token times are whole seconds, so a token issued in the second of the
    /// revocation is refused too: a copy taken just before a password reset
    /// must not outlive it. A token issued after it in that same second is
    /// refused once and works again after a refresh.
    pub fn is_revoked(&self, user: &str, issued_at: i64) -> bool {
        self.revoked
            .get(user)
            .is_some_and(|not_before| issued_at <= *not_before)
    }

    pub fn live_grant(&self, id: &str, now: DateTime<Utc>) -> Option<&SupportGrant> {
        self.grants.iter().find(|g| g.id == id && g.is_live(now))
    }

    /// Whether the school has revoked our access: none of its tokens work.
    pub fn school_disabled(&self) -> bool {
        self.school_status == SchoolStatus::Disabled
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RevokedItem {
    pk: String,
    sk: String,
    user_id: String,
    not_before: i64,
    expires_at: i64,
}

#[derive(Serialize, Deserialize)]
struct GrantItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    grant: SupportGrant,
}

#[derive(Deserialize)]
struct StatusItem {
    #[serde(flatten)]
    record: StatusRecord,
}

fn grant_sk(id: &str) -> String {
    format!("GRANT#{id}")
}

impl Store {
    /// Reads a school's access partition.
    pub async fn access_state(&self, school: &SchoolId) -> Result<AccessState, StoreError> {
        let mut state = AccessState::default();
        for item in self.partition(&keys::access(school)).await? {
            match text(&item, keys::SK).as_deref() {
                Some(sk) if sk.starts_with("REVOKED#") => {
                    let revoked: RevokedItem = serde_dynamo::from_item(item)?;
                    state.revoked.insert(revoked.user_id, revoked.not_before);
                }
                Some(sk) if sk.starts_with("GRANT#") => {
                    let item: GrantItem = serde_dynamo::from_item(item)?;
                    state.grants.push(item.grant);
                }
                Some(keys::ACCESS_STATUS) => {
                    let item: StatusItem = serde_dynamo::from_item(item)?;
                    state.school_status = item.record.status;
                }
                _ => {}
            }
        }
        Ok(state)
    }

    /// The write that refuses every token `user` holds from before `at`
    /// (seconds), to go in a transaction with the change that causes it.
    pub fn revocation(
        &self,
        school: &SchoolId,
        user: &str,
        at: i64,
    ) -> Result<TransactWriteItem, StoreError> {
        let item = serde_dynamo::to_item(RevokedItem {
            pk: keys::access(school),
            sk: format!("REVOKED#{user}"),
            user_id: user.to_owned(),
            not_before: at,
            expires_at: at + REVOCATION_LIFETIME,
        })?;
        crate::identity::plain_put(&self.table, item)
    }

    /// The write that records a new support grant.
    pub fn grant_write(
        &self,
        school: &SchoolId,
        grant: &SupportGrant,
    ) -> Result<TransactWriteItem, StoreError> {
        let item = serde_dynamo::to_item(GrantItem {
            pk: keys::access(school),
            sk: grant_sk(&grant.id),
            grant: grant.clone(),
        })?;
        conditional_put(&self.table, item, "attribute_not_exists(pk)", vec![])
    }

    /// The write that ends a grant early, if it has not ended already.
    pub fn end_grant_write(
        &self,
        school: &SchoolId,
        ended: &SupportGrant,
    ) -> Result<TransactWriteItem, StoreError> {
        let item = serde_dynamo::to_item(GrantItem {
            pk: keys::access(school),
            sk: grant_sk(&ended.id),
            grant: ended.clone(),
        })?;
        conditional_put(
            &self.table,
            item,
            "attribute_exists(pk) AND attribute_not_exists(endedAt)",
            vec![],
        )
    }

    pub async fn grant(
        &self,
        school: &SchoolId,
        id: &str,
    ) -> Result<Option<SupportGrant>, StoreError> {
        Ok(self
            .get_item(key(keys::access(school), grant_sk(id)))
            .await?
            .map(serde_dynamo::from_item::<_, GrantItem>)
            .transpose()?
            .map(|item| item.grant))
    }
}

/// Each school's access state as last read, shared by every request a
/// function instance serves.
#[derive(Default)]
pub struct AccessCache {
    schools: Mutex<HashMap<SchoolId, (Instant, AccessState)>>,
}

impl AccessCache {
    /// The school's state, read again if what is held is older than
    /// [`ACCESS_REFRESH`].
    pub async fn state(&self, store: &Store, school: &SchoolId) -> Result<AccessState, StoreError> {
        if let Some((read_at, state)) = self.lock().get(school)
            && read_at.elapsed() < ACCESS_REFRESH
        {
            return Ok(state.clone());
        }
        let state = store.access_state(school).await?;
        self.lock()
            .insert(school.clone(), (Instant::now(), state.clone()));
        Ok(state)
    }

    /// Forgets what is held, so the next request reads afresh (used after a
    /// function changes the state itself).
    pub fn forget(&self, school: &SchoolId) {
        self.lock().remove(school);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SchoolId, (Instant, AccessState)>> {
        self.schools
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
