//! The fake school's records as Wonde writes them: every field a real
//! record carries (personal ones too, so a client is tested on ignoring
//! them), timestamps as `{"date", "timezone_type", "timezone"}` objects
//! with or without microseconds, dates of birth as an object, a plain date
//! or null, and related records wrapped as `{"data": ...}`.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use super::school::{
    FakeClass, FakeDeletion, FakeEmployee, FakeGroup, FakePupil, FakeSubject, SchoolData,
};

/// The related records a request asked for (`include=a,b.c`).
#[derive(Debug, Default)]
pub(crate) struct Includes(BTreeSet<String>);

impl Includes {
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        Self(
            raw.unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.0.contains(name)
    }

    pub(crate) fn names(&self) -> Vec<&str> {
        self.0.iter().map(String::as_str).collect()
    }
}

/// A time as Wonde writes it, in UTC.
pub(crate) fn stamp(at: DateTime<Utc>, micros: bool) -> Value {
    let format = if micros {
        "%Y-%m-%d %H:%M:%S%.6f"
    } else {
        "%Y-%m-%d %H:%M:%S"
    };
    json!({"date": at.format(format).to_string(), "timezone_type": 3, "timezone": "UTC"})
}

fn maybe_stamp(at: Option<DateTime<Utc>>) -> Value {
    at.map_or(Value::Null, |at| stamp(at, true))
}

/// A date of birth in one of the shapes Wonde has been seen to use.
fn birth_date(date: NaiveDate, shape: usize) -> Value {
    let midnight = date.format("%Y-%m-%d 00:00:00").to_string();
    match shape {
        0 => {
            json!({"date": format!("{midnight}.000000"), "timezone_type": 3, "timezone": "Europe/London"})
        }
        1 => json!(date.format("%Y-%m-%d").to_string()),
        2 => Value::Null,
        _ => json!({"date": midnight, "timezone_type": 3, "timezone": "Europe/London"}),
    }
}

fn one(record: Option<Value>, shape: usize) -> Value {
    match record {
        Some(record) => json!({ "data": record }),
        // Both ways a missing related record has been written.
        None if shape.is_multiple_of(2) => json!({"data": null}),
        None => json!({"data": []}),
    }
}

fn initials(names: &[&Option<String>]) -> Value {
    let initials: String = names
        .iter()
        .filter_map(|name| name.as_deref()?.chars().next())
        .collect();
    if initials.is_empty() {
        Value::Null
    } else {
        json!(initials)
    }
}

/// A group as it is listed, with its tutors when `employees` is included.
pub(crate) fn listed_group(school: &SchoolData, group: &FakeGroup, include: &Includes) -> Value {
    let mut record = self::group(group);
    if include.has("employees") {
        let nothing = Includes::default();
        let tutors: Vec<Value> = group
            .tutors
            .iter()
            .filter_map(|id| school.staff.get(id))
            .map(|tutor| employee(tutor, &nothing))
            .collect();
        record["employees"] = json!({ "data": tutors });
    }
    record
}

pub(crate) fn group(group: &FakeGroup) -> Value {
    json!({
        "id": group.id,
        "mis_id": group.mis_id,
        "name": group.name,
        "code": group.code,
        "type": group.kind,
        "description": group.name,
        "notes": null,
        "division": null,
        "restored_at": null,
        "created_at": stamp(group.created_at, true),
        "updated_at": stamp(group.updated_at, true),
    })
}

fn group_by_id(school: &SchoolData, id: Option<&String>) -> Option<Value> {
    id.and_then(|id| school.groups.get(id)).map(group)
}

pub(crate) fn pupil(school: &SchoolData, pupil: &FakePupil, include: &Includes) -> Value {
    let micros = pupil.shape.is_multiple_of(2);
    let mut record = json!({
        "id": pupil.id,
        "upi": pupil.upi,
        "mis_id": pupil.mis_id,
        "initials": initials(&[&pupil.forename, &pupil.surname]),
        "title": null,
        "surname": pupil.surname,
        "forename": pupil.forename,
        "middle_names": pupil.middle_names,
        "legal_surname": pupil.legal_surname,
        "legal_forename": pupil.legal_forename,
        "gender": pupil.gender,
        "gender_identity": null,
        "date_of_birth": birth_date(pupil.date_of_birth, pupil.shape),
        "restored_at": maybe_stamp(pupil.restored_at),
        "created_at": stamp(pupil.created_at, true),
        "updated_at": stamp(pupil.updated_at, micros),
    });
    let fields = record.as_object_mut().expect("a record is an object");
    if include.has("year") {
        let year = group_by_id(school, school.year_ids.get(&pupil.year));
        fields.insert("year".to_owned(), one(year, pupil.shape));
    }
    if include.has("house") {
        let house = pupil.house.as_ref().and_then(|h| school.house_ids.get(h));
        fields.insert(
            "house".to_owned(),
            one(group_by_id(school, house), pupil.shape),
        );
    }
    if include.has("registration") {
        let form = group_by_id(school, school.form_ids.get(&pupil.form));
        fields.insert("registration".to_owned(), one(form, pupil.shape));
    }
    if include.has("education_details") {
        fields.insert(
            "education_details".to_owned(),
            json!({"data": {
                "admission_number": format!("{:06}", pupil.mis_id.parse::<u64>().unwrap_or(0)),
                "upn": format!("K8234{}", pupil.mis_id),
                "current_nc_year": pupil.year.to_string(),
                "admission_date": stamp(pupil.created_at, true),
                "leaving_date": null,
            }}),
        );
    }
    if include.has("extended_details") {
        fields.insert(
            "extended_details".to_owned(),
            json!({"data": {
                "sen_status": pupil.sen_status,
                "premium_pupil_indicator": pupil.pupil_premium,
                "english_as_additional_language": pupil.eal,
                "ethnicity": "WBRI",
                "religion": "Prefers not to say",
                "first_language": if pupil.eal { "POL" } else { "ENG" },
                "free_school_meals": pupil.pupil_premium,
                "free_school_meals_6": pupil.pupil_premium,
                "in_lea_care": false,
                "ever_in_care": false,
                "service_children_indicator": false,
                "enrolment_status": "C",
            }}),
        );
    }
    if include.has("contact_details") {
        fields.insert(
            "contact_details".to_owned(),
            json!({"data": {
                "emails": {"email": null, "primary": null, "home": format!("family{}@home.example", pupil.mis_id), "work": null},
                "phones": {"phone": "01632 960000", "home": "01632 960000", "mobile": null},
                "addresses": {"home": {"address_line_1": "1 Station Road", "address_town": "Riverside", "address_postcode": "AB1 2CD"}},
            }}),
        );
    }
    record
}

fn employee_contact_details(employee: &FakeEmployee) -> Value {
    json!({"data": {
        "emails": {
            "email": employee.main_email,
            "primary": employee.home_email,
            "home": employee.home_email,
            "work": employee.work_email,
        },
        "phones": {"phone": employee.mobile, "primary": employee.mobile, "home": null, "work": "01632 961000", "mobile": employee.mobile},
        "addresses": {
            "home": {"address_line_1": "22 Acacia Avenue", "address_line_2": null, "address_town": "Riverside", "address_postcode": "AB3 4EF", "address_country": {"code": "GBR", "name": "United Kingdom"}},
            "work": null,
            "employee": null,
        },
        "salutation": employee.title,
        "emergency_contacts": {"data": [{"name": "Next of kin", "phone": "07700 900999"}]},
    }})
}

pub(crate) fn employee(employee: &FakeEmployee, include: &Includes) -> Value {
    let mut record = json!({
        "id": employee.id,
        "upi": employee.upi,
        "mis_id": employee.mis_id,
        "title": employee.title,
        "initials": initials(&[&employee.forename, &employee.surname]),
        "surname": employee.surname,
        "forename": employee.forename,
        "middle_names": null,
        "legal_surname": employee.surname,
        "legal_forename": employee.forename,
        "gender": employee.gender,
        "date_of_birth": birth_date(employee.date_of_birth, employee.shape),
        "restored_at": maybe_stamp(employee.restored_at),
        "created_at": stamp(employee.created_at, true),
        "updated_at": stamp(employee.updated_at, employee.shape.is_multiple_of(2)),
    });
    let fields = record.as_object_mut().expect("a record is an object");
    if include.has("contact_details") {
        fields.insert(
            "contact_details".to_owned(),
            employee_contact_details(employee),
        );
    }
    if include.has("employment_details") {
        fields.insert(
            "employment_details".to_owned(),
            json!({"data": {
                "current": employee.current,
                "teaching_staff": employee.teaching_staff,
                "employment_start_date": stamp(employee.created_at, false),
                "employment_end_date": null,
                "role_text": employee.role,
                "ni_number": "QQ123456C",
                "payroll_number": employee.mis_id,
            }}),
        );
    }
    record
}

fn subject(subject: &FakeSubject) -> Value {
    json!({
        "id": subject.id,
        "mis_id": subject.mis_id,
        "code": subject.code,
        "name": subject.name,
        "active": true,
        "created_at": stamp(subject.created_at, true),
        "updated_at": stamp(subject.updated_at, true),
    })
}

pub(crate) fn class(school: &SchoolData, class: &FakeClass, include: &Includes) -> Value {
    let subject_record = school.subjects.get(&class.subject_id);
    let subject_field = match (include.has("subject"), subject_record) {
        (true, found) => one(found.map(subject), 0),
        (false, Some(found)) => json!(found.name),
        (false, None) => Value::Null,
    };
    let mut record = json!({
        "id": class.id,
        "mis_id": class.mis_id,
        "name": class.name,
        "code": class.name,
        "description": subject_record.map(|s| format!("{} {}", class.form, s.name)),
        "subject": subject_field,
        "alternative": false,
        "priority": null,
        "academic_year": "2024/2025",
        "year_group": class.year_group,
        "restored_at": maybe_stamp(class.restored_at),
        "created_at": stamp(class.created_at, true),
        "updated_at": stamp(class.updated_at, true),
    });
    let fields = record.as_object_mut().expect("a record is an object");
    if include.has("students") {
        let nothing = Includes::default();
        let students: Vec<Value> = class
            .pupil_ids
            .iter()
            .filter_map(|id| school.pupils.get(id))
            .map(|p| pupil(school, p, &nothing))
            .collect();
        fields.insert("students".to_owned(), json!({ "data": students }));
    }
    if include.has("employees") {
        let nothing = Includes::default();
        let teachers: Vec<Value> = class
            .teachers
            .iter()
            .filter_map(|(id, main)| Some((school.staff.get(id)?, *main)))
            .map(|(teacher, main)| {
                let mut record = employee(teacher, &nothing);
                record["meta"] = json!({"is_main_teacher": main});
                record
            })
            .collect();
        fields.insert("employees".to_owned(), json!({ "data": teachers }));
    }
    record
}

pub(crate) fn deletion(deletion: &FakeDeletion) -> Value {
    json!({
        "id": deletion.id,
        "type": deletion.kind,
        "mis_id": deletion.mis_id,
        "deleted_at": stamp(deletion.deleted_at, true),
        "restored_at": maybe_stamp(deletion.restored_at),
    })
}

pub(crate) fn school(school: &SchoolData, authority: &str) -> Value {
    let domain = school
        .region_domain
        .clone()
        .unwrap_or_else(|| authority.to_owned());
    json!({"data": {
        "id": school.id,
        "name": school.name,
        "establishment_number": "4001",
        "urn": 100000,
        "phase_of_education": "SECONDARY",
        "la_code": "201",
        "timezone": "Europe/London",
        "mis": "SIMS",
        "address": {
            "address_line_1": "Riverside Lane",
            "address_line_2": null,
            "address_town": "Riverside",
            "address_postcode": "AB1 0AA",
            "address_country": {"code": "GBR", "name": "United Kingdom"},
        },
        "extended": {"allows_writeback": false, "has_timetables": true, "has_lesson_attendance": true},
        "region": {
            "code": "GBR",
            "domain": domain,
            "school_url": format!("http://{domain}/v1.0/schools/{}", school.id),
            "identifiers": {"la_code": "201", "establishment_number": "4001", "urn": 100000},
        },
    }})
}
