//! The roster as staff look things up in it: the school's pupils by name,
//! year, house, tutor group or class; its classes, all or a teacher's own;
//! its staff; and its year groups and houses. Everything here only reads.
//!
//! | what | read by | from |
//! | --- | --- | --- |
//! | pupils | Query `gsi4` | `S#<school>#PUPILS`, sk `<last>#<first>#<pupil>` |
//! | pupils of one class | Query, BatchGetItem | the class partition, then its pupils' items |
//! | one pupil, their classes | GetItem, Query `gsi1`, BatchGetItem | `S#<school>#PUPIL#<pupil>`, member items by `CLASS#<class>` |
//! | classes | Query `gsi4` | `S#<school>#CLASSES`, sk `<name>#<class>` |
//! | one class, its pupils | Query | `S#<school>#CLASS#<class>` |
//! | staff | Query | `S#<school>#STAFF`, sk begins with `STAFF#` |
//! | year groups, houses | Query | `S#<school>#ROSTER`, sk begins with `GROUP#` |
//!
//! Pupil and class items carry their directory attributes (`gsi4pk`,
//! `gsi4sk`, and `searchName` or `pupilCount`) from the moment they are
//! written, by the roster sync ([`crate::roster::plan_writes`]) or by
//! seeding ([`Store::put_pupils`], [`Store::put_class`]); a member item
//! carries `gsi1pk`/`gsi1sk`, which files it under its pupil. Marking a
//! pupil as left sets `leftAt` and keeps the rest, so a pupil who left is
//! still found when asked for.
//!
//! Lists page by a position (the directory key of the last entry given), so
//! a page follows on from where the last one ended even if entries were
//! added or removed between them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::{ClassId, Email, PupilId, SchoolId, StaffId};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::dynamo::{Item, key, s, text};
use crate::error::StoreError;
use crate::keys;
use crate::roster::{GroupFlags, GroupKind, RosterGroup};
use crate::school::Member;

/// What files a pupil item in the pupil directory.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PupilListing {
    gsi4pk: String,
    gsi4sk: String,
    /// `<first> <last>`, folded: what a search by first name, or by whole
    /// name, matches the start of.
    search_name: String,
}

impl PupilListing {
    pub(crate) fn new(school: &SchoolId, pupil: &PupilId, first: &str, last: &str) -> Self {
        Self {
            gsi4pk: keys::pupil_directory(school),
            gsi4sk: keys::pupil_directory_entry(last, first, pupil),
            search_name: search_name(first, last),
        }
    }
}

/// What files a class item in the class directory.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClassListing {
    gsi4pk: String,
    gsi4sk: String,
    pupil_count: usize,
}

impl ClassListing {
    pub(crate) fn new(school: &SchoolId, class: &ClassId, name: &str, pupils: usize) -> Self {
        Self {
            gsi4pk: keys::class_directory(school),
            gsi4sk: keys::class_directory_entry(name, class),
            pupil_count: pupils,
        }
    }
}

/// What files a member item under its pupil, so a pupil's classes are one
/// Query away. The pupil's behaviour timeline shares the partition but
/// never the `CLASS#` keys.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MemberListing {
    gsi1pk: String,
    gsi1sk: String,
}

impl MemberListing {
    pub(crate) fn new(school: &SchoolId, pupil: &PupilId, class: &ClassId) -> Self {
        Self {
            gsi1pk: keys::pupil(school, pupil),
            gsi1sk: member_of(class),
        }
    }
}

fn member_of(class: &ClassId) -> String {
    format!("CLASS#{class}")
}

fn search_name(first: &str, last: &str) -> String {
    keys::fold(&format!("{first} {last}"))
}

/// A pupil as the directory shows them.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryPupil {
    pub id: PupilId,
    pub first_name: String,
    pub last_name: String,
    /// Empty where the MIS gives no year group.
    #[serde(default)]
    pub year_group: String,
    #[serde(default)]
    pub house: Option<String>,
    #[serde(default)]
    pub registration_group: Option<String>,
    #[serde(default)]
    pub group_flags: Option<GroupFlags>,
    /// When the roster sync marked them as left.
    #[serde(default)]
    pub left_at: Option<DateTime<Utc>>,
}

impl DirectoryPupil {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }

    /// Where the pupil stands in the directory.
    pub fn position(&self) -> String {
        keys::pupil_directory_entry(&self.last_name, &self.first_name, &self.id)
    }

    /// Whether `q` (folded) starts their first name, their last name or
    /// their whole name.
    fn answers_to(&self, q: &str) -> bool {
        keys::fold(&self.last_name).starts_with(q)
            || search_name(&self.first_name, &self.last_name).starts_with(q)
    }
}

impl std::fmt::Debug for DirectoryPupil {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectoryPupil")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Which pupils to list. Filters combine; text filters other than `name`
/// match exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PupilQuery {
    /// The start of a first, last or whole name, in any case.
    pub name: Option<String>,
    pub year_group: Option<String>,
    pub house: Option<String>,
    pub registration_group: Option<String>,
    pub class: Option<ClassId>,
    pub include_left: bool,
    pub limit: usize,
    /// The position of the last pupil of the previous page.
    pub after: Option<String>,
}

impl PupilQuery {
    fn admits(&self, pupil: &DirectoryPupil) -> bool {
        let name = self.name.as_deref().map(keys::fold);
        (self.include_left || pupil.left_at.is_none())
            && name.is_none_or(|q| pupil.answers_to(&q))
            && self
                .year_group
                .as_ref()
                .is_none_or(|y| &pupil.year_group == y)
            && self
                .house
                .as_ref()
                .is_none_or(|h| pupil.house.as_ref() == Some(h))
            && self
                .registration_group
                .as_ref()
                .is_none_or(|g| pupil.registration_group.as_ref() == Some(g))
            && self
                .after
                .as_ref()
                .is_none_or(|after| pupil.position() > *after)
    }

    /// Whether anything but the left marking narrows the list, so that most
    /// of what one read brings back is passed over.
    fn narrowed(&self) -> bool {
        self.name.is_some()
            || self.year_group.is_some()
            || self.house.is_some()
            || self.registration_group.is_some()
    }
}

/// A class as the directory shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryClass {
    pub id: ClassId,
    pub name: String,
    #[serde(default)]
    pub year_group: String,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub teacher_ids: Vec<StaffId>,
    #[serde(default)]
    pub main_teacher_id: Option<StaffId>,
    /// Absent only on class items written before the directory existed.
    #[serde(default)]
    pupil_count: Option<usize>,
}

impl DirectoryClass {
    pub fn position(&self) -> String {
        keys::class_directory_entry(&self.name, &self.id)
    }

    pub fn teaches(&self, staff: &StaffId) -> bool {
        self.teacher_ids.contains(staff) || self.main_teacher_id.as_ref() == Some(staff)
    }
}

/// A class listed with how many pupils it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassEntry {
    pub class: DirectoryClass,
    pub pupil_count: usize,
}

/// A class with its pupils, by display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassDetail {
    pub class: DirectoryClass,
    pub members: Vec<Member>,
}

/// Which classes to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassQuery {
    /// Only the classes this member of staff teaches.
    pub teacher: Option<StaffId>,
    pub limit: usize,
    pub after: Option<String>,
}

/// A member of staff as the roster lists them.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryStaff {
    pub id: StaffId,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub email: Option<Email>,
    /// Staff written before the sync said who teaches read as not teaching.
    #[serde(default)]
    pub teaching: bool,
}

impl DirectoryStaff {
    pub fn position(&self) -> String {
        format!(
            "{}#{}#{}",
            keys::fold(&self.last_name),
            keys::fold(&self.first_name),
            self.id
        )
    }
}

impl std::fmt::Debug for DirectoryStaff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectoryStaff")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Which staff to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaffQuery {
    /// The start of a first, last or whole name, in any case.
    pub name: Option<String>,
    pub teaching: Option<bool>,
    pub limit: usize,
    pub after: Option<String>,
}

impl StaffQuery {
    fn admits(&self, member: &DirectoryStaff) -> bool {
        let name = self.name.as_deref().map(keys::fold);
        name.is_none_or(|q| {
            keys::fold(&member.last_name).starts_with(&q)
                || search_name(&member.first_name, &member.last_name).starts_with(&q)
        }) && self.teaching.is_none_or(|t| member.teaching == t)
            && self
                .after
                .as_ref()
                .is_none_or(|after| member.position() > *after)
    }
}

/// A page of a list and the position the next page starts after; none on
/// the last page.
pub type Page<T> = (Vec<T>, Option<String>);

/// How many directory entries one Query asks for when nothing but the left
/// marking is filtered out: a page and a few more, since a pupil who left is
/// passed over. A filtered list reads up to DynamoDB's 1 MB a request, a
/// school's whole directory for most schools.
const SLACK: usize = 8;

/// Keeps the first `limit` of what was found, and says where the next page
/// starts if there was more.
fn page<T>(mut found: Vec<T>, limit: usize, position: impl Fn(&T) -> String) -> Page<T> {
    if found.len() <= limit {
        return (found, None);
    }
    found.truncate(limit);
    let next = found.last().map(position);
    (found, next)
}

impl Store {
    /// A page of the school's pupils, by last name and then first name.
    pub async fn pupils(
        &self,
        school: &SchoolId,
        query: &PupilQuery,
    ) -> Result<Page<DirectoryPupil>, StoreError> {
        if let Some(class) = &query.class {
            return self.pupils_of_class(school, class, query).await;
        }
        let read_limit = (!query.narrowed()).then_some(query.limit + 1 + SLACK);
        let found = self
            .directory(
                &keys::pupil_directory(school),
                query.after.as_deref(),
                read_limit,
                query.limit + 1,
                |item| {
                    let pupil: DirectoryPupil = serde_dynamo::from_item(item)?;
                    Ok(query.admits(&pupil).then_some(pupil))
                },
            )
            .await?;
        Ok(page(found, query.limit, DirectoryPupil::position))
    }

    /// A class's pupils, filtered and paged as the directory would: a class
    /// is small, so this reads it whole rather than the school's directory.
    async fn pupils_of_class(
        &self,
        school: &SchoolId,
        class: &ClassId,
        query: &PupilQuery,
    ) -> Result<Page<DirectoryPupil>, StoreError> {
        let Some(detail) = self.class_detail(school, class).await? else {
            return Ok((Vec::new(), None));
        };
        let wanted = detail
            .members
            .iter()
            .map(|m| key(keys::pupil(school, &m.pupil_id), keys::PUPIL))
            .collect();
        let mut found = Vec::new();
        for item in self.get_many(wanted).await? {
            let pupil: DirectoryPupil = serde_dynamo::from_item(item)?;
            if query.admits(&pupil) {
                found.push(pupil);
            }
        }
        found.sort_by_cached_key(DirectoryPupil::position);
        Ok(page(found, query.limit, DirectoryPupil::position))
    }

    /// One pupil of the school, left or not.
    pub async fn directory_pupil(
        &self,
        school: &SchoolId,
        pupil: &PupilId,
    ) -> Result<Option<DirectoryPupil>, StoreError> {
        self.get(key(keys::pupil(school, pupil), keys::PUPIL)).await
    }

    /// The classes a pupil is a member of, by name.
    pub async fn classes_of_pupil(
        &self,
        school: &SchoolId,
        pupil: &PupilId,
    ) -> Result<Vec<DirectoryClass>, StoreError> {
        let mut ids = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("gsi1")
                .key_condition_expression("gsi1pk = :pk AND begins_with(gsi1sk, :class)")
                .expression_attribute_values(":pk", s(keys::pupil(school, pupil)))
                .expression_attribute_values(":class", s("CLASS#"))
                .set_exclusive_start_key(start)
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                let class = text(&item, "gsi1sk")
                    .and_then(|sk| sk.strip_prefix("CLASS#").map(ClassId::parse))
                    .and_then(Result::ok);
                ids.extend(class);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        let wanted = ids
            .iter()
            .map(|class| key(keys::class(school, class), keys::CLASS))
            .collect();
        let mut classes = self
            .get_many(wanted)
            .await?
            .into_iter()
            .map(serde_dynamo::from_item)
            .collect::<Result<Vec<DirectoryClass>, _>>()?;
        classes.sort_by_cached_key(DirectoryClass::position);
        Ok(classes)
    }

    /// A page of the school's classes, by name, each with its pupil count.
    pub async fn classes(
        &self,
        school: &SchoolId,
        query: &ClassQuery,
    ) -> Result<Page<ClassEntry>, StoreError> {
        let read_limit = query.teacher.is_none().then_some(query.limit + 1);
        let found = self
            .directory(
                &keys::class_directory(school),
                query.after.as_deref(),
                read_limit,
                query.limit + 1,
                |item| {
                    let class: DirectoryClass = serde_dynamo::from_item(item)?;
                    let wanted = query.teacher.as_ref().is_none_or(|t| class.teaches(t));
                    Ok(wanted.then_some(class))
                },
            )
            .await?;
        let (classes, next) = page(found, query.limit, DirectoryClass::position);
        let mut entries = Vec::with_capacity(classes.len());
        for class in classes {
            let pupil_count = match class.pupil_count {
                Some(count) => count,
                None => self.count_members(school, &class.id).await?,
            };
            entries.push(ClassEntry { class, pupil_count });
        }
        Ok((entries, next))
    }

    /// How many member items a class has, for a class item that does not
    /// say.
    async fn count_members(&self, school: &SchoolId, class: &ClassId) -> Result<usize, StoreError> {
        let mut count = 0;
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :member)")
                .expression_attribute_values(":pk", s(keys::class(school, class)))
                .expression_attribute_values(":member", s("PUPIL#"))
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await?;
            count += usize::try_from(output.count).unwrap_or_default();
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(count);
            }
        }
    }

    /// A class and its pupils, by display name; none if the school has no
    /// such class.
    pub async fn class_detail(
        &self,
        school: &SchoolId,
        class: &ClassId,
    ) -> Result<Option<ClassDetail>, StoreError> {
        let mut found = None;
        let mut members = Vec::new();
        for item in self.partition(&keys::class(school, class)).await? {
            match text(&item, keys::SK).as_deref() {
                Some(keys::CLASS) => found = Some(serde_dynamo::from_item(item)?),
                Some(sk) if sk.starts_with("PUPIL#") => {
                    members.push(serde_dynamo::from_item::<_, Member>(item)?);
                }
                _ => {}
            }
        }
        members.sort_by_cached_key(|m| (keys::fold(&m.display_name), m.pupil_id.clone()));
        Ok(found.map(|class| ClassDetail { class, members }))
    }

    /// A page of the school's roster staff, by last name and then first
    /// name. A school's staff is a few hundred, so one Query reads them all.
    pub async fn directory_staff(
        &self,
        school: &SchoolId,
        query: &StaffQuery,
    ) -> Result<Page<DirectoryStaff>, StoreError> {
        let mut found = Vec::new();
        for item in self
            .begins_with(&keys::staff_directory(school), "STAFF#")
            .await?
        {
            let member: DirectoryStaff = serde_dynamo::from_item(item)?;
            if query.admits(&member) {
                found.push(member);
            }
        }
        found.sort_by_cached_key(DirectoryStaff::position);
        Ok(page(found, query.limit, DirectoryStaff::position))
    }

    /// Roster staff by id, for naming the teachers of classes. Ids the
    /// roster does not hold are left out.
    pub async fn staff_named(
        &self,
        school: &SchoolId,
        ids: &[StaffId],
    ) -> Result<HashMap<StaffId, DirectoryStaff>, StoreError> {
        let mut unique: Vec<&StaffId> = ids.iter().collect();
        unique.sort();
        unique.dedup();
        let wanted = unique
            .into_iter()
            .map(|id| key(keys::staff_directory(school), format!("STAFF#{id}")))
            .collect();
        self.get_many(wanted)
            .await?
            .into_iter()
            .map(|item| {
                let member: DirectoryStaff = serde_dynamo::from_item(item)?;
                Ok((member.id.clone(), member))
            })
            .collect()
    }

    /// The school's groups of one kind, by name (numbers in order, so Year 7
    /// comes before Year 10).
    pub async fn groups(
        &self,
        school: &SchoolId,
        kind: GroupKind,
    ) -> Result<Vec<RosterGroup>, StoreError> {
        let mut groups = Vec::new();
        for item in self.begins_with(&keys::roster(school), "GROUP#").await? {
            let group: RosterGroup = serde_dynamo::from_item(item)?;
            if group.kind == kind {
                groups.push(group);
            }
        }
        groups.sort_by_cached_key(|g| (natural(&g.name), g.id.clone()));
        Ok(groups)
    }

    /// The form tutors of the registration group a pupil's roster entry
    /// names (by name, as pupils carry it), as the roster lists them; none
    /// if the group has no tutor on the roster.
    pub async fn tutors_of(
        &self,
        school: &SchoolId,
        registration_group: &str,
    ) -> Result<Vec<DirectoryStaff>, StoreError> {
        let tutors: Vec<StaffId> = self
            .groups(school, GroupKind::Registration)
            .await?
            .into_iter()
            .filter(|group| group.name == registration_group)
            .flat_map(|group| group.tutors)
            .collect();
        let mut found: Vec<DirectoryStaff> = self
            .staff_named(school, &tutors)
            .await?
            .into_values()
            .collect();
        found.sort_by_cached_key(DirectoryStaff::position);
        Ok(found)
    }

    /// Every item of a partition whose sort key starts with `prefix`.
    async fn begins_with(&self, pk: &str, prefix: &str) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(pk))
                .expression_attribute_values(":prefix", s(prefix))
                .set_exclusive_start_key(start)
                .send()
                .await?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Reads a `gsi4` directory in order from just after `after`, keeping
    /// what `keep` returns, until `wanted` are kept or the directory ends.
    /// `read_limit` bounds each Query; none reads a full 1 MB page.
    async fn directory<T>(
        &self,
        partition: &str,
        after: Option<&str>,
        read_limit: Option<usize>,
        wanted: usize,
        keep: impl Fn(Item) -> Result<Option<T>, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let condition = if after.is_some() {
            "gsi4pk = :pk AND gsi4sk > :after"
        } else {
            "gsi4pk = :pk"
        };
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi4")
            .key_condition_expression(condition)
            .expression_attribute_values(":pk", s(partition))
            .set_limit(read_limit.map(|n| i32::try_from(n).unwrap_or(i32::MAX)));
        if let Some(after) = after {
            request = request.expression_attribute_values(":after", s(after));
        }

        let mut kept = Vec::new();
        let mut start = None;
        loop {
            let output = request
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                if let Some(value) = keep(item)? {
                    kept.push(value);
                    if kept.len() == wanted {
                        return Ok(kept);
                    }
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(kept);
            }
        }
    }
}

/// A sort key in which runs of digits compare as numbers.
fn natural(name: &str) -> String {
    let mut key = String::new();
    let mut digits = String::new();
    for c in name.to_lowercase().chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            key.push_str(&format!("{digits:0>12}"));
            digits.clear();
        }
        if c != '\0' {
            key.push(c);
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_group_names_sort_as_numbers() {
        let mut names = vec!["Year 10", "Year 7", "Year 11", "Year 8", "Reception"];
        names.sort_by_cached_key(|n| natural(n));
        assert_eq!(
            names,
            ["Reception", "Year 7", "Year 8", "Year 10", "Year 11"]
        );
    }

    fn pupil(first: &str, last: &str) -> DirectoryPupil {
        DirectoryPupil {
            id: PupilId::parse("p1").unwrap(),
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            year_group: "7".to_owned(),
            house: Some("Ash".to_owned()),
            registration_group: Some("7R".to_owned()),
            group_flags: None,
            left_at: None,
        }
    }

    #[test]
    fn a_name_search_matches_the_start_of_first_last_or_whole_name() {
        let ava = pupil("Ava", "O'Brien-Smith");
        let search = |q: &str| PupilQuery {
            name: Some(q.to_owned()),
            ..PupilQuery::default()
        };
        for q in ["av", "AVA", "o'b", "Ava  O'Brien", "o'brien-smith"] {
            assert!(search(q).admits(&ava), "{q}");
        }
        for q in ["va", "smith", "ava x", "brien"] {
            assert!(!search(q).admits(&ava), "{q}");
        }
    }

    #[test]
    fn pupils_who_left_are_listed_only_when_asked_for() {
        let left = DirectoryPupil {
            left_at: Some(Utc::now()),
            ..pupil("Leo", "Khan")
        };
        assert!(!PupilQuery::default().admits(&left));
        assert!(
            PupilQuery {
                include_left: true,
                ..PupilQuery::default()
            }
            .admits(&left)
        );
    }
}
