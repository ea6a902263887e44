//! Chart aggregates: the tallies that charts read, and the marks that make
//! each behaviour event count once.
//!
//! | item | pk | sk |
//! | --- | --- | --- |
//! | the school's tally of one day | `S#<school>#CHARTS` | `DAY#<date>` |
//! | one pupil, class, year, house, member of staff, type or group in one week | `S#<school>#CHARTS#<monday>` | `<dimension>#<id>` |
//! | a logged event counted | `S#<school>#REQUEST#<request>` | `CHARTED` (or `CHARTED#<behaviour>` for one part of a large one) |
//! | a withdrawal counted | `S#<school>#BEHAVIOUR#<behaviour>` | `CHARTED#<withdrawal>` |
//!
//! A term's school chart is one Query of the day items; a week's pupils
//! (or classes, staff...) are one Query of that week's partition; one
//! pupil's weeks are one BatchGetItem. None of it grows with the number of
//! behaviours.
//!
//! A tally's counts are top-level number attributes (`pos`, `neg`, `pts`,
//! `T#<type>`, `P#<cell>`, `N#<cell>`), so a fold adds to them with one
//! `ADD` whether or not the item or the attribute exists yet. Each write
//! also adds one to `rev`, which the reconciliation uses to tell whether an
//! item changed under it.
//!
//! Exactly once: the marks of the events a transaction folds are put in the
//! same transaction as the tallies, each on condition that it does not
//! exist yet. A transaction that finds one already there is cancelled as a
//! whole; the marks are read again, the events already counted dropped, and
//! the rest written.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Put, Select, TransactWriteItem, Update,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::charts::{AggregateKey, Dimension, Fold, Labels, Tally};
use domain::{Behaviour, BehaviourId, PupilId, SchoolId};
use serde::Deserialize;

use crate::Store;
use crate::behaviours::is_cancelled;
use crate::dynamo::{Item, backoff, key, n, s, text};
use crate::error::StoreError;
use crate::keys;

/// The most writes DynamoDB takes in one transaction.
const MAX_TRANSACTION_WRITES: usize = 100;

/// How long a mark is kept: longer than a message can live on the queue
/// and then on its dead-letter queue.
const MARK_LIFETIME: Duration = Duration::days(35);

/// How often a fold that collides with another writer is tried again.
const MAX_ATTEMPTS: u32 = 8;

/// Which event a mark stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventMark {
    /// A log request, whole.
    Logged { request_id: String },
    /// One behaviour of a log request too large for one transaction. It
    /// also checks that the whole request is not marked.
    LoggedPart {
        request_id: String,
        behaviour: BehaviourId,
    },
    /// A withdrawal.
    Withdrawn {
        behaviour: BehaviourId,
        withdrawal: BehaviourId,
    },
}

impl EventMark {
    fn key(&self, school: &SchoolId) -> Item {
        match self {
            EventMark::Logged { request_id } => key(keys::request(school, request_id), "CHARTED"),
            EventMark::LoggedPart {
                request_id,
                behaviour,
            } => key(
                keys::request(school, request_id),
                format!("CHARTED#{behaviour}"),
            ),
            EventMark::Withdrawn {
                behaviour,
                withdrawal,
            } => key(
                keys::behaviour(school, *behaviour),
                format!("CHARTED#{withdrawal}"),
            ),
        }
    }

    /// The whole request's mark, which a part must not find.
    fn whole(&self) -> Option<EventMark> {
        match self {
            EventMark::LoggedPart { request_id, .. } => Some(EventMark::Logged {
                request_id: request_id.clone(),
            }),
            _ => None,
        }
    }
}

/// One event's contribution, to be counted once.
#[derive(Debug, Clone)]
pub struct EventFold {
    pub mark: EventMark,
    pub fold: Fold,
}

/// What became of the folds given to [`Store::apply_chart_folds`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FoldOutcome {
    /// Events counted now.
    pub counted: usize,
    /// Events counted before (a second delivery), left alone.
    pub duplicates: usize,
    /// Transactions written.
    pub transactions: usize,
    /// Aggregate writes in them.
    pub writes: usize,
}

/// One aggregate as stored, with the revision it was read at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAggregate {
    pub key: AggregateKey,
    pub tally: Tally,
    pub labels: Labels,
    pub rev: u64,
}

/// A behaviour as the charts' reconciliation reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartFact {
    pub behaviour: Behaviour,
    /// The request that logged it; absent on behaviours logged before
    /// charts were kept, which count as counted.
    pub request_id: Option<String>,
    pub year: Option<String>,
    pub house: Option<String>,
}

fn school_days_pk(school: &SchoolId) -> String {
    format!("S#{school}#CHARTS")
}

fn week_pk(school: &SchoolId, monday: NaiveDate) -> String {
    format!("S#{school}#CHARTS#{monday}")
}

fn day_sk(date: NaiveDate) -> String {
    format!("DAY#{date}")
}

fn member_sk(dimension: Dimension, id: &str) -> String {
    format!("{dimension}#{}", keys::part(id))
}

fn aggregate_key(school: &SchoolId, key: &AggregateKey) -> Item {
    match key {
        AggregateKey::SchoolDay(date) => crate::dynamo::key(school_days_pk(school), day_sk(*date)),
        AggregateKey::Week {
            monday,
            dimension,
            id,
        } => crate::dynamo::key(week_pk(school, *monday), member_sk(*dimension, id)),
    }
}

/// The `ADD` and `SET` of one tally change, with its names and values.
struct TallyWrite {
    expression: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

fn tally_write(key: &AggregateKey, delta: &Tally, labels: Option<&Labels>) -> TallyWrite {
    let mut names = HashMap::new();
    let mut values = HashMap::new();
    let mut adds = vec!["rev :one".to_owned()];
    values.insert(":one".to_owned(), n(1));
    let mut counts: Vec<(String, i64)> = vec![
        ("pos".into(), delta.positives),
        ("neg".into(), delta.negatives),
        ("pts".into(), delta.points),
    ];
    counts.extend(delta.types.iter().map(|(k, v)| (format!("T#{k}"), *v)));
    counts.extend(
        delta
            .positive_cells
            .iter()
            .map(|(k, v)| (format!("P#{k}"), *v)),
    );
    counts.extend(
        delta
            .negative_cells
            .iter()
            .map(|(k, v)| (format!("N#{k}"), *v)),
    );
    for (i, (name, value)) in counts.into_iter().enumerate() {
        if value == 0 {
            continue;
        }
        names.insert(format!("#a{i}"), name);
        values.insert(format!(":a{i}"), n(value));
        adds.push(format!("#a{i} :a{i}"));
    }
    let mut sets = Vec::new();
    match key {
        AggregateKey::SchoolDay(date) => {
            sets.push("#date = :date".to_owned());
            names.insert("#date".into(), "date".into());
            values.insert(":date".into(), s(date.to_string()));
        }
        AggregateKey::Week {
            monday,
            dimension,
            id,
        } => {
            sets.push("#week = :week".to_owned());
            sets.push("#dim = :dim".to_owned());
            sets.push("#id = :id".to_owned());
            names.insert("#week".into(), "week".into());
            names.insert("#dim".into(), "dimension".into());
            names.insert("#id".into(), "id".into());
            values.insert(":week".into(), s(monday.to_string()));
            values.insert(":dim".into(), s(dimension.as_str()));
            values.insert(":id".into(), s(id.clone()));
        }
    }
    if let Some(labels) = labels {
        for (field, value) in [("year", &labels.year), ("house", &labels.house)] {
            if let Some(value) = value {
                sets.push(format!("#{field} = :{field}"));
                names.insert(format!("#{field}"), field.into());
                values.insert(format!(":{field}"), s(value.clone()));
            }
        }
    }
    TallyWrite {
        expression: format!("ADD {} SET {}", adds.join(", "), sets.join(", ")),
        names,
        values,
    }
}

/// Reads a stored aggregate back into its key and tally.
fn read_aggregate(item: &Item) -> Result<StoredAggregate, StoreError> {
    let number = |name: &str| -> i64 {
        match item.get(name) {
            Some(AttributeValue::N(v)) => v.parse().unwrap_or(0),
            _ => 0,
        }
    };
    let key = match (text(item, "date"), text(item, "week")) {
        (Some(date), _) => AggregateKey::SchoolDay(parse_date(&date)?),
        (None, Some(week)) => {
            let dimension = text(item, "dimension")
                .and_then(|d| Dimension::parse(&d))
                .ok_or_else(|| StoreError::Corrupt("an aggregate without a dimension".into()))?;
            AggregateKey::Week {
                monday: parse_date(&week)?,
                dimension,
                id: text(item, "id")
                    .ok_or_else(|| StoreError::Corrupt("an aggregate without an id".into()))?,
            }
        }
        (None, None) => return Err(StoreError::Corrupt("an aggregate without a bucket".into())),
    };
    let mut tally = Tally {
        positives: number("pos"),
        negatives: number("neg"),
        points: number("pts"),
        ..Tally::default()
    };
    for (name, value) in item {
        let AttributeValue::N(value) = value else {
            continue;
        };
        let value: i64 = value.parse().unwrap_or(0);
        if value == 0 {
            continue;
        }
        if let Some(id) = name.strip_prefix("T#") {
            tally.types.insert(id.to_owned(), value);
        } else if let Some(cell) = name.strip_prefix("P#") {
            tally.positive_cells.insert(cell.to_owned(), value);
        } else if let Some(cell) = name.strip_prefix("N#") {
            tally.negative_cells.insert(cell.to_owned(), value);
        }
    }
    Ok(StoredAggregate {
        key,
        tally,
        labels: Labels {
            year: text(item, "year"),
            house: text(item, "house"),
        },
        rev: number("rev").max(0) as u64,
    })
}

fn parse_date(text: &str) -> Result<NaiveDate, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("an aggregate dated {text}")))
}

/// Events grouped into transactions of at most 100 writes: each event's
/// mark, any whole-request check, and the aggregates of all of them,
/// each written once.
fn plan_chunks(events: &[EventFold]) -> Vec<Vec<usize>> {
    let mut chunks: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut keys: BTreeSet<&AggregateKey> = BTreeSet::new();
    let mut marks = 0;
    for (index, event) in events.iter().enumerate() {
        let own = 1 + usize::from(event.mark.whole().is_some());
        let new_keys = event
            .fold
            .tallies
            .keys()
            .filter(|k| !keys.contains(k))
            .count();
        if !current.is_empty() && marks + own + keys.len() + new_keys > MAX_TRANSACTION_WRITES {
            chunks.push(std::mem::take(&mut current));
            keys.clear();
            marks = 0;
        }
        current.push(index);
        marks += own;
        keys.extend(event.fold.tallies.keys());
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// The most aggregates one event may change and still fit one transaction
/// with its mark and its whole-request check.
pub const MAX_EVENT_AGGREGATES: usize = MAX_TRANSACTION_WRITES - 2;

impl Store {
    /// Counts each event's fold once. Events already counted are skipped;
    /// the others are coalesced into as few transactions as fit, each
    /// aggregate written once per transaction. An event's fold must change
    /// at most [`MAX_EVENT_AGGREGATES`] aggregates; split larger ones by
    /// behaviour with [`EventMark::LoggedPart`].
    pub async fn apply_chart_folds(
        &self,
        school: &SchoolId,
        events: Vec<EventFold>,
    ) -> Result<FoldOutcome, StoreError> {
        if let Some(big) = events.iter().find(|e| e.fold.len() > MAX_EVENT_AGGREGATES) {
            return Err(StoreError::Corrupt(format!(
                "an event changes {} aggregates, more than one transaction holds",
                big.fold.len()
            )));
        }
        let mut outcome = FoldOutcome::default();
        for chunk in plan_chunks(&events) {
            let mut pending: Vec<&EventFold> = chunk.iter().map(|&i| &events[i]).collect();
            let mut attempt = 0;
            loop {
                if pending.is_empty() {
                    break;
                }
                match self.fold_transaction(school, &pending).await {
                    Ok(writes) => {
                        outcome.counted += pending.len();
                        outcome.transactions += 1;
                        outcome.writes += writes;
                        break;
                    }
                    Err(FoldError::Cancelled) => {
                        let done = self.marked(school, pending.iter().map(|e| &e.mark)).await?;
                        let before = pending.len();
                        pending.retain(|e| {
                            !done.contains(&e.mark)
                                && e.mark.whole().is_none_or(|w| !done.contains(&w))
                        });
                        outcome.duplicates += before - pending.len();
                        if before == pending.len() {
                            // Nothing was counted before: another writer
                            // held the same aggregates. Wait and try again.
                            attempt += 1;
                            if attempt == MAX_ATTEMPTS {
                                return Err(StoreError::Contended);
                            }
                            tokio::time::sleep(backoff(attempt)).await;
                        }
                    }
                    Err(FoldError::Store(error)) => return Err(error),
                }
            }
        }
        Ok(outcome)
    }

    async fn fold_transaction(
        &self,
        school: &SchoolId,
        events: &[&EventFold],
    ) -> Result<usize, FoldError> {
        let mut fold = Fold::default();
        for event in events {
            fold.merge(&event.fold);
        }
        let expires = (Utc::now() + MARK_LIFETIME).timestamp();
        let mut writes = Vec::with_capacity(events.len() + fold.len());
        for event in events {
            let mut mark = event.mark.key(school);
            mark.insert("expiresAt".into(), n(expires));
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(mark))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(corrupt)?;
            writes.push(TransactWriteItem::builder().put(put).build());
            if let Some(whole) = event.mark.whole() {
                let check = ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(whole.key(school)))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .map_err(corrupt)?;
                writes.push(TransactWriteItem::builder().condition_check(check).build());
            }
        }
        let aggregates = fold.len();
        for (key, tally) in &fold.tallies {
            let write = tally_write(key, tally, fold.labels.get(key));
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(aggregate_key(school, key)))
                .update_expression(write.expression)
                .set_expression_attribute_names(Some(write.names))
                .set_expression_attribute_values(Some(write.values))
                .build()
                .map_err(corrupt)?;
            writes.push(TransactWriteItem::builder().update(update).build());
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
        {
            Ok(_) => Ok(aggregates),
            Err(error) if is_cancelled(&error) => Err(FoldError::Cancelled),
            Err(error) => Err(FoldError::Store(error.into())),
        }
    }

    /// Which of these marks are in the table.
    pub async fn marked<'a>(
        &self,
        school: &SchoolId,
        marks: impl IntoIterator<Item = &'a EventMark>,
    ) -> Result<BTreeSet<EventMark>, StoreError> {
        let mut by_key: HashMap<(String, String), EventMark> = HashMap::new();
        for mark in marks {
            for mark in std::iter::once(mark.clone()).chain(mark.whole()) {
                let item = mark.key(school);
                by_key.insert(
                    (
                        text(&item, keys::PK).unwrap_or_default(),
                        text(&item, keys::SK).unwrap_or_default(),
                    ),
                    mark,
                );
            }
        }
        let wanted = by_key
            .keys()
            .map(|(pk, sk)| key(pk.clone(), sk.clone()))
            .collect();
        let found = self.get_many(wanted).await?;
        Ok(found
            .iter()
            .filter_map(|item| {
                let pk = text(item, keys::PK)?;
                let sk = text(item, keys::SK)?;
                by_key.get(&(pk, sk)).cloned()
            })
            .collect())
    }

    /// Puts the marks that are missing, so that the events they stand for
    /// are not counted again when they arrive; returns how many it put. For
    /// the reconciliation, which counts those events itself.
    pub async fn claim_marks(
        &self,
        school: &SchoolId,
        marks: &BTreeSet<EventMark>,
    ) -> Result<usize, StoreError> {
        let present = self.marked(school, marks.iter()).await?;
        let expires = (Utc::now() + MARK_LIFETIME).timestamp();
        let mut claimed = 0;
        for mark in marks.difference(&present) {
            let mut item = mark.key(school);
            item.insert("expiresAt".into(), n(expires));
            item.insert("claimedBy".into(), s("reconciliation"));
            match self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await
            {
                Ok(_) => claimed += 1,
                Err(error) => match StoreError::from(error) {
                    // Counted by the fold a moment ago: fine.
                    StoreError::ConditionFailed => {}
                    other => return Err(other),
                },
            }
        }
        Ok(claimed)
    }

    /// The school's tallies of each day from `from` to `to` that has any.
    pub async fn school_day_tallies(
        &self,
        school: &SchoolId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StoredAggregate>, StoreError> {
        self.query_aggregates(
            school_days_pk(school),
            Some((day_sk(from), day_sk(to))),
            None,
        )
        .await
    }

    /// Every aggregate of one week, or those of one dimension.
    pub async fn week_tallies(
        &self,
        school: &SchoolId,
        monday: NaiveDate,
        dimension: Option<Dimension>,
    ) -> Result<Vec<StoredAggregate>, StoreError> {
        self.query_aggregates(
            week_pk(school, monday),
            None,
            dimension.map(|d| format!("{d}#")),
        )
        .await
    }

    /// One member's tallies in the given weeks (those it has).
    pub async fn member_weeks(
        &self,
        school: &SchoolId,
        dimension: Dimension,
        id: &str,
        weeks: &[NaiveDate],
    ) -> Result<Vec<StoredAggregate>, StoreError> {
        let wanted = weeks
            .iter()
            .map(|monday| key(week_pk(school, *monday), member_sk(dimension, id)))
            .collect();
        let mut found = self
            .get_many(wanted)
            .await?
            .iter()
            .map(read_aggregate)
            .collect::<Result<Vec<_>, _>>()?;
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }

    async fn query_aggregates(
        &self,
        pk: String,
        between: Option<(String, String)>,
        prefix: Option<String>,
    ) -> Result<Vec<StoredAggregate>, StoreError> {
        let mut condition = "pk = :pk".to_owned();
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true);
        if let Some((low, high)) = between {
            condition.push_str(" AND sk BETWEEN :low AND :high");
            request = request
                .expression_attribute_values(":low", s(low))
                .expression_attribute_values(":high", s(high));
        } else if let Some(prefix) = prefix {
            condition.push_str(" AND begins_with(sk, :prefix)");
            request = request.expression_attribute_values(":prefix", s(prefix));
        }
        let request = request.key_condition_expression(condition);
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let output = request
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                found.push(read_aggregate(&item)?);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }

    /// Brings one stored aggregate to `wanted`, on condition that nobody
    /// wrote it since it was read at `read` (`None`: it did not exist).
    /// Removes it when `wanted` is empty. `Ok(false)` when it had changed.
    pub async fn repair_aggregate(
        &self,
        school: &SchoolId,
        key: &AggregateKey,
        read: Option<&StoredAggregate>,
        wanted: &Tally,
        labels: Option<&Labels>,
    ) -> Result<bool, StoreError> {
        let result = if wanted.is_zero() {
            let Some(read) = read else {
                return Ok(true);
            };
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(aggregate_key(school, key)))
                .condition_expression("rev = :rev")
                .expression_attribute_values(":rev", n(read.rev))
                .send()
                .await
                .map(|_| ())
                .map_err(StoreError::from)
        } else {
            let delta = read.map_or_else(|| wanted.clone(), |r| r.tally.difference(wanted));
            let write = tally_write(key, &delta, labels);
            let mut values = write.values;
            let condition = match read {
                Some(read) => {
                    values.insert(":rev".into(), n(read.rev));
                    "rev = :rev"
                }
                None => "attribute_not_exists(pk)",
            };
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(aggregate_key(school, key)))
                .update_expression(write.expression)
                .set_expression_attribute_names(Some(write.names))
                .set_expression_attribute_values(Some(values))
                .condition_expression(condition)
                .send()
                .await
                .map(|_| ())
                .map_err(StoreError::from)
        };
        match result {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Every behaviour of the school whose lesson date is from `from` to
    /// `to`, withdrawn ones included, oldest first.
    pub async fn chart_facts(
        &self,
        school: &SchoolId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ChartFact>, StoreError> {
        // Lesson dates are school-local and a behaviour may be logged
        // against an earlier lesson, so read a day either side and keep the
        // lesson dates asked for.
        let low = from.pred_opt().unwrap_or(from).and_hms_opt(0, 0, 0);
        let high = to
            .succ_opt()
            .unwrap_or(to)
            .succ_opt()
            .unwrap_or(to)
            .and_hms_opt(0, 0, 0);
        let (Some(low), Some(high)) = (low, high) else {
            return Ok(Vec::new());
        };
        let (low, high) = keys::timeline_bounds(
            Some(DateTime::<Utc>::from_naive_utc_and_offset(low, Utc)),
            Some(DateTime::<Utc>::from_naive_utc_and_offset(high, Utc)),
        );
        let request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi4")
            .key_condition_expression("gsi4pk = :pk AND gsi4sk BETWEEN :low AND :high")
            .expression_attribute_values(":pk", s(keys::all_behaviours(school)))
            .expression_attribute_values(":low", s(low))
            .expression_attribute_values(":high", s(high))
            .select(Select::AllAttributes);
        let mut facts = Vec::new();
        let mut start = None;
        loop {
            let output = request
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                let fact: FactRead = serde_dynamo::from_item(item)?;
                if fact.behaviour.lesson_date >= from && fact.behaviour.lesson_date <= to {
                    facts.push(ChartFact {
                        behaviour: fact.behaviour,
                        request_id: fact.request_id,
                        year: fact.pupil_year,
                        house: fact.pupil_house,
                    });
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(facts);
            }
        }
    }

    /// The group codes of each of these pupils who has group-analysis
    /// flags on the roster.
    pub async fn pupil_group_codes(
        &self,
        school: &SchoolId,
        pupils: &BTreeSet<PupilId>,
    ) -> Result<HashMap<PupilId, Vec<String>>, StoreError> {
        let wanted = pupils
            .iter()
            .map(|p| key(keys::pupil(school, p), keys::PUPIL))
            .collect();
        let mut codes = HashMap::new();
        for item in self.get_many(wanted).await? {
            let pupil: FlagsRead = serde_dynamo::from_item(item)?;
            let Ok(id) = PupilId::parse(&pupil.id) else {
                continue;
            };
            if let Some(flags) = pupil.group_flags {
                codes.insert(
                    id,
                    domain::charts::group_codes(
                        flags.gender.as_deref(),
                        flags.sen_status.as_deref(),
                        flags.pupil_premium,
                        flags.eal,
                    ),
                );
            }
        }
        Ok(codes)
    }

    /// How many pupils on the roll are in each group, for the share of
    /// pupils beside each group's share of behaviour; and the roll itself.
    pub async fn group_roll(
        &self,
        school: &SchoolId,
    ) -> Result<(BTreeMap<String, u64>, u64), StoreError> {
        let mut roll = BTreeMap::new();
        let mut total = 0;
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("gsi4")
                .key_condition_expression("gsi4pk = :pk")
                .expression_attribute_values(":pk", s(keys::pupil_directory(school)))
                .set_exclusive_start_key(start)
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                let pupil: FlagsRead = serde_dynamo::from_item(item)?;
                if pupil.left {
                    continue;
                }
                total += 1;
                if let Some(flags) = pupil.group_flags {
                    for code in domain::charts::group_codes(
                        flags.gender.as_deref(),
                        flags.sen_status.as_deref(),
                        flags.pupil_premium,
                        flags.eal,
                    ) {
                        *roll.entry(code).or_default() += 1;
                    }
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok((roll, total));
            }
        }
    }
}

enum FoldError {
    Cancelled,
    Store(StoreError),
}

fn corrupt(error: impl std::fmt::Display) -> FoldError {
    FoldError::Store(StoreError::Corrupt(error.to_string()))
}

#[derive(Deserialize)]
struct FactRead {
    #[serde(rename = "requestId", default)]
    request_id: Option<String>,
    #[serde(rename = "pupilYear", default)]
    pupil_year: Option<String>,
    #[serde(rename = "pupilHouse", default)]
    pupil_house: Option<String>,
    #[serde(flatten)]
    behaviour: Behaviour,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FlagsRead {
    id: String,
    #[serde(default)]
    left: bool,
    #[serde(default)]
    group_flags: Option<crate::roster::GroupFlags>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::charts::{Cell, Counted, Placement};

    fn event(pupils: usize, request: &str) -> EventFold {
        event_of(pupils, request, "P")
    }

    fn event_of(pupils: usize, request: &str, names: &str) -> EventFold {
        let mut fold = Fold::default();
        for p in 0..pupils {
            fold.count(
                &Placement {
                    lesson_date: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
                    pupil: format!("{names}{p}"),
                    class: "C".into(),
                    year: Some("10".into()),
                    house: None,
                    staff: "E".into(),
                    groups: vec![],
                    counted: Counted {
                        positive: true,
                        points: 1,
                        type_id: "t".into(),
                        cell: Cell {
                            weekday: 4,
                            period: 1,
                        },
                    },
                },
                1,
            );
        }
        EventFold {
            mark: EventMark::Logged {
                request_id: request.into(),
            },
            fold,
        }
    }

    #[test]
    fn events_sharing_aggregates_share_a_transaction() {
        // A class of 30: 30 pupils and 5 shared aggregates, and a mark.
        let class = event(30, "a");
        assert_eq!(class.fold.len(), 35);
        let again = event(30, "b");
        // The second adds only its mark: the same pupils, the same class.
        assert_eq!(plan_chunks(&[class.clone(), again]), vec![vec![0, 1]]);
        let three: Vec<_> = (0..3).map(|i| event(40 + i, &i.to_string())).collect();
        // 3 marks + 47 aggregates fit; they share everything but pupils.
        assert_eq!(plan_chunks(&three), vec![vec![0, 1, 2]]);
        // Three groups of 32 other pupils do not: 3 marks, 96 pupils and
        // the 5 they share make 104 writes.
        let big: Vec<_> = (0..3)
            .map(|i| event_of(32, &i.to_string(), &format!("C{i}P")))
            .collect();
        assert_eq!(plan_chunks(&big), vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn a_tally_write_adds_only_what_changes() {
        let fold = event(1, "a").fold;
        let (key, tally) = fold.tallies.iter().next().unwrap();
        let write = tally_write(key, tally, None);
        assert!(write.expression.starts_with("ADD rev :one"));
        assert!(!write.expression.contains(":a1 ")); // no negatives
        assert_eq!(
            write.names.values().filter(|n| n.starts_with("T#")).count(),
            1
        );
    }
}
