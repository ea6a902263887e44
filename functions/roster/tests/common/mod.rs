//! A school of one's own for each test: a fresh table on the emulator with a
//! roster written the way the Wonde sync writes it, a key that signs the
//! staff's tokens, and the function's handler called in-process with real
//! API Gateway events.

#![allow(dead_code)]

use chrono::{Duration, Utc};
use domain::{ClassId, Email, PupilId, Role, SchoolId, StaffId};
use platform::CursorSigner;
use roster::App;
use serde_json::Value;
use store::roster::plan_writes;
use store::{
    GroupFlags, GroupKind, Member, RosterClass, RosterGroup, RosterLedger, RosterPupil,
    RosterStaff, RosterUpdate, SupportGrant,
};
pub use testkit::Answer;
use testkit::{ApiRequest, SigningKey, TestTable};

/// Teaches 7A Maths (its main teacher) and 7B Science.
pub const TEACHER: &str = "staff-tess";
/// Teaches 10X English only.
pub const OTHER_TEACHER: &str = "staff-omar";
/// A senior leader who teaches nothing.
pub const LEADER: &str = "staff-helen";

/// The pupils: id, first name, last name, year, house, tutor group.
pub const PUPILS: [(&str, &str, &str, &str, &str, &str); 10] = [
    ("p-amelia", "Amelia", "Smith", "7", "Ash", "7R"),
    ("p-oliver", "Oliver", "Smithson", "7", "Oak", "7R"),
    ("p-isla", "Isla", "Jones", "7", "Ash", "7S"),
    ("p-noah", "Noah", "Khan", "7", "Oak", "7S"),
    ("p-ava", "Ava", "O'Brien", "7", "Ash", "7R"),
    ("p-leo", "Leo", "Amesbury", "10", "Oak", "10T"),
    ("p-sophia", "Sophia", "Brown", "10", "Ash", "10T"),
    ("p-arthur", "Arthur", "smith", "10", "Oak", "10T"),
    ("p-grace", "Grace", "Evans", "10", "Ash", "10U"),
    ("p-zara", "Zara", "Ali", "10", "Oak", "10U"),
];

/// The school's grant of access to vendor support.
pub const SUPPORT_GRANT: &str = "grant-live";

/// Left the school in the harness's second sync.
pub const LEFT: &str = "p-grace";

pub struct Harness {
    pub table: TestTable,
    pub key: SigningKey,
    pub school: SchoolId,
    pub app: App,
}

impl Harness {
    pub async fn new() -> Self {
        let table = TestTable::create().await;
        let key = SigningKey::generate();
        let school = SchoolId::parse("riverside").unwrap();
        sync_roster(&table, &school).await;
        let now = Utc::now();
        let grant = SupportGrant {
            id: SUPPORT_GRANT.to_owned(),
            granted_by: LEADER.to_owned(),
            reason: "lights not updating".to_owned(),
            starts_at: now - Duration::minutes(1),
            ends_at: now + Duration::hours(2),
            ended_by: None,
            ended_at: None,
        };
        let write = table.store.grant_write(&school, &grant).unwrap();
        assert!(table.store.transact(vec![write]).await.unwrap());
        let app = App {
            store: table.store.clone(),
            gate: platform::Gate::new(key.verifier()),
            cursors: CursorSigner::new("cursor secret for the tests, 32+ chars").unwrap(),
        };
        Self {
            table,
            key,
            school,
            app,
        }
    }

    /// A token for one role. Vendor support's acts under a live grant of
    /// the school, made on the way.
    pub fn token(&self, user: &str, role: Role) -> String {
        let mut claims =
            testkit::tokens::claims(&self.school, &StaffId::parse(user).unwrap(), role, 600);
        if role == Role::Support {
            claims.grant = Some(SUPPORT_GRANT.to_owned());
        }
        self.key.sign(&claims)
    }

    /// A token of another school for the same user.
    pub fn token_at(&self, school: &SchoolId, user: &str, role: Role) -> String {
        self.key.token(school, &StaffId::parse(user).unwrap(), role)
    }

    pub fn teacher(&self) -> String {
        self.token(TEACHER, Role::Teacher)
    }

    pub fn slt(&self) -> String {
        self.token(LEADER, Role::Slt)
    }

    pub async fn call(&self, request: ApiRequest) -> Answer {
        Answer::from_response(roster::handle(&self.app, request.build()).await)
    }

    /// A 200 answer's body.
    pub async fn get(&self, request: ApiRequest) -> Value {
        let answer = self.call(request).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body
    }
}

/// The ids of a page's items.
pub fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("a list of items")
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

fn pupil(row: &(&str, &str, &str, &str, &str, &str)) -> RosterPupil {
    let (id, first, last, year, house, group) = *row;
    RosterPupil {
        id: PupilId::parse(id).unwrap(),
        wonde_id: format!("W-{id}"),
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        year_group: year.to_owned(),
        house: Some(house.to_owned()),
        registration_group: Some(group.to_owned()),
        group_flags: (id == "p-amelia").then(|| GroupFlags {
            gender: Some("F".to_owned()),
            sen_status: Some("K".to_owned()),
            pupil_premium: Some(true),
            eal: Some(false),
        }),
    }
}

fn class(
    id: &str,
    name: &str,
    year: &str,
    teachers: &[&str],
    main: Option<&str>,
    pupils: &[&RosterPupil],
) -> RosterClass {
    RosterClass {
        id: ClassId::parse(id).unwrap(),
        name: name.to_owned(),
        year_group: year.to_owned(),
        subject: Some(name.split(' ').nth(1).unwrap_or("Tutor").to_owned()),
        teacher_ids: teachers
            .iter()
            .map(|t| StaffId::parse(t).unwrap())
            .collect(),
        main_teacher_id: main.map(|t| StaffId::parse(t).unwrap()),
        members: pupils
            .iter()
            .map(|p| Member {
                pupil_id: p.id.clone(),
                display_name: p.display_name(),
            })
            .collect(),
    }
}

fn staff(id: &str, first: &str, last: &str, teaching: bool) -> RosterStaff {
    RosterStaff {
        id: StaffId::parse(id).unwrap(),
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        email: Some(Email::parse(&format!("{first}.{last}@riverside.sch.uk")).unwrap()),
        teaching,
    }
}

fn group(id: &str, kind: GroupKind, name: &str, code: Option<&str>) -> RosterGroup {
    RosterGroup {
        id: id.to_owned(),
        kind,
        name: name.to_owned(),
        code: code.map(str::to_owned),
        tutors: Vec::new(),
    }
}

/// Writes the roster as two runs of the sync would: a full sync, then a
/// delta in which one pupil leaves.
pub async fn sync_roster(table: &TestTable, school: &SchoolId) {
    let pupils: Vec<RosterPupil> = PUPILS.iter().map(pupil).collect();
    let year7: Vec<&RosterPupil> = pupils.iter().filter(|p| p.year_group == "7").collect();
    let year10: Vec<&RosterPupil> = pupils.iter().filter(|p| p.year_group == "10").collect();
    let update = RosterUpdate {
        classes: vec![
            class("7A-ma", "7A Maths", "7", &[TEACHER], Some(TEACHER), &year7),
            class(
                "7B-sc",
                "7B Science",
                "7",
                &[OTHER_TEACHER, TEACHER],
                Some(OTHER_TEACHER),
                &year7[..3],
            ),
            class(
                "10X-en",
                "10X English",
                "10",
                &[OTHER_TEACHER],
                None,
                &year10,
            ),
        ],
        pupils: pupils.clone(),
        staff: vec![
            staff(TEACHER, "Tess", "Brown", true),
            staff(OTHER_TEACHER, "Omar", "Haddad", true),
            staff(LEADER, "Helen", "Marsh", false),
        ],
        groups: vec![
            group("g-y10", GroupKind::Year, "Year 10", Some("10")),
            group("g-y7", GroupKind::Year, "Year 7", Some("7")),
            group("g-oak", GroupKind::House, "Oak", None),
            group("g-ash", GroupKind::House, "Ash", Some("A")),
            group("g-7r", GroupKind::Registration, "7R", None),
        ],
        ..RosterUpdate::default()
    };
    let store = &table.store;
    let writes = plan_writes(school, &RosterLedger::default(), &update).unwrap();
    store
        .write_roster(school, writes, Utc::now())
        .await
        .unwrap();

    let mut delta = RosterUpdate::default();
    delta.removed.pupils.insert(PupilId::parse(LEFT).unwrap());
    let ledger = store.roster_ledger(school).await.unwrap();
    let writes = plan_writes(school, &ledger, &delta).unwrap();
    assert_eq!(writes.counts.pupils_left, 1);
    store
        .write_roster(school, writes, Utc::now())
        .await
        .unwrap();
}
