//! Detention sessions, the detentions pupils are placed in, and the
//! school's notice rule.
//!
//! | item | pk | sk |
//! | --- | --- | --- |
//! | a session, with its places and how many are taken | `S#<school>#DETENTIONSESSION#<id>` | `SESSION` |
//! | a detention of one pupil, placed in a session | `S#<school>#DETENTION#<id>` | `DETENTION` |
//! | the school's detention settings (notice) | `S#<school>#DETENTIONS` | `SETTINGS` |
//! | create request record | `S#<school>#REQUEST#<request id>` | `DETENTION` |
//!
//! | index | pk | sk | holds |
//! | --- | --- | --- | --- |
//! | `gsi4` | `S#<school>#DETENTIONSESSIONS` | `<date>#<HH:MM>#<id>` | the school's sessions by when they start |
//! | `gsi4` | `S#<school>#DETENTIONS` | `<date>#<session>#<id>` | detentions by day, and a session's register |
//! | `gsi1` | `S#<school>#PUPIL#<pupil>` | `DETENTION#<date>#<id>` | a pupil's detentions |
//!
//! A session counts its taken places (`placed`). Every placement adds one
//! to it in the same transaction as the detention, only while it is below
//! `places`, so two teachers placing at once never overfill a session; a
//! cancelled detention gives its place back the same way.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use chrono::{DateTime, NaiveDate, Utc};
use domain::{PupilId, SchoolId, StaffId};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::audit::AuditRecord;
use crate::dynamo::{Item, key, n, s};
use crate::error::StoreError;
use crate::identity::conditional_put;
use crate::keys;

const SESSION: &str = "SESSION";
const DETENTION: &str = "DETENTION";
const SETTINGS: &str = "SETTINGS";

/// The notice a school gives unless it sets its own: one school day.
pub const DEFAULT_NOTICE_DAYS: u8 = 1;

/// A time pupils are kept back: after school, at lunch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DetentionSession {
    pub id: String,
    /// The school's word for it: "after school", "lunch".
    pub kind: String,
    /// The school-local date.
    pub date: NaiveDate,
    /// The school-local start, `HH:MM`.
    pub start_time: String,
    pub minutes: u16,
    pub room: String,
    pub supervisor_id: StaffId,
    /// How many pupils it holds.
    pub places: u32,
    /// How many places are taken.
    #[serde(default)]
    pub placed: u32,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// Where a detention stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DetentionStatus {
    /// Placed in a session, not yet marked.
    Set,
    Attended,
    Missed,
    Excused,
    Cancelled,
}

impl DetentionStatus {
    pub fn name(self) -> &'static str {
        match self {
            DetentionStatus::Set => "set",
            DetentionStatus::Attended => "attended",
            DetentionStatus::Missed => "missed",
            DetentionStatus::Excused => "excused",
            DetentionStatus::Cancelled => "cancelled",
        }
    }
}

/// One pupil's detention in one session. The reason is free text about a
/// child: the debug output shows none of it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Detention {
    pub id: String,
    pub pupil_id: PupilId,
    pub reason: String,
    pub minutes: u16,
    /// The behaviours that led to it.
    #[serde(default)]
    pub behaviour_ids: Vec<String>,
    pub session_id: String,
    pub date: NaiveDate,
    pub start_time: String,
    pub status: DetentionStatus,
    pub set_by: String,
    pub set_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marked_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marked_at: Option<DateTime<Utc>>,
    /// The missed detention this one replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated_from: Option<String>,
    /// The detention that replaced this one when it was missed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated_to: Option<String>,
}

impl std::fmt::Debug for Detention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detention")
            .field("id", &self.id)
            .field("session_id", &self.session_id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Detention {
    /// Whether it holds a place in its session.
    pub fn holds_place(&self) -> bool {
        self.status != DetentionStatus::Cancelled
    }
}

#[derive(Serialize, Deserialize)]
struct SessionItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    session: DetentionSession,
    gsi4pk: String,
    gsi4sk: String,
}

#[derive(Serialize, Deserialize)]
struct DetentionItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    detention: Detention,
    gsi1pk: String,
    gsi1sk: String,
    gsi4pk: String,
    gsi4sk: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRecord {
    pk: String,
    sk: String,
    fingerprint: String,
    detention_id: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SettingsItem {
    pk: String,
    sk: String,
    notice_days: u8,
}

/// What placing a detention did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceResult {
    Placed,
    /// The session has no place left (or is gone).
    Full,
    /// The same request came again: the detention it placed.
    Replayed(String),
    /// The idempotency key already named a different request.
    Mismatch,
}

/// What marking a detention did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkResult {
    Marked,
    /// Someone marked it first.
    Changed,
    /// A session it needed a place in has none left.
    Full,
}

/// Which detentions to list.
#[derive(Debug, Clone)]
pub enum DetentionFilter {
    Pupil(PupilId),
    Day(NaiveDate),
    Session { date: NaiveDate, session_id: String },
}

fn session_pk(school: &SchoolId, id: &str) -> String {
    format!("S#{school}#DETENTIONSESSION#{id}")
}

fn detention_pk(school: &SchoolId, id: &str) -> String {
    format!("S#{school}#DETENTION#{id}")
}

fn all_sessions(school: &SchoolId) -> String {
    format!("S#{school}#DETENTIONSESSIONS")
}

fn all_detentions(school: &SchoolId) -> String {
    format!("S#{school}#DETENTIONS")
}

/// Ids in keys never hold `#`; one that does names nothing.
fn usable(id: &str) -> bool {
    !id.is_empty() && !id.contains('#')
}

fn session_item(school: &SchoolId, session: &DetentionSession) -> Result<Item, StoreError> {
    Ok(serde_dynamo::to_item(SessionItem {
        pk: session_pk(school, &session.id),
        sk: SESSION.to_owned(),
        session: session.clone(),
        gsi4pk: all_sessions(school),
        gsi4sk: format!("{}#{}#{}", session.date, session.start_time, session.id),
    })?)
}

fn detention_item(school: &SchoolId, detention: &Detention) -> Result<Item, StoreError> {
    Ok(serde_dynamo::to_item(DetentionItem {
        pk: detention_pk(school, &detention.id),
        sk: DETENTION.to_owned(),
        detention: detention.clone(),
        gsi1pk: keys::pupil(school, &detention.pupil_id),
        gsi1sk: format!("DETENTION#{}#{}", detention.date, detention.id),
        gsi4pk: all_detentions(school),
        gsi4sk: format!(
            "{}#{}#{}",
            detention.date, detention.session_id, detention.id
        ),
    })?)
}

impl Store {
    /// Moves a session's count of taken places by `by`, taking a place
    /// only while one is free.
    fn take_or_give_place(
        &self,
        school: &SchoolId,
        session_id: &str,
        by: i8,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(session_pk(school, session_id), SESSION)))
            .expression_attribute_values(":by", n(by));
        update = if by > 0 {
            update
                .update_expression("SET placed = placed + :by")
                .condition_expression("attribute_exists(pk) AND placed < places")
        } else {
            update
                .update_expression("SET placed = placed + :by")
                .condition_expression("attribute_exists(pk) AND placed > :zero")
                .expression_attribute_values(":zero", n(0))
        };
        let update = update
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Adds a session with its audit record. False if its id is taken.
    pub async fn create_detention_session(
        &self,
        school: &SchoolId,
        session: &DetentionSession,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut session = session.clone();
        session.placed = 0;
        self.transact(vec![
            conditional_put(
                &self.table,
                session_item(school, &session)?,
                "attribute_not_exists(pk)",
                vec![],
            )?,
            self.audit_write(school, audit)?,
        ])
        .await
    }

    /// One session of the school.
    pub async fn detention_session(
        &self,
        school: &SchoolId,
        id: &str,
    ) -> Result<Option<DetentionSession>, StoreError> {
        if !usable(id) {
            return Ok(None);
        }
        let item: Option<SessionItem> = self.get(key(session_pk(school, id), SESSION)).await?;
        Ok(item.map(|i| i.session))
    }

    /// The school's sessions from `from` to `to` (both included), by when
    /// they start; at most `limit`.
    pub async fn detention_sessions(
        &self,
        school: &SchoolId,
        from: NaiveDate,
        to: NaiveDate,
        limit: usize,
    ) -> Result<Vec<DetentionSession>, StoreError> {
        let items = self
            .index_range(
                all_sessions(school),
                format!("{from}#"),
                format!("{to}#~"),
                limit,
            )
            .await?;
        items
            .into_iter()
            .map(|item| Ok(serde_dynamo::from_item::<_, SessionItem>(item)?.session))
            .collect()
    }

    /// Reads up to `limit` items of one `gsi4` partition between two sort
    /// keys, in order.
    async fn index_range(
        &self,
        pk: String,
        low: String,
        high: String,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("gsi4")
                .key_condition_expression("gsi4pk = :pk AND gsi4sk BETWEEN :low AND :high")
                .expression_attribute_values(":pk", s(&pk))
                .expression_attribute_values(":low", s(&low))
                .expression_attribute_values(":high", s(&high))
                .set_exclusive_start_key(start)
                .send()
                .await?;
            found.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() || found.len() >= limit {
                found.truncate(limit);
                return Ok(found);
            }
        }
    }

    /// Places a new detention in its session, taking one of its places,
    /// with its audit record, once per request.
    pub async fn place_detention(
        &self,
        school: &SchoolId,
        detention: &Detention,
        request: (&str, &str),
        audit: &AuditRecord,
    ) -> Result<PlaceResult, StoreError> {
        let (request_id, fingerprint) = request;
        let record = serde_dynamo::to_item(CreateRecord {
            pk: keys::request(school, request_id),
            sk: DETENTION.to_owned(),
            fingerprint: fingerprint.to_owned(),
            detention_id: detention.id.clone(),
        })?;
        let writes = vec![
            conditional_put(&self.table, record, "attribute_not_exists(pk)", vec![])?,
            self.take_or_give_place(school, &detention.session_id, 1)?,
            conditional_put(
                &self.table,
                detention_item(school, detention)?,
                "attribute_not_exists(pk)",
                vec![],
            )?,
            self.audit_write(school, audit)?,
        ];
        if self.transact(writes).await? {
            return Ok(PlaceResult::Placed);
        }
        let earlier: Option<CreateRecord> = self
            .get(key(keys::request(school, request_id), DETENTION))
            .await?;
        Ok(match earlier {
            None => PlaceResult::Full,
            Some(earlier) if earlier.fingerprint != fingerprint => PlaceResult::Mismatch,
            Some(earlier) => PlaceResult::Replayed(earlier.detention_id),
        })
    }

    /// Writes `marked` over the detention if it is still as `read` was,
    /// moving its session's count when it gives up or takes back a place,
    /// and placing `escalation` (taking a place in its session) in the same
    /// transaction, with the audit record.
    pub async fn mark_detention(
        &self,
        school: &SchoolId,
        read: &Detention,
        marked: &Detention,
        escalation: Option<&Detention>,
        audit: &AuditRecord,
    ) -> Result<MarkResult, StoreError> {
        let mut writes = vec![
            conditional_put(
                &self.table,
                detention_item(school, marked)?,
                "#status = :read AND attribute_exists(pk)",
                vec![(":read", s(read.status.name()))],
            )
            .map(with_status_name)?,
            self.audit_write(school, audit)?,
        ];
        match (read.holds_place(), marked.holds_place()) {
            (true, false) => writes.push(self.take_or_give_place(school, &read.session_id, -1)?),
            (false, true) => writes.push(self.take_or_give_place(school, &read.session_id, 1)?),
            _ => {}
        }
        if let Some(escalation) = escalation {
            writes.push(self.take_or_give_place(school, &escalation.session_id, 1)?);
            writes.push(conditional_put(
                &self.table,
                detention_item(school, escalation)?,
                "attribute_not_exists(pk)",
                vec![],
            )?);
        }
        if self.transact(writes).await? {
            return Ok(MarkResult::Marked);
        }
        match self.detention(school, &read.id).await? {
            Some(now) if now.status == read.status => Ok(MarkResult::Full),
            _ => Ok(MarkResult::Changed),
        }
    }

    /// One detention of the school.
    pub async fn detention(
        &self,
        school: &SchoolId,
        id: &str,
    ) -> Result<Option<Detention>, StoreError> {
        if !usable(id) {
            return Ok(None);
        }
        let item: Option<DetentionItem> =
            self.get(key(detention_pk(school, id), DETENTION)).await?;
        Ok(item.map(|i| i.detention))
    }

    /// A page of detentions (a pupil's newest first; a day's and a
    /// session's in order), and where the next page starts.
    pub async fn detentions(
        &self,
        school: &SchoolId,
        filter: &DetentionFilter,
        status: Option<DetentionStatus>,
        limit: usize,
        after: Option<HashMap<String, String>>,
    ) -> Result<(Vec<Detention>, Option<HashMap<String, String>>), StoreError> {
        let (index, pk, prefix, forward) = match filter {
            DetentionFilter::Pupil(pupil) => (
                "gsi1",
                keys::pupil(school, pupil),
                "DETENTION#".to_owned(),
                false,
            ),
            DetentionFilter::Day(date) => {
                ("gsi4", all_detentions(school), format!("{date}#"), true)
            }
            DetentionFilter::Session { date, session_id } => (
                "gsi4",
                all_detentions(school),
                format!("{date}#{session_id}#"),
                true,
            ),
        };
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression(format!("{index}pk = :pk AND begins_with({index}sk, :p)"))
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":p", s(prefix))
            .scan_index_forward(forward);
        if let Some(status) = status {
            request = request
                .filter_expression("#status = :status")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":status", s(status.name()));
        }
        let mut found: Vec<DetentionItem> = Vec::new();
        let mut start: Option<Item> =
            after.map(|after| after.into_iter().map(|(k, v)| (k, s(v))).collect());
        loop {
            let output = request
                .clone()
                .set_exclusive_start_key(start)
                .limit(100)
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                let item: DetentionItem = serde_dynamo::from_item(item)?;
                if found.len() == limit {
                    let last = found.last().expect("limit is at least 1");
                    let (ipk, isk) = if index == "gsi1" {
                        (last.gsi1pk.clone(), last.gsi1sk.clone())
                    } else {
                        (last.gsi4pk.clone(), last.gsi4sk.clone())
                    };
                    let next = HashMap::from([
                        (keys::PK.to_owned(), last.pk.clone()),
                        (keys::SK.to_owned(), last.sk.clone()),
                        (format!("{index}pk"), ipk),
                        (format!("{index}sk"), isk),
                    ]);
                    return Ok((found.into_iter().map(|i| i.detention).collect(), Some(next)));
                }
                found.push(item);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok((found.into_iter().map(|i| i.detention).collect(), None));
            }
        }
    }

    /// How many school days' notice a detention needs.
    pub async fn detention_notice_days(&self, school: &SchoolId) -> Result<u8, StoreError> {
        let item: Option<SettingsItem> = self.get(key(all_detentions(school), SETTINGS)).await?;
        Ok(item.map_or(DEFAULT_NOTICE_DAYS, |i| i.notice_days))
    }

    /// Sets how many school days' notice a detention needs, with the audit
    /// record.
    pub async fn set_detention_notice_days(
        &self,
        school: &SchoolId,
        days: u8,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let item = serde_dynamo::to_item(SettingsItem {
            pk: all_detentions(school),
            sk: SETTINGS.to_owned(),
            notice_days: days,
        })?;
        let written = self
            .transact(vec![
                crate::identity::plain_put(&self.table, item)?,
                self.audit_write(school, audit)?,
            ])
            .await?;
        if written {
            Ok(())
        } else {
            Err(StoreError::Contended)
        }
    }
}

/// `status` is a reserved word in DynamoDB expressions.
fn with_status_name(write: TransactWriteItem) -> TransactWriteItem {
    let put = write.put.expect("a conditional put");
    let put = aws_sdk_dynamodb::types::Put::builder()
        .table_name(put.table_name)
        .set_item(Some(put.item))
        .set_condition_expression(put.condition_expression)
        .set_expression_attribute_values(put.expression_attribute_values)
        .expression_attribute_names("#status", "status")
        .build()
        .expect("the put was built before");
    TransactWriteItem::builder().put(put).build()
}
