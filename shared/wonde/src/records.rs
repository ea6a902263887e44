//! The roster records the service keeps from Wonde, and nothing more: a
//! pupil's names and groups, a member of staff's names, work email and
//! teaching status, a class's subject and members, and what was deleted.
//! Each is read from Wonde's JSON by a private wire type that names only
//! these fields, so the rest of a record (contacts, addresses, phone
//! numbers, dates of birth, parents) is skipped unread. A pupil's or a
//! member of staff's `Debug` shows the id alone, so neither prints a name.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::Error;
use crate::wire::{Decoded, Flag, Many, One, Problem, Skipped, Text, Time, decode_page};

/// An id Wonde gives a school or a record (`A1329183376`): letters, digits,
/// `-` and `_`, at most 64 characters, so it is safe in a URL path, a
/// storage key and a log line.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WondeId(String);

impl WondeId {
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let valid = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Error::InvalidId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WondeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for WondeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WondeId({})", self.0)
    }
}

impl<'de> Deserialize<'de> for WondeId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;

        impl Visitor<'_> for IdVisitor {
            type Value = WondeId;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a Wonde id")
            }

            fn visit_str<E: de::Error>(self, raw: &str) -> Result<WondeId, E> {
                WondeId::parse(raw).map_err(|_| E::custom("not a Wonde id"))
            }
        }

        deserializer.deserialize_str(IdVisitor)
    }
}

/// A school as Wonde describes it, with the host that holds its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct School {
    pub id: WondeId,
    pub name: Option<String>,
    /// `region.domain`: the API host for this school's data, such as
    /// `api.wonde.com`.
    pub region_domain: Option<String>,
}

/// What a group is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupKind {
    Year,
    House,
    Registration,
    Other,
}

impl GroupKind {
    fn read(kind: Option<&str>) -> Option<Self> {
        let kind = kind?.to_ascii_uppercase();
        Some(match kind.as_str() {
            "YEAR" => GroupKind::Year,
            "HOUSE" => GroupKind::House,
            "REGISTRATION" => GroupKind::Registration,
            _ => GroupKind::Other,
        })
    }
}

/// A year group, a house or a registration (form, tutor) group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: WondeId,
    /// Such as `Year 7`, `Curie` or `7A`.
    pub name: Option<String>,
    pub code: Option<String>,
    pub kind: GroupKind,
    /// The staff attached to the group (for a registration group, its form
    /// tutors), when `employees` is included.
    pub employee_ids: Vec<WondeId>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A pupil's gender as the MIS records it, for group analysis only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    Female,
    Male,
    /// Any other value the MIS holds.
    Other,
}

impl Gender {
    fn read(raw: &str) -> Self {
        match raw.to_ascii_uppercase().as_str() {
            "FEMALE" | "F" => Gender::Female,
            "MALE" | "M" => Gender::Male,
            _ => Gender::Other,
        }
    }
}

/// A pupil's special educational needs status, from the MIS's SEN code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SenStatus {
    /// `N`: no special educational need.
    NoNeed,
    /// `K` (and the old School Action codes `A` and `P`): SEN support.
    Support,
    /// `E` (and the old statement code `S`): an education, health and care
    /// plan.
    EhcPlan,
    /// A code not listed here.
    Other,
}

impl SenStatus {
    fn read(code: &str) -> Self {
        match code.to_ascii_uppercase().as_str() {
            "N" => SenStatus::NoNeed,
            "K" | "A" | "P" => SenStatus::Support,
            "E" | "S" => SenStatus::EhcPlan,
            _ => SenStatus::Other,
        }
    }
}

/// The flags a school may compare behaviour across. Read only when the
/// caller asks ([`crate::SchoolApi::pupils_with_group_flags`]); each is
/// `None` where the MIS holds nothing readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupFlags {
    pub gender: Option<Gender>,
    pub sen: Option<SenStatus>,
    pub pupil_premium: Option<bool>,
    /// English as an additional language.
    pub eal: Option<bool>,
}

/// A pupil on the school's roll.
#[derive(Clone, PartialEq, Eq)]
pub struct Pupil {
    pub id: WondeId,
    /// Wonde's person identifier. A pupil who leaves and is re-enrolled
    /// comes back under a new `id` with the same `upi`.
    pub upi: Option<String>,
    /// The names the school uses day to day (the MIS's preferred names).
    pub forename: Option<String>,
    pub surname: Option<String>,
    pub legal_forename: Option<String>,
    pub legal_surname: Option<String>,
    pub year: Option<Group>,
    pub house: Option<Group>,
    /// The registration (form, tutor) group.
    pub registration: Option<Group>,
    pub updated_at: Option<DateTime<Utc>>,
    /// Present only when asked for.
    pub group_flags: Option<GroupFlags>,
}

impl fmt::Debug for Pupil {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pupil")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A member of staff.
#[derive(Clone, PartialEq, Eq)]
pub struct Employee {
    pub id: WondeId,
    pub upi: Option<String>,
    pub title: Option<String>,
    pub forename: Option<String>,
    pub surname: Option<String>,
    /// The work address, or the MIS's main address where it records no work
    /// one; never a home address.
    pub work_email: Option<String>,
    pub teaching_staff: Option<bool>,
    /// Whether they are employed at the school now.
    pub current: Option<bool>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for Employee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Employee")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A class's subject. Without `include=subject` Wonde gives only its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub id: Option<WondeId>,
    pub code: Option<String>,
    pub name: Option<String>,
}

/// A member of staff who teaches a class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassTeacher {
    pub employee_id: WondeId,
    /// Wonde marks the class's main teacher (`meta.is_main_teacher`); false
    /// where it says nothing.
    pub main: bool,
}

/// A teaching class with its pupils and teachers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    pub id: WondeId,
    /// Such as `10A/Ar1`.
    pub name: Option<String>,
    pub code: Option<String>,
    pub subject: Option<Subject>,
    /// The class's year group, where the MIS gives one.
    pub year_group: Option<String>,
    pub pupil_ids: Vec<WondeId>,
    pub teachers: Vec<ClassTeacher>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl Class {
    /// The main teacher, if Wonde marks one.
    pub fn main_teacher(&self) -> Option<&WondeId> {
        self.teachers
            .iter()
            .find(|t| t.main)
            .map(|t| &t.employee_id)
    }
}

/// What kind of record a deletion is of.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeletionKind {
    Student,
    Employee,
    Class,
    Group,
    Contact,
    /// Another of Wonde's record types, as Wonde names it.
    Other(String),
}

impl DeletionKind {
    fn read(raw: Option<String>) -> Self {
        let raw = raw.unwrap_or_default();
        match raw.to_ascii_lowercase().as_str() {
            "student" | "students" => DeletionKind::Student,
            "employee" | "employees" => DeletionKind::Employee,
            "class" | "classes" => DeletionKind::Class,
            "group" | "groups" => DeletionKind::Group,
            "contact" | "contacts" => DeletionKind::Contact,
            _ => DeletionKind::Other(raw),
        }
    }
}

/// A record Wonde no longer serves, or served again since (`restored_at`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    pub kind: DeletionKind,
    pub id: WondeId,
    pub deleted_at: Option<DateTime<Utc>>,
    pub restored_at: Option<DateTime<Utc>>,
}

impl Deletion {
    /// Whether the record came back after it was deleted.
    pub fn is_restored(&self) -> bool {
        self.restored_at.is_some()
    }
}

#[derive(Deserialize)]
struct RawGroup {
    id: WondeId,
    #[serde(default)]
    name: Text,
    #[serde(default)]
    code: Text,
    #[serde(default, rename = "type")]
    kind: Text,
    #[serde(default)]
    employees: Many<RawMember>,
    #[serde(default)]
    updated_at: Time,
}

impl RawGroup {
    fn into_group(self, usual: GroupKind) -> Group {
        Group {
            id: self.id,
            name: self.name.0,
            code: self.code.0,
            kind: GroupKind::read(self.kind.0.as_deref()).unwrap_or(usual),
            employee_ids: self.employees.0.into_iter().map(|m| m.id).collect(),
            updated_at: self.updated_at.0,
        }
    }
}

/// A student as read from Wonde. `G` and `X` are the gender and extended
/// details: [`Skipped`] unless the caller asked for group flags.
#[derive(Deserialize)]
struct RawPupil<G, X> {
    id: WondeId,
    #[serde(default)]
    upi: Text,
    #[serde(default)]
    forename: Text,
    #[serde(default)]
    surname: Text,
    #[serde(default)]
    legal_forename: Text,
    #[serde(default)]
    legal_surname: Text,
    #[serde(default)]
    year: One<RawGroup>,
    #[serde(default)]
    house: One<RawGroup>,
    #[serde(default)]
    registration: One<RawGroup>,
    #[serde(default)]
    updated_at: Time,
    #[serde(default)]
    gender: G,
    #[serde(default)]
    extended_details: X,
}

/// The few extended details group analysis needs; the rest (ethnicity,
/// religion, care and meal status...) is skipped unread.
#[derive(Deserialize)]
struct RawExtended {
    #[serde(default)]
    sen_status: Text,
    #[serde(default)]
    premium_pupil_indicator: Flag,
    #[serde(default)]
    english_as_additional_language: Flag,
}

impl<G, X> RawPupil<G, X> {
    fn into_pupil(self, group_flags: Option<GroupFlags>) -> Pupil {
        Pupil {
            id: self.id,
            upi: self.upi.0,
            forename: self.forename.0,
            surname: self.surname.0,
            legal_forename: self.legal_forename.0,
            legal_surname: self.legal_surname.0,
            year: self.year.0.map(|g| g.into_group(GroupKind::Year)),
            house: self.house.0.map(|g| g.into_group(GroupKind::House)),
            registration: self
                .registration
                .0
                .map(|g| g.into_group(GroupKind::Registration)),
            updated_at: self.updated_at.0,
            group_flags,
        }
    }
}

impl RawPupil<Text, One<RawExtended>> {
    fn into_pupil_with_flags(mut self) -> Pupil {
        let extended = self.extended_details.0.take();
        let flags = GroupFlags {
            gender: self.gender.0.take().as_deref().map(Gender::read),
            sen: extended
                .as_ref()
                .and_then(|e| e.sen_status.0.as_deref())
                .map(SenStatus::read),
            pupil_premium: extended.as_ref().and_then(|e| e.premium_pupil_indicator.0),
            eal: extended
                .as_ref()
                .and_then(|e| e.english_as_additional_language.0),
        };
        self.into_pupil(Some(flags))
    }
}

#[derive(Deserialize)]
struct RawEmployee {
    id: WondeId,
    #[serde(default)]
    upi: Text,
    #[serde(default)]
    title: Text,
    #[serde(default)]
    forename: Text,
    #[serde(default)]
    surname: Text,
    #[serde(default)]
    updated_at: Time,
    #[serde(default)]
    contact_details: One<RawContactDetails>,
    #[serde(default)]
    employment_details: One<RawEmployment>,
}

/// Of a member of staff's contact details only the work email is read;
/// phones, addresses and home emails are skipped.
#[derive(Deserialize)]
struct RawContactDetails {
    #[serde(default)]
    emails: Option<RawEmails>,
}

#[derive(Deserialize)]
struct RawEmails {
    #[serde(default)]
    work: Text,
    #[serde(default)]
    email: Text,
}

#[derive(Deserialize)]
struct RawEmployment {
    #[serde(default)]
    teaching_staff: Flag,
    #[serde(default)]
    current: Flag,
}

impl From<RawEmployee> for Employee {
    fn from(raw: RawEmployee) -> Self {
        let emails = raw.contact_details.0.and_then(|c| c.emails);
        let work_email = emails
            .and_then(|e| e.work.0.or(e.email.0))
            .filter(|address| address.contains('@'));
        let employment = raw.employment_details.0;
        Employee {
            id: raw.id,
            upi: raw.upi.0,
            title: raw.title.0,
            forename: raw.forename.0,
            surname: raw.surname.0,
            work_email,
            teaching_staff: employment.as_ref().and_then(|e| e.teaching_staff.0),
            current: employment.as_ref().and_then(|e| e.current.0),
            updated_at: raw.updated_at.0,
        }
    }
}

#[derive(Deserialize)]
struct RawSubject {
    #[serde(default)]
    id: Option<WondeId>,
    #[serde(default)]
    code: Text,
    #[serde(default)]
    name: Text,
}

impl From<RawSubject> for Subject {
    fn from(raw: RawSubject) -> Self {
        Subject {
            id: raw.id,
            code: raw.code.0,
            name: raw.name.0,
        }
    }
}

/// A class's `subject`: its name, or with `include=subject` the record
/// wrapped as `{"data": {...}}`.
#[derive(Default)]
struct SubjectField(Option<Subject>);

impl<'de> Deserialize<'de> for SubjectField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SubjectVisitor;

        impl<'de> Visitor<'de> for SubjectVisitor {
            type Value = SubjectField;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a subject name or an included subject")
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<SubjectField, E> {
                let name = name.trim();
                Ok(SubjectField((!name.is_empty()).then(|| Subject {
                    id: None,
                    code: None,
                    name: Some(name.to_owned()),
                })))
            }

            fn visit_unit<E: de::Error>(self) -> Result<SubjectField, E> {
                Ok(SubjectField(None))
            }

            fn visit_none<E: de::Error>(self) -> Result<SubjectField, E> {
                Ok(SubjectField(None))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SubjectField, A::Error> {
                let included = One::<RawSubject>::deserialize(MapAccessDeserializer::new(map))?;
                Ok(SubjectField(included.0.map(Subject::from)))
            }
        }

        deserializer.deserialize_any(SubjectVisitor)
    }
}

#[derive(Deserialize)]
struct RawMember {
    id: WondeId,
}

#[derive(Deserialize)]
struct RawClassEmployee {
    id: WondeId,
    #[serde(default)]
    meta: Option<RawClassEmployeeMeta>,
}

#[derive(Deserialize)]
struct RawClassEmployeeMeta {
    #[serde(default)]
    is_main_teacher: Flag,
}

/// A class; of its included students and employees only the ids (and the
/// main-teacher mark) are read.
#[derive(Deserialize)]
struct RawClass {
    id: WondeId,
    #[serde(default)]
    name: Text,
    #[serde(default)]
    code: Text,
    #[serde(default)]
    subject: SubjectField,
    #[serde(default)]
    year_group: Text,
    #[serde(default)]
    students: Many<RawMember>,
    #[serde(default)]
    employees: Many<RawClassEmployee>,
    #[serde(default)]
    updated_at: Time,
}

impl From<RawClass> for Class {
    fn from(raw: RawClass) -> Self {
        Class {
            id: raw.id,
            name: raw.name.0,
            code: raw.code.0,
            subject: raw.subject.0,
            year_group: raw.year_group.0,
            pupil_ids: raw.students.0.into_iter().map(|m| m.id).collect(),
            teachers: raw
                .employees
                .0
                .into_iter()
                .map(|e| ClassTeacher {
                    employee_id: e.id,
                    main: e.meta.and_then(|m| m.is_main_teacher.0).unwrap_or(false),
                })
                .collect(),
            updated_at: raw.updated_at.0,
        }
    }
}

#[derive(Deserialize)]
struct RawDeletion {
    id: WondeId,
    #[serde(default, rename = "type")]
    kind: Text,
    #[serde(default)]
    deleted_at: Time,
    #[serde(default)]
    restored_at: Time,
}

impl From<RawDeletion> for Deletion {
    fn from(raw: RawDeletion) -> Self {
        Deletion {
            kind: DeletionKind::read(raw.kind.0),
            id: raw.id,
            deleted_at: raw.deleted_at.0,
            restored_at: raw.restored_at.0,
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct RawSchool {
    id: WondeId,
    #[serde(default)]
    name: Text,
    #[serde(default)]
    region: Option<RawRegion>,
}

#[derive(Deserialize)]
struct RawRegion {
    #[serde(default)]
    domain: Text,
}

impl From<RawSchool> for School {
    fn from(raw: RawSchool) -> Self {
        School {
            id: raw.id,
            name: raw.name.0,
            region_domain: raw.region.and_then(|r| r.domain.0),
        }
    }
}

/// How one page of each list is read.
pub(crate) type PageReader<T> = fn(&[u8]) -> Result<Decoded<T>, Problem>;

pub(crate) fn read_pupils(body: &[u8]) -> Result<Decoded<Pupil>, Problem> {
    decode_page(body, |raw: RawPupil<Skipped, Skipped>| raw.into_pupil(None))
}

pub(crate) fn read_pupils_with_flags(body: &[u8]) -> Result<Decoded<Pupil>, Problem> {
    decode_page(
        body,
        RawPupil::<Text, One<RawExtended>>::into_pupil_with_flags,
    )
}

pub(crate) fn read_employees(body: &[u8]) -> Result<Decoded<Employee>, Problem> {
    decode_page(body, |raw: RawEmployee| Employee::from(raw))
}

pub(crate) fn read_classes(body: &[u8]) -> Result<Decoded<Class>, Problem> {
    decode_page(body, |raw: RawClass| Class::from(raw))
}

pub(crate) fn read_groups(body: &[u8]) -> Result<Decoded<Group>, Problem> {
    decode_page(body, |raw: RawGroup| raw.into_group(GroupKind::Other))
}

pub(crate) fn read_deletions(body: &[u8]) -> Result<Decoded<Deletion>, Problem> {
    decode_page(body, |raw: RawDeletion| Deletion::from(raw))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(records: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&json!({ "data": records })).unwrap()
    }

    #[test]
    fn a_group_brings_its_staff_ids_and_nothing_else_of_them() {
        let groups = read_groups(&page(json!([
            {"id": "G1", "name": "7A", "type": "REGISTRATION", "employees": {"data": [
                {"id": "E1", "forename": "Omar", "contact_details": {"data": {"emails": {"email": "o@x.example"}}}}
            ]}},
            {"id": "G2", "name": "Curie", "type": "HOUSE", "employees": {"data": []}},
            {"id": "G3", "name": "Year 7", "type": "YEAR"}
        ])))
        .unwrap()
        .records;
        let staff: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| g.employee_ids.iter().map(WondeId::as_str).collect())
            .collect();
        assert_eq!(staff, [vec!["E1"], vec![], vec![]]);
        assert_eq!(groups[0].kind, GroupKind::Registration);
    }

    #[test]
    fn ids_are_safe_for_paths_and_keys() {
        assert!(WondeId::parse("A1329183376").is_ok());
        for bad in ["", "A1/../x", "A 1", "A1?x=1", &"A".repeat(65)] {
            assert!(WondeId::parse(bad).is_err(), "{bad}");
        }
        assert!(read_pupils(&page(json!([{"id": "../etc"}]))).is_err());
        assert!(read_pupils(&page(json!([{"upi": "x"}]))).is_err());
    }

    #[test]
    fn a_pupil_keeps_only_roster_fields() {
        let body = page(json!([{
            "id": "A1749191433", "upi": "8d444684b7aa79bc97f8594a4aab7ce3", "mis_id": "9919",
            "forename": "Ruth", "surname": "Bennett", "legal_forename": "Ruth Anne", "legal_surname": "Bennett",
            "middle_names": null, "gender": "FEMALE",
            "date_of_birth": {"date": "2012-09-29 00:00:00.000000", "timezone_type": 3, "timezone": "Europe/London"},
            "contacts": {"data": [{"forename": "Jo", "contact_details": {"data": {"phones": {"mobile": "07700 900000"}}}}]},
            "extended_details": {"data": {"sen_status": "K", "ethnicity": "WBRI"}},
            "year": {"data": {"id": "A1", "name": "Year 7", "code": "7", "type": "YEAR"}},
            "house": {"data": []},
            "registration": {"data": {"id": "A2", "name": "7A", "code": "7A"}},
            "updated_at": {"date": "2024-08-20 10:23:41.000000", "timezone_type": 3, "timezone": "UTC"}
        }]));
        let pupil = read_pupils(&body).unwrap().records.remove(0);
        assert_eq!(pupil.forename.as_deref(), Some("Ruth"));
        assert_eq!(pupil.legal_forename.as_deref(), Some("Ruth Anne"));
        assert_eq!(pupil.year.as_ref().unwrap().name.as_deref(), Some("Year 7"));
        assert!(pupil.house.is_none());
        assert_eq!(
            pupil.registration.as_ref().unwrap().kind,
            GroupKind::Registration
        );
        assert!(
            pupil.group_flags.is_none(),
            "flags are read only when asked for"
        );
        assert_eq!(
            format!("{pupil:?}"),
            "Pupil { id: WondeId(A1749191433), .. }"
        );
    }

    #[test]
    fn group_flags_when_asked_for() {
        let body = page(json!([
            {"id": "A1", "gender": "MALE", "extended_details": {"data": {"sen_status": "E", "premium_pupil_indicator": true, "english_as_additional_language": "F"}}},
            {"id": "A2", "gender": "NOT STATED", "extended_details": {"data": null}},
            {"id": "A3"}
        ]));
        let pupils = read_pupils_with_flags(&body).unwrap().records;
        let flags: Vec<_> = pupils.iter().map(|p| p.group_flags.unwrap()).collect();
        assert_eq!(
            flags[0],
            GroupFlags {
                gender: Some(Gender::Male),
                sen: Some(SenStatus::EhcPlan),
                pupil_premium: Some(true),
                eal: Some(false)
            }
        );
        assert_eq!(
            flags[1],
            GroupFlags {
                gender: Some(Gender::Other),
                ..GroupFlags::default()
            }
        );
        assert_eq!(flags[2], GroupFlags::default());
    }

    #[test]
    fn an_employee_keeps_a_work_email_never_a_home_one() {
        let body = page(json!([
            {"id": "A1", "forename": "Sally", "contact_details": {"data": {"emails": {"email": "s.smith@school.example", "home": "sally@home.example", "work": "smith.s@school.example"}, "phones": {"mobile": "07700 900123"}}}, "employment_details": {"data": {"teaching_staff": true, "current": true}}},
            {"id": "A2", "contact_details": {"data": {"emails": {"email": "main@school.example", "work": null, "home": "x@home.example"}}}},
            {"id": "A3", "contact_details": {"data": {"emails": {"home": "only@home.example"}}}},
            {"id": "A4", "contact_details": {"data": []}, "employment_details": {"data": {"teaching_staff": "false"}}}
        ]));
        let staff = read_employees(&body).unwrap().records;
        let emails: Vec<_> = staff.iter().map(|e| e.work_email.as_deref()).collect();
        assert_eq!(
            emails,
            [
                Some("smith.s@school.example"),
                Some("main@school.example"),
                None,
                None
            ]
        );
        assert_eq!(staff[0].teaching_staff, Some(true));
        assert_eq!(staff[3].teaching_staff, Some(false));
        assert_eq!(staff[3].current, None);
    }

    #[test]
    fn a_class_with_and_without_its_includes() {
        let body = page(json!([
            {"id": "C1", "name": "10A/Ar1", "subject": {"data": {"id": "S1", "code": "Ar", "name": "Art"}}, "year_group": 10,
             "students": {"data": [{"id": "A1", "forename": "x"}, {"id": "A2"}]},
             "employees": {"data": [{"id": "E1", "meta": {"is_main_teacher": false}}, {"id": "E2", "meta": {"is_main_teacher": true}}, {"id": "E3"}]}},
            {"id": "C2", "name": "Maths set 1", "subject": "Mathematics"},
            {"id": "C3", "subject": {"data": []}, "students": {"data": []}}
        ]));
        let classes = read_classes(&body).unwrap().records;
        assert_eq!(
            classes[0].subject.as_ref().unwrap().code.as_deref(),
            Some("Ar")
        );
        assert_eq!(classes[0].year_group.as_deref(), Some("10"));
        assert_eq!(classes[0].pupil_ids.len(), 2);
        assert_eq!(classes[0].main_teacher().map(WondeId::as_str), Some("E2"));
        assert!(!classes[0].teachers[2].main);
        assert_eq!(
            classes[1].subject.as_ref().unwrap().name.as_deref(),
            Some("Mathematics")
        );
        assert!(classes[1].teachers.is_empty());
        assert!(classes[2].subject.is_none());
    }

    #[test]
    fn deletions_with_and_without_restoration() {
        let body = page(json!([
            {"id": "A1", "type": "student", "mis_id": "1", "deleted_at": {"date": "2024-09-01 10:00:00.000000", "timezone_type": 3, "timezone": "UTC"}, "restored_at": null},
            {"id": "A2", "type": "employee", "deleted_at": {"date": "2024-09-01 10:00:00", "timezone_type": 3, "timezone": "UTC"}, "restored_at": {"date": "2024-09-03 08:00:00.000000", "timezone_type": 3, "timezone": "UTC"}},
            {"id": "A3", "type": "lesson"}
        ]));
        let deletions = read_deletions(&body).unwrap().records;
        assert_eq!(deletions[0].kind, DeletionKind::Student);
        assert!(!deletions[0].is_restored());
        assert_eq!(deletions[1].kind, DeletionKind::Employee);
        assert!(deletions[1].is_restored());
        assert_eq!(deletions[2].kind, DeletionKind::Other("lesson".to_owned()));
    }
}
