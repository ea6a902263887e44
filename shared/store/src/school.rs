//! A school's settings, policy and roster as the behaviour functions read
//! them. The roster here is written by seeding (dev stack and tests) and,
//! later, by the roster sync.

use chrono_tz::Tz;
use domain::{ClassId, Policy, PupilId, SchoolId, StaffId};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::directory::{ClassListing, MemberListing, PupilListing};
use crate::dynamo::{Item, text};
use crate::error::StoreError;
use crate::keys;

/// Settings that hold for the whole school.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchoolSettings {
    pub name: String,
    /// An IANA zone name; the school's days begin at its midnight.
    pub time_zone: String,
}

impl SchoolSettings {
    pub fn zone(&self) -> Result<Tz, StoreError> {
        self.time_zone
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("unknown time zone {}", self.time_zone)))
    }
}

/// A pupil as the roster knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pupil {
    pub id: PupilId,
    pub first_name: String,
    pub last_name: String,
    pub year_group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house: Option<String>,
}

/// A class's member, with the name shown on the class grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub pupil_id: PupilId,
    pub display_name: String,
}

/// A class with its teachers and pupils.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassRoster {
    pub id: ClassId,
    pub name: String,
    pub year_group: String,
    pub teacher_ids: Vec<StaffId>,
    #[serde(skip)]
    pub members: Vec<Member>,
}

impl ClassRoster {
    pub fn has_pupil(&self, pupil: &PupilId) -> bool {
        self.members.iter().any(|m| &m.pupil_id == pupil)
    }
}

#[derive(Serialize, Deserialize)]
struct Keyed<T> {
    pk: String,
    sk: String,
    #[serde(flatten)]
    value: T,
}

fn keyed<T: Serialize>(pk: String, sk: impl Into<String>, value: T) -> Result<Item, StoreError> {
    Ok(serde_dynamo::to_item(Keyed {
        pk,
        sk: sk.into(),
        value,
    })?)
}

/// A record with the directory attributes its item carries beside it.
#[derive(Serialize)]
struct Listed<T, L> {
    #[serde(flatten)]
    record: T,
    #[serde(flatten)]
    listing: L,
}

fn unkeyed<T: for<'de> Deserialize<'de>>(item: Item) -> Result<T, StoreError> {
    Ok(serde_dynamo::from_item::<_, Keyed<T>>(item)?.value)
}

impl Store {
    /// The school's settings and policy in one read; none if the school is
    /// not set up.
    pub async fn school(
        &self,
        school: &SchoolId,
    ) -> Result<Option<(SchoolSettings, Policy)>, StoreError> {
        let mut settings = None;
        let mut policy = None;
        for item in self.partition(&keys::school(school)).await? {
            match text(&item, keys::SK).as_deref() {
                Some(keys::SCHOOL) => settings = Some(unkeyed(item)?),
                Some(keys::POLICY) => policy = Some(unkeyed(item)?),
                _ => {}
            }
        }
        Ok(settings.zip(policy))
    }

    /// A class and its pupils; none if the school has no such class.
    pub async fn class(
        &self,
        school: &SchoolId,
        class: &ClassId,
    ) -> Result<Option<ClassRoster>, StoreError> {
        let mut roster: Option<ClassRoster> = None;
        let mut members = Vec::new();
        for item in self.partition(&keys::class(school, class)).await? {
            match text(&item, keys::SK).as_deref() {
                Some(keys::CLASS) => roster = Some(unkeyed(item)?),
                Some(sk) if sk.starts_with("PUPIL#") => members.push(unkeyed::<Member>(item)?),
                _ => {}
            }
        }
        Ok(roster.map(|mut r| {
            r.members = members;
            r
        }))
    }

    /// Writes a school's settings and policy (seeding and setup). The
    /// settings item is overwritten whole, its Wonde link and lifecycle
    /// status with it; a school that joins through Wonde is created by
    /// [`Store::approve_school`] instead, only if it does not exist.
    pub async fn put_school(
        &self,
        school: &SchoolId,
        settings: &SchoolSettings,
        policy: &Policy,
    ) -> Result<(), StoreError> {
        let pk = keys::school(school);
        self.put_many(vec![
            keyed(pk.clone(), keys::SCHOOL, settings)?,
            keyed(pk, keys::POLICY, policy)?,
        ])
        .await
    }

    /// Writes pupils (seeding), each with its row in the pupil directory.
    pub async fn put_pupils(&self, school: &SchoolId, pupils: &[Pupil]) -> Result<(), StoreError> {
        let items = pupils
            .iter()
            .map(|p| {
                let listing = PupilListing::new(school, &p.id, &p.first_name, &p.last_name);
                keyed(
                    keys::pupil(school, &p.id),
                    keys::PUPIL,
                    Listed { record: p, listing },
                )
            })
            .collect::<Result<_, _>>()?;
        self.put_many(items).await
    }

    /// Writes a class and its memberships (seeding), with the class's row in
    /// the class directory and each member filed under its pupil.
    pub async fn put_class(
        &self,
        school: &SchoolId,
        class: &ClassRoster,
    ) -> Result<(), StoreError> {
        let pk = keys::class(school, &class.id);
        let listing = ClassListing::new(school, &class.id, &class.name, class.members.len());
        let mut items = vec![keyed(
            pk.clone(),
            keys::CLASS,
            Listed {
                record: class,
                listing,
            },
        )?];
        for member in &class.members {
            let listing = MemberListing::new(school, &member.pupil_id, &class.id);
            items.push(keyed(
                pk.clone(),
                keys::member(&member.pupil_id),
                Listed {
                    record: member,
                    listing,
                },
            )?);
        }
        self.put_many(items).await
    }
}
