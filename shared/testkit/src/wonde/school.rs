//! The fake Wonde's school: generated from a seed, so the same spec always
//! gives the same pupils, staff and classes, and changed between syncs the
//! way a school's MIS changes (a pupil renamed, moved, leaving, coming back
//! under a new id, staff joining).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use super::names::{BOYS, GIRLS, HOUSES, PREFERRED, STAFF_ROLES, SUBJECTS, SURNAMES};

/// What school to generate. The default is a secondary of 1,500 pupils in
/// years 7 to 11, 120 staff and 900 classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolSpec {
    pub id: String,
    pub name: String,
    /// Staff work emails are `forename.surname@` this.
    pub email_domain: String,
    pub pupils: usize,
    pub staff: usize,
    pub classes: usize,
    pub seed: u64,
    /// Staff the school must have, by forename and surname: the first
    /// members generated take these names (and so their work addresses),
    /// in order; the rest of the staff is generated as usual.
    pub staff_room: Vec<(String, String)>,
}

impl Default for SchoolSpec {
    fn default() -> Self {
        Self {
            id: "A1930499544".to_owned(),
            name: "Riverside Academy".to_owned(),
            email_domain: "riverside.example".to_owned(),
            pupils: 1500,
            staff: 120,
            classes: 900,
            seed: 2024,
            staff_room: Vec::new(),
        }
    }
}

impl SchoolSpec {
    /// A school small enough for a fast test: 40 pupils, 8 staff, 12
    /// classes.
    pub fn small() -> Self {
        Self {
            pupils: 40,
            staff: 8,
            classes: 12,
            ..Self::default()
        }
    }
}

/// A pupil as the fake MIS holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakePupil {
    pub id: String,
    pub upi: String,
    pub mis_id: String,
    pub forename: Option<String>,
    pub surname: Option<String>,
    pub legal_forename: Option<String>,
    pub legal_surname: Option<String>,
    pub middle_names: Option<String>,
    pub gender: String,
    pub date_of_birth: NaiveDate,
    pub year: u8,
    /// The registration group, such as `7A`.
    pub form: String,
    pub house: Option<String>,
    pub sen_status: String,
    pub pupil_premium: bool,
    pub eal: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub restored_at: Option<DateTime<Utc>>,
    /// Which of Wonde's shapes this record's times and missing includes
    /// take (0 to 3).
    pub shape: usize,
}

/// A member of staff as the fake MIS holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeEmployee {
    pub id: String,
    pub upi: String,
    pub mis_id: String,
    pub title: Option<String>,
    pub forename: Option<String>,
    pub surname: Option<String>,
    pub gender: String,
    pub date_of_birth: NaiveDate,
    pub work_email: Option<String>,
    /// The MIS's main address, sent as `emails.email`.
    pub main_email: Option<String>,
    pub home_email: Option<String>,
    pub mobile: String,
    pub teaching_staff: bool,
    pub current: bool,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub restored_at: Option<DateTime<Utc>>,
    pub shape: usize,
}

/// A class as the fake MIS holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeClass {
    pub id: String,
    pub mis_id: String,
    /// Such as `7A/Ma`.
    pub name: String,
    pub subject_id: String,
    /// The form whose pupils the class is made of.
    pub form: String,
    pub year_group: Option<String>,
    /// Pupils in the class, deleted ones included (Wonde does not list
    /// those).
    pub pupil_ids: Vec<String>,
    /// Teachers with whether each is the main teacher.
    pub teachers: Vec<(String, bool)>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub restored_at: Option<DateTime<Utc>>,
}

/// A year group, house or registration group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeGroup {
    pub id: String,
    pub mis_id: String,
    pub name: String,
    pub code: String,
    /// `YEAR`, `HOUSE` or `REGISTRATION`.
    pub kind: String,
    /// A registration group's form tutors, by employee id.
    pub tutors: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeSubject {
    pub id: String,
    pub mis_id: String,
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An entry of the deletions list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeDeletion {
    /// `student`, `employee` or `class`.
    pub kind: String,
    pub id: String,
    pub mis_id: String,
    pub deleted_at: DateTime<Utc>,
    pub restored_at: Option<DateTime<Utc>>,
}

impl FakeDeletion {
    /// When the entry last changed, which is what `updated_after` compares.
    pub fn changed_at(&self) -> DateTime<Utc> {
        self.restored_at.unwrap_or(self.deleted_at)
    }
}

/// A record set aside while deleted, so it can be restored.
#[derive(Debug, Clone)]
pub(crate) enum SetAside {
    Pupil(FakePupil),
    Employee(FakeEmployee),
    Class(FakeClass),
}

/// The whole school, as the fake serves it.
#[derive(Debug, Clone)]
pub(crate) struct SchoolData {
    pub id: String,
    pub name: String,
    pub email_domain: String,
    pub region_domain: Option<String>,
    pub clock: DateTime<Utc>,
    pub pupils: BTreeMap<String, FakePupil>,
    pub staff: BTreeMap<String, FakeEmployee>,
    pub classes: BTreeMap<String, FakeClass>,
    pub groups: BTreeMap<String, FakeGroup>,
    pub subjects: BTreeMap<String, FakeSubject>,
    pub deletions: Vec<FakeDeletion>,
    pub set_aside: BTreeMap<String, SetAside>,
    /// Group ids by form name, house name and year.
    pub form_ids: BTreeMap<String, String>,
    pub house_ids: BTreeMap<String, String>,
    pub year_ids: BTreeMap<u8, String>,
    rng: Rng,
    used_ids: BTreeSet<String>,
    next_mis_id: u64,
}

const YEARS: [u8; 5] = [7, 8, 9, 10, 11];
const FORM_SIZE: usize = 30;

impl SchoolData {
    pub(crate) fn generate(spec: &SchoolSpec) -> Self {
        let generated_at = Utc.with_ymd_and_hms(2024, 9, 2, 7, 0, 0).unwrap();
        let mut school = Self {
            id: spec.id.clone(),
            name: spec.name.clone(),
            email_domain: spec.email_domain.clone(),
            region_domain: None,
            clock: generated_at,
            pupils: BTreeMap::new(),
            staff: BTreeMap::new(),
            classes: BTreeMap::new(),
            groups: BTreeMap::new(),
            subjects: BTreeMap::new(),
            deletions: Vec::new(),
            set_aside: BTreeMap::new(),
            form_ids: BTreeMap::new(),
            house_ids: BTreeMap::new(),
            year_ids: BTreeMap::new(),
            rng: Rng::new(spec.seed ^ fnv(&spec.id)),
            used_ids: BTreeSet::new(),
            next_mis_id: 1000,
        };
        let forms = school.generate_groups(spec.pupils);
        school.generate_subjects();
        school.generate_pupils(spec.pupils, &forms);
        let staff = school.generate_staff(spec.staff, &spec.staff_room);
        school.assign_tutors(&staff);
        school.generate_classes(spec.classes, &forms);
        school.generate_leavers(spec.pupils / 100);
        school
    }

    /// Years, houses and forms; returns the forms of each year.
    fn generate_groups(&mut self, pupils: usize) -> Vec<(u8, Vec<String>)> {
        let mut forms = Vec::new();
        for (index, year) in YEARS.into_iter().enumerate() {
            let id = self.group(format!("Year {year}"), year.to_string(), "YEAR");
            self.year_ids.insert(year, id);

            let in_year = pupils / YEARS.len() + usize::from(index < pupils % YEARS.len());
            let count = in_year.div_ceil(FORM_SIZE).max(1);
            let names: Vec<String> = (0..count)
                .map(|n| format!("{year}{}", form_letter(n)))
                .collect();
            for name in &names {
                let id = self.group(name.clone(), name.clone(), "REGISTRATION");
                self.form_ids.insert(name.clone(), id);
            }
            forms.push((year, names));
        }
        for house in HOUSES {
            let id = self.group(house.to_owned(), house[..2].to_ascii_uppercase(), "HOUSE");
            self.house_ids.insert(house.to_owned(), id);
        }
        forms
    }

    fn group(&mut self, name: String, code: String, kind: &str) -> String {
        let id = self.new_id();
        let created_at = self.past(400);
        let group = FakeGroup {
            id: id.clone(),
            mis_id: self.new_mis_id(),
            name,
            code,
            kind: kind.to_owned(),
            tutors: Vec::new(),
            created_at,
            updated_at: created_at,
        };
        self.groups.insert(id.clone(), group);
        id
    }

    fn generate_subjects(&mut self) {
        for (code, name) in SUBJECTS {
            let id = self.new_id();
            let created_at = self.past(400);
            let subject = FakeSubject {
                id: id.clone(),
                mis_id: self.new_mis_id(),
                code: code.to_owned(),
                name: name.to_owned(),
                created_at,
                updated_at: created_at,
            };
            self.subjects.insert(id, subject);
        }
    }

    fn generate_pupils(&mut self, count: usize, forms: &[(u8, Vec<String>)]) {
        let mut index = 0;
        for (year_index, (year, year_forms)) in forms.iter().enumerate() {
            let in_year = count / YEARS.len() + usize::from(year_index < count % YEARS.len());
            for place in 0..in_year {
                let form = year_forms[place % year_forms.len()].clone();
                let pupil = self.new_pupil(index, *year, form);
                self.pupils.insert(pupil.id.clone(), pupil);
                index += 1;
            }
        }
    }

    fn new_pupil(&mut self, index: usize, year: u8, form: String) -> FakePupil {
        let girl = self.rng.below(2) == 0;
        let surname = self.rng.pick(&SURNAMES).to_string();
        let (legal, preferred) = if index % 8 == 3 {
            let choices: Vec<_> = PREFERRED.iter().filter(|p| p.2 == girl).collect();
            let (legal, short, _) = *choices[self.rng.below(choices.len() as u64) as usize];
            (legal.to_owned(), short.to_owned())
        } else {
            let name = self.rng.pick(if girl { &GIRLS } else { &BOYS }).to_string();
            (name.clone(), name)
        };
        let middle = index
            .is_multiple_of(3)
            .then(|| self.rng.pick(if girl { &GIRLS } else { &BOYS }).to_string());
        let shape = index % 4;
        let born_from = NaiveDate::from_ymd_opt(2024 - i32::from(year - 7) - 12, 9, 1).unwrap();
        let date_of_birth = born_from + Duration::days(self.rng.below(365) as i64);
        let sen = match self.rng.below(100) {
            0..=2 => "E",
            3..=14 => "K",
            _ => "N",
        };
        let gender = match (index % 97, girl) {
            (96, _) => "NOT STATED",
            (_, true) => "FEMALE",
            (_, false) => "MALE",
        };
        let created_at = self.past(900);
        let mis_id = self.new_mis_id();
        FakePupil {
            id: self.new_id(),
            upi: upi(&self.id, "student", &mis_id),
            mis_id,
            forename: (index % 50 != 7).then_some(preferred),
            surname: Some(surname.clone()),
            legal_forename: (index % 13 != 5).then_some(legal),
            legal_surname: (index % 13 != 5).then_some(surname),
            middle_names: middle,
            gender: gender.to_owned(),
            date_of_birth,
            year,
            form,
            house: (index % 25 != 24).then(|| HOUSES[index % HOUSES.len()].to_owned()),
            sen_status: sen.to_owned(),
            pupil_premium: self.rng.below(100) < 25,
            eal: self.rng.below(100) < 16,
            created_at,
            updated_at: self.recent(shape),
            restored_at: None,
            shape,
        }
    }

    /// Generates the staff; returns their ids in the order generated, the
    /// staff room first.
    fn generate_staff(&mut self, count: usize, staff_room: &[(String, String)]) -> Vec<String> {
        let mut ids = Vec::new();
        for index in 0..count.max(staff_room.len()) {
            let girl = self.rng.below(5) < 3;
            let mut forename = self.rng.pick(if girl { &GIRLS } else { &BOYS }).to_string();
            let mut surname = self.rng.pick(&SURNAMES).to_string();
            if let Some((named_forename, named_surname)) = staff_room.get(index) {
                forename.clone_from(named_forename);
                surname.clone_from(named_surname);
            }
            let employee = self.new_employee(index, forename, surname, girl, index % 7 != 6);
            ids.push(employee.id.clone());
            self.staff.insert(employee.id.clone(), employee);
        }
        ids
    }

    /// Gives every form a tutor: the current teachers in the order they were
    /// generated (so the staff room's teachers tutor the first forms, in
    /// name order), round again when there are more forms than teachers.
    fn assign_tutors(&mut self, staff: &[String]) {
        let teachers: Vec<&String> = staff
            .iter()
            .filter(|id| {
                self.staff
                    .get(*id)
                    .is_some_and(|e| e.teaching_staff && e.current)
            })
            .collect();
        if teachers.is_empty() {
            return;
        }
        let mut forms: Vec<&mut FakeGroup> = self
            .groups
            .values_mut()
            .filter(|g| g.kind == "REGISTRATION")
            .collect();
        forms.sort_by(|a, b| a.name.cmp(&b.name));
        for (index, form) in forms.into_iter().enumerate() {
            form.tutors = vec![teachers[index % teachers.len()].clone()];
        }
    }

    fn new_employee(
        &mut self,
        index: usize,
        forename: String,
        surname: String,
        female: bool,
        teaching: bool,
    ) -> FakeEmployee {
        let address = self.unused_email(&forename, &surname);
        let titles: &[&str] = if female {
            &["Mrs", "Ms", "Miss", "Dr"]
        } else {
            &["Mr", "Mr", "Dr"]
        };
        let title = (index % 19 != 18).then(|| self.rng.pick(titles).to_string());
        let (work_email, main_email) = match (index % 11, index % 23) {
            (_, 22) => (None, None),
            (10, _) => (None, Some(address)),
            _ => (Some(address.clone()), Some(address)),
        };
        let shape = index % 4;
        let created_at = self.past(2000);
        let mis_id = self.new_mis_id();
        let born = NaiveDate::from_ymd_opt(1965, 1, 1).unwrap()
            + Duration::days(self.rng.below(13000) as i64);
        FakeEmployee {
            id: self.new_id(),
            upi: upi(&self.id, "employee", &mis_id),
            mis_id,
            title,
            home_email: Some(format!(
                "{}{}@home.example",
                ascii_lower(&forename),
                self.rng.below(90) + 10
            )),
            mobile: format!("07700 9{:05}", self.rng.below(100_000)),
            forename: Some(forename),
            surname: Some(surname),
            gender: if female { "female" } else { "male" }.to_owned(),
            date_of_birth: born,
            work_email,
            main_email,
            teaching_staff: teaching,
            current: index % 40 != 39,
            role: if teaching {
                "Teacher".to_owned()
            } else {
                self.rng.pick(&STAFF_ROLES).to_string()
            },
            created_at,
            updated_at: self.recent(shape),
            restored_at: None,
            shape,
        }
    }

    fn unused_email(&self, forename: &str, surname: &str) -> String {
        let local = format!("{}.{}", ascii_lower(forename), ascii_lower(surname));
        let taken = |address: &str| {
            self.staff.values().any(|e| {
                e.work_email.as_deref() == Some(address) || e.main_email.as_deref() == Some(address)
            })
        };
        let mut address = format!("{local}@{}", self.email_domain);
        let mut n = 2;
        while taken(&address) {
            address = format!("{local}{n}@{}", self.email_domain);
            n += 1;
        }
        address
    }

    fn generate_classes(&mut self, count: usize, forms: &[(u8, Vec<String>)]) {
        let forms: Vec<(u8, String)> = forms
            .iter()
            .flat_map(|(year, names)| names.iter().map(|name| (*year, name.clone())))
            .collect();
        let subjects: Vec<(String, String)> = SUBJECTS
            .iter()
            .map(|(code, _)| {
                let id = self
                    .subjects
                    .values()
                    .find(|s| s.code == *code)
                    .unwrap()
                    .id
                    .clone();
                (id, code.to_string())
            })
            .collect();
        let teachers: Vec<String> = self
            .staff
            .values()
            .filter(|e| e.teaching_staff && e.current)
            .map(|e| e.id.clone())
            .collect();
        let mut members: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for pupil in self.pupils.values() {
            members
                .entry(&pupil.form)
                .or_default()
                .push(pupil.id.clone());
        }
        let members: BTreeMap<String, Vec<String>> = members
            .into_iter()
            .map(|(form, ids)| (form.to_owned(), ids))
            .collect();

        let combinations = forms.len() * subjects.len();
        for index in 0..count {
            let combination = index % combinations;
            let set = index / combinations;
            let (subject_id, code) = &subjects[combination / forms.len()];
            let (year, form) = &forms[combination % forms.len()];
            let name = match set {
                0 => format!("{form}/{code}"),
                n => format!("{form}/{code}{}", n + 1),
            };
            let mut class_teachers = Vec::new();
            if !teachers.is_empty() {
                class_teachers.push((teachers[index % teachers.len()].clone(), true));
                if index % 6 == 5 && teachers.len() > 1 {
                    class_teachers.push((teachers[(index + 1) % teachers.len()].clone(), false));
                }
            }
            let created_at = self.past(300);
            let class = FakeClass {
                id: self.new_id(),
                mis_id: self.new_mis_id(),
                name,
                subject_id: subject_id.clone(),
                form: form.clone(),
                year_group: (index % 10 != 9).then(|| year.to_string()),
                pupil_ids: members.get(form).cloned().unwrap_or_default(),
                teachers: class_teachers,
                created_at,
                updated_at: self.recent(index % 4),
                restored_at: None,
            };
            self.classes.insert(class.id.clone(), class);
        }
    }

    /// Pupils who left before the fake starts: entries in the deletions
    /// list for ids no list serves.
    fn generate_leavers(&mut self, count: usize) {
        for _ in 0..count {
            let deletion = FakeDeletion {
                kind: "student".to_owned(),
                id: self.new_id(),
                mis_id: self.new_mis_id(),
                deleted_at: self.recent(0),
                restored_at: None,
            };
            self.deletions.push(deletion);
        }
        self.deletions.sort_by_key(|d| d.deleted_at);
    }

    /// A new Wonde-style id, unique in the school.
    pub(crate) fn new_id(&mut self) -> String {
        loop {
            let id = format!("A{}", 1_000_000_000 + self.rng.below(8_999_999_999));
            if self.used_ids.insert(id.clone()) {
                return id;
            }
        }
    }

    fn new_mis_id(&mut self) -> String {
        self.next_mis_id += 1;
        self.next_mis_id.to_string()
    }

    /// A time up to `days` before the fake's start, to the second.
    fn past(&mut self, days: u64) -> DateTime<Utc> {
        self.clock - Duration::seconds(86_400 + self.rng.below(days * 86_400) as i64)
    }

    /// A time in the month before the fake's start, with microseconds for
    /// shapes 0 and 2 (Wonde's usual) and whole seconds for 1 and 3 (so a
    /// time written without microseconds reads back the same).
    fn recent(&mut self, shape: usize) -> DateTime<Utc> {
        let seconds = 60 + self.rng.below(30 * 86_400) as i64;
        let micros = if shape.is_multiple_of(2) {
            self.rng.below(1_000_000) as i64
        } else {
            0
        };
        self.clock - Duration::seconds(seconds) + Duration::microseconds(micros)
    }

    /// Moves the clock on a minute: each change to the school happens at a
    /// later second than anything before it.
    pub(crate) fn tick(&mut self) -> DateTime<Utc> {
        self.clock += Duration::minutes(1);
        self.clock
    }

    pub(crate) fn rename_pupil(&mut self, id: &str, forename: &str, surname: &str) -> bool {
        let now = self.tick();
        let Some(pupil) = self.pupils.get_mut(id) else {
            return false;
        };
        pupil.forename = Some(forename.to_owned());
        pupil.surname = Some(surname.to_owned());
        pupil.updated_at = now;
        true
    }

    /// Moves a pupil to another form (and so perhaps another year), and
    /// from the old form's classes to the new form's.
    pub(crate) fn move_pupil(&mut self, id: &str, form: &str) -> bool {
        if !self.form_ids.contains_key(form) {
            return false;
        }
        let now = self.tick();
        let Some(pupil) = self.pupils.get_mut(id) else {
            return false;
        };
        let old_form = std::mem::replace(&mut pupil.form, form.to_owned());
        pupil.year = form_year(form);
        pupil.updated_at = now;
        for class in self.classes.values_mut() {
            if class.form == old_form && class.pupil_ids.iter().any(|p| p == id) {
                class.pupil_ids.retain(|p| p != id);
                class.updated_at = now;
            }
            if class.form == form && !class.pupil_ids.iter().any(|p| p == id) {
                class.pupil_ids.push(id.to_owned());
                class.updated_at = now;
            }
        }
        true
    }

    /// Deletes a pupil, a member of staff or a class. Whether Wonde bumps a
    /// class's `updated_at` when its members change is not documented; the
    /// fake does, so a delta sync sees such a class again.
    pub(crate) fn delete(&mut self, id: &str) -> bool {
        let (kind, mis_id, record) = if let Some(pupil) = self.pupils.remove(id) {
            ("student", pupil.mis_id.clone(), SetAside::Pupil(pupil))
        } else if let Some(employee) = self.staff.remove(id) {
            (
                "employee",
                employee.mis_id.clone(),
                SetAside::Employee(employee),
            )
        } else if let Some(class) = self.classes.remove(id) {
            ("class", class.mis_id.clone(), SetAside::Class(class))
        } else {
            return false;
        };
        let now = self.tick();
        self.touch_classes_of(id, now);
        self.set_aside.insert(id.to_owned(), record);
        self.deletions.push(FakeDeletion {
            kind: kind.to_owned(),
            id: id.to_owned(),
            mis_id,
            deleted_at: now,
            restored_at: None,
        });
        true
    }

    /// Brings a deleted record back under its old id, as Wonde does when the
    /// MIS holds it again.
    pub(crate) fn restore(&mut self, id: &str) -> bool {
        let Some(record) = self.set_aside.remove(id) else {
            return false;
        };
        let now = self.tick();
        match record {
            SetAside::Pupil(mut pupil) => {
                pupil.restored_at = Some(now);
                pupil.updated_at = now;
                self.pupils.insert(id.to_owned(), pupil);
            }
            SetAside::Employee(mut employee) => {
                employee.restored_at = Some(now);
                employee.updated_at = now;
                self.staff.insert(id.to_owned(), employee);
            }
            SetAside::Class(mut class) => {
                class.restored_at = Some(now);
                class.updated_at = now;
                self.classes.insert(id.to_owned(), class);
            }
        }
        self.touch_classes_of(id, now);
        if let Some(deletion) = self.deletions.iter_mut().rev().find(|d| d.id == id) {
            deletion.restored_at = Some(now);
        }
        true
    }

    /// A pupil leaves and is enrolled again: the old id is deleted and the
    /// pupil comes back under a new one with the same `upi`, in the same
    /// classes. Returns the new id.
    pub(crate) fn reenrol_pupil(&mut self, id: &str) -> Option<String> {
        if self.pupils.contains_key(id) {
            self.delete(id);
        }
        let Some(SetAside::Pupil(old)) = self.set_aside.get(id).cloned() else {
            return None;
        };
        let now = self.tick();
        let new_id = self.new_id();
        let pupil = FakePupil {
            id: new_id.clone(),
            created_at: now,
            updated_at: now,
            restored_at: None,
            ..old
        };
        self.pupils.insert(new_id.clone(), pupil);
        for class in self.classes.values_mut() {
            if let Some(place) = class.pupil_ids.iter().position(|p| p == id) {
                class.pupil_ids[place] = new_id.clone();
                class.updated_at = now;
            }
        }
        Some(new_id)
    }

    /// A new member of staff, teaching unless said otherwise. Returns the id.
    pub(crate) fn add_staff(&mut self, forename: &str, surname: &str, teaching: bool) -> String {
        let index = self.staff.len();
        let mut employee = self.new_employee(
            index,
            forename.to_owned(),
            surname.to_owned(),
            index.is_multiple_of(2),
            teaching,
        );
        let now = self.tick();
        let address = self.unused_email(forename, surname);
        employee.work_email = Some(address.clone());
        employee.main_email = Some(address);
        employee.current = true;
        employee.created_at = now;
        employee.updated_at = now;
        let id = employee.id.clone();
        self.staff.insert(id.clone(), employee);
        id
    }

    fn touch_classes_of(&mut self, id: &str, now: DateTime<Utc>) {
        for class in self.classes.values_mut() {
            let has_pupil = class.pupil_ids.iter().any(|p| p == id);
            let has_teacher = class.teachers.iter().any(|(t, _)| t == id);
            if has_pupil || has_teacher {
                class.updated_at = now;
            }
        }
    }
}

fn form_letter(n: usize) -> String {
    let letters = b"ABCDEFGHJKLMNPRSTUVWXYZ";
    let mut name = String::new();
    let mut n = n;
    loop {
        name.insert(0, letters[n % letters.len()] as char);
        if n < letters.len() {
            return name;
        }
        n = n / letters.len() - 1;
    }
}

fn form_year(form: &str) -> u8 {
    let digits: String = form.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(7)
}

fn ascii_lower(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Wonde's `upi`: a hash of the school and the MIS id, so it survives a new
/// Wonde id.
fn upi(school: &str, kind: &str, mis_id: &str) -> String {
    let mut rng = Rng::new(fnv(&format!("{school}/{kind}/{mis_id}")));
    format!("{:016x}{:016x}", rng.next(), rng.next())
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64: small, fast and the same on every machine.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_school_is_a_secondary_of_1500() {
        let school = SchoolData::generate(&SchoolSpec::default());
        assert_eq!(school.pupils.len(), 1500);
        assert_eq!(school.staff.len(), 120);
        assert_eq!(school.classes.len(), 900);
        assert_eq!(school.form_ids.len(), 50);
        let years: BTreeSet<u8> = school.pupils.values().map(|p| p.year).collect();
        assert_eq!(years, YEARS.into_iter().collect());
        let in_7a = school.pupils.values().filter(|p| p.form == "7A").count();
        assert_eq!(in_7a, 30);
        let ids: BTreeSet<&str> = school.pupils.keys().map(String::as_str).collect();
        assert!(
            school
                .classes
                .values()
                .all(|c| c.pupil_ids.iter().all(|p| ids.contains(p.as_str())))
        );
        let emails: BTreeSet<_> = school
            .staff
            .values()
            .filter_map(|e| e.main_email.clone())
            .collect();
        assert_eq!(
            emails.len(),
            school
                .staff
                .values()
                .filter(|e| e.main_email.is_some())
                .count()
        );
    }

    #[test]
    fn a_staff_room_puts_named_teachers_with_work_addresses_on_the_roster() {
        let spec = SchoolSpec {
            staff_room: vec![
                ("Tess".to_owned(), "Brown".to_owned()),
                ("Omar".to_owned(), "Haddad".to_owned()),
            ],
            ..SchoolSpec::small()
        };
        let school = SchoolData::generate(&spec);
        assert_eq!(school.staff.len(), spec.staff);
        let tess = school
            .staff
            .values()
            .find(|e| e.work_email.as_deref() == Some("tess.brown@riverside.example"))
            .expect("the named teacher is on the roster with a work address");
        assert!(tess.teaching_staff && tess.current);
        assert!(
            school
                .classes
                .values()
                .any(|c| c.teachers.iter().any(|(id, main)| *id == tess.id && *main)),
            "the named teacher teaches a class"
        );
        let unnamed = SchoolData::generate(&SchoolSpec::small());
        assert_eq!(
            unnamed.pupils, school.pupils,
            "naming staff leaves the rest of the school as it was"
        );
    }

    #[test]
    fn the_same_spec_gives_the_same_school() {
        let spec = SchoolSpec::small();
        let one = SchoolData::generate(&spec);
        let two = SchoolData::generate(&spec);
        assert_eq!(one.pupils, two.pupils);
        assert_eq!(one.classes, two.classes);
        let other = SchoolData::generate(&SchoolSpec { seed: 1, ..spec });
        assert_ne!(one.pupils, other.pupils);
    }

    #[test]
    fn forms_are_named_like_a_school_names_them() {
        assert_eq!(form_letter(0), "A");
        assert_eq!(form_letter(9), "K");
        assert_eq!(form_letter(23), "AA");
        assert_eq!(form_year("10B"), 10);
    }
}
