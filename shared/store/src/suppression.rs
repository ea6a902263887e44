//! The mail suppression list: addresses that SES reported as bouncing for
//! good or as complaining, which no function mails again until an operator
//! lifts the suppression.
//!
//! | item | pk | sk |
//! | --- | --- | --- |
//! | an address's suppression and its counts | `SUPPRESSION#<email key>` | `SUPPRESSION` |
//! | one SES event already counted for it | `SUPPRESSION#<email key>` | `EVENT#<kind>#<message id>` |
//!
//! An address is an address whichever school's roster it came from, so the
//! list is the service's, not a school's: a work address that bounces for
//! one school's summary bounces for another's certificates too, and a
//! complaint is the person's, not the school's. Keys carry the same keyed
//! digest of the lowercased address as logins do ([`email_key`]), never the
//! address: the list holds no personal data beyond what the digest proves
//! to someone who already knows the address.
//!
//! Each event is counted once: the event's mark (keyed by its kind and the
//! SES message id) is written in one transaction with the counts, on
//! condition that it is new, so SNS or SQS delivering a notification twice
//! changes nothing the second time. Marks expire after
//! [`EVENT_MARK_DAYS`]; the suppression itself never does.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use chrono::{DateTime, Duration, Utc};
use domain::Email;
use serde::Deserialize;

use crate::Store;
use crate::dynamo::{Item, key, n, s, text};
use crate::error::StoreError;
use crate::identity::{conditional_put, email_key};
use crate::keys;

/// How long the mark of a counted event is kept: far longer than SNS or
/// SQS keep redelivering one notification.
pub const EVENT_MARK_DAYS: i64 = 30;

/// What SES reported about one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackKind {
    /// The mailbox does not exist or refuses mail for good: suppresses.
    PermanentBounce,
    /// A full mailbox, a server away, or a bounce SES could not classify:
    /// counted, never suppresses.
    TransientBounce,
    /// The person marked the email as spam: suppresses.
    Complaint,
}

impl FeedbackKind {
    /// A short name for keys and logs.
    pub fn name(self) -> &'static str {
        match self {
            FeedbackKind::PermanentBounce => "bounce",
            FeedbackKind::TransientBounce => "transient-bounce",
            FeedbackKind::Complaint => "complaint",
        }
    }

    pub fn suppresses(self) -> bool {
        !matches!(self, FeedbackKind::TransientBounce)
    }

    fn counter(self) -> &'static str {
        match self {
            FeedbackKind::PermanentBounce => "bounces",
            FeedbackKind::TransientBounce => "transientBounces",
            FeedbackKind::Complaint => "complaints",
        }
    }
}

/// One SES event about one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub kind: FeedbackKind,
    /// The SES message id of the email it is about.
    pub message_id: String,
    /// When SES reported it.
    pub at: DateTime<Utc>,
}

/// What recording an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackOutcome {
    /// Counted now; `suppressed` says whether the address is suppressed.
    Counted { suppressed: bool },
    /// This event was counted before: nothing changed.
    AlreadyCounted,
}

/// An address's standing on the list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Suppression {
    /// Whether mail to the address is withheld now.
    #[serde(default)]
    pub suppressed: bool,
    /// What suppressed it last: `bounce` or `complaint`.
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub bounces: u64,
    #[serde(default)]
    pub transient_bounces: u64,
    #[serde(default)]
    pub complaints: u64,
    /// Every event counted, of every kind.
    #[serde(default)]
    pub count: u64,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    /// When an operator last lifted it.
    #[serde(default)]
    pub lifted_at: Option<DateTime<Utc>>,
}

const SUPPRESSION_SK: &str = "SUPPRESSION";

/// The first characters of an address's digest: enough to follow one
/// address through the logs, never the address.
pub fn log_id(address: &Email) -> String {
    email_key(address)[..12].to_owned()
}

fn suppression_pk(address: &Email) -> String {
    keys::suppression(&email_key(address))
}

fn suppression_key(address: &Email) -> Item {
    key(suppression_pk(address), SUPPRESSION_SK)
}

impl Store {
    /// Counts one SES event about `address`, once, and suppresses the
    /// address if the event is a permanent bounce or a complaint.
    pub async fn record_mail_feedback(
        &self,
        address: &Email,
        feedback: &Feedback,
    ) -> Result<FeedbackOutcome, StoreError> {
        let pk = suppression_pk(address);
        let at = keys::instant(feedback.at);
        let expires = Utc::now() + Duration::days(EVENT_MARK_DAYS);
        let mut mark = key(
            pk.clone(),
            format!(
                "EVENT#{}#{}",
                feedback.kind.name(),
                keys::part(&feedback.message_id)
            ),
        );
        mark.insert("at".into(), s(&at));
        mark.insert("expiresAt".into(), n(expires.timestamp()));

        let mut expression = format!(
            "SET firstAt = if_not_exists(firstAt, :at), lastAt = :at \
             ADD #count :one, {} :one",
            feedback.kind.counter()
        );
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(pk, SUPPRESSION_SK)))
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":at", s(&at))
            .expression_attribute_values(":one", n(1));
        if feedback.kind.suppresses() {
            expression =
                expression.replacen("SET ", "SET suppressed = :true, #reason = :reason, ", 1);
            update = update
                .expression_attribute_names("#reason", "reason")
                .expression_attribute_values(":true", AttributeValue::Bool(true))
                .expression_attribute_values(":reason", s(feedback.kind.name()));
        }
        let update = update
            .update_expression(expression)
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;

        let writes = vec![
            conditional_put(&self.table, mark, "attribute_not_exists(pk)", vec![])?,
            TransactWriteItem::builder().update(update).build(),
        ];
        if !self.transact(writes).await? {
            return Ok(FeedbackOutcome::AlreadyCounted);
        }
        let suppressed = self
            .suppression(address)
            .await?
            .is_some_and(|found| found.suppressed);
        Ok(FeedbackOutcome::Counted { suppressed })
    }

    /// An address's standing, if SES ever reported on it.
    pub async fn suppression(&self, address: &Email) -> Result<Option<Suppression>, StoreError> {
        self.get(suppression_key(address)).await
    }

    /// Which of `addresses` are suppressed, in one BatchGetItem for up to
    /// a hundred different addresses. Every sender asks this before it
    /// sends.
    pub async fn suppressed_addresses(
        &self,
        addresses: &[Email],
    ) -> Result<Vec<Email>, StoreError> {
        let mut distinct: Vec<(String, &Email)> = addresses
            .iter()
            .map(|address| (suppression_pk(address), address))
            .collect();
        distinct.sort_by(|a, b| a.0.cmp(&b.0));
        distinct.dedup_by(|a, b| a.0 == b.0);
        if distinct.is_empty() {
            return Ok(Vec::new());
        }
        let found = self
            .get_many(
                distinct
                    .iter()
                    .map(|(pk, _)| key(pk.clone(), SUPPRESSION_SK))
                    .collect(),
            )
            .await?;
        let suppressed: Vec<String> = found
            .iter()
            .filter(|item| matches!(item.get("suppressed"), Some(AttributeValue::Bool(true))))
            .filter_map(|item| text(item, keys::PK))
            .collect();
        Ok(distinct
            .into_iter()
            .filter(|(pk, _)| suppressed.contains(pk))
            .map(|(_, address)| address.clone())
            .collect())
    }

    /// Lifts an address's suppression, once the person has mended their
    /// mailbox; the counts stay. Answers whether it was suppressed. A later
    /// permanent bounce or complaint suppresses it again.
    pub async fn lift_suppression(
        &self,
        address: &Email,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(suppression_key(address)))
            .update_expression("SET suppressed = :false, liftedAt = :at")
            .condition_expression("suppressed = :true")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":at", s(keys::instant(at)))
            .send()
            .await;
        match result.map_err(StoreError::from) {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(other) => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_has_one_key_whatever_its_case() {
        let lower = Email::parse("tess.brown@riverside.example").unwrap();
        let upper = Email::parse(" Tess.Brown@Riverside.EXAMPLE").unwrap();
        assert_eq!(suppression_pk(&lower), suppression_pk(&upper));
        assert!(!suppression_pk(&lower).contains("tess"));
        assert_eq!(log_id(&lower).len(), 12);
    }

    #[test]
    fn only_permanent_bounces_and_complaints_suppress() {
        assert!(FeedbackKind::PermanentBounce.suppresses());
        assert!(FeedbackKind::Complaint.suppresses());
        assert!(!FeedbackKind::TransientBounce.suppresses());
    }
}
