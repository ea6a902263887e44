//! Points: a pupil's for all time and per points cycle, each class's and
//! each house's per cycle, the leaderboards read from them, and points
//! awarded by hand.
//!
//! Every total moves in the same transaction as the fact that moves it (a
//! behaviour, its withdrawal, a hand award or its withdrawal), so after any
//! mix of concurrent writes each total is the sum of its facts. A pupil's
//! items are read and written back under a version condition, since their
//! leaderboard keys are computed from the points; a class's and a house's
//! are `ADD` updates that need no read, so writers never wait for each
//! other on them. A withdrawal subtracts exactly what its fact added, from
//! the cycle, class and house the fact recorded, and its conditional mark
//! on the fact lets it happen once.
//!
//! | what | items | read by |
//! | --- | --- | --- |
//! | a pupil's points | `TOTALS` and `POINTS#<cycle>` in the pupil's partition | BatchGetItem, or one Query for every cycle |
//! | pupils of a year or house | pupil cycle items on `gsi2` / `gsi3` | Query, highest first, `Limit` |
//! | pupils of a class | the class's members, then their cycle items | Query, BatchGetItem |
//! | classes of a year | class cycle items on `gsi4` | Query of the year's partition, ordered here |
//! | houses | house cycle shards on `gsi4` | Query of the school's partition, summed here |
//!
//! A pupil's leaderboard entries follow the year and house they had at
//! their last points change in the cycle: a pupil who moves house mid-cycle
//! is listed under the new one from their next behaviour or award, and the
//! points they earned before stay with the old house's total. A pupil with
//! no points item in a cycle is not on that cycle's leaderboards.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use domain::{BehaviourId, ClassId, PupilId, Reason, SchoolId, StaffId, Withdrawal};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::audit::AuditRecord;
use crate::behaviours::{RecordItem, TotalsItem, is_cancelled, put, to_json, versioned_put};
use crate::dynamo::{Item, backoff, key, n, s, text};
use crate::error::StoreError;
use crate::keys;

/// How often a hand award that collides with another write is tried again.
const MAX_ATTEMPTS: u32 = 8;

/// How long an award's request record (and its idempotency key) is kept.
const RECORD_LIFETIME: chrono::Duration = chrono::Duration::hours(48);

/// A pupil's points in one cycle and over all time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PupilPoints {
    pub this_cycle: i64,
    pub all_time: i64,
}

/// Points in one named cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CyclePoints {
    pub cycle: String,
    pub points: i64,
}

/// Where a pupil stands in the school when their points change: what their
/// leaderboard entries and their house's total follow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PupilPlace {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house: Option<String>,
}

/// A pupil on a leaderboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PupilStanding {
    pub pupil_id: PupilId,
    pub points: i64,
}

/// A class on a leaderboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassStanding {
    pub class_id: ClassId,
    pub name: String,
    pub year_group: String,
    pub points: i64,
}

/// A house on a leaderboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseStanding {
    pub house: String,
    pub points: i64,
}

/// The group of pupils a leaderboard ranks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PupilBoard {
    Year(String),
    House(String),
    Class(ClassId),
}

/// A pupil's points in one cycle, with the leaderboard keys that file it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CycleItem {
    pk: String,
    sk: String,
    pupil_id: String,
    cycle: String,
    pub points: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    year_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    house: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi2pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi2sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi3pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi3sk: Option<String>,
    pub version: u64,
}

impl CycleItem {
    pub(crate) fn fresh(school: &SchoolId, pupil: &PupilId, cycle: &str) -> Self {
        Self {
            pk: keys::pupil(school, pupil),
            sk: keys::points(cycle),
            pupil_id: pupil.to_string(),
            cycle: cycle.to_owned(),
            ..Self::default()
        }
    }

    pub(crate) fn pupil_id(&self) -> &str {
        &self.pupil_id
    }

    /// Adds points, moves the entry to the pupil's place (if known) and
    /// files it again under its new points.
    pub(crate) fn add(
        mut self,
        school: &SchoolId,
        points: i64,
        place: Option<&PupilPlace>,
    ) -> Self {
        self.points += points;
        self.version += 1;
        if let Some(place) = place {
            self.year_group = place.year_group.clone().filter(|y| !y.trim().is_empty());
            self.house = place.house.clone().filter(|h| !h.trim().is_empty());
        }
        let pupil = PupilId::parse(&self.pupil_id).ok();
        let rank = pupil.map(|p| keys::rank(self.points, &p));
        self.gsi2pk = self
            .year_group
            .as_ref()
            .map(|y| keys::year_board(school, &self.cycle, y));
        self.gsi2sk = self.gsi2pk.as_ref().and(rank.clone());
        self.gsi3pk = self
            .house
            .as_ref()
            .map(|h| keys::house_board(school, &self.cycle, h));
        self.gsi3sk = self.gsi3pk.as_ref().and(rank);
        self
    }
}

/// The class's cycle total moved by `points`, and its place on the class
/// leaderboard of its year when the class's name and year are known.
pub(crate) fn class_points_write(
    table: &str,
    school: &SchoolId,
    class: &ClassId,
    cycle: &str,
    points: i64,
    listing: Option<(&str, &str)>,
) -> Result<TransactWriteItem, StoreError> {
    let mut expression = "ADD #points :points SET classId = :class, #cycle = :cycle".to_owned();
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(key(keys::class(school, class), keys::points(cycle))))
        .expression_attribute_names("#points", "points")
        .expression_attribute_names("#cycle", "cycle")
        .expression_attribute_values(":points", n(points))
        .expression_attribute_values(":class", s(class.as_str()))
        .expression_attribute_values(":cycle", s(cycle));
    if let Some((name, year)) = listing.filter(|(_, year)| !year.trim().is_empty()) {
        expression
            .push_str(", className = :name, yearGroup = :year, gsi4pk = :board, gsi4sk = :class");
        update = update
            .expression_attribute_values(":name", s(name))
            .expression_attribute_values(":year", s(year))
            .expression_attribute_values(":board", s(keys::class_board(school, cycle, year)));
    }
    let update = update
        .update_expression(expression)
        .build()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// One shard of the house's cycle total moved by `points`, filed on the
/// school's house leaderboard.
pub(crate) fn house_points_write(
    table: &str,
    school: &SchoolId,
    house: &str,
    cycle: &str,
    shard: u32,
    points: i64,
) -> Result<TransactWriteItem, StoreError> {
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key(
            keys::house(school, house),
            keys::house_points(cycle, shard),
        )))
        .update_expression(
            "ADD #points :points SET #house = :house, #cycle = :cycle, \
             gsi4pk = :board, gsi4sk = :entry",
        )
        .expression_attribute_names("#points", "points")
        .expression_attribute_names("#house", "house")
        .expression_attribute_names("#cycle", "cycle")
        .expression_attribute_values(":points", n(points))
        .expression_attribute_values(":house", s(house))
        .expression_attribute_values(":cycle", s(cycle))
        .expression_attribute_values(":board", s(keys::houses_board(school, cycle)))
        .expression_attribute_values(":entry", s(format!("{}#{shard}", keys::part(house))))
        .build()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// The house shard a writer adds to: spread by its request, the same on
/// every retry.
pub(crate) fn house_shard(seed: &str) -> u32 {
    seed.bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % keys::HOUSE_SHARDS
}

/// Points awarded (or taken away) by hand, to a pupil or a whole house.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandAward {
    pub id: BehaviourId,
    /// The pupil awarded; none for an award to a whole house.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pupil_id: Option<PupilId>,
    /// The house credited: the pupil's when awarded, or the house awarded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house: Option<String>,
    pub points: i32,
    pub reason: Reason,
    /// The points cycle the award counts in.
    pub cycle: String,
    pub awarded_at: DateTime<Utc>,
    pub awarded_by: StaffId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<Withdrawal>,
}

/// A hand award to write.
#[derive(Debug, Clone)]
pub struct HandAwardCommand {
    pub school: SchoolId,
    pub request_id: String,
    pub fingerprint: String,
    pub award: HandAward,
    /// The pupil's year and house now, for a pupil award.
    pub place: PupilPlace,
    pub audit: AuditRecord,
}

/// What became of a hand award.
#[derive(Debug)]
pub enum HandAwardResult {
    Applied(HandAward),
    /// Written before under the same request id; the first answer.
    Replayed(HandAward),
    /// The request id was used before for a different request.
    Mismatch,
}

/// A request to withdraw a hand award.
#[derive(Debug, Clone)]
pub struct WithdrawHandAwardCommand {
    pub school: SchoolId,
    pub request_id: String,
    pub fingerprint: String,
    pub award_id: BehaviourId,
    pub withdrawal: Withdrawal,
    /// Whether the caller may withdraw awards others made.
    pub may_withdraw_any: bool,
    /// Whether the caller may award (and so withdraw) points to whole houses.
    pub may_award_houses: bool,
    pub audit: AuditRecord,
}

/// What became of an award's withdrawal.
#[derive(Debug)]
pub enum WithdrawHandAwardResult {
    Withdrawn(HandAward),
    Replayed(HandAward),
    NotFound,
    AlreadyWithdrawn,
    /// Made by someone else, and the caller may only withdraw their own.
    NotYours,
    /// An award to a whole house, which the caller may not make.
    HouseAward,
    Mismatch,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct HandAwardItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    award: HandAward,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlaceItem {
    pk: String,
    #[serde(default)]
    year_group: String,
    #[serde(default)]
    house: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClassBoardItem {
    class_id: ClassId,
    #[serde(default)]
    class_name: String,
    #[serde(default)]
    year_group: String,
    points: i64,
}

#[derive(Deserialize)]
struct HouseBoardItem {
    house: String,
    points: i64,
}

fn awarded_record(
    school: &SchoolId,
    request_id: &str,
    kind: &str,
    fingerprint: &str,
    award: &HandAward,
    at: DateTime<Utc>,
) -> RecordItem {
    RecordItem {
        pk: keys::request(school, request_id),
        sk: keys::REQUEST.to_owned(),
        school_id: school.clone(),
        request_id: request_id.to_owned(),
        kind: kind.to_owned(),
        fingerprint: fingerprint.to_owned(),
        command: None,
        batches: 1,
        batches_done: 1,
        outcomes: vec![to_json(award)],
        event: None,
        outbox_shard: None,
        outbox_at: None,
        created_at: at,
        expires_at: (at + RECORD_LIFETIME).timestamp(),
    }
}

/// The award a request record answered with, if it is a record of `kind`
/// for the same request.
fn recorded_award(
    record: &RecordItem,
    kind: &str,
    fingerprint: &str,
) -> Result<Option<HandAward>, StoreError> {
    if record.kind != kind || record.fingerprint != fingerprint {
        return Ok(None);
    }
    let first = record
        .outcomes
        .first()
        .ok_or_else(|| StoreError::Corrupt("an award record without its award".into()))?;
    serde_json::from_str(first)
        .map(Some)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Ranks from 1, equal points sharing a rank (1, 2, 2, 4).
pub fn ranks(points: impl IntoIterator<Item = i64>) -> Vec<usize> {
    let mut ranks = Vec::new();
    let mut previous = None;
    for (i, p) in points.into_iter().enumerate() {
        let rank = match previous {
            Some((last, rank)) if last == p => rank,
            _ => i + 1,
        };
        previous = Some((p, rank));
        ranks.push(rank);
    }
    ranks
}

impl Store {
    /// A pupil's points in `cycle` and over all time; zeros for a pupil
    /// with none yet.
    pub async fn pupil_points(
        &self,
        school: &SchoolId,
        pupil: &PupilId,
        cycle: &str,
    ) -> Result<PupilPoints, StoreError> {
        let (totals, this_cycle) = self.pupil_point_items(school, pupil, cycle).await?;
        Ok(PupilPoints {
            this_cycle: this_cycle.map_or(0, |c| c.points),
            all_time: totals.map_or(0, |t| t.points),
        })
    }

    /// A pupil's points over all time and in every cycle they have any in,
    /// by cycle name.
    pub async fn pupil_points_by_cycle(
        &self,
        school: &SchoolId,
        pupil: &PupilId,
    ) -> Result<(i64, Vec<CyclePoints>), StoreError> {
        let mut all_time = 0;
        let mut cycles = Vec::new();
        for item in self.partition(&keys::pupil(school, pupil)).await? {
            match text(&item, keys::SK).as_deref() {
                Some(keys::TOTALS) => {
                    all_time = serde_dynamo::from_item::<_, TotalsItem>(item)?.points
                }
                Some(sk) if sk.starts_with("POINTS#") => {
                    let cycle: CycleItem = serde_dynamo::from_item(item)?;
                    cycles.push(CyclePoints {
                        cycle: cycle.cycle,
                        points: cycle.points,
                    });
                }
                _ => {}
            }
        }
        Ok((all_time, cycles))
    }

    /// Several pupils' points in one cycle, read together (a BatchGetItem per
    /// hundred pupils). Pupils with no points in the cycle are left out.
    pub async fn cycle_points(
        &self,
        school: &SchoolId,
        pupils: &[PupilId],
        cycle: &str,
    ) -> Result<HashMap<PupilId, i64>, StoreError> {
        let by_key: HashMap<String, &PupilId> =
            pupils.iter().map(|p| (keys::pupil(school, p), p)).collect();
        let wanted = by_key
            .keys()
            .map(|pk| key(pk.clone(), keys::points(cycle)))
            .collect();
        let mut points = HashMap::new();
        for item in self.get_many(wanted).await? {
            let found: CycleItem = serde_dynamo::from_item(item)?;
            if let Some(pupil) = by_key.get(&found.pk) {
                points.insert((*pupil).clone(), found.points);
            }
        }
        Ok(points)
    }

    /// The pupil's all-time and cycle items, in one read.
    pub(crate) async fn pupil_point_items(
        &self,
        school: &SchoolId,
        pupil: &PupilId,
        cycle: &str,
    ) -> Result<(Option<TotalsItem>, Option<CycleItem>), StoreError> {
        let pk = keys::pupil(school, pupil);
        let wanted = vec![key(pk.clone(), keys::TOTALS), key(pk, keys::points(cycle))];
        let mut totals = None;
        let mut this_cycle = None;
        for item in self.get_many(wanted).await? {
            if text(&item, keys::SK).as_deref() == Some(keys::TOTALS) {
                totals = Some(serde_dynamo::from_item(item)?);
            } else {
                this_cycle = Some(serde_dynamo::from_item(item)?);
            }
        }
        Ok((totals, this_cycle))
    }

    /// The year and house of some pupils, as the roster holds them now.
    /// Pupils not on the roster have no place.
    pub async fn pupil_places(
        &self,
        school: &SchoolId,
        pupils: &[PupilId],
    ) -> Result<HashMap<PupilId, PupilPlace>, StoreError> {
        let by_key: HashMap<String, &PupilId> =
            pupils.iter().map(|p| (keys::pupil(school, p), p)).collect();
        let wanted = by_key
            .keys()
            .map(|pk| key(pk.clone(), keys::PUPIL))
            .collect();
        let mut places = HashMap::new();
        for item in self.get_many(wanted).await? {
            let found: PlaceItem = serde_dynamo::from_item(item)?;
            if let Some(pupil) = by_key.get(&found.pk) {
                let place = PupilPlace {
                    year_group: Some(found.year_group).filter(|y| !y.trim().is_empty()),
                    house: found.house.filter(|h| !h.trim().is_empty()),
                };
                places.insert((*pupil).clone(), place);
            }
        }
        Ok(places)
    }

    /// The names of some pupils as the roster shows them, for leaderboards.
    pub async fn pupil_names(
        &self,
        school: &SchoolId,
        pupils: &[PupilId],
    ) -> Result<HashMap<PupilId, String>, StoreError> {
        let wanted = pupils
            .iter()
            .map(|p| key(keys::pupil(school, p), keys::PUPIL))
            .collect();
        let mut names = HashMap::new();
        for item in self.get_many(wanted).await? {
            let pupil: crate::DirectoryPupil = serde_dynamo::from_item(item)?;
            let name = pupil.display_name();
            names.insert(pupil.id, name);
        }
        Ok(names)
    }

    /// The school's houses by points in one cycle, highest first. Houses
    /// with nothing in the cycle are not listed.
    pub async fn house_standings(
        &self,
        school: &SchoolId,
        cycle: &str,
    ) -> Result<Vec<HouseStanding>, StoreError> {
        let mut houses: BTreeMap<String, i64> = BTreeMap::new();
        for item in self
            .board("gsi4", &keys::houses_board(school, cycle), None)
            .await?
        {
            let shard: HouseBoardItem = serde_dynamo::from_item(item)?;
            *houses.entry(shard.house).or_default() += shard.points;
        }
        let mut standings: Vec<HouseStanding> = houses
            .into_iter()
            .map(|(house, points)| HouseStanding { house, points })
            .collect();
        standings.sort_by(|a, b| b.points.cmp(&a.points).then_with(|| a.house.cmp(&b.house)));
        Ok(standings)
    }

    /// The classes of a year by points in one cycle, highest first.
    pub async fn class_standings(
        &self,
        school: &SchoolId,
        cycle: &str,
        year: &str,
    ) -> Result<Vec<ClassStanding>, StoreError> {
        let mut standings = Vec::new();
        for item in self
            .board("gsi4", &keys::class_board(school, cycle, year), None)
            .await?
        {
            let class: ClassBoardItem = serde_dynamo::from_item(item)?;
            standings.push(ClassStanding {
                class_id: class.class_id,
                name: class.class_name,
                year_group: class.year_group,
                points: class.points,
            });
        }
        standings.sort_by(|a, b| {
            b.points
                .cmp(&a.points)
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.class_id.cmp(&b.class_id))
        });
        Ok(standings)
    }

    /// The top `limit` pupils of a year, house or class by points in one
    /// cycle, highest first; none if the class is not the school's.
    pub async fn pupil_standings(
        &self,
        school: &SchoolId,
        cycle: &str,
        board: &PupilBoard,
        limit: usize,
    ) -> Result<Option<Vec<PupilStanding>>, StoreError> {
        let items = match board {
            PupilBoard::Year(year) => {
                self.board("gsi2", &keys::year_board(school, cycle, year), Some(limit))
                    .await?
            }
            PupilBoard::House(house) => {
                self.board(
                    "gsi3",
                    &keys::house_board(school, cycle, house),
                    Some(limit),
                )
                .await?
            }
            PupilBoard::Class(class) => {
                let Some(class) = self.class(school, class).await? else {
                    return Ok(None);
                };
                let wanted = class
                    .members
                    .iter()
                    .map(|m| key(keys::pupil(school, &m.pupil_id), keys::points(cycle)))
                    .collect();
                self.get_many(wanted).await?
            }
        };
        let mut standings = Vec::with_capacity(items.len());
        for item in items {
            let entry: CycleItem = serde_dynamo::from_item(item)?;
            let pupil =
                PupilId::parse(&entry.pupil_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            standings.push(PupilStanding {
                pupil_id: pupil,
                points: entry.points,
            });
        }
        standings.sort_by(|a, b| {
            b.points
                .cmp(&a.points)
                .then_with(|| b.pupil_id.cmp(&a.pupil_id))
        });
        standings.truncate(limit);
        Ok(Some(standings))
    }

    /// A leaderboard partition of an index, highest sort key first: all of
    /// it, or its first `limit` entries.
    async fn board(
        &self,
        index: &str,
        partition: &str,
        limit: Option<usize>,
    ) -> Result<Vec<Item>, StoreError> {
        let request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", format!("{index}pk"))
            .expression_attribute_values(":pk", s(partition))
            .scan_index_forward(false)
            .set_limit(limit.map(|l| i32::try_from(l).unwrap_or(i32::MAX)));
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = request
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() || limit.is_some_and(|l| items.len() >= l) {
                return Ok(items);
            }
        }
    }

    /// One hand award of this school, with its withdrawal if any.
    pub async fn award(
        &self,
        school: &SchoolId,
        id: BehaviourId,
    ) -> Result<Option<HandAward>, StoreError> {
        let item: Option<HandAwardItem> =
            self.get(key(keys::award(school, id), keys::AWARD)).await?;
        Ok(item.map(|i| i.award))
    }

    /// Writes a hand award with the totals it moves, or replays it if its
    /// request id was seen.
    pub async fn award_points(
        &self,
        command: HandAwardCommand,
    ) -> Result<HandAwardResult, StoreError> {
        let school = &command.school;
        let award = &command.award;
        let points = i64::from(award.points);
        for attempt in 0..MAX_ATTEMPTS {
            if let Some(record) = self.record(school, &command.request_id).await? {
                return Ok(recorded_award(&record, "award", &command.fingerprint)?
                    .map_or(HandAwardResult::Mismatch, HandAwardResult::Replayed));
            }

            let mut writes = vec![
                put(
                    &self.table,
                    serde_dynamo::to_item(HandAwardItem {
                        pk: keys::award(school, award.id),
                        sk: keys::AWARD.to_owned(),
                        award: award.clone(),
                    })?,
                    "attribute_not_exists(pk)",
                    vec![],
                )?,
                put(
                    &self.table,
                    serde_dynamo::to_item(awarded_record(
                        school,
                        &command.request_id,
                        "award",
                        &command.fingerprint,
                        award,
                        award.awarded_at,
                    ))?,
                    "attribute_not_exists(pk)",
                    vec![],
                )?,
                self.audit_write(school, &command.audit)?,
            ];
            if let Some(pupil) = &award.pupil_id {
                writes.extend(
                    self.pupil_points_writes(
                        school,
                        pupil,
                        &award.cycle,
                        points,
                        Some(&command.place),
                    )
                    .await?,
                );
            }
            if let Some(house) = award.house.as_deref().filter(|_| points != 0) {
                writes.push(house_points_write(
                    &self.table,
                    school,
                    house,
                    &award.cycle,
                    house_shard(&command.request_id),
                    points,
                )?);
            }

            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(writes))
                .send()
                .await
            {
                Ok(_) => return Ok(HandAwardResult::Applied(award.clone())),
                Err(error) if is_cancelled(&error) => {
                    tracing::debug!(attempt, "hand award collided; trying again");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Contended)
    }

    /// Withdraws a hand award: the award is marked and every total it
    /// moved is moved back, in one transaction.
    pub async fn withdraw_award(
        &self,
        command: WithdrawHandAwardCommand,
    ) -> Result<WithdrawHandAwardResult, StoreError> {
        let school = &command.school;
        for attempt in 0..MAX_ATTEMPTS {
            if let Some(record) = self.record(school, &command.request_id).await? {
                return Ok(
                    recorded_award(&record, "award-withdraw", &command.fingerprint)?.map_or(
                        WithdrawHandAwardResult::Mismatch,
                        WithdrawHandAwardResult::Replayed,
                    ),
                );
            }
            let Some(award) = self.award(school, command.award_id).await? else {
                return Ok(WithdrawHandAwardResult::NotFound);
            };
            if award.withdrawal.is_some() {
                return Ok(WithdrawHandAwardResult::AlreadyWithdrawn);
            }
            if award.pupil_id.is_none() && !command.may_award_houses {
                return Ok(WithdrawHandAwardResult::HouseAward);
            }
            if !command.may_withdraw_any && award.awarded_by != command.withdrawal.withdrawn_by {
                return Ok(WithdrawHandAwardResult::NotYours);
            }

            let points = -i64::from(award.points);
            let mut withdrawn = award.clone();
            withdrawn.withdrawal = Some(command.withdrawal.clone());
            let mark = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(keys::award(school, award.id), keys::AWARD)))
                .update_expression("SET withdrawal = :withdrawal")
                .condition_expression("attribute_exists(pk) AND attribute_not_exists(withdrawal)")
                .expression_attribute_values(
                    ":withdrawal",
                    AttributeValue::M(serde_dynamo::to_item(&command.withdrawal)?),
                )
                .build()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let mut writes = vec![
                TransactWriteItem::builder().update(mark).build(),
                put(
                    &self.table,
                    serde_dynamo::to_item(awarded_record(
                        school,
                        &command.request_id,
                        "award-withdraw",
                        &command.fingerprint,
                        &withdrawn,
                        command.withdrawal.withdrawn_at,
                    ))?,
                    "attribute_not_exists(pk)",
                    vec![],
                )?,
                self.audit_write(school, &command.audit)?,
            ];
            if let Some(pupil) = &award.pupil_id {
                writes.extend(
                    self.pupil_points_writes(school, pupil, &award.cycle, points, None)
                        .await?,
                );
            }
            if let Some(house) = award.house.as_deref().filter(|_| points != 0) {
                writes.push(house_points_write(
                    &self.table,
                    school,
                    house,
                    &award.cycle,
                    house_shard(&command.request_id),
                    points,
                )?);
            }

            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(writes))
                .send()
                .await
            {
                Ok(_) => return Ok(WithdrawHandAwardResult::Withdrawn(withdrawn)),
                Err(error) if is_cancelled(&error) => {
                    tracing::debug!(attempt, "award withdrawal collided; trying again");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Contended)
    }

    /// The versioned writes of a pupil's all-time and cycle points moved by
    /// `points` (a hand award or its withdrawal), read just now.
    async fn pupil_points_writes(
        &self,
        school: &SchoolId,
        pupil: &PupilId,
        cycle: &str,
        points: i64,
        place: Option<&PupilPlace>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let (totals, this_cycle) = self.pupil_point_items(school, pupil, cycle).await?;
        let read_totals = totals.as_ref().map(|t| t.version);
        let read_cycle = this_cycle.as_ref().map(|c| c.version);
        let mut totals = totals.unwrap_or_else(|| TotalsItem::fresh(school, pupil));
        totals.points += points;
        totals.version += 1;
        let this_cycle = this_cycle
            .unwrap_or_else(|| CycleItem::fresh(school, pupil, cycle))
            .add(school, points, place);
        Ok(vec![
            versioned_put(&self.table, serde_dynamo::to_item(&totals)?, read_totals)?,
            versioned_put(&self.table, serde_dynamo::to_item(&this_cycle)?, read_cycle)?,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_points_share_a_rank() {
        assert_eq!(ranks([9, 7, 7, 3, 3, 3, 1]), [1, 2, 2, 4, 4, 4, 7]);
        assert!(ranks([]).is_empty());
    }

    #[test]
    fn a_cycle_item_files_under_its_place_and_points() {
        let school = SchoolId::parse("s1").unwrap();
        let pupil = PupilId::parse("p1").unwrap();
        let place = PupilPlace {
            year_group: Some("7".into()),
            house: None,
        };
        let item = CycleItem::fresh(&school, &pupil, "2026-27").add(&school, 5, Some(&place));
        assert_eq!(item.points, 5);
        assert_eq!(item.gsi2pk.as_deref(), Some("S#s1#BOARD#2026-27#YEAR#7"));
        assert_eq!(item.gsi2sk, Some(keys::rank(5, &pupil)));
        assert_eq!(item.gsi3pk, None);
        let item = item.add(&school, -8, None);
        assert_eq!(item.gsi2sk, Some(keys::rank(-3, &pupil)));
        assert_eq!(item.version, 2);
    }

    #[test]
    fn house_shards_stay_in_range() {
        for seed in ["", "a", "request-1", "0123456789abcdef"] {
            assert!(house_shard(seed) < keys::HOUSE_SHARDS);
        }
    }
}
