//! A school of one's own for each test, on the emulator: a roster written
//! the way the Wonde sync writes it (two year groups, four classes, forms
//! with a tutor, pupils with group flags), behaviours logged over three
//! weeks through the behaviour function, and their events folded into the
//! aggregates by the compute-charts job, as SQS would deliver them. The
//! charts function is then called in-process with real API Gateway events.
//!
//! What is logged, week by week (week 1 starts on `first_monday`, three
//! weeks before this week's Monday), by Tess unless said:
//!
//! | when | class | pupils | type |
//! | --- | --- | --- | --- |
//! | Mon wk 1, 10:00 | 9A | Amelia, Oliver, Isla | disruption (-1) |
//! | Tue wk 1, 10:00 | 9A | Ava | disruption, withdrawn |
//! | Wed wk 1, 09:00 | 9A | Amelia | great-work (+2) |
//! | Mon wk 2, 13:30 | 9B | Noah | defiance (-2), by Omar |
//! | Tue wk 2, 11:30 | 9A | Oliver, Isla | kindness (+1) |
//! | Sat wk 2, 10:00 | 9A | Amelia | on-task (+1) |
//! | Mon wk 3, 14:00 | 10X | Leo, Zara | off-task (0), by Omar |
//! | Tue wk 3, 10:00 | 9A | Isla | disruption (-1) |

#![allow(dead_code)]

use aws_lambda_events::event::sqs::SqsEvent;
use chrono::{Duration, NaiveDate, Utc};
use chrono_tz::Europe::London;
use domain::charts::week_of;
use domain::{ClassId, Email, Policy, PupilId, Role, Roles, SchoolId, StaffId};
use lambda_http::{Body, Response};
use platform::CursorSigner;
use platform::queue::EventQueue;
use serde_json::{Value, json};
use store::roster::plan_writes;
use store::{
    GroupFlags, GroupKind, Member, RosterClass, RosterGroup, RosterLedger, RosterPupil,
    RosterStaff, RosterUpdate, SchoolSettings,
};
use testkit::{ApiRequest, SigningKey, TestQueue, TestTable};

/// Teaches 9A Maths.
pub const TESS: &str = "staff-tess";
/// Teaches 9B Science and 10X English.
pub const OMAR: &str = "staff-omar";
/// Tutors form 9T; teaches nothing.
pub const UMA: &str = "staff-uma";
/// A head of year who teaches 10Y Drama.
pub const HANA: &str = "staff-hana";
/// A senior leader.
pub const HELEN: &str = "staff-helen";

/// Id, first name, last name, year, house, form, and group flags (gender,
/// SEN status, pupil premium, EAL).
type PupilRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    (&'static str, &'static str, bool, bool),
);

pub const PUPILS: [PupilRow; 7] = [
    (
        "p-amelia",
        "Amelia",
        "Smith",
        "9",
        "Ash",
        "9T",
        ("F", "K", true, false),
    ),
    (
        "p-oliver",
        "Oliver",
        "Jones",
        "9",
        "Oak",
        "9T",
        ("M", "N", false, false),
    ),
    (
        "p-isla",
        "Isla",
        "Khan",
        "9",
        "Ash",
        "9U",
        ("F", "N", false, true),
    ),
    (
        "p-noah",
        "Noah",
        "Evans",
        "9",
        "Oak",
        "9U",
        ("M", "E", true, false),
    ),
    (
        "p-ava",
        "Ava",
        "Brown",
        "9",
        "Ash",
        "9T",
        ("F", "N", false, false),
    ),
    (
        "p-leo",
        "Leo",
        "Ali",
        "10",
        "Oak",
        "10T",
        ("M", "N", false, false),
    ),
    (
        "p-zara",
        "Zara",
        "Reid",
        "10",
        "Ash",
        "10T",
        ("F", "N", false, false),
    ),
];

pub struct Harness {
    pub table: TestTable,
    pub key: SigningKey,
    pub school: SchoolId,
    pub app: charts::App,
    pub behaviour: behaviour::App,
    pub job: compute_charts::App,
    pub events: TestQueue,
    /// The Monday three weeks before this week's: the first of the three
    /// weeks logged.
    pub first_monday: NaiveDate,
}

/// A chart function's answer, whatever its body.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub content_type: String,
    pub headers: http::HeaderMap,
    pub text: String,
}

impl Raw {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The fields a 400 answer names.
    pub fn fields(&self) -> Vec<String> {
        assert_eq!(self.status, 400, "{}", self.text);
        assert_eq!(self.content_type, "application/problem+json");
        self.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl Harness {
    /// A school named `name` with the roster, the behaviours above, and
    /// their events folded.
    pub async fn new(name: &str) -> Self {
        let table = TestTable::create().await;
        let events = TestQueue::create().await;
        let certificates = TestQueue::create().await;
        let notifications = TestQueue::create().await;
        let key = SigningKey::generate();
        let school = SchoolId::parse(name).unwrap();
        seed(&table, &school).await;
        let today = domain::calendar::school_date(Utc::now(), London);
        let h = Self {
            app: charts::App {
                store: table.store.clone(),
                gate: platform::Gate::new(key.verifier()),
            },
            behaviour: behaviour::App {
                store: table.store.clone(),
                events: EventQueue::new(events.client.clone(), events.url.clone()),
                certificates: EventQueue::new(
                    certificates.client.clone(),
                    certificates.url.clone(),
                ),
                gate: platform::Gate::new(key.verifier()),
                cursors: CursorSigner::new("cursor secret for the tests, 32+ chars").unwrap(),
            },
            job: compute_charts::App {
                store: table.store.clone(),
                notifications: EventQueue::new(
                    notifications.client.clone(),
                    notifications.url.clone(),
                ),
            },
            table,
            key,
            school,
            events,
            first_monday: week_of(today) - Duration::weeks(3),
        };
        h.log_the_three_weeks().await;
        h.fold().await;
        h
    }

    /// Day `n` of the three weeks (0 for the first Monday).
    pub fn day(&self, n: i64) -> NaiveDate {
        self.first_monday + Duration::days(n)
    }

    /// The last day of the three weeks, a Sunday.
    pub fn last_sunday(&self) -> NaiveDate {
        self.day(20)
    }

    /// The three weeks, as `from` and `to`.
    pub fn range(&self) -> [String; 2] {
        [self.day(0).to_string(), self.last_sunday().to_string()]
    }

    async fn log_the_three_weeks(&self) {
        let d = |n| self.day(n);
        self.log(
            TESS,
            "9A-ma",
            &["p-amelia", "p-oliver", "p-isla"],
            "disruption",
            d(0),
            10,
            0,
        )
        .await;
        let withdrawn = self
            .log(TESS, "9A-ma", &["p-ava"], "disruption", d(1), 10, 0)
            .await;
        self.withdraw(TESS, &withdrawn[0]).await;
        self.log(TESS, "9A-ma", &["p-amelia"], "great-work", d(2), 9, 0)
            .await;
        self.log(OMAR, "9B-sc", &["p-noah"], "defiance", d(7), 13, 30)
            .await;
        self.log(
            TESS,
            "9A-ma",
            &["p-oliver", "p-isla"],
            "kindness",
            d(8),
            11,
            30,
        )
        .await;
        self.log(TESS, "9A-ma", &["p-amelia"], "on-task", d(12), 10, 0)
            .await;
        self.log(
            OMAR,
            "10X-en",
            &["p-leo", "p-zara"],
            "off-task",
            d(14),
            14,
            0,
        )
        .await;
        self.log(TESS, "9A-ma", &["p-isla"], "disruption", d(15), 10, 0)
            .await;
    }

    /// Logs a behaviour for pupils of a class at a school-local time;
    /// returns the behaviours' ids.
    #[allow(clippy::too_many_arguments)]
    pub async fn log(
        &self,
        staff: &str,
        class: &str,
        pupils: &[&str],
        kind: &str,
        date: NaiveDate,
        hour: u32,
        minute: u32,
    ) -> Vec<String> {
        let at = date
            .and_hms_opt(hour, minute, 0)
            .unwrap()
            .and_local_timezone(London)
            .earliest()
            .unwrap()
            .with_timezone(&Utc);
        let request = ApiRequest::post("/v1/behaviours")
            .bearer(&self.token(staff, Role::Teacher))
            .header("Idempotency-Key", &ulid::Ulid::new().to_string())
            .json(&json!({
                "classId": class,
                "pupilIds": pupils,
                "behaviourTypeId": kind,
                "occurredAt": at,
            }));
        let response = behaviour::handle(&self.behaviour, request.build()).await;
        let answer = testkit::Answer::from_response(response);
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.body["behaviours"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn withdraw(&self, staff: &str, id: &str) {
        let request = ApiRequest::post(&format!("/v1/behaviours/{id}/withdraw"))
            .bearer(&self.token(staff, Role::Teacher))
            .json(&json!({ "reason": "Logged for the wrong pupil" }));
        let response = behaviour::handle(&self.behaviour, request.build()).await;
        let answer = testkit::Answer::from_response(response);
        assert_eq!(answer.status, 200, "{}", answer.body);
    }

    /// Delivers every waiting behaviour event to the compute-charts job, in
    /// batches of ten as SQS would.
    pub async fn fold(&self) {
        let bodies = self.events.drain().await;
        for chunk in bodies.chunks(10) {
            let records: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(i, body)| json!({ "messageId": format!("m{i}-{}", ulid::Ulid::new()), "body": body }))
                .collect();
            let event: SqsEvent = serde_json::from_value(json!({ "Records": records })).unwrap();
            let (response, report) = compute_charts::handle_batch(&self.job, event).await;
            assert!(response.batch_item_failures.is_empty(), "{report:?}");
        }
    }

    pub fn token(&self, user: &str, role: Role) -> String {
        self.key
            .token(&self.school, &StaffId::parse(user).unwrap(), role)
    }

    pub fn token_with(&self, user: &str, roles: &[Role]) -> String {
        self.key.token_with_roles(
            &self.school,
            &StaffId::parse(user).unwrap(),
            Roles::new(roles.iter().copied()),
        )
    }

    pub fn slt(&self) -> String {
        self.token(HELEN, Role::Slt)
    }

    /// Calls the function with a token, query parameters and an `Accept`
    /// header.
    pub async fn call(
        &self,
        chart: &str,
        token: &str,
        query: &[(&str, &str)],
        accept: Option<&str>,
    ) -> Raw {
        let mut request = ApiRequest::get(&format!("/v1/charts/{chart}")).bearer(token);
        for (name, value) in query {
            request = request.query(name, value);
        }
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        raw(charts::handle(&self.app, request.build()).await)
    }

    /// A chart as JSON, asked by a senior leader; 200 asserted.
    pub async fn chart(&self, chart: &str, query: &[(&str, &str)]) -> Value {
        let answer = self.call(chart, &self.slt(), query, None).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.content_type, "application/json");
        answer.json()
    }
}

/// A response as a test reads it.
pub fn raw(response: Response<Body>) -> Raw {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type = headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = String::from_utf8(response.body().as_ref().to_vec()).expect("UTF-8 answers");
    if status >= 400 {
        assert_eq!(content_type, "application/problem+json", "{text}");
    }
    Raw {
        status,
        content_type,
        headers,
        text,
    }
}

/// The values of a series of a JSON chart, by series name.
pub fn series(chart: &Value, name: &str) -> Vec<f64> {
    chart["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no series {name} in {chart}"))["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

pub fn categories(chart: &Value) -> Vec<String> {
    chart["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

/// The school's settings, a policy that allows dating behaviour 60 days
/// back, and the roster, with group analysis on.
async fn seed(table: &TestTable, school: &SchoolId) {
    let store = &table.store;
    let mut policy = Policy::default_for_new_school();
    policy.backdate_days = 60;
    let settings = SchoolSettings {
        name: "Riverside Academy".to_owned(),
        time_zone: "Europe/London".to_owned(),
    };
    store.put_school(school, &settings, &policy).await.unwrap();

    let pupils: Vec<RosterPupil> = PUPILS.iter().map(pupil).collect();
    let of = |ids: &[&str]| -> Vec<&RosterPupil> {
        pupils
            .iter()
            .filter(|p| ids.contains(&p.id.as_str()))
            .collect()
    };
    let update = RosterUpdate {
        classes: vec![
            class(
                "9A-ma",
                "9A Maths",
                "9",
                TESS,
                &of(&["p-amelia", "p-oliver", "p-isla", "p-ava"]),
            ),
            class("9B-sc", "9B Science", "9", OMAR, &of(&["p-noah", "p-isla"])),
            class(
                "10X-en",
                "10X English",
                "10",
                OMAR,
                &of(&["p-leo", "p-zara"]),
            ),
            class("10Y-dr", "10Y Drama", "10", HANA, &of(&["p-leo"])),
        ],
        pupils: pupils.clone(),
        staff: vec![
            staff(TESS, "Tess", "Brown"),
            staff(OMAR, "Omar", "Haddad"),
            staff(UMA, "Uma", "Patel"),
            staff(HANA, "Hana", "Okafor"),
            staff(HELEN, "Helen", "Marsh"),
        ],
        groups: vec![
            group("g-y9", GroupKind::Year, "Year 9", &[]),
            group("g-y10", GroupKind::Year, "Year 10", &[]),
            group("g-ash", GroupKind::House, "Ash", &[]),
            group("g-oak", GroupKind::House, "Oak", &[]),
            group("g-9t", GroupKind::Registration, "9T", &[UMA]),
            group("g-9u", GroupKind::Registration, "9U", &[]),
            group("g-10t", GroupKind::Registration, "10T", &[]),
        ],
        ..RosterUpdate::default()
    };
    let writes = plan_writes(school, &RosterLedger::default(), &update).unwrap();
    store
        .write_roster(school, writes, Utc::now())
        .await
        .unwrap();
    store.set_group_analysis(school, true).await.unwrap();
}

fn pupil(row: &PupilRow) -> RosterPupil {
    let (id, first, last, year, house, form, (gender, sen, pp, eal)) = *row;
    RosterPupil {
        id: PupilId::parse(id).unwrap(),
        wonde_id: format!("W-{id}"),
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        year_group: year.to_owned(),
        house: Some(house.to_owned()),
        registration_group: Some(form.to_owned()),
        group_flags: Some(GroupFlags {
            gender: Some(gender.to_owned()),
            sen_status: Some(sen.to_owned()),
            pupil_premium: Some(pp),
            eal: Some(eal),
        }),
    }
}

fn class(id: &str, name: &str, year: &str, teacher: &str, pupils: &[&RosterPupil]) -> RosterClass {
    RosterClass {
        id: ClassId::parse(id).unwrap(),
        name: name.to_owned(),
        year_group: year.to_owned(),
        subject: None,
        teacher_ids: vec![StaffId::parse(teacher).unwrap()],
        main_teacher_id: Some(StaffId::parse(teacher).unwrap()),
        members: pupils
            .iter()
            .map(|p| Member {
                pupil_id: p.id.clone(),
                display_name: p.display_name(),
            })
            .collect(),
    }
}

fn staff(id: &str, first: &str, last: &str) -> RosterStaff {
    RosterStaff {
        id: StaffId::parse(id).unwrap(),
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        email: Some(Email::parse(&format!("{first}.{last}@riverside.sch.uk")).unwrap()),
        teaching: true,
    }
}

fn group(id: &str, kind: GroupKind, name: &str, tutors: &[&str]) -> RosterGroup {
    RosterGroup {
        id: id.to_owned(),
        kind,
        name: name.to_owned(),
        code: None,
        tutors: tutors.iter().map(|t| StaffId::parse(t).unwrap()).collect(),
    }
}
