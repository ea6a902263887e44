//! The roster as the Wonde sync writes it: pupils, staff, classes with their
//! members and teachers, and the school's year groups, houses and
//! registration groups; and the ledger the sync compares each run against,
//! so that a run writes only what changed.
//!
//! | item | pk | sk |
//! | --- | --- | --- |
//! | pupil (read as [`crate::Pupil`] too) | `S#<school>#PUPIL#<pupil>` | `PUPIL` |
//! | class, its members (read as [`crate::ClassRoster`]) | `S#<school>#CLASS#<class>` | `CLASS`, `PUPIL#<pupil>` |
//! | pupil in the pupil directory (index `gsi4`) | `S#<school>#PUPILS` | `<last>#<first>#<pupil>` |
//! | class in the class directory (index `gsi4`) | `S#<school>#CLASSES` | `<name>#<class>` |
//! | member under its pupil (index `gsi1`) | `S#<school>#PUPIL#<pupil>` | `CLASS#<class>` |
//! | member of staff (read as [`crate::StaffMember`]) | `S#<school>#STAFF` | `STAFF#<staff>` |
//! | year group, house, registration group | `S#<school>#ROSTER` | `GROUP#<wonde id>` |
//! | ledger of what the sync wrote | `S#<school>#ROSTER` | `LEDGER#PUPIL#<pupil>`, `LEDGER#STAFF#<staff>`, `LEDGER#CLASS#<class>` |
//!
//! The ledger holds a digest of every pupil, staff and class item the sync
//! wrote (and, for a class, of each member item), so one query of the
//! `ROSTER` partition tells a run what is stored without reading every
//! pupil's and every class's partition. Entity items are written before
//! the ledger entries that describe them: a run that stops half way leaves
//! a ledger that is at worst behind the items, and the next run rewrites
//! what it cannot vouch for.
//!
//! The directory rows are attributes of the pupil, class and member items
//! themselves (see [`crate::directory`]), written with them, so they cost no
//! write of their own. A class item also holds its `pupilCount`.
//!
//! Every digest also covers [`LAYOUT`], the version of the items' layout:
//! when the layout changes, no digest in the ledger matches any more, and
//! the next sync writes each item once in the new layout.
//!
//! A pupil who leaves keeps their item, marked with `leftAt`, so their
//! history still has a name; the update sets nothing else, so they stay in
//! the directory, listed as left. Staff, classes and groups that Wonde no longer
//! serves are deleted: a deleted staff item also stops their work address
//! from proving a sign-up.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};
use chrono::{DateTime, Utc};
use domain::{ClassId, Email, PupilId, SchoolId, StaffId};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::directory::{ClassListing, MemberListing, PupilListing};
use crate::dynamo::{Item, key, n, s, text};
use crate::error::StoreError;
use crate::identity::email_key;
use crate::keys;
use crate::school::Member;

/// The flags a school that has switched group analysis on compares
/// behaviour across. Absent for every other school.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupFlags {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sen_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pupil_premium: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eal: Option<bool>,
}

/// A pupil as the sync writes them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterPupil {
    pub id: PupilId,
    /// The id Wonde serves the pupil under now; it changes on re-enrolment,
    /// `id` does not.
    pub wonde_id: String,
    pub first_name: String,
    pub last_name: String,
    /// Empty where the MIS gives no year group.
    pub year_group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_flags: Option<GroupFlags>,
}

impl RosterPupil {
    /// The name on the class grid.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }
}

impl std::fmt::Debug for RosterPupil {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RosterPupil")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A member of staff as the sync writes them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterStaff {
    pub id: StaffId,
    pub first_name: String,
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    pub teaching: bool,
}

impl std::fmt::Debug for RosterStaff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RosterStaff")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A class as the sync writes it, with who teaches it and who is in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterClass {
    pub id: ClassId,
    pub name: String,
    pub year_group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub teacher_ids: Vec<StaffId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_teacher_id: Option<StaffId>,
    #[serde(skip)]
    pub members: Vec<Member>,
}

/// What a group is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GroupKind {
    Year,
    House,
    Registration,
    Other,
}

/// A year group, house or registration group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterGroup {
    /// Wonde's id of the group.
    pub id: String,
    pub kind: GroupKind,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// A registration group's form tutors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tutors: Vec<StaffId>,
}

/// What the ledger says the sync last wrote for a pupil.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerPupil {
    pub wonde_id: String,
    pub digest: String,
    /// Kept so a class read in a delta can name members that did not change.
    pub display_name: String,
    #[serde(default)]
    pub left: bool,
}

/// What the ledger says the sync last wrote for a class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerClass {
    pub digest: String,
    /// Member pupil id to the digest of their member item.
    #[serde(default)]
    pub members: BTreeMap<String, String>,
}

/// Everything the sync wrote before, as one query of the roster partition
/// finds it.
#[derive(Debug, Clone, Default)]
pub struct RosterLedger {
    pub pupils: HashMap<PupilId, LedgerPupil>,
    pub staff: HashMap<StaffId, String>,
    pub classes: HashMap<ClassId, LedgerClass>,
    pub groups: HashMap<String, RosterGroup>,
}

impl RosterLedger {
    /// Our pupil id for the Wonde id a pupil is served under now, for
    /// pupils who have not left.
    pub fn pupil_by_wonde_id(&self) -> HashMap<&str, &PupilId> {
        self.pupils
            .iter()
            .map(|(id, entry)| (entry.wonde_id.as_str(), id))
            .collect()
    }
}

/// A run's view of the roster: records read from Wonde (all of them for a
/// full sync, those changed for a delta) and what is to be removed.
#[derive(Debug, Clone, Default)]
pub struct RosterUpdate {
    pub pupils: Vec<RosterPupil>,
    pub staff: Vec<RosterStaff>,
    pub classes: Vec<RosterClass>,
    pub groups: Vec<RosterGroup>,
    pub removed: Removals,
}

/// What a run removes. Pupils are marked as left; the rest is deleted.
#[derive(Debug, Clone, Default)]
pub struct Removals {
    pub pupils: BTreeSet<PupilId>,
    pub staff: BTreeSet<StaffId>,
    pub classes: BTreeSet<ClassId>,
    pub groups: BTreeSet<String>,
}

/// How much of the roster a run changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterCounts {
    pub pupils_written: u32,
    pub pupils_left: u32,
    pub staff_written: u32,
    pub staff_removed: u32,
    pub classes_written: u32,
    pub classes_removed: u32,
    pub members_written: u32,
    pub members_removed: u32,
    pub groups_written: u32,
    pub groups_removed: u32,
}

impl RosterCounts {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The writes that bring the table in line with a run's update.
#[derive(Debug, Default)]
pub struct RosterWrites {
    /// Pupils, staff, classes, members and groups to put or delete.
    roster: Vec<WriteRequest>,
    /// Pupils to mark as left.
    left: Vec<PupilId>,
    /// Classes not sent again that lost pupils who left, with their new
    /// pupil count.
    recounts: Vec<(ClassId, usize)>,
    /// Ledger entries, written after everything above.
    ledger: Vec<WriteRequest>,
    pub counts: RosterCounts,
}

impl RosterWrites {
    pub fn is_empty(&self) -> bool {
        self.roster.is_empty()
            && self.left.is_empty()
            && self.recounts.is_empty()
            && self.ledger.is_empty()
    }
}

#[derive(Serialize, Deserialize)]
struct Keyed<T> {
    pk: String,
    sk: String,
    #[serde(flatten)]
    value: T,
}

fn keyed<T: Serialize>(pk: String, sk: String, value: &T) -> Result<Item, StoreError> {
    Ok(serde_dynamo::to_item(Keyed { pk, sk, value })?)
}

/// The staff item in the layout [`crate::staff`] reads.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StaffItem<'a> {
    pk: String,
    sk: String,
    school_id: &'a SchoolId,
    #[serde(flatten)]
    member: &'a RosterStaff,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_key: Option<String>,
}

/// A pupil item: the record and its row in the pupil directory.
#[derive(Serialize)]
struct PupilItem<'a> {
    pk: String,
    sk: String,
    #[serde(flatten)]
    pupil: &'a RosterPupil,
    #[serde(flatten)]
    listing: PupilListing,
}

/// A class item: the record, its row in the class directory and its count.
#[derive(Serialize)]
struct ClassItem<'a> {
    pk: String,
    sk: String,
    #[serde(flatten)]
    class: &'a RosterClass,
    #[serde(flatten)]
    listing: ClassListing,
}

/// A member item, filed under its pupil too.
#[derive(Serialize)]
struct MemberItem<'a> {
    pk: String,
    sk: String,
    #[serde(flatten)]
    member: &'a Member,
    #[serde(flatten)]
    listing: MemberListing,
}

fn pupil_item(school: &SchoolId, pupil: &RosterPupil) -> Result<Item, StoreError> {
    Ok(serde_dynamo::to_item(PupilItem {
        pk: keys::pupil(school, &pupil.id),
        sk: keys::PUPIL.to_owned(),
        pupil,
        listing: PupilListing::new(school, &pupil.id, &pupil.first_name, &pupil.last_name),
    })?)
}

fn class_item(school: &SchoolId, class: &RosterClass) -> Result<Item, StoreError> {
    Ok(serde_dynamo::to_item(ClassItem {
        pk: keys::class(school, &class.id),
        sk: keys::CLASS.to_owned(),
        class,
        listing: ClassListing::new(school, &class.id, &class.name, class.members.len()),
    })?)
}

fn member_item(school: &SchoolId, class: &ClassId, member: &Member) -> Result<Item, StoreError> {
    Ok(serde_dynamo::to_item(MemberItem {
        pk: keys::class(school, class),
        sk: keys::member(&member.pupil_id),
        member,
        listing: MemberListing::new(school, &member.pupil_id, class),
    })?)
}

/// The version of the layout of the items the sync writes, which every
/// digest covers. Raise it when the items gain or lose an attribute that
/// the record itself does not show.
pub const LAYOUT: u32 = 2;

/// SHA-256 of a record's JSON with the layout version, shortened: enough to
/// tell a change.
fn digest<T: Serialize>(value: &T) -> Result<String, StoreError> {
    let json =
        serde_json::to_vec(&(LAYOUT, value)).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &json);
    Ok(digest.as_ref()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn member_digest(member: &Member) -> Result<String, StoreError> {
    digest(member)
}

/// A class's digest covers its pupil count, which its item holds.
fn class_digest(class: &RosterClass) -> Result<String, StoreError> {
    digest(&(class, class.members.len()))
}

fn put(item: Item) -> Result<WriteRequest, StoreError> {
    let put = PutRequest::builder()
        .set_item(Some(item))
        .build()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(WriteRequest::builder().put_request(put).build())
}

fn delete(pk: String, sk: String) -> Result<WriteRequest, StoreError> {
    let delete = DeleteRequest::builder()
        .set_key(Some(key(pk, sk)))
        .build()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(WriteRequest::builder().delete_request(delete).build())
}

fn ledger_sk(kind: &str, id: &str) -> String {
    format!("LEDGER#{kind}#{id}")
}

fn group_sk(id: &str) -> String {
    format!("GROUP#{id}")
}

fn staff_sk(id: &StaffId) -> String {
    format!("STAFF#{id}")
}

/// Works out the writes that take the table from what the ledger records
/// to what the update says, and nothing else.
pub fn plan_writes(
    school: &SchoolId,
    ledger: &RosterLedger,
    update: &RosterUpdate,
) -> Result<RosterWrites, StoreError> {
    let mut writes = RosterWrites::default();
    let roster_pk = keys::roster(school);

    let mut names_changed: HashMap<&PupilId, String> = HashMap::new();
    let mut present: BTreeSet<&PupilId> = BTreeSet::new();
    for pupil in &update.pupils {
        present.insert(&pupil.id);
        let sum = digest(pupil)?;
        let before = ledger.pupils.get(&pupil.id);
        let display_name = pupil.display_name();
        if before.is_none_or(|e| e.display_name != display_name) {
            names_changed.insert(&pupil.id, display_name.clone());
        }
        if before.is_some_and(|e| e.digest == sum && !e.left) {
            continue;
        }
        writes.roster.push(put(pupil_item(school, pupil)?)?);
        let entry = LedgerPupil {
            wonde_id: pupil.wonde_id.clone(),
            digest: sum,
            display_name,
            left: false,
        };
        writes.ledger.push(put(keyed(
            roster_pk.clone(),
            ledger_sk("PUPIL", pupil.id.as_str()),
            &entry,
        )?)?);
        writes.counts.pupils_written += 1;
    }

    let mut leaving: BTreeSet<&PupilId> = BTreeSet::new();
    for id in &update.removed.pupils {
        let Some(entry) = ledger.pupils.get(id) else {
            continue;
        };
        if entry.left || present.contains(id) {
            continue;
        }
        leaving.insert(id);
        writes.left.push(id.clone());
        let entry = LedgerPupil {
            left: true,
            ..entry.clone()
        };
        writes.ledger.push(put(keyed(
            roster_pk.clone(),
            ledger_sk("PUPIL", id.as_str()),
            &entry,
        )?)?);
        writes.counts.pupils_left += 1;
    }

    let updated_classes: BTreeSet<&ClassId> = update.classes.iter().map(|c| &c.id).collect();
    for class in &update.classes {
        let before = ledger.classes.get(&class.id);
        let mut after = LedgerClass {
            digest: class_digest(class)?,
            members: BTreeMap::new(),
        };
        let pk = keys::class(school, &class.id);
        if before.is_none_or(|b| b.digest != after.digest) {
            writes.roster.push(put(class_item(school, class)?)?);
            writes.counts.classes_written += 1;
        }
        for member in &class.members {
            let sum = member_digest(member)?;
            let old = before.and_then(|b| b.members.get(member.pupil_id.as_str()));
            if old != Some(&sum) {
                writes
                    .roster
                    .push(put(member_item(school, &class.id, member)?)?);
                writes.counts.members_written += 1;
            }
            after.members.insert(member.pupil_id.to_string(), sum);
        }
        for gone in before
            .iter()
            .flat_map(|b| b.members.keys())
            .filter(|p| !after.members.contains_key(*p))
        {
            writes
                .roster
                .push(delete(pk.clone(), format!("PUPIL#{gone}"))?);
            writes.counts.members_removed += 1;
        }
        if before != Some(&after) {
            writes.ledger.push(put(keyed(
                roster_pk.clone(),
                ledger_sk("CLASS", class.id.as_str()),
                &after,
            )?)?);
        }
    }

    // Classes Wonde did not send again still show a renamed pupil's new
    // name, and lose a pupil who left.
    for (id, before) in &ledger.classes {
        if updated_classes.contains(id) || update.removed.classes.contains(id) {
            continue;
        }
        let pk = keys::class(school, id);
        let mut after = before.clone();
        for (pupil, old) in &before.members {
            let Ok(pupil_id) = PupilId::parse(pupil) else {
                continue;
            };
            if leaving.contains(&pupil_id) {
                writes
                    .roster
                    .push(delete(pk.clone(), keys::member(&pupil_id))?);
                writes.counts.members_removed += 1;
                after.members.remove(pupil);
            } else if let Some(name) = names_changed.get(&pupil_id) {
                let member = Member {
                    pupil_id: pupil_id.clone(),
                    display_name: name.clone(),
                };
                let sum = member_digest(&member)?;
                if &sum != old {
                    writes.roster.push(put(member_item(school, id, &member)?)?);
                    writes.counts.members_written += 1;
                    after.members.insert(pupil.clone(), sum);
                }
            }
        }
        if after.members.len() != before.members.len() {
            // The class's own digest still vouches for the old count; the
            // next sync that sends the class writes its item once more.
            writes.recounts.push((id.clone(), after.members.len()));
        }
        if &after != before {
            writes.ledger.push(put(keyed(
                roster_pk.clone(),
                ledger_sk("CLASS", id.as_str()),
                &after,
            )?)?);
        }
    }

    for id in &update.removed.classes {
        let Some(before) = ledger.classes.get(id) else {
            continue;
        };
        if updated_classes.contains(id) {
            continue;
        }
        let pk = keys::class(school, id);
        writes
            .roster
            .push(delete(pk.clone(), keys::CLASS.to_owned())?);
        for pupil in before.members.keys() {
            writes
                .roster
                .push(delete(pk.clone(), format!("PUPIL#{pupil}"))?);
            writes.counts.members_removed += 1;
        }
        writes
            .ledger
            .push(delete(roster_pk.clone(), ledger_sk("CLASS", id.as_str()))?);
        writes.counts.classes_removed += 1;
    }

    let updated_staff: BTreeSet<&StaffId> = update.staff.iter().map(|m| &m.id).collect();
    for member in &update.staff {
        let sum = digest(member)?;
        if ledger.staff.get(&member.id) == Some(&sum) {
            continue;
        }
        writes.roster.push(put(serde_dynamo::to_item(StaffItem {
            pk: keys::staff_directory(school),
            sk: staff_sk(&member.id),
            school_id: school,
            member,
            email_key: member.email.as_ref().map(email_key),
        })?)?);
        writes.ledger.push(put(keyed(
            roster_pk.clone(),
            ledger_sk("STAFF", member.id.as_str()),
            &LedgerStaff { digest: sum },
        )?)?);
        writes.counts.staff_written += 1;
    }
    for id in &update.removed.staff {
        if !ledger.staff.contains_key(id) || updated_staff.contains(id) {
            continue;
        }
        writes
            .roster
            .push(delete(keys::staff_directory(school), staff_sk(id))?);
        writes
            .ledger
            .push(delete(roster_pk.clone(), ledger_sk("STAFF", id.as_str()))?);
        writes.counts.staff_removed += 1;
    }

    let updated_groups: BTreeSet<&str> = update.groups.iter().map(|g| g.id.as_str()).collect();
    for group in &update.groups {
        if ledger.groups.get(&group.id) == Some(group) {
            continue;
        }
        writes
            .roster
            .push(put(keyed(roster_pk.clone(), group_sk(&group.id), group)?)?);
        writes.counts.groups_written += 1;
    }
    for id in &update.removed.groups {
        if !ledger.groups.contains_key(id) || updated_groups.contains(id.as_str()) {
            continue;
        }
        writes.roster.push(delete(roster_pk.clone(), group_sk(id))?);
        writes.counts.groups_removed += 1;
    }

    Ok(writes)
}

#[derive(Serialize, Deserialize)]
struct LedgerStaff {
    digest: String,
}

impl Store {
    /// Everything the sync wrote before for a school, in one query of its
    /// roster partition.
    pub async fn roster_ledger(&self, school: &SchoolId) -> Result<RosterLedger, StoreError> {
        let mut ledger = RosterLedger::default();
        for item in self.partition(&keys::roster(school)).await? {
            let Some(sk) = text(&item, keys::SK) else {
                continue;
            };
            if sk.starts_with("GROUP#") {
                let group: Keyed<RosterGroup> = serde_dynamo::from_item(item)?;
                ledger.groups.insert(group.value.id.clone(), group.value);
            } else if let Some(id) = sk.strip_prefix("LEDGER#PUPIL#") {
                let entry: Keyed<LedgerPupil> = serde_dynamo::from_item(item)?;
                ledger.pupils.insert(parse_id(id)?, entry.value);
            } else if let Some(id) = sk.strip_prefix("LEDGER#STAFF#") {
                let entry: Keyed<LedgerStaff> = serde_dynamo::from_item(item)?;
                ledger.staff.insert(parse_id(id)?, entry.value.digest);
            } else if let Some(id) = sk.strip_prefix("LEDGER#CLASS#") {
                let entry: Keyed<LedgerClass> = serde_dynamo::from_item(item)?;
                ledger.classes.insert(parse_id(id)?, entry.value);
            }
        }
        Ok(ledger)
    }

    /// Applies planned writes: the roster first, 25 to a request, then the
    /// pupils who left and the pupil counts of the classes they left, then
    /// the ledger. Returns how many write requests it sent.
    pub async fn write_roster(
        &self,
        school: &SchoolId,
        writes: RosterWrites,
        left_at: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let mut requests = self.write_many(writes.roster).await?;
        for pupil in &writes.left {
            requests += 1;
            let marked = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(keys::pupil(school, pupil), keys::PUPIL)))
                .update_expression("SET leftAt = :at")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":at", s(keys::instant(left_at)))
                .send()
                .await;
            match marked.map_err(StoreError::from) {
                Ok(_) | Err(StoreError::ConditionFailed) => {}
                Err(error) => return Err(error),
            }
        }
        for (class, count) in &writes.recounts {
            requests += 1;
            let counted = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(keys::class(school, class), keys::CLASS)))
                .update_expression("SET pupilCount = :count")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":count", n(count))
                .send()
                .await;
            match counted.map_err(StoreError::from) {
                Ok(_) | Err(StoreError::ConditionFailed) => {}
                Err(error) => return Err(error),
            }
        }
        requests += self.write_many(writes.ledger).await?;
        Ok(requests)
    }

    /// A pupil as the sync wrote them, and when they left if they have.
    pub async fn roster_pupil(
        &self,
        school: &SchoolId,
        pupil: &PupilId,
    ) -> Result<Option<(RosterPupil, Option<DateTime<Utc>>)>, StoreError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Stored {
            #[serde(flatten)]
            pupil: RosterPupil,
            #[serde(default)]
            left_at: Option<DateTime<Utc>>,
        }
        let stored: Option<Keyed<Stored>> = self
            .get(key(keys::pupil(school, pupil), keys::PUPIL))
            .await?;
        Ok(stored.map(|s| (s.value.pupil, s.value.left_at)))
    }

    /// A class as the sync wrote it, without its members (see
    /// [`Store::class`] for those).
    pub async fn roster_class(
        &self,
        school: &SchoolId,
        class: &ClassId,
    ) -> Result<Option<RosterClass>, StoreError> {
        let stored: Option<Keyed<RosterClass>> = self
            .get(key(keys::class(school, class), keys::CLASS))
            .await?;
        Ok(stored.map(|s| s.value))
    }

    /// A member of staff as the sync wrote them.
    pub async fn roster_staff(
        &self,
        school: &SchoolId,
        staff: &StaffId,
    ) -> Result<Option<RosterStaff>, StoreError> {
        let stored: Option<Keyed<RosterStaff>> = self
            .get(key(keys::staff_directory(school), staff_sk(staff)))
            .await?;
        Ok(stored.map(|s| s.value))
    }
}

fn parse_id<T: std::str::FromStr>(raw: &str) -> Result<T, StoreError> {
    raw.parse()
        .map_err(|_| StoreError::Corrupt(format!("a ledger key holds a bad id {raw}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn school() -> SchoolId {
        SchoolId::parse("s1").unwrap()
    }

    fn pupil(id: &str, first: &str) -> RosterPupil {
        RosterPupil {
            id: PupilId::parse(id).unwrap(),
            wonde_id: format!("W{id}"),
            first_name: first.to_owned(),
            last_name: "Smith".to_owned(),
            year_group: "7".to_owned(),
            house: None,
            registration_group: Some("7A".to_owned()),
            group_flags: None,
        }
    }

    fn class(id: &str, members: &[&RosterPupil]) -> RosterClass {
        RosterClass {
            id: ClassId::parse(id).unwrap(),
            name: id.to_owned(),
            year_group: "7".to_owned(),
            subject: Some("Maths".to_owned()),
            teacher_ids: vec![],
            main_teacher_id: None,
            members: members
                .iter()
                .map(|p| Member {
                    pupil_id: p.id.clone(),
                    display_name: p.display_name(),
                })
                .collect(),
        }
    }

    /// The ledger as it would read after the writes were applied.
    fn ledger_after(update: &RosterUpdate) -> RosterLedger {
        let mut ledger = RosterLedger::default();
        for p in &update.pupils {
            ledger.pupils.insert(
                p.id.clone(),
                LedgerPupil {
                    wonde_id: p.wonde_id.clone(),
                    digest: digest(p).unwrap(),
                    display_name: p.display_name(),
                    left: false,
                },
            );
        }
        for c in &update.classes {
            ledger.classes.insert(
                c.id.clone(),
                LedgerClass {
                    digest: class_digest(c).unwrap(),
                    members: c
                        .members
                        .iter()
                        .map(|m| (m.pupil_id.to_string(), member_digest(m).unwrap()))
                        .collect(),
                },
            );
        }
        ledger
    }

    #[test]
    fn the_same_roster_again_plans_no_writes() {
        let (a, b) = (pupil("p1", "Ava"), pupil("p2", "Leo"));
        let update = RosterUpdate {
            classes: vec![class("c1", &[&a, &b])],
            pupils: vec![a, b],
            ..RosterUpdate::default()
        };
        let first = plan_writes(&school(), &RosterLedger::default(), &update).unwrap();
        assert_eq!(first.counts.pupils_written, 2);
        assert_eq!(first.counts.members_written, 2);
        let again = plan_writes(&school(), &ledger_after(&update), &update).unwrap();
        assert!(again.is_empty(), "{:?}", again.counts);
    }

    #[test]
    fn a_rename_reaches_classes_that_were_not_sent_again() {
        let (a, b) = (pupil("p1", "Ava"), pupil("p2", "Leo"));
        let full = RosterUpdate {
            classes: vec![class("c1", &[&a, &b])],
            pupils: vec![a.clone(), b],
            ..RosterUpdate::default()
        };
        let delta = RosterUpdate {
            pupils: vec![RosterPupil {
                first_name: "Eva".to_owned(),
                ..a
            }],
            ..RosterUpdate::default()
        };
        let writes = plan_writes(&school(), &ledger_after(&full), &delta).unwrap();
        assert_eq!(writes.counts.pupils_written, 1);
        assert_eq!(writes.counts.members_written, 1);
        assert_eq!(writes.counts.classes_written, 0);
    }

    #[test]
    fn a_pupil_seen_in_this_run_is_never_marked_as_left() {
        let a = pupil("p1", "Ava");
        let full = RosterUpdate {
            pupils: vec![a.clone()],
            ..RosterUpdate::default()
        };
        let mut delta = RosterUpdate {
            pupils: vec![RosterPupil {
                wonde_id: "Wnew".to_owned(),
                ..a.clone()
            }],
            ..RosterUpdate::default()
        };
        delta.removed.pupils.insert(a.id.clone());
        let writes = plan_writes(&school(), &ledger_after(&full), &delta).unwrap();
        assert_eq!(writes.counts.pupils_left, 0);
        assert_eq!(writes.counts.pupils_written, 1);
    }
}
