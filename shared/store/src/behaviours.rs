//! Behaviours, the lights they move and the points they earn.
//!
//! Logging is a command: the request record, written in the same
//! transaction as the first behaviours, holds the whole command, how far it
//! has got and, once done, the answer and the event to publish. A retry with
//! the same request id finds the record and replays the answer; a command cut
//! short (a crash between transactions) is finished by whoever finds it
//! next, with the ids it planned, so nothing is written twice.
//!
//! A transaction holds at most 100 writes. Each pupil needs four (the
//! behaviour, the light, their all-time points and their points this
//! cycle), and each batch one more for the request record, one for the
//! audit record, one for the class's points and one for each house among
//! its pupils ([`crate::points`]): so a class is written in batches planned
//! from its pupils' houses when the command is made, about 23 pupils to a
//! transaction, each batch atomic, each pupil's writes in the same batch.
//! The plan comes from the command alone, so whoever finishes a command
//! splits it as its first writer did.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::light::LightSummary;
use domain::{
    Behaviour, BehaviourEvent, BehaviourFact, BehaviourId, ClassId, Ladder, Light, LightEntry,
    LightScope, PupilId, SchoolId, StaffId, Withdrawal,
};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::audit::AuditRecord;
use crate::dynamo::{Item, backoff, key, n, s, text};
use crate::error::StoreError;
use crate::keys;
use crate::points::{CycleItem, PupilPlace, class_points_write, house_points_write, house_shard};

/// The most writes DynamoDB takes in one transaction.
const MAX_TRANSACTION_WRITES: usize = 100;

/// The writes of each batch besides its pupils and houses: the request
/// record, the audit record and the class's points.
const BATCH_WRITES: usize = 3;

/// The writes of each pupil: the behaviour, the light, the all-time points
/// and the points of the cycle.
const PUPIL_WRITES: usize = 4;

/// Pupils per transaction of a command accepted before points were kept
/// per cycle, class and house, which is finished the way it was begun.
const PUPILS_PER_UNCOUNTED_TRANSACTION: usize = 32;

/// How often a write that collides with another is tried again.
const MAX_ATTEMPTS: u32 = 8;

/// How long a request record (and so its idempotency key) is kept.
const RECORD_LIFETIME: Duration = Duration::hours(48);

/// Everything needed to apply a log request, fixed when it was accepted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogCommand {
    pub school: SchoolId,
    pub request_id: String,
    /// A digest of the request, so a reused idempotency key with another
    /// request is recognised.
    pub fingerprint: String,
    pub light_scope: LightScope,
    pub ladder: Ladder,
    /// One per pupil, ids already chosen.
    pub behaviours: Vec<Behaviour>,
    pub accepted_at: DateTime<Utc>,
    /// Written with the first batch.
    pub audit: AuditRecord,
    /// The points cycle the behaviours count in: the policy's cycle of
    /// their lesson date. Empty only in commands accepted before points
    /// were kept per cycle.
    #[serde(default)]
    pub cycle: String,
    /// Each pupil's year and house when the behaviour was logged.
    #[serde(default)]
    pub places: HashMap<PupilId, PupilPlace>,
    /// The class's name and year, for the class leaderboard.
    #[serde(default)]
    pub class_name: String,
    #[serde(default)]
    pub class_year: String,
}

impl LogCommand {
    /// Whether points are counted per cycle, class and house.
    fn counts_points(&self) -> bool {
        !self.cycle.is_empty()
    }

    /// Where each batch starts and ends: as many pupils as fit in one
    /// transaction with the houses they bring.
    fn plan(&self) -> Vec<std::ops::Range<usize>> {
        let mut batches = Vec::new();
        let mut start = 0;
        let mut writes = BATCH_WRITES;
        let mut houses: Vec<&str> = Vec::new();
        for (i, behaviour) in self.behaviours.iter().enumerate() {
            let house = self
                .places
                .get(&behaviour.pupil_id)
                .and_then(|p| p.house.as_deref());
            let new_house = house.filter(|h| !houses.contains(h));
            let needed = PUPIL_WRITES + usize::from(new_house.is_some());
            let full = if self.counts_points() {
                writes + needed > MAX_TRANSACTION_WRITES
            } else {
                i - start == PUPILS_PER_UNCOUNTED_TRANSACTION
            };
            if full {
                batches.push(start..i);
                start = i;
                writes = BATCH_WRITES;
                houses.clear();
            }
            writes += PUPIL_WRITES;
            if let Some(house) = house.filter(|h| !houses.contains(h)) {
                houses.push(house);
                writes += 1;
            }
        }
        if start < self.behaviours.len() {
            batches.push(start..self.behaviours.len());
        }
        batches
    }

    fn batches(&self) -> usize {
        self.plan().len()
    }

    fn batch(&self, index: usize) -> &[Behaviour] {
        &self.behaviours[self.plan()[index].clone()]
    }

    /// The queue message for the whole command.
    pub fn event_body(&self) -> String {
        to_json(&self.event())
    }

    fn event(&self) -> BehaviourEvent {
        BehaviourEvent::Logged {
            school_id: self.school.clone(),
            request_id: self.request_id.clone(),
            behaviours: self
                .behaviours
                .iter()
                .map(|b| {
                    let place = self.places.get(&b.pupil_id);
                    BehaviourFact::from(b).placed(
                        place.and_then(|p| p.year_group.clone()),
                        place.and_then(|p| p.house.clone()),
                    )
                })
                .collect(),
        }
    }
}

/// A pupil's light as apps show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LightState {
    pub date: NaiveDate,
    /// The stage's name on the school's ladder, such as "Amber".
    pub stage: String,
    pub colour: String,
    /// The stage's position on the ladder, 0 being the first.
    pub steps: u8,
    pub positives: u32,
    pub negatives: u32,
    /// Points earned (or lost) in this lesson or day.
    pub points: i64,
}

impl LightState {
    pub fn new(date: NaiveDate, summary: LightSummary, ladder: &Ladder) -> Self {
        let (steps, stage) = ladder.stage(summary.steps);
        Self {
            date,
            stage: stage.name.clone(),
            colour: stage.colour.clone(),
            steps,
            positives: summary.positives,
            negatives: summary.negatives,
            points: summary.points,
        }
    }
}

/// One pupil's behaviour with their light and points after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PupilOutcome {
    pub behaviour: Behaviour,
    pub light: LightState,
    /// The pupil's points across all lessons.
    pub total_points: i64,
}

/// What became of a log command.
#[derive(Debug)]
pub enum LogResult {
    /// Written now.
    Applied(Vec<PupilOutcome>),
    /// Written before under the same request id; the first answer.
    Replayed(Vec<PupilOutcome>),
    /// The request id was used before for a different request.
    Mismatch,
}

/// A request to withdraw one behaviour.
#[derive(Debug, Clone)]
pub struct WithdrawCommand {
    pub school: SchoolId,
    pub request_id: String,
    pub fingerprint: String,
    pub behaviour_id: BehaviourId,
    pub withdrawal: Withdrawal,
    pub ladder: Ladder,
    /// Whether the caller may withdraw behaviours others logged.
    pub may_withdraw_any: bool,
    pub audit: AuditRecord,
}

/// What became of a withdrawal.
#[derive(Debug)]
pub enum WithdrawResult {
    /// Withdrawn now; the event to publish comes with it.
    Withdrawn {
        outcome: PupilOutcome,
        event: String,
    },
    Replayed(PupilOutcome),
    NotFound,
    AlreadyWithdrawn,
    /// Logged by someone else, and the caller may only withdraw their own.
    NotYours,
    Mismatch,
}

/// A filter over the school's behaviours, newest first.
#[derive(Debug, Clone, Default)]
pub struct BehaviourQuery {
    pub pupil: Option<PupilId>,
    pub class: Option<ClassId>,
    pub staff: Option<StaffId>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: usize,
    /// Where the previous page ended.
    pub after: Option<HashMap<String, String>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LightItem {
    pk: String,
    sk: String,
    pupil_id: String,
    date: NaiveDate,
    #[serde(default)]
    entries: Vec<LightEntry>,
    steps: u8,
    positives: u32,
    negatives: u32,
    points: i64,
    version: u64,
}

/// How many lesson dates of negative behaviour a pupil's totals keep; older
/// ones are dropped and, when needed, found on the pupil's timeline.
const NEGATIVE_DATES_KEPT: usize = 32;

/// A pupil's all-time points, with how many positive and negative
/// behaviours they earned them in (hand awards move the points only), and
/// how many negatives stand on each of their latest lesson dates with any,
/// for green streaks.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TotalsItem {
    pk: String,
    sk: String,
    pupil_id: String,
    pub points: i64,
    positives: u64,
    negatives: u64,
    /// Live negatives by ISO lesson date, so a withdrawal of the latest
    /// one uncovers the one before.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    negative_dates: BTreeMap<String, u64>,
    pub version: u64,
}

impl TotalsItem {
    pub(crate) fn fresh(school: &SchoolId, pupil: &PupilId) -> Self {
        Self {
            pk: keys::pupil(school, pupil),
            sk: keys::TOTALS.to_owned(),
            pupil_id: pupil.to_string(),
            ..Self::default()
        }
    }

    pub(crate) fn pupil_id(&self) -> &str {
        &self.pupil_id
    }

    /// What the totals know of the pupil's latest standing negative.
    pub(crate) fn last_negative(&self) -> LastNegative {
        let dated: u64 = self.negative_dates.values().sum();
        let latest = self
            .negative_dates
            .keys()
            .next_back()
            .and_then(|d| d.parse::<NaiveDate>().ok());
        match latest {
            Some(date) => LastNegative::On(date),
            // Negatives logged before dates were kept, or whose dates were
            // dropped as old: the timeline has them.
            None if self.negatives > dated => LastNegative::Undated,
            None => LastNegative::None,
        }
    }

    /// Counts a negative in (`sign` 1) or out (`sign` -1) of its lesson date.
    fn date_negative(&mut self, date: NaiveDate, sign: i64) {
        let day = date.to_string();
        let count = self.negative_dates.entry(day.clone()).or_default();
        *count = count.saturating_add_signed(sign);
        if *count == 0 {
            self.negative_dates.remove(&day);
        }
        while self.negative_dates.len() > NEGATIVE_DATES_KEPT {
            self.negative_dates.pop_first();
        }
    }
}

/// A pupil's latest standing negative behaviour, as their totals know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LastNegative {
    None,
    On(NaiveDate),
    /// There is one, but its date is only on the timeline.
    Undated,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FactItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    gsi2pk: String,
    gsi2sk: String,
    gsi3pk: String,
    gsi3sk: String,
    gsi4pk: String,
    gsi4sk: String,
    /// The light this behaviour was counted in, whatever the policy says now.
    #[serde(rename = "lightPk")]
    light_pk: String,
    /// The points cycle and the house its points were counted in, so that a
    /// withdrawal takes them back from there.
    #[serde(
        rename = "pointsCycle",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    points_cycle: Option<String>,
    #[serde(
        rename = "pointsHouse",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    points_house: Option<String>,
    /// The request that logged it, so the charts' reconciliation can tell
    /// whether its event was counted. Absent on behaviours logged before
    /// charts were kept.
    #[serde(rename = "requestId", default, skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    /// The pupil's year group and house when it was logged.
    #[serde(rename = "pupilYear", default, skip_serializing_if = "Option::is_none")]
    pupil_year: Option<String>,
    #[serde(
        rename = "pupilHouse",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pupil_house: Option<String>,
    #[serde(flatten)]
    behaviour: Behaviour,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WithdrawalItem {
    pk: String,
    sk: String,
    behaviour_id: BehaviourId,
    #[serde(flatten)]
    withdrawal: Withdrawal,
}

/// The request record: idempotency, progress, answer and outbox in one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RecordItem {
    pub pk: String,
    pub sk: String,
    pub school_id: SchoolId,
    pub request_id: String,
    pub kind: String,
    pub fingerprint: String,
    /// The command as JSON, kept until done so anyone can finish it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    pub batches: u32,
    pub batches_done: u32,
    /// Each done batch's outcomes as JSON.
    #[serde(default)]
    pub outcomes: Vec<String>,
    /// The queue message, once the command is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox_shard: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox_at: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: i64,
}

impl RecordItem {
    fn outcomes(&self) -> Result<Vec<PupilOutcome>, StoreError> {
        let mut all = Vec::new();
        for batch in &self.outcomes {
            let outcomes: Vec<PupilOutcome> =
                serde_json::from_str(batch).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            all.extend(outcomes);
        }
        Ok(all)
    }
}

/// The lights, all-time points and cycle points of some pupils, as read.
type PupilReads = (
    HashMap<(String, PupilId), LightItem>,
    HashMap<PupilId, TotalsItem>,
    HashMap<PupilId, CycleItem>,
);

enum BatchResult {
    Applied(Vec<PupilOutcome>),
    /// Another writer holds or has moved the request record.
    Claimed,
}

pub(crate) fn put(
    table: &str,
    item: Item,
    condition: &str,
    values: Vec<(&str, aws_sdk_dynamodb::types::AttributeValue)>,
) -> Result<TransactWriteItem, StoreError> {
    let mut put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition);
    for (name, value) in values {
        put = put.expression_attribute_values(name, value);
    }
    let put = put
        .build()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// A put that succeeds only if nobody changed the item since it was read.
pub(crate) fn versioned_put(
    table: &str,
    item: Item,
    read_version: Option<u64>,
) -> Result<TransactWriteItem, StoreError> {
    match read_version {
        Some(version) => put(table, item, "version = :read", vec![(":read", n(version))]),
        None => put(table, item, "attribute_not_exists(pk)", vec![]),
    }
}

pub(crate) fn is_cancelled(
    error: &SdkError<TransactWriteItemsError, impl std::fmt::Debug>,
) -> bool {
    matches!(
        error.as_service_error(),
        Some(
            TransactWriteItemsError::TransactionCanceledException(_)
                | TransactWriteItemsError::TransactionInProgressException(_)
        )
    )
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("store values serialise")
}

impl Store {
    /// Applies a log command, or replays it if its request id was seen.
    pub async fn log_behaviours(&self, command: LogCommand) -> Result<LogResult, StoreError> {
        let mut command = command;
        let mut outcomes = Vec::with_capacity(command.behaviours.len());
        let mut done = 0;
        let mut replayed = false;

        while done < command.batches() {
            match self.apply_batch(&command, done).await? {
                BatchResult::Applied(batch) => {
                    outcomes.extend(batch);
                    done += 1;
                }
                BatchResult::Claimed => {
                    let Some(record) = self.record(&command.school, &command.request_id).await?
                    else {
                        continue;
                    };
                    if record.kind != "log" || record.fingerprint != command.fingerprint {
                        return Ok(LogResult::Mismatch);
                    }
                    if let Some(stored) = &record.command {
                        command = serde_json::from_str(stored)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    }
                    outcomes = record.outcomes()?;
                    done = record.batches_done as usize;
                    replayed = true;
                }
            }
        }

        Ok(if replayed {
            LogResult::Replayed(outcomes)
        } else {
            LogResult::Applied(outcomes)
        })
    }

    /// Finishes a log command that an earlier run left half done.
    pub(crate) async fn resume_log(&self, record: &RecordItem) -> Result<(), StoreError> {
        let Some(stored) = &record.command else {
            return Ok(());
        };
        let command: LogCommand =
            serde_json::from_str(stored).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.log_behaviours(command).await.map(|_| ())
    }

    async fn apply_batch(
        &self,
        command: &LogCommand,
        index: usize,
    ) -> Result<BatchResult, StoreError> {
        let batch = command.batch(index);
        let light_pk = |b: &Behaviour| {
            keys::lights(
                &command.school,
                command.light_scope,
                &b.class_id,
                b.lesson_date,
            )
        };

        let cycle = Some(command.cycle.as_str()).filter(|_| command.counts_points());
        for attempt in 0..MAX_ATTEMPTS {
            let (lights, totals, cycles) = self
                .lights_and_totals(
                    &command.school,
                    batch.iter().map(|b| (light_pk(b), b.pupil_id.clone())),
                    cycle,
                )
                .await?;

            let mut writes = Vec::with_capacity(MAX_TRANSACTION_WRITES);
            let mut outcomes = Vec::with_capacity(batch.len());
            let mut class_points = 0;
            let mut house_points: Vec<(&str, i64)> = Vec::new();
            for behaviour in batch {
                let pk = light_pk(behaviour);
                let (light, read_light) = lights
                    .get(&(pk.clone(), behaviour.pupil_id.clone()))
                    .cloned()
                    .map_or_else(
                        || {
                            (
                                self.fresh_light(&pk, &behaviour.pupil_id, behaviour.lesson_date),
                                None,
                            )
                        },
                        |l| {
                            let version = l.version;
                            (l, Some(version))
                        },
                    );
                let (total, read_total) = totals.get(&behaviour.pupil_id).cloned().map_or_else(
                    || (fresh_totals(&command.school, &behaviour.pupil_id), None),
                    |t| {
                        let version = t.version;
                        (t, Some(version))
                    },
                );

                let entry = LightEntry {
                    behaviour_id: behaviour.id,
                    positive: behaviour.positive,
                    steps: behaviour.steps,
                    points: behaviour.points,
                };
                let light = relight(light, &command.ladder, |l| l.record(entry));
                let total = count(total, behaviour, 1);

                outcomes.push(PupilOutcome {
                    behaviour: behaviour.clone(),
                    light: light_state(&light, &command.ladder),
                    total_points: total.points,
                });
                let place = command.places.get(&behaviour.pupil_id);
                let house = place
                    .and_then(|p| p.house.as_deref())
                    .filter(|_| cycle.is_some());
                let mut fact = fact_item(&command.school, &pk, behaviour);
                fact.points_cycle = cycle.map(str::to_owned);
                fact.points_house = house.map(str::to_owned);
                fact.request_id = Some(command.request_id.clone());
                fact.pupil_year = place.and_then(|p| p.year_group.clone());
                fact.pupil_house = place.and_then(|p| p.house.clone());
                writes.push(put(
                    &self.table,
                    serde_dynamo::to_item(fact)?,
                    "attribute_not_exists(pk)",
                    vec![],
                )?);
                writes.push(versioned_put(
                    &self.table,
                    serde_dynamo::to_item(&light)?,
                    read_light,
                )?);
                writes.push(versioned_put(
                    &self.table,
                    serde_dynamo::to_item(&total)?,
                    read_total,
                )?);

                let Some(cycle) = cycle else {
                    continue;
                };
                let points = i64::from(behaviour.points);
                let read_cycle = cycles.get(&behaviour.pupil_id).map(|c| c.version);
                let this_cycle = cycles
                    .get(&behaviour.pupil_id)
                    .cloned()
                    .unwrap_or_else(|| {
                        CycleItem::fresh(&command.school, &behaviour.pupil_id, cycle)
                    })
                    .add(&command.school, points, place);
                writes.push(versioned_put(
                    &self.table,
                    serde_dynamo::to_item(&this_cycle)?,
                    read_cycle,
                )?);
                class_points += points;
                if let Some(house) = house {
                    match house_points.iter_mut().find(|(h, _)| *h == house) {
                        Some((_, sum)) => *sum += points,
                        None => house_points.push((house, points)),
                    }
                }
            }
            if let (Some(cycle), Some(first)) = (cycle, batch.first()) {
                let shard = house_shard(&format!("{}#{index}", command.request_id));
                if class_points != 0 {
                    writes.push(class_points_write(
                        &self.table,
                        &command.school,
                        &first.class_id,
                        cycle,
                        class_points,
                        Some((&command.class_name, &command.class_year)),
                    )?);
                }
                for (house, points) in house_points.into_iter().filter(|(_, p)| *p != 0) {
                    writes.push(house_points_write(
                        &self.table,
                        &command.school,
                        house,
                        cycle,
                        shard,
                        points,
                    )?);
                }
            }
            writes.push(self.record_write(command, index, &outcomes)?);
            if index == 0 {
                writes.push(self.audit_write(&command.school, &command.audit)?);
            }

            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(writes))
                .send()
                .await;
            match sent {
                Ok(_) => return Ok(BatchResult::Applied(outcomes)),
                Err(error) if is_cancelled(&error) => {
                    let progress = self.record(&command.school, &command.request_id).await?;
                    let claimed = match progress {
                        Some(record) => index == 0 || record.batches_done as usize != index,
                        None => false,
                    };
                    if claimed {
                        return Ok(BatchResult::Claimed);
                    }
                    tracing::debug!(attempt, "behaviour write collided; trying again");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Contended)
    }

    /// The record's part of a batch: created by the first batch, advanced by
    /// each later one only if no one else advanced it first.
    fn record_write(
        &self,
        command: &LogCommand,
        index: usize,
        outcomes: &[PupilOutcome],
    ) -> Result<TransactWriteItem, StoreError> {
        let last = index + 1 == command.batches();
        let event = last.then(|| to_json(&command.event()));
        if index == 0 {
            let record = RecordItem {
                pk: keys::request(&command.school, &command.request_id),
                sk: keys::REQUEST.to_owned(),
                school_id: command.school.clone(),
                request_id: command.request_id.clone(),
                kind: "log".to_owned(),
                fingerprint: command.fingerprint.clone(),
                command: (!last).then(|| to_json(command)),
                batches: command.batches() as u32,
                batches_done: 1,
                outcomes: vec![to_json(&outcomes)],
                event,
                outbox_shard: Some(keys::outbox_shard(&command.request_id)),
                outbox_at: Some(keys::instant(command.accepted_at)),
                created_at: command.accepted_at,
                expires_at: (command.accepted_at + RECORD_LIFETIME).timestamp(),
            };
            return put(
                &self.table,
                serde_dynamo::to_item(record)?,
                "attribute_not_exists(pk)",
                vec![],
            );
        }

        let mut expression =
            "SET batchesDone = :next, outcomes = list_append(outcomes, :outcomes)".to_owned();
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(
                keys::request(&command.school, &command.request_id),
                keys::REQUEST,
            )))
            .condition_expression("batchesDone = :done")
            .expression_attribute_values(":done", n(index))
            .expression_attribute_values(":next", n(index + 1))
            .expression_attribute_values(
                ":outcomes",
                aws_sdk_dynamodb::types::AttributeValue::L(vec![s(to_json(&outcomes))]),
            );
        if let Some(event) = event {
            expression.push_str(", event = :event REMOVE command");
            update = update.expression_attribute_values(":event", s(event));
        }
        let update = update
            .update_expression(expression)
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    fn fresh_light(&self, pk: &str, pupil: &PupilId, date: NaiveDate) -> LightItem {
        LightItem {
            pk: pk.to_owned(),
            sk: keys::member(pupil),
            pupil_id: pupil.to_string(),
            date,
            ..LightItem::default()
        }
    }

    /// Reads the current lights and points of some pupils in one request,
    /// with their points in `cycle` if one is given.
    async fn lights_and_totals(
        &self,
        school: &SchoolId,
        wanted: impl Iterator<Item = (String, PupilId)>,
        cycle: Option<&str>,
    ) -> Result<PupilReads, StoreError> {
        let mut keys_wanted = Vec::new();
        for (light_pk, pupil) in wanted {
            keys_wanted.push(key(light_pk, keys::member(&pupil)));
            keys_wanted.push(key(keys::pupil(school, &pupil), keys::TOTALS));
            if let Some(cycle) = cycle {
                keys_wanted.push(key(keys::pupil(school, &pupil), keys::points(cycle)));
            }
        }

        let mut lights = HashMap::new();
        let mut totals = HashMap::new();
        let mut cycles = HashMap::new();
        for item in self.get_many(keys_wanted).await? {
            let sk = text(&item, keys::SK).unwrap_or_default();
            if sk.starts_with("POINTS#") {
                let this_cycle: CycleItem = serde_dynamo::from_item(item)?;
                let pupil = PupilId::parse(this_cycle.pupil_id())
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                cycles.insert(pupil, this_cycle);
            } else if sk == keys::TOTALS {
                let total: TotalsItem = serde_dynamo::from_item(item)?;
                let pupil = PupilId::parse(&total.pupil_id)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                totals.insert(pupil, total);
            } else {
                let light: LightItem = serde_dynamo::from_item(item)?;
                let pupil = PupilId::parse(&light.pupil_id)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                lights.insert((light.pk.clone(), pupil), light);
            }
        }
        Ok((lights, totals, cycles))
    }

    pub(crate) async fn record(
        &self,
        school: &SchoolId,
        request_id: &str,
    ) -> Result<Option<RecordItem>, StoreError> {
        self.get(key(keys::request(school, request_id), keys::REQUEST))
            .await
    }

    /// Withdraws a behaviour logged by mistake: a new fact, the light folded
    /// again without it, the points taken back, all in one transaction.
    pub async fn withdraw(&self, command: WithdrawCommand) -> Result<WithdrawResult, StoreError> {
        let school = &command.school;
        for attempt in 0..MAX_ATTEMPTS {
            if let Some(answer) = self.replay_withdrawal(&command).await? {
                return Ok(answer);
            }
            let Some(fact) = self.fact(school, command.behaviour_id).await? else {
                return Ok(WithdrawResult::NotFound);
            };
            if fact.behaviour.withdrawal.is_some() {
                return Ok(WithdrawResult::AlreadyWithdrawn);
            }
            if !command.may_withdraw_any
                && fact.behaviour.logged_by != command.withdrawal.withdrawn_by
            {
                return Ok(WithdrawResult::NotYours);
            }

            let pupil = fact.behaviour.pupil_id.clone();
            let cycle = fact.points_cycle.as_deref();
            let (lights, totals, cycles) = self
                .lights_and_totals(
                    school,
                    std::iter::once((fact.light_pk.clone(), pupil.clone())),
                    cycle,
                )
                .await?;
            let light = lights.get(&(fact.light_pk.clone(), pupil.clone())).cloned();
            let total = totals.get(&pupil).cloned();
            let (Some(light), Some(total)) = (light, total) else {
                return Err(StoreError::Corrupt(
                    "a behaviour without its light or points".into(),
                ));
            };
            let (read_light, read_total) = (light.version, total.version);

            let light = relight(light, &command.ladder, |l| {
                l.withdraw(command.behaviour_id);
            });
            let total = count(total, &fact.behaviour, -1);

            let mut behaviour = fact.behaviour.clone();
            behaviour.withdrawal = Some(command.withdrawal.clone());
            let outcome = PupilOutcome {
                behaviour: behaviour.clone(),
                light: light_state(&light, &command.ladder),
                total_points: total.points,
            };
            let event = BehaviourEvent::Withdrawn {
                school_id: school.clone(),
                request_id: command.request_id.clone(),
                withdrawal_id: command.withdrawal.id,
                behaviour: BehaviourFact::from(&fact.behaviour)
                    .placed(fact.pupil_year.clone(), fact.pupil_house.clone()),
                withdrawn_at: command.withdrawal.withdrawn_at,
                withdrawn_by: command.withdrawal.withdrawn_by.clone(),
            };

            let withdrawal = WithdrawalItem {
                pk: fact.pk.clone(),
                sk: keys::withdrawal(command.withdrawal.id),
                behaviour_id: command.behaviour_id,
                withdrawal: command.withdrawal.clone(),
            };
            let mark = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(fact.pk.clone(), keys::BEHAVIOUR)))
                .update_expression("SET withdrawal = :withdrawal")
                .condition_expression("attribute_exists(pk) AND attribute_not_exists(withdrawal)")
                .expression_attribute_values(
                    ":withdrawal",
                    aws_sdk_dynamodb::types::AttributeValue::M(serde_dynamo::to_item(
                        &command.withdrawal,
                    )?),
                )
                .build()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let accepted_at = command.withdrawal.withdrawn_at;
            let record = RecordItem {
                pk: keys::request(school, &command.request_id),
                sk: keys::REQUEST.to_owned(),
                school_id: school.clone(),
                request_id: command.request_id.clone(),
                kind: "withdraw".to_owned(),
                fingerprint: command.fingerprint.clone(),
                command: None,
                batches: 1,
                batches_done: 1,
                outcomes: vec![to_json(&vec![outcome.clone()])],
                event: Some(to_json(&event)),
                outbox_shard: Some(keys::outbox_shard(&command.request_id)),
                outbox_at: Some(keys::instant(accepted_at)),
                created_at: accepted_at,
                expires_at: (accepted_at + RECORD_LIFETIME).timestamp(),
            };

            let mut writes = vec![
                put(
                    &self.table,
                    serde_dynamo::to_item(withdrawal)?,
                    "attribute_not_exists(pk)",
                    vec![],
                )?,
                TransactWriteItem::builder().update(mark).build(),
                versioned_put(
                    &self.table,
                    serde_dynamo::to_item(&light)?,
                    Some(read_light),
                )?,
                versioned_put(
                    &self.table,
                    serde_dynamo::to_item(&total)?,
                    Some(read_total),
                )?,
                put(
                    &self.table,
                    serde_dynamo::to_item(record)?,
                    "attribute_not_exists(pk)",
                    vec![],
                )?,
                self.audit_write(&command.school, &command.audit)?,
            ];
            if let Some(cycle) = cycle {
                writes.extend(self.take_back_points(
                    school,
                    &fact,
                    cycle,
                    cycles.get(&pupil).cloned(),
                    &command.request_id,
                )?);
            }
            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(writes))
                .send()
                .await
            {
                Ok(_) => {
                    return Ok(WithdrawResult::Withdrawn {
                        outcome,
                        event: to_json(&event),
                    });
                }
                Err(error) if is_cancelled(&error) => {
                    tracing::debug!(attempt, "withdrawal collided; trying again");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Contended)
    }

    /// The writes that take a withdrawn behaviour's points back from the
    /// pupil's cycle, the class and the house it was counted in.
    fn take_back_points(
        &self,
        school: &SchoolId,
        fact: &FactItem,
        cycle: &str,
        this_cycle: Option<CycleItem>,
        request_id: &str,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let behaviour = &fact.behaviour;
        let points = -i64::from(behaviour.points);
        let read_cycle = this_cycle.as_ref().map(|c| c.version);
        let this_cycle = this_cycle
            .unwrap_or_else(|| CycleItem::fresh(school, &behaviour.pupil_id, cycle))
            .add(school, points, None);
        let mut writes = vec![versioned_put(
            &self.table,
            serde_dynamo::to_item(&this_cycle)?,
            read_cycle,
        )?];
        if points != 0 {
            writes.push(class_points_write(
                &self.table,
                school,
                &behaviour.class_id,
                cycle,
                points,
                None,
            )?);
            if let Some(house) = &fact.points_house {
                writes.push(house_points_write(
                    &self.table,
                    school,
                    house,
                    cycle,
                    house_shard(request_id),
                    points,
                )?);
            }
        }
        Ok(writes)
    }

    async fn replay_withdrawal(
        &self,
        command: &WithdrawCommand,
    ) -> Result<Option<WithdrawResult>, StoreError> {
        let Some(record) = self.record(&command.school, &command.request_id).await? else {
            return Ok(None);
        };
        if record.kind != "withdraw" || record.fingerprint != command.fingerprint {
            return Ok(Some(WithdrawResult::Mismatch));
        }
        let outcome = record.outcomes()?.into_iter().next();
        Ok(outcome.map(WithdrawResult::Replayed))
    }

    async fn fact(
        &self,
        school: &SchoolId,
        id: BehaviourId,
    ) -> Result<Option<FactItem>, StoreError> {
        self.get(key(keys::behaviour(school, id), keys::BEHAVIOUR))
            .await
    }

    /// One behaviour of this school, with its withdrawal if any.
    pub async fn behaviour(
        &self,
        school: &SchoolId,
        id: BehaviourId,
    ) -> Result<Option<Behaviour>, StoreError> {
        Ok(self.fact(school, id).await?.map(|f| f.behaviour))
    }

    /// A page of the school's behaviours, newest first, and where the next
    /// page starts.
    pub async fn behaviours(
        &self,
        school: &SchoolId,
        query: &BehaviourQuery,
    ) -> Result<(Vec<Behaviour>, Option<HashMap<String, String>>), StoreError> {
        let (index, partition) = match (&query.pupil, &query.class, &query.staff) {
            (Some(pupil), _, _) => ("gsi1", keys::pupil(school, pupil)),
            (None, Some(class), _) => ("gsi2", keys::class(school, class)),
            (None, None, Some(staff)) => ("gsi3", keys::staff(school, staff)),
            (None, None, None) => ("gsi4", keys::all_behaviours(school)),
        };
        let (low, high) = keys::timeline_bounds(query.from, query.to);

        let mut filters = Vec::new();
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
        // The index covers the most selective filter; the others filter its
        // results. A pupil always picks gsi1, so only class and staff remain.
        if let Some(class) = query.class.as_ref().filter(|_| index == "gsi1") {
            filters.push("classId = :class");
            request = request.expression_attribute_values(":class", s(class.as_str()));
        }
        if let Some(staff) = query.staff.as_ref().filter(|_| index != "gsi3") {
            filters.push("loggedBy = :staff");
            request = request.expression_attribute_values(":staff", s(staff.as_str()));
        }
        if !filters.is_empty() {
            request = request.filter_expression(filters.join(" AND "));
        }

        let mut found = Vec::new();
        let mut start = query.after.as_ref().map(|after| {
            after
                .iter()
                .map(|(k, v)| (k.clone(), s(v.clone())))
                .collect()
        });
        loop {
            let output = request
                .clone()
                .set_exclusive_start_key(start)
                .limit((query.limit - found.len()) as i32 + 1)
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                if found.len() == query.limit {
                    let last: &FactItem = found.last().expect("limit is at least 1");
                    let next = position(last, index);
                    return Ok((
                        found.into_iter().map(|f: FactItem| f.behaviour).collect(),
                        Some(next),
                    ));
                }
                found.push(serde_dynamo::from_item(item)?);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok((found.into_iter().map(|f| f.behaviour).collect(), None));
            }
        }
    }

    /// The lights of some pupils in one lesson (or day); pupils with no
    /// behaviour yet are green.
    pub async fn lights(
        &self,
        school: &SchoolId,
        scope: LightScope,
        class: &ClassId,
        date: NaiveDate,
        pupils: &[PupilId],
        ladder: &Ladder,
    ) -> Result<HashMap<PupilId, LightState>, StoreError> {
        let pk = keys::lights(school, scope, class, date);
        let wanted = pupils
            .iter()
            .map(|p| key(pk.clone(), keys::member(p)))
            .collect();
        let mut lights: HashMap<PupilId, LightState> = pupils
            .iter()
            .map(|p| {
                (
                    p.clone(),
                    LightState::new(date, Light::default().summary(ladder), ladder),
                )
            })
            .collect();
        for item in self.get_many(wanted).await? {
            let light: LightItem = serde_dynamo::from_item(item)?;
            if let Ok(pupil) = PupilId::parse(&light.pupil_id) {
                lights.insert(pupil, light_state(&light, ladder));
            }
        }
        Ok(lights)
    }

    /// Takes a request record off the outbox once its event is on the queue.
    pub async fn mark_published(
        &self,
        school: &SchoolId,
        request_id: &str,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::request(school, request_id), keys::REQUEST)))
            .update_expression("REMOVE outboxShard, outboxAt")
            .condition_expression("attribute_exists(pk)")
            .send()
            .await?;
        Ok(())
    }
}

fn position(fact: &FactItem, index: &str) -> HashMap<String, String> {
    let (pk, sk) = match index {
        "gsi1" => (&fact.gsi1pk, &fact.gsi1sk),
        "gsi2" => (&fact.gsi2pk, &fact.gsi2sk),
        "gsi3" => (&fact.gsi3pk, &fact.gsi3sk),
        _ => (&fact.gsi4pk, &fact.gsi4sk),
    };
    HashMap::from([
        ("pk".to_owned(), fact.pk.clone()),
        ("sk".to_owned(), fact.sk.clone()),
        (format!("{index}pk"), pk.clone()),
        (format!("{index}sk"), sk.clone()),
    ])
}

fn fact_item(school: &SchoolId, light_pk: &str, behaviour: &Behaviour) -> FactItem {
    let timeline = keys::timeline(behaviour.occurred_at, behaviour.id);
    FactItem {
        pk: keys::behaviour(school, behaviour.id),
        sk: keys::BEHAVIOUR.to_owned(),
        gsi1pk: keys::pupil(school, &behaviour.pupil_id),
        gsi1sk: timeline.clone(),
        gsi2pk: keys::class(school, &behaviour.class_id),
        gsi2sk: timeline.clone(),
        gsi3pk: keys::staff(school, &behaviour.logged_by),
        gsi3sk: timeline.clone(),
        gsi4pk: keys::all_behaviours(school),
        gsi4sk: timeline,
        light_pk: light_pk.to_owned(),
        points_cycle: None,
        points_house: None,
        request_id: None,
        pupil_year: None,
        pupil_house: None,
        behaviour: behaviour.clone(),
    }
}

fn fresh_totals(school: &SchoolId, pupil: &PupilId) -> TotalsItem {
    TotalsItem::fresh(school, pupil)
}

/// Changes a light's entries and stores the new fold beside them.
fn relight(mut item: LightItem, ladder: &Ladder, change: impl FnOnce(&mut Light)) -> LightItem {
    let mut light = Light {
        entries: std::mem::take(&mut item.entries),
    };
    change(&mut light);
    let summary = light.summary(ladder);
    LightItem {
        entries: light.entries,
        steps: summary.steps.min(ladder.top()),
        positives: summary.positives,
        negatives: summary.negatives,
        points: summary.points,
        version: item.version + 1,
        ..item
    }
}

fn light_state(item: &LightItem, ladder: &Ladder) -> LightState {
    let light = Light {
        entries: item.entries.clone(),
    };
    LightState::new(item.date, light.summary(ladder), ladder)
}

/// Adds (`sign` 1) or takes back (`sign` -1) a behaviour's points and count.
fn count(mut total: TotalsItem, behaviour: &Behaviour, sign: i64) -> TotalsItem {
    total.points += sign * i64::from(behaviour.points);
    let counter = if behaviour.positive {
        &mut total.positives
    } else {
        &mut total.negatives
    };
    *counter = counter.saturating_add_signed(sign);
    if !behaviour.positive {
        total.date_negative(behaviour.lesson_date, sign);
    }
    total.version += 1;
    total
}
