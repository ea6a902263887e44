//! Incident forms, their versions, and the deliveries of safeguarding
//! concerns to the school's safeguarding system.
//!
//! | item | pk | sk |
//! | --- | --- | --- |
//! | form: its current version, status and summary | `S#<school>#INCIDENT#<id>` | `INCIDENT` |
//! | one version of the form, never changed once written | `S#<school>#INCIDENT#<id>` | `V#<version, 10 digits>` |
//! | one delivery of a safeguarding concern | `S#<school>#INCIDENT#<id>` | `DELIVERY#<version, 10 digits>` |
//! | create request record | `S#<school>#REQUEST#<request id>` | `INCIDENT` |
//! | the school's safeguarding settings | `S#<school>#SAFEGUARDING` | `SETTINGS` |
//!
//! Every change (an edit, or a move from draft to submitted, reviewed or
//! closed) writes a new version item and puts the form item over the old
//! one only if it still holds the version the editor read, in one
//! transaction with the audit record and, for a safeguarding concern, the
//! delivery record: nothing is overwritten, two editors never lose each
//! other's work, and a delivery is never lost between the table and the
//! queue. The form item carries the summary lists need (no narrative) on
//! `gsi4` (`S#<school>#INCIDENTS`, by when it happened); a delivery waits
//! on the sparse `outbox` index (`SAFEGUARDING#<n>`) until its message is
//! on the `safeguarding` queue.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Duration, Utc};
use domain::{PupilId, SchoolId, StaffId};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::audit::AuditRecord;
use crate::dynamo::{Item, key, n, s};
use crate::error::StoreError;
use crate::identity::conditional_put;
use crate::keys;

const FORM: &str = "INCIDENT";
const SETTINGS: &str = "SETTINGS";

/// How many outbox shards waiting deliveries spread over.
const OUTBOX_SHARDS: u8 = 2;

/// Where a form stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IncidentStatus {
    Draft,
    Submitted,
    Reviewed,
    Closed,
}

impl IncidentStatus {
    pub fn name(self) -> &'static str {
        match self {
            IncidentStatus::Draft => "draft",
            IncidentStatus::Submitted => "submitted",
            IncidentStatus::Reviewed => "reviewed",
            IncidentStatus::Closed => "closed",
        }
    }
}

/// What a pupil had to do with an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PupilPart {
    Target,
    Aggressor,
    Witness,
    Involved,
}

/// A pupil named on a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvolvedPupil {
    pub pupil_id: PupilId,
    pub role: PupilPart,
}

/// What a form says. Holds narrative about children: its debug output
/// shows none of it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentContent {
    pub pupils: Vec<InvolvedPupil>,
    pub staff_ids: Vec<StaffId>,
    pub occurred_at: DateTime<Utc>,
    pub place: String,
    pub category: String,
    pub what_happened: String,
    pub action_taken: String,
    pub witnesses: Vec<String>,
    pub safeguarding: bool,
}

impl std::fmt::Debug for IncidentContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncidentContent")
            .field("pupils", &self.pupils.len())
            .field("safeguarding", &self.safeguarding)
            .finish_non_exhaustive()
    }
}

/// What a version of a form did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IncidentChange {
    Created,
    Edited,
    Submitted,
    Reviewed,
    Closed,
}

/// One version of a form, as it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentVersion {
    pub incident_id: String,
    pub version: u32,
    pub status: IncidentStatus,
    pub change: IncidentChange,
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
    #[serde(flatten)]
    pub content: IncidentContent,
}

/// A form as lists show it: who, when, where it stands; no narrative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentSummary {
    pub id: String,
    pub version: u32,
    pub status: IncidentStatus,
    /// The user who wrote it.
    pub author: String,
    pub safeguarding: bool,
    pub pupils: Vec<InvolvedPupil>,
    pub category: String,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The version whose delivery is the latest, for a safeguarding concern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_version: Option<u32>,
}

impl IncidentSummary {
    /// The summary of a form after `version`.
    pub fn of(
        version: &IncidentVersion,
        author: &str,
        created_at: DateTime<Utc>,
        delivery_version: Option<u32>,
    ) -> Self {
        Self {
            id: version.incident_id.clone(),
            version: version.version,
            status: version.status,
            author: author.to_owned(),
            safeguarding: version.content.safeguarding,
            pupils: version.content.pupils.clone(),
            category: version.content.category.clone(),
            occurred_at: version.content.occurred_at,
            created_at,
            updated_at: version.changed_at,
            delivery_version,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FormItem {
    pk: String,
    sk: String,
    school_id: SchoolId,
    #[serde(flatten)]
    summary: IncidentSummary,
    /// The pupils' ids alone, for the list's pupil filter.
    pupil_ids: Vec<String>,
    gsi4pk: String,
    gsi4sk: String,
}

#[derive(Serialize, Deserialize)]
struct VersionItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    version: IncidentVersion,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRecord {
    pk: String,
    sk: String,
    fingerprint: String,
    incident_id: String,
}

/// What creating a form did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateResult {
    Created,
    /// The same request came again: the form it created.
    Replayed(String),
    /// The idempotency key already named a different request.
    Mismatch,
}

/// Where a delivery of a safeguarding concern stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DeliveryState {
    /// Not yet acknowledged, and not yet tried.
    Pending,
    /// The school's system acknowledged it.
    Delivered,
    /// The last try failed; more may follow.
    Failed,
}

/// One delivery of one version of a safeguarding concern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// The form's id and version: `<form>-v<version>`.
    pub id: String,
    pub incident_id: String,
    pub version: u32,
    pub state: DeliveryState,
    pub attempts: u32,
    /// What went wrong last, as a short kind (`status-503`, `timeout`);
    /// never a response body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emailed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Delivery {
    /// A new delivery of `version` of a form.
    pub fn pending(incident_id: &str, version: u32, at: DateTime<Utc>) -> Self {
        Self {
            id: delivery_id(incident_id, version),
            incident_id: incident_id.to_owned(),
            version,
            state: DeliveryState::Pending,
            attempts: 0,
            last_error: None,
            delivered_at: None,
            emailed_at: None,
            created_at: at,
        }
    }
}

/// The stable id of the delivery of one version of a form.
pub fn delivery_id(incident_id: &str, version: u32) -> String {
    format!("{incident_id}-v{version}")
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeliveryItem {
    pk: String,
    sk: String,
    school_id: SchoolId,
    #[serde(flatten)]
    delivery: Delivery,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outbox_shard: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outbox_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email_claim_until: Option<String>,
}

/// The message on the `safeguarding` queue: which delivery to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SafeguardingMessage {
    pub school_id: SchoolId,
    pub incident_id: String,
    pub version: u32,
}

impl SafeguardingMessage {
    pub fn body(&self) -> String {
        serde_json::to_string(self).expect("a safeguarding message is JSON")
    }

    pub fn delivery_id(&self) -> String {
        delivery_id(&self.incident_id, self.version)
    }
}

/// How one try of a delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Acknowledged(DateTime<Utc>),
    /// Refused or not answered, with the kind of failure.
    Failed(String),
}

/// Whether one try of the job may send a delivery's email to the DSL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryEmailClaim {
    Claimed,
    /// Sent already.
    Done,
    /// Another try is sending it now.
    Busy,
}

/// Which forms to list, newest first.
#[derive(Debug, Clone)]
pub struct IncidentQuery {
    pub pupil: Option<PupilId>,
    pub status: Option<IncidentStatus>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub visible: Visibility,
    pub limit: usize,
    pub after: Option<HashMap<String, String>>,
}

/// Which forms a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Every form (the DSL and leaders).
    All,
    /// Forms that are not safeguarding concerns, and their own (pastoral).
    NotSafeguardingOrOwn(String),
    /// Only the forms they wrote.
    Own(String),
}

impl Visibility {
    /// Whether a form is visible.
    pub fn sees(&self, form: &IncidentSummary) -> bool {
        match self {
            Visibility::All => true,
            Visibility::NotSafeguardingOrOwn(me) => !form.safeguarding || &form.author == me,
            Visibility::Own(me) => &form.author == me,
        }
    }
}

/// Where a school's safeguarding concerns go. The secret signs every
/// delivery; it is shown once when made and never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SafeguardingSettings {
    pub webhook_url: String,
    pub secret: String,
    pub secret_set_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl std::fmt::Debug for SafeguardingSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafeguardingSettings")
            .field("secret_set_at", &self.secret_set_at)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct SettingsItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    settings: SafeguardingSettings,
}

fn form_pk(school: &SchoolId, id: &str) -> String {
    format!("S#{school}#INCIDENT#{id}")
}

fn version_sk(version: u32) -> String {
    format!("V#{version:010}")
}

fn delivery_sk(version: u32) -> String {
    format!("DELIVERY#{version:010}")
}

fn settings_pk(school: &SchoolId) -> String {
    format!("S#{school}#SAFEGUARDING")
}

fn all_incidents(school: &SchoolId) -> String {
    format!("S#{school}#INCIDENTS")
}

fn timeline(occurred_at: DateTime<Utc>, id: &str) -> String {
    format!("INCIDENT#{}#{id}", keys::instant(occurred_at))
}

fn outbox_shard(id: &str) -> String {
    let hash = id
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("SAFEGUARDING#{}", hash % u32::from(OUTBOX_SHARDS))
}

fn form_item(school: &SchoolId, summary: &IncidentSummary) -> Result<Item, StoreError> {
    Ok(serde_dynamo::to_item(FormItem {
        pk: form_pk(school, &summary.id),
        sk: FORM.to_owned(),
        school_id: school.clone(),
        summary: summary.clone(),
        pupil_ids: summary
            .pupils
            .iter()
            .map(|p| p.pupil_id.to_string())
            .collect(),
        gsi4pk: all_incidents(school),
        gsi4sk: timeline(summary.occurred_at, &summary.id),
    })?)
}

fn version_item(school: &SchoolId, version: &IncidentVersion) -> Result<Item, StoreError> {
    Ok(serde_dynamo::to_item(VersionItem {
        pk: form_pk(school, &version.incident_id),
        sk: version_sk(version.version),
        version: version.clone(),
    })?)
}

fn delivery_item(school: &SchoolId, delivery: &Delivery) -> Result<Item, StoreError> {
    Ok(serde_dynamo::to_item(DeliveryItem {
        pk: form_pk(school, &delivery.incident_id),
        sk: delivery_sk(delivery.version),
        school_id: school.clone(),
        delivery: delivery.clone(),
        outbox_shard: Some(outbox_shard(&delivery.id)),
        outbox_at: Some(keys::instant(delivery.created_at)),
        email_claim_until: None,
    })?)
}

/// Ids in keys never hold `#`; one that does names nothing.
fn usable(id: &str) -> bool {
    !id.is_empty() && !id.contains('#')
}

impl Store {
    /// Writes a new form's first version with its audit record, once per
    /// request.
    pub async fn create_incident(
        &self,
        school: &SchoolId,
        first: &IncidentVersion,
        request_id: &str,
        fingerprint: &str,
        audit: &AuditRecord,
    ) -> Result<CreateResult, StoreError> {
        let summary = IncidentSummary::of(first, &first.changed_by, first.changed_at, None);
        let record = serde_dynamo::to_item(CreateRecord {
            pk: keys::request(school, request_id),
            sk: FORM.to_owned(),
            fingerprint: fingerprint.to_owned(),
            incident_id: first.incident_id.clone(),
        })?;
        let writes = vec![
            conditional_put(&self.table, record, "attribute_not_exists(pk)", vec![])?,
            conditional_put(
                &self.table,
                form_item(school, &summary)?,
                "attribute_not_exists(pk)",
                vec![],
            )?,
            conditional_put(
                &self.table,
                version_item(school, first)?,
                "attribute_not_exists(pk)",
                vec![],
            )?,
            self.audit_write(school, audit)?,
        ];
        if self.transact(writes).await? {
            return Ok(CreateResult::Created);
        }
        let earlier: Option<CreateRecord> = self
            .get(key(keys::request(school, request_id), FORM))
            .await?;
        match earlier {
            None => Err(StoreError::Contended),
            Some(earlier) if earlier.fingerprint != fingerprint => Ok(CreateResult::Mismatch),
            Some(earlier) => Ok(CreateResult::Replayed(earlier.incident_id)),
        }
    }

    /// Writes `next` as the form's new version if the form is still at
    /// `read`, with its audit record and, when given, a new delivery, all
    /// or nothing. False if the form changed meanwhile.
    pub async fn change_incident(
        &self,
        school: &SchoolId,
        read: u32,
        summary: &IncidentSummary,
        next: &IncidentVersion,
        delivery: Option<&Delivery>,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        if next.version != read + 1 || summary.version != next.version {
            return Err(StoreError::Corrupt(format!(
                "incident version {} cannot follow {read}",
                next.version
            )));
        }
        let mut writes = vec![
            conditional_put(
                &self.table,
                form_item(school, summary)?,
                "version = :read",
                vec![(":read", n(read))],
            )?,
            conditional_put(
                &self.table,
                version_item(school, next)?,
                "attribute_not_exists(pk)",
                vec![],
            )?,
            self.audit_write(school, audit)?,
        ];
        if let Some(delivery) = delivery {
            writes.push(conditional_put(
                &self.table,
                delivery_item(school, delivery)?,
                "attribute_not_exists(pk)",
                vec![],
            )?);
        }
        self.transact(writes).await
    }

    /// A form of the school, as lists show it.
    pub async fn incident(
        &self,
        school: &SchoolId,
        id: &str,
    ) -> Result<Option<IncidentSummary>, StoreError> {
        if !usable(id) {
            return Ok(None);
        }
        let item: Option<FormItem> = self.get(key(form_pk(school, id), FORM)).await?;
        Ok(item.map(|i| i.summary))
    }

    /// One version of a form.
    pub async fn incident_version(
        &self,
        school: &SchoolId,
        id: &str,
        version: u32,
    ) -> Result<Option<IncidentVersion>, StoreError> {
        if !usable(id) {
            return Ok(None);
        }
        let item: Option<VersionItem> = self
            .get(key(form_pk(school, id), version_sk(version)))
            .await?;
        Ok(item.map(|i| i.version))
    }

    /// Every version of a form, oldest first.
    pub async fn incident_history(
        &self,
        school: &SchoolId,
        id: &str,
    ) -> Result<Vec<IncidentVersion>, StoreError> {
        if !usable(id) {
            return Ok(Vec::new());
        }
        let mut versions = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :versions)")
                .expression_attribute_values(":pk", s(form_pk(school, id)))
                .expression_attribute_values(":versions", s("V#"))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                let item: VersionItem = serde_dynamo::from_item(item)?;
                versions.push(item.version);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(versions);
            }
        }
    }

    /// A page of the forms a caller may see, newest first by when they
    /// happened, and where the next page starts.
    pub async fn incidents(
        &self,
        school: &SchoolId,
        query: &IncidentQuery,
    ) -> Result<(Vec<IncidentSummary>, Option<HashMap<String, String>>), StoreError> {
        let low = query.from.map_or_else(
            || "INCIDENT#".to_owned(),
            |at| format!("INCIDENT#{}", keys::instant(at)),
        );
        let high = query.to.map_or_else(
            || "INCIDENT#~".to_owned(),
            |at| format!("INCIDENT#{}#~", keys::instant(at)),
        );
        let mut filters = Vec::new();
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi4")
            .key_condition_expression("gsi4pk = :pk AND gsi4sk BETWEEN :low AND :high")
            .expression_attribute_values(":pk", s(all_incidents(school)))
            .expression_attribute_values(":low", s(low))
            .expression_attribute_values(":high", s(high))
            .scan_index_forward(false);
        if let Some(status) = query.status {
            filters.push("#status = :status");
            request = request
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":status", s(status.name()));
        }
        if let Some(pupil) = &query.pupil {
            filters.push("contains(pupilIds, :pupil)");
            request = request.expression_attribute_values(":pupil", s(pupil.as_str()));
        }
        match &query.visible {
            Visibility::All => {}
            Visibility::NotSafeguardingOrOwn(me) => {
                filters.push("(safeguarding = :no OR author = :me)");
                request = request
                    .expression_attribute_values(
                        ":no",
                        aws_sdk_dynamodb::types::AttributeValue::Bool(false),
                    )
                    .expression_attribute_values(":me", s(me));
            }
            Visibility::Own(me) => {
                filters.push("author = :me");
                request = request.expression_attribute_values(":me", s(me));
            }
        }
        if !filters.is_empty() {
            request = request.filter_expression(filters.join(" AND "));
        }

        let mut found: Vec<FormItem> = Vec::new();
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
                let item: FormItem = serde_dynamo::from_item(item)?;
                // The filter above already holds; this keeps the wall if
                // it were ever dropped.
                if !query.visible.sees(&item.summary) {
                    continue;
                }
                if found.len() == query.limit {
                    let last = found.last().expect("limit is at least 1");
                    let next = HashMap::from([
                        (keys::PK.to_owned(), last.pk.clone()),
                        (keys::SK.to_owned(), last.sk.clone()),
                        ("gsi4pk".to_owned(), last.gsi4pk.clone()),
                        ("gsi4sk".to_owned(), last.gsi4sk.clone()),
                    ]);
                    return Ok((found.into_iter().map(|i| i.summary).collect(), Some(next)));
                }
                found.push(item);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok((found.into_iter().map(|i| i.summary).collect(), None));
            }
        }
    }

    /// The delivery of one version of a form.
    pub async fn delivery(
        &self,
        school: &SchoolId,
        incident: &str,
        version: u32,
    ) -> Result<Option<Delivery>, StoreError> {
        if !usable(incident) {
            return Ok(None);
        }
        let item: Option<DeliveryItem> = self
            .get(key(form_pk(school, incident), delivery_sk(version)))
            .await?;
        Ok(item.map(|i| i.delivery))
    }

    /// Takes a delivery off the outbox once its message is on the queue.
    pub async fn mark_delivery_queued(
        &self,
        school: &SchoolId,
        incident: &str,
        version: u32,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(form_pk(school, incident), delivery_sk(version))))
            .update_expression("REMOVE outboxShard, outboxAt")
            .condition_expression("attribute_exists(pk)")
            .send()
            .await?;
        Ok(())
    }

    /// Deliveries made before `before` whose message never reached the
    /// queue, at most `limit` per shard.
    pub async fn unqueued_deliveries(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<SafeguardingMessage>, StoreError> {
        let mut found = Vec::new();
        for shard in 0..OUTBOX_SHARDS {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("outbox")
                .key_condition_expression("outboxShard = :shard AND outboxAt < :before")
                .expression_attribute_values(":shard", s(format!("SAFEGUARDING#{shard}")))
                .expression_attribute_values(":before", s(keys::instant(before)))
                .limit(i32::try_from(limit).unwrap_or(i32::MAX))
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                let item: DeliveryItem = serde_dynamo::from_item(item)?;
                found.push(SafeguardingMessage {
                    school_id: item.school_id,
                    incident_id: item.delivery.incident_id,
                    version: item.delivery.version,
                });
            }
        }
        Ok(found)
    }

    /// Records one try of a delivery. An acknowledgement is recorded once
    /// (a delivered delivery never changes again); a failure counts the
    /// try unless the delivery was acknowledged meanwhile. Answers the
    /// delivery as it now stands.
    pub async fn record_delivery_attempt(
        &self,
        school: &SchoolId,
        incident: &str,
        version: u32,
        attempt: &Attempt,
    ) -> Result<Option<Delivery>, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(form_pk(school, incident), delivery_sk(version))))
            .condition_expression("attribute_exists(pk) AND #state <> :delivered")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":delivered", s("delivered"))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        update = match attempt {
            Attempt::Acknowledged(at) => update
                .update_expression(
                    "SET #state = :delivered, deliveredAt = :at, attempts = attempts + :one \
                     REMOVE lastError",
                )
                .expression_attribute_values(":at", s(keys::instant(*at))),
            Attempt::Failed(kind) => update
                .update_expression(
                    "SET #state = :failed, lastError = :kind, attempts = attempts + :one",
                )
                .expression_attribute_values(":failed", s("failed"))
                .expression_attribute_values(":kind", s(kind)),
        };
        match update.send().await {
            Ok(output) => {
                let item: DeliveryItem =
                    serde_dynamo::from_item(output.attributes.unwrap_or_default())?;
                Ok(Some(item.delivery))
            }
            Err(error) => match StoreError::from(error) {
                StoreError::ConditionFailed => self.delivery(school, incident, version).await,
                other => Err(other),
            },
        }
    }

    /// Claims the DSL's email about a delivery for one try of the job, for
    /// `lease`; a claim left by a try that died runs out.
    pub async fn claim_delivery_email(
        &self,
        school: &SchoolId,
        incident: &str,
        version: u32,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<DeliveryEmailClaim, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(form_pk(school, incident), delivery_sk(version))))
            .update_expression("SET emailClaimUntil = :until")
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(emailedAt) AND \
                 (attribute_not_exists(emailClaimUntil) OR emailClaimUntil < :now)",
            )
            .expression_attribute_values(":now", s(keys::instant(now)))
            .expression_attribute_values(":until", s(keys::instant(now + lease)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(DeliveryEmailClaim::Claimed),
            Err(error) => match StoreError::from(error) {
                StoreError::ConditionFailed => {
                    let found = self.delivery(school, incident, version).await?;
                    Ok(match found {
                        Some(d) if d.emailed_at.is_none() => DeliveryEmailClaim::Busy,
                        _ => DeliveryEmailClaim::Done,
                    })
                }
                other => Err(other),
            },
        }
    }

    /// Records the DSL's email about a delivery as sent, once.
    pub async fn finish_delivery_email(
        &self,
        school: &SchoolId,
        incident: &str,
        version: u32,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(form_pk(school, incident), delivery_sk(version))))
            .update_expression("SET emailedAt = :at REMOVE emailClaimUntil")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(emailedAt)")
            .expression_attribute_values(":at", s(keys::instant(at)))
            .send()
            .await?;
        Ok(())
    }

    /// Gives up a claim so that the next try may send at once.
    pub async fn release_delivery_email(
        &self,
        school: &SchoolId,
        incident: &str,
        version: u32,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(form_pk(school, incident), delivery_sk(version))))
            .update_expression("REMOVE emailClaimUntil")
            .condition_expression("attribute_exists(pk)")
            .send()
            .await?;
        Ok(())
    }

    /// The school's safeguarding settings, if set.
    pub async fn safeguarding_settings(
        &self,
        school: &SchoolId,
    ) -> Result<Option<SafeguardingSettings>, StoreError> {
        let item: Option<SettingsItem> = self.get(key(settings_pk(school), SETTINGS)).await?;
        Ok(item.map(|i| i.settings))
    }

    /// Replaces the school's safeguarding settings with their audit
    /// record, all or nothing: only if they were last set at `read`
    /// (none: never set), so two leaders never undo each other's change
    /// unseen. False if they changed meanwhile.
    pub async fn save_safeguarding_settings(
        &self,
        school: &SchoolId,
        read: Option<DateTime<Utc>>,
        settings: &SafeguardingSettings,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let item = serde_dynamo::to_item(SettingsItem {
            pk: settings_pk(school),
            sk: SETTINGS.to_owned(),
            settings: settings.clone(),
        })?;
        let put = match read {
            None => conditional_put(&self.table, item, "attribute_not_exists(pk)", vec![])?,
            Some(at) => conditional_put(
                &self.table,
                item,
                "updatedAt = :read",
                vec![(":read", s(keys::instant(at)))],
            )?,
        };
        self.transact(vec![put, self.audit_write(school, audit)?])
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_deliveries_sort_by_number_and_stay_in_the_school() {
        assert!(version_sk(9) < version_sk(10));
        assert!(delivery_sk(9) < delivery_sk(10));
        let school = SchoolId::parse("s1").unwrap();
        assert_eq!(form_pk(&school, "01J"), "S#s1#INCIDENT#01J");
        assert!(!usable("01J#V#1"));
        assert!(outbox_shard("x").starts_with("SAFEGUARDING#"));
        assert_eq!(delivery_id("01J", 3), "01J-v3");
    }

    #[test]
    fn visibility_keeps_safeguarding_concerns_from_pastoral_staff() {
        let at = Utc::now();
        let form = |author: &str, safeguarding: bool| IncidentSummary {
            id: "01J".into(),
            version: 1,
            status: IncidentStatus::Submitted,
            author: author.into(),
            safeguarding,
            pupils: vec![],
            category: "bullying".into(),
            occurred_at: at,
            created_at: at,
            updated_at: at,
            delivery_version: None,
        };
        let pastoral = Visibility::NotSafeguardingOrOwn("p".into());
        assert!(pastoral.sees(&form("t", false)));
        assert!(!pastoral.sees(&form("t", true)));
        assert!(pastoral.sees(&form("p", true)));
        assert!(!Visibility::Own("t".into()).sees(&form("x", false)));
        assert!(Visibility::All.sees(&form("x", true)));
    }
}
