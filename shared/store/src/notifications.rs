//! Each member of staff's choice of the emails the service sends them, and
//! the record of each notification sent, which makes a notification queued
//! or delivered twice go out once. Both live in the member of staff's own
//! partition (see [`crate::keys`]):
//!
//! | item | pk | sk |
//! | --- | --- | --- |
//! | notification preferences | `S#<school>#STAFF#<staff>` | `PREFERENCES` |
//! | one notification's delivery | `S#<school>#STAFF#<staff>` | `NOTIFICATION#<id>` |
//!
//! Preferences are last-write-wins, field by field: a change sets only the
//! fields it names, in one update, so two changes to different kinds never
//! undo each other and no version is needed for a setting only its owner
//! changes. A kind the item does not mention yet has its default, so a new
//! kind of email needs no migration.
//!
//! A delivery is claimed before the email is sent, for a few minutes, and
//! marked sent after, each with a condition. A second delivery finds the
//! mark and sends nothing, or finds the claim and tries again later. Only a
//! function that stops between SES taking the email and the mark being
//! written leaves the notification to be sent once more when the claim runs
//! out: SES has no idempotency key. A notification not sent on purpose for
//! good (its address is on the suppression list) is marked `skipped`, which
//! later deliveries take as done. Delivery records expire after
//! [`DELIVERY_RECORD_DAYS`], long after any message could be redelivered.

use aws_sdk_dynamodb::types::{ReturnValue, TransactWriteItem, Update};
use chrono::{DateTime, Duration, Utc};
use domain::{NotificationKind, SchoolId, StaffId};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::dynamo::{Item, key, n, s, text};
use crate::error::StoreError;
use crate::keys;

/// How long a delivery record is kept.
pub const DELIVERY_RECORD_DAYS: i64 = 90;

/// Which emails a member of staff gets. Every kind has a default for those
/// who never chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPreferences {
    /// The Monday email of the school's week, for senior leaders. On unless
    /// switched off.
    #[serde(default = "on")]
    pub weekly_summary: bool,
}

fn on() -> bool {
    true
}

impl Default for NotificationPreferences {
    fn default() -> Self {
        Self {
            weekly_summary: on(),
        }
    }
}

impl NotificationPreferences {
    /// Whether this member of staff wants notifications of this kind.
    pub fn allows(&self, kind: NotificationKind) -> bool {
        match kind {
            NotificationKind::WeeklySummary => self.weekly_summary,
        }
    }
}

/// A change to someone's preferences: the fields to set; the others stay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PreferencesChange {
    pub weekly_summary: Option<bool>,
}

impl PreferencesChange {
    /// The preferences as they are once the change is made.
    pub fn applied_to(&self, preferences: NotificationPreferences) -> NotificationPreferences {
        NotificationPreferences {
            weekly_summary: self.weekly_summary.unwrap_or(preferences.weekly_summary),
        }
    }

    /// The fields it sets, with their new values, as the API names them.
    pub fn fields(&self) -> Vec<(&'static str, bool)> {
        self.weekly_summary
            .map(|on| ("weeklySummary", on))
            .into_iter()
            .collect()
    }
}

#[derive(Deserialize)]
struct PreferencesItem {
    #[serde(flatten)]
    preferences: NotificationPreferences,
}

/// What a delivery's claim found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationClaim {
    /// This delivery holds the notification until the claim runs out.
    Claimed,
    /// It was sent already.
    Done,
    /// Another delivery holds it now.
    Busy,
}

const SENDING: &str = "sending";
const SENT: &str = "sent";
/// Not sent on purpose, for good (the address is suppressed).
const SKIPPED: &str = "skipped";

impl Store {
    /// A member of staff's preferences; the defaults if they never chose.
    pub async fn notification_preferences(
        &self,
        school: &SchoolId,
        staff: &StaffId,
    ) -> Result<NotificationPreferences, StoreError> {
        let found: Option<PreferencesItem> = self.get(preferences_key(school, staff)).await?;
        Ok(found.map(|item| item.preferences).unwrap_or_default())
    }

    /// Sets the fields `change` names, in one transaction with `with` (the
    /// audit record), and answers the preferences as they then stand.
    /// Last write wins, field by field. [`StoreError::ConditionFailed`] if
    /// a condition of `with` failed, in which case nothing changed.
    pub async fn set_notification_preferences(
        &self,
        school: &SchoolId,
        staff: &StaffId,
        change: &PreferencesChange,
        at: DateTime<Utc>,
        with: Vec<TransactWriteItem>,
    ) -> Result<NotificationPreferences, StoreError> {
        let fields = change.fields();
        if !fields.is_empty() {
            let mut expression =
                "SET schoolId = :school, staffId = :staff, updatedAt = :at".to_owned();
            let mut update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(preferences_key(school, staff)))
                .expression_attribute_values(":school", s(school.as_str()))
                .expression_attribute_values(":staff", s(staff.as_str()))
                .expression_attribute_values(":at", s(keys::instant(at)));
            for (i, (field, on)) in fields.into_iter().enumerate() {
                expression.push_str(&format!(", {field} = :v{i}"));
                update = update.expression_attribute_values(
                    format!(":v{i}"),
                    aws_sdk_dynamodb::types::AttributeValue::Bool(on),
                );
            }
            let update = update
                .update_expression(expression)
                .build()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let mut writes = vec![TransactWriteItem::builder().update(update).build()];
            writes.extend(with);
            if !self.transact(writes).await? {
                return Err(StoreError::ConditionFailed);
            }
        }
        self.notification_preferences(school, staff).await
    }

    /// Claims one notification to a member of staff for `lease`, unless it
    /// was sent already or another delivery holds it.
    pub async fn claim_notification(
        &self,
        school: &SchoolId,
        staff: &StaffId,
        id: &str,
        kind: NotificationKind,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<NotificationClaim, StoreError> {
        let expires = now + Duration::days(DELIVERY_RECORD_DAYS);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(delivery_key(school, staff, id)))
            .update_expression(
                "SET #status = :sending, claimUntil = :until, #kind = :kind, \
                 firstTriedAt = if_not_exists(firstTriedAt, :now), expiresAt = :expires",
            )
            .condition_expression(
                "attribute_not_exists(pk) OR (#status = :sending AND \
                 (attribute_not_exists(claimUntil) OR claimUntil < :now))",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#kind", "kind")
            .expression_attribute_values(":sending", s(SENDING))
            .expression_attribute_values(":kind", s(kind.name()))
            .expression_attribute_values(":now", s(keys::instant(now)))
            .expression_attribute_values(":until", s(keys::instant(now + lease)))
            .expression_attribute_values(":expires", n(expires.timestamp()))
            .return_values(ReturnValue::None)
            .send()
            .await;
        match result.map_err(StoreError::from) {
            Ok(_) => Ok(NotificationClaim::Claimed),
            Err(StoreError::ConditionFailed) => {
                let found = self.get_item(delivery_key(school, staff, id)).await?;
                let status = found.as_ref().and_then(|item: &Item| text(item, "status"));
                Ok(match status.as_deref() {
                    Some(SENT | SKIPPED) => NotificationClaim::Done,
                    _ => NotificationClaim::Busy,
                })
            }
            Err(other) => Err(other),
        }
    }

    /// Records a claimed notification as sent. Recording it twice changes
    /// nothing.
    pub async fn finish_notification(
        &self,
        school: &SchoolId,
        staff: &StaffId,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(delivery_key(school, staff, id)))
            .update_expression("SET #status = :sent, sentAt = :at REMOVE claimUntil")
            .condition_expression("#status = :sending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sending", s(SENDING))
            .expression_attribute_values(":sent", s(SENT))
            .expression_attribute_values(":at", s(keys::instant(at)))
            .send()
            .await;
        ignore_condition(result.map(|_| ()).map_err(StoreError::from))
    }

    /// Records that a notification was not sent on purpose and never will
    /// be (`reason`, such as `suppressed`), so a later delivery finds it
    /// done. A notification sent, or being sent, meanwhile is left as it is.
    pub async fn skip_notification(
        &self,
        school: &SchoolId,
        staff: &StaffId,
        id: &str,
        kind: NotificationKind,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let expires = now + Duration::days(DELIVERY_RECORD_DAYS);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(delivery_key(school, staff, id)))
            .update_expression(
                "SET #status = :skipped, skipReason = :reason, skippedAt = :now, \
                 #kind = :kind, expiresAt = :expires REMOVE claimUntil",
            )
            .condition_expression(
                "attribute_not_exists(pk) OR #status = :skipped OR (#status = :sending AND \
                 (attribute_not_exists(claimUntil) OR claimUntil < :now))",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#kind", "kind")
            .expression_attribute_values(":skipped", s(SKIPPED))
            .expression_attribute_values(":sending", s(SENDING))
            .expression_attribute_values(":reason", s(reason))
            .expression_attribute_values(":kind", s(kind.name()))
            .expression_attribute_values(":now", s(keys::instant(now)))
            .expression_attribute_values(":expires", n(expires.timestamp()))
            .send()
            .await;
        ignore_condition(result.map(|_| ()).map_err(StoreError::from))
    }

    /// Gives up a claim whose email was not sent, so that the next delivery
    /// may try at once.
    pub async fn release_notification(
        &self,
        school: &SchoolId,
        staff: &StaffId,
        id: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(delivery_key(school, staff, id)))
            .update_expression("REMOVE claimUntil")
            .condition_expression("#status = :sending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sending", s(SENDING))
            .send()
            .await;
        ignore_condition(result.map(|_| ()).map_err(StoreError::from))
    }
}

fn preferences_key(school: &SchoolId, staff: &StaffId) -> Item {
    key(
        keys::staff_own(school, staff),
        keys::NOTIFICATION_PREFERENCES,
    )
}

fn delivery_key(school: &SchoolId, staff: &StaffId, id: &str) -> Item {
    key(keys::staff_own(school, staff), keys::notification(id))
}

/// A conditional write whose condition failed had nothing left to do.
fn ignore_condition(result: Result<(), StoreError>) -> Result<(), StoreError> {
    match result {
        Err(StoreError::ConditionFailed) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferences_never_chosen_have_every_default() {
        let stored: NotificationPreferences = serde_json::from_str("{}").unwrap();
        assert_eq!(stored, NotificationPreferences::default());
        assert!(stored.allows(NotificationKind::WeeklySummary));
        let off = PreferencesChange {
            weekly_summary: Some(false),
        };
        assert!(!off.applied_to(stored).weekly_summary);
        assert_eq!(PreferencesChange::default().applied_to(stored), stored);
        assert_eq!(off.fields(), [("weeklySummary", false)]);
    }
}
