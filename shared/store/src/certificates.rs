//! Pupils' certificates: earned once per rule and points cycle (points
//! rules) or per streak (green-streak rules, [`crate::streaks`]), or
//! awarded by hand, then queued to be rendered and emailed.
//!
//! | item | pk | sk |
//! | --- | --- | --- |
//! | certificate | `S#<school>#CERTIFICATE#<id>` | `CERTIFICATE` |
//! | earned mark, one per pupil, points rule and cycle | `S#<school>#PUPIL#<pupil>` | `EARNED#<rule>#<cycle>` |
//! | earned mark, one per pupil, streak rule and streak | `S#<school>#PUPIL#<pupil>` | `EARNED#<rule>#<first day>` |
//! | hand award's request record | `S#<school>#REQUEST#<request id>` | `CERTIFICATE` |
//!
//! A certificate and its earned mark are written in one transaction, each
//! only if absent, so two behaviours logged at the same instant for the same
//! pupil cannot both earn it. A certificate is in two timelines by award
//! time, `gsi1` (the pupil's, beside their behaviours) and `gsi4` (the
//! school's, `S#<school>#CERTIFICATES`), and on the sparse `outbox` index
//! under its own shards (`CERTIFICATES#<n>`, which the behaviour relay never
//! reads) until its message is on the `certificates` queue.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Duration, Utc};
use domain::{CertificateTemplate, CertificateTrigger, Policy, PupilId, SchoolId, StaffId};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::audit::AuditRecord;
use crate::dynamo::{Item, key, n, s};
use crate::error::StoreError;
use crate::identity::conditional_put;
use crate::keys;

const SK: &str = "CERTIFICATE";

/// How many outbox shards unqueued certificates spread over.
const OUTBOX_SHARDS: u8 = 4;

/// Who gave a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum AwardedBy {
    /// Earned under one of the school's rules.
    Automatic,
    /// Given by a member of staff.
    #[serde(rename_all = "camelCase")]
    Staff { staff_id: StaffId, name: String },
}

/// Where a certificate's email stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EmailStatus {
    /// Not sent yet.
    Pending,
    Sent,
    /// Nobody it could go to has a work email; nothing more will be tried.
    NoRecipient,
    /// Every work email it could go to is on the suppression list (bounced
    /// for good or complained); nothing more will be tried.
    Suppressed,
}

/// A certificate as awarded: what it shows stays as it was on the day,
/// whatever later happens to the pupil's name or the rule.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    /// A ULID.
    pub id: String,
    pub pupil_id: PupilId,
    /// The pupil's name when it was awarded.
    pub pupil_name: String,
    /// The pupil's year group when it was awarded, for lists by year.
    #[serde(default)]
    pub year_group: String,
    /// The rule that earned it; none for a hand award.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    /// The rule's name, or what a hand award is for.
    pub name: String,
    /// The points cycle it was awarded in, such as `2026-27`.
    pub cycle: String,
    pub template: CertificateTemplate,
    pub awarded_at: DateTime<Utc>,
    pub awarded_by: AwardedBy,
    /// The staff it is emailed to: whoever awarded it, or whoever logged
    /// the behaviour that earned it.
    pub notify: Vec<StaffId>,
    pub email_status: EmailStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emailed_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("id", &self.id)
            .field("pupil_id", &self.pupil_id)
            .field("rule_id", &self.rule_id)
            .finish_non_exhaustive()
    }
}

/// The message on the `certificates` queue: which certificate to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CertificateMessage {
    pub school_id: SchoolId,
    pub certificate_id: String,
}

impl CertificateMessage {
    pub fn body(&self) -> String {
        serde_json::to_string(self).expect("a certificate message is JSON")
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CertificateItem {
    pk: String,
    sk: String,
    school_id: SchoolId,
    #[serde(flatten)]
    certificate: Certificate,
    gsi1pk: String,
    gsi1sk: String,
    gsi4pk: String,
    gsi4sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outbox_shard: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outbox_at: Option<String>,
    /// Until when one delivery of the job holds the email, so that two
    /// deliveries of the same message do not both send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email_claim_until: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EarnedItem {
    pk: String,
    sk: String,
    certificate_id: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AwardRecord {
    pk: String,
    sk: String,
    fingerprint: String,
    certificate_id: String,
}

/// What an automatic check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Earned {
    /// A new certificate: queue it.
    New(Box<Certificate>),
    /// The pupil already has it for this rule and cycle.
    Already,
}

/// What a hand award did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwardResult {
    Created(Box<Certificate>),
    /// The same request came again: the first award.
    Replayed(Box<Certificate>),
    /// The idempotency key already named a different request.
    Mismatch,
}

/// Whether one delivery of the job may send a certificate's email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailClaim {
    /// Send it, then record it as sent.
    Claimed(Box<Certificate>),
    /// Already sent, or nobody to send it to: nothing to do.
    Done,
    /// Another delivery is sending it now.
    Busy,
    /// No such certificate.
    Missing,
}

/// Which certificates to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct CertificateQuery {
    pub pupil: Option<PupilId>,
    /// Only these pupils (a class's members), when set.
    pub pupils: Option<Vec<PupilId>>,
    pub year_group: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: usize,
    pub after: Option<HashMap<String, String>>,
}

/// The points rules a pupil's points this cycle have reached.
pub fn points_rules_reached(policy: &Policy, this_cycle: i64) -> Vec<&domain::CertificateRule> {
    policy
        .certificate_rules
        .iter()
        .filter(|rule| !rule.archived)
        .filter(|rule| match rule.trigger {
            CertificateTrigger::Points { threshold } => this_cycle >= i64::from(threshold),
            CertificateTrigger::GreenStreak { .. } => false,
        })
        .collect()
}

fn certificate_pk(school: &SchoolId, id: &str) -> String {
    format!("S#{school}#CERTIFICATE#{id}")
}

pub(crate) fn earned_sk(rule: &str, cycle: &str) -> String {
    format!("EARNED#{rule}#{cycle}")
}

fn timeline(certificate: &Certificate) -> String {
    format!(
        "CERTIFICATE#{}#{}",
        keys::instant(certificate.awarded_at),
        certificate.id
    )
}

fn outbox_shard(id: &str) -> String {
    let hash = id
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("CERTIFICATES#{}", hash % u32::from(OUTBOX_SHARDS))
}

fn certificate_item(school: &SchoolId, certificate: &Certificate) -> Result<Item, StoreError> {
    let line = timeline(certificate);
    Ok(serde_dynamo::to_item(CertificateItem {
        pk: certificate_pk(school, &certificate.id),
        sk: SK.to_owned(),
        school_id: school.clone(),
        certificate: certificate.clone(),
        gsi1pk: keys::pupil(school, &certificate.pupil_id),
        gsi1sk: line.clone(),
        gsi4pk: format!("S#{school}#CERTIFICATES"),
        gsi4sk: line,
        outbox_shard: Some(outbox_shard(&certificate.id)),
        outbox_at: Some(keys::instant(certificate.awarded_at)),
        email_claim_until: None,
    })?)
}

impl Store {
    /// Records a certificate earned under `rule` in its cycle, unless the
    /// pupil already has one for that rule and cycle.
    pub async fn earn_certificate(
        &self,
        school: &SchoolId,
        certificate: Certificate,
    ) -> Result<Earned, StoreError> {
        let rule = certificate
            .rule_id
            .clone()
            .ok_or_else(|| StoreError::Corrupt("an earned certificate names its rule".into()))?;
        let mark = earned_sk(&rule, &certificate.cycle);
        self.earn_marked(school, certificate, mark, Vec::new())
            .await
    }

    /// Writes a certificate with its earned mark `mark` and any `more`
    /// writes in one transaction, only if the mark is absent and every
    /// other condition holds.
    pub(crate) async fn earn_marked(
        &self,
        school: &SchoolId,
        certificate: Certificate,
        mark: String,
        more: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
    ) -> Result<Earned, StoreError> {
        let mark = serde_dynamo::to_item(EarnedItem {
            pk: keys::pupil(school, &certificate.pupil_id),
            sk: mark,
            certificate_id: certificate.id.clone(),
        })?;
        let mut writes = vec![
            conditional_put(&self.table, mark, "attribute_not_exists(pk)", vec![])?,
            conditional_put(
                &self.table,
                certificate_item(school, &certificate)?,
                "attribute_not_exists(pk)",
                vec![],
            )?,
        ];
        writes.extend(more);
        if self.transact(writes).await? {
            Ok(Earned::New(Box::new(certificate)))
        } else {
            Ok(Earned::Already)
        }
    }

    /// Earns every points certificate the pupil's points this cycle have
    /// reached and they do not hold yet, and returns the new ones. Safe to
    /// run after every behaviour and as often as wanted: a certificate the
    /// pupil holds is never earned twice, and one missed (the function
    /// stopped after the behaviour was written) is earned next time.
    #[allow(clippy::too_many_arguments)]
    pub async fn earn_points_certificates(
        &self,
        school: &SchoolId,
        policy: &Policy,
        pupil: &PupilId,
        this_cycle: i64,
        cycle: &str,
        earned_through: &StaffId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Certificate>, StoreError> {
        let reached = points_rules_reached(policy, this_cycle);
        if reached.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = reached.iter().map(|r| r.id.as_str()).collect();
        let held = self.earned_rules(school, pupil, &ids, cycle).await?;
        let due: Vec<_> = reached
            .into_iter()
            .filter(|r| !held.contains(&r.id))
            .collect();
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let Some(found) = self.directory_pupil(school, pupil).await? else {
            return Ok(Vec::new());
        };
        let mut ids = ulid::Generator::new();
        let mut earned = Vec::new();
        for rule in due {
            let certificate = Certificate {
                id: ids
                    .generate()
                    .unwrap_or_else(|_| ulid::Ulid::new())
                    .to_string(),
                pupil_id: pupil.clone(),
                pupil_name: found.display_name(),
                year_group: found.year_group.clone(),
                rule_id: Some(rule.id.clone()),
                name: rule.name.clone(),
                cycle: cycle.to_owned(),
                template: rule.template,
                awarded_at: now,
                awarded_by: AwardedBy::Automatic,
                notify: vec![earned_through.clone()],
                email_status: EmailStatus::Pending,
                emailed_at: None,
            };
            if let Earned::New(certificate) = self.earn_certificate(school, certificate).await? {
                earned.push(*certificate);
            }
        }
        Ok(earned)
    }

    /// The rules of `rules` the pupil already holds a certificate for in
    /// `cycle`.
    pub async fn earned_rules(
        &self,
        school: &SchoolId,
        pupil: &PupilId,
        rules: &[&str],
        cycle: &str,
    ) -> Result<Vec<String>, StoreError> {
        if rules.is_empty() {
            return Ok(Vec::new());
        }
        let wanted = rules
            .iter()
            .map(|rule| key(keys::pupil(school, pupil), earned_sk(rule, cycle)))
            .collect();
        let found = self.get_many(wanted).await?;
        Ok(rules
            .iter()
            .filter(|rule| {
                let sk = earned_sk(rule, cycle);
                found
                    .iter()
                    .any(|item| item.get(keys::SK).and_then(|v| v.as_s().ok()) == Some(&sk))
            })
            .map(|rule| (*rule).to_owned())
            .collect())
    }

    /// Records a certificate a member of staff awarded, with its audit
    /// record, once per request.
    pub async fn award_certificate(
        &self,
        school: &SchoolId,
        certificate: Certificate,
        request_id: &str,
        fingerprint: &str,
        audit: &AuditRecord,
    ) -> Result<AwardResult, StoreError> {
        let record = serde_dynamo::to_item(AwardRecord {
            pk: keys::request(school, request_id),
            sk: SK.to_owned(),
            fingerprint: fingerprint.to_owned(),
            certificate_id: certificate.id.clone(),
        })?;
        let writes = vec![
            conditional_put(&self.table, record, "attribute_not_exists(pk)", vec![])?,
            conditional_put(
                &self.table,
                certificate_item(school, &certificate)?,
                "attribute_not_exists(pk)",
                vec![],
            )?,
            self.audit_write(school, audit)?,
        ];
        if self.transact(writes).await? {
            return Ok(AwardResult::Created(Box::new(certificate)));
        }
        let first: Option<AwardRecord> =
            self.get(key(keys::request(school, request_id), SK)).await?;
        let Some(first) = first else {
            return Err(StoreError::Contended);
        };
        if first.fingerprint != fingerprint {
            return Ok(AwardResult::Mismatch);
        }
        match self.certificate(school, &first.certificate_id).await? {
            Some(found) => Ok(AwardResult::Replayed(Box::new(found))),
            None => Err(StoreError::Corrupt(
                "a hand award's record names a missing certificate".into(),
            )),
        }
    }

    /// One certificate of the school.
    pub async fn certificate(
        &self,
        school: &SchoolId,
        id: &str,
    ) -> Result<Option<Certificate>, StoreError> {
        if id.contains('#') {
            return Ok(None);
        }
        let item: Option<CertificateItem> = self.get(key(certificate_pk(school, id), SK)).await?;
        Ok(item.map(|i| i.certificate))
    }

    /// Takes a certificate off the outbox once its message is on the queue.
    pub async fn mark_certificate_queued(
        &self,
        school: &SchoolId,
        id: &str,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(certificate_pk(school, id), SK)))
            .update_expression("REMOVE outboxShard, outboxAt")
            .condition_expression("attribute_exists(pk)")
            .send()
            .await?;
        Ok(())
    }

    /// Certificates awarded before `before` whose message never reached the
    /// queue, at most `limit` per shard.
    pub async fn unqueued_certificates(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<CertificateMessage>, StoreError> {
        let mut found = Vec::new();
        for shard in 0..OUTBOX_SHARDS {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("outbox")
                .key_condition_expression("outboxShard = :shard AND outboxAt < :before")
                .expression_attribute_values(":shard", s(format!("CERTIFICATES#{shard}")))
                .expression_attribute_values(":before", s(keys::instant(before)))
                .limit(limit as i32)
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                let item: CertificateItem = serde_dynamo::from_item(item)?;
                found.push(CertificateMessage {
                    school_id: item.school_id,
                    certificate_id: item.certificate.id,
                });
            }
        }
        Ok(found)
    }

    /// Claims a certificate's email for one delivery of the job, for
    /// `lease`; a claim left by a delivery that died runs out.
    pub async fn claim_certificate_email(
        &self,
        school: &SchoolId,
        id: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<EmailClaim, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(certificate_pk(school, id), SK)))
            .update_expression("SET emailClaimUntil = :until")
            .condition_expression(
                "attribute_exists(pk) AND emailStatus = :pending AND \
                 (attribute_not_exists(emailClaimUntil) OR emailClaimUntil < :now)",
            )
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":now", s(keys::instant(now)))
            .expression_attribute_values(":until", s(keys::instant(now + lease)))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => {
                let item: CertificateItem =
                    serde_dynamo::from_item(output.attributes.unwrap_or_default())?;
                Ok(EmailClaim::Claimed(Box::new(item.certificate)))
            }
            Err(error) => match StoreError::from(error) {
                StoreError::ConditionFailed => {
                    let item: Option<CertificateItem> =
                        self.get(key(certificate_pk(school, id), SK)).await?;
                    Ok(match item {
                        None => EmailClaim::Missing,
                        Some(i) if i.certificate.email_status != EmailStatus::Pending => {
                            EmailClaim::Done
                        }
                        Some(_) => EmailClaim::Busy,
                    })
                }
                other => Err(other),
            },
        }
    }

    /// Records how a claimed email ended: sent, nobody to send it to, or
    /// everybody suppressed, with how many recipients were left out as
    /// suppressed (`emailSuppressed`, on the item only). Only a pending
    /// certificate changes, so it is recorded once.
    pub async fn finish_certificate_email(
        &self,
        school: &SchoolId,
        id: &str,
        status: EmailStatus,
        suppressed: usize,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let status = match status {
            EmailStatus::Sent => "sent",
            EmailStatus::NoRecipient => "noRecipient",
            EmailStatus::Suppressed => "suppressed",
            EmailStatus::Pending => return Ok(()),
        };
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(certificate_pk(school, id), SK)))
            .update_expression(
                "SET emailStatus = :status, emailedAt = :at, emailSuppressed = :suppressed \
                 REMOVE emailClaimUntil",
            )
            .condition_expression("emailStatus = :pending")
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":status", s(status))
            .expression_attribute_values(":suppressed", n(suppressed))
            .expression_attribute_values(":at", s(keys::instant(at)))
            .send()
            .await?;
        Ok(())
    }

    /// Gives up a claim so that the next delivery may try at once.
    pub async fn release_certificate_email(
        &self,
        school: &SchoolId,
        id: &str,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(certificate_pk(school, id), SK)))
            .update_expression("REMOVE emailClaimUntil")
            .condition_expression("attribute_exists(pk)")
            .send()
            .await?;
        Ok(())
    }

    /// A page of the school's certificates, newest first, and where the
    /// next page starts.
    pub async fn certificates(
        &self,
        school: &SchoolId,
        query: &CertificateQuery,
    ) -> Result<(Vec<Certificate>, Option<HashMap<String, String>>), StoreError> {
        let (index, partition) = match &query.pupil {
            Some(pupil) => ("gsi1", keys::pupil(school, pupil)),
            None => ("gsi4", format!("S#{school}#CERTIFICATES")),
        };
        let low = query.from.map_or_else(
            || "CERTIFICATE#".to_owned(),
            |at| format!("CERTIFICATE#{}", keys::instant(at)),
        );
        let high = query.to.map_or_else(
            || "CERTIFICATE#~".to_owned(),
            |at| format!("CERTIFICATE#{}#~", keys::instant(at)),
        );
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
            .expression_attribute_names("#pk", format!("{index}pk"))
            .expression_attribute_names("#sk", format!("{index}sk"))
            .expression_attribute_values(":pk", s(partition))
            .expression_attribute_values(":low", s(low))
            .expression_attribute_values(":high", s(high))
            .scan_index_forward(false);
        if let Some(year) = &query.year_group {
            request = request
                .filter_expression("yearGroup = :year")
                .expression_attribute_values(":year", s(year));
        }

        let mut found: Vec<CertificateItem> = Vec::new();
        let mut start: Option<Item> = query
            .after
            .as_ref()
            .map(|after| after.iter().map(|(k, v)| (k.clone(), s(v))).collect());
        loop {
            let output = request
                .clone()
                .set_exclusive_start_key(start)
                .limit(100)
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                let item: CertificateItem = serde_dynamo::from_item(item)?;
                let wanted = query
                    .pupils
                    .as_ref()
                    .is_none_or(|pupils| pupils.contains(&item.certificate.pupil_id));
                if !wanted {
                    continue;
                }
                if found.len() == query.limit {
                    let next = position(found.last().expect("limit is at least 1"), index);
                    return Ok((
                        found.into_iter().map(|i| i.certificate).collect(),
                        Some(next),
                    ));
                }
                found.push(item);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok((found.into_iter().map(|i| i.certificate).collect(), None));
            }
        }
    }
}

/// The key a page ended on, to start the next one after it.
fn position(item: &CertificateItem, index: &str) -> HashMap<String, String> {
    let (ipk, isk) = match index {
        "gsi1" => (&item.gsi1pk, &item.gsi1sk),
        _ => (&item.gsi4pk, &item.gsi4sk),
    };
    HashMap::from([
        (keys::PK.to_owned(), item.pk.clone()),
        (keys::SK.to_owned(), item.sk.clone()),
        (format!("{index}pk"), ipk.clone()),
        (format!("{index}sk"), isk.clone()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reached_rules_are_the_unarchived_points_rules_at_or_below_the_total() {
        let mut policy = Policy::default_for_new_school();
        let reached = |policy: &Policy, points| {
            points_rules_reached(policy, points)
                .iter()
                .map(|r| r.id.clone())
                .collect::<Vec<_>>()
        };
        let first = policy
            .certificate_rules
            .iter()
            .filter_map(|r| match r.trigger {
                CertificateTrigger::Points { threshold } => Some((r.id.clone(), threshold)),
                CertificateTrigger::GreenStreak { .. } => None,
            })
            .min_by_key(|(_, t)| *t)
            .expect("the default policy has a points rule");
        assert!(reached(&policy, i64::from(first.1) - 1).is_empty());
        assert!(reached(&policy, i64::from(first.1)).contains(&first.0));
        for rule in &mut policy.certificate_rules {
            rule.archived = true;
        }
        assert!(reached(&policy, 1_000_000).is_empty());
    }

    #[test]
    fn certificate_keys_cannot_reach_another_school() {
        let school = SchoolId::parse("s1").unwrap();
        assert_eq!(certificate_pk(&school, "01J"), "S#s1#CERTIFICATE#01J");
        assert!(outbox_shard("01J").starts_with("CERTIFICATES#"));
        assert_ne!(outbox_shard("x"), keys::outbox_shard("x"));
    }
}
