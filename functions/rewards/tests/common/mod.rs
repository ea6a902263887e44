//! A school of one's own for each test: a fresh table and queue on the
//! emulator, the demo school seeded with its four houses, the behaviour
//! function to log with and the rewards function to read and award with,
//! both called in-process with real API Gateway events.

#![allow(dead_code)]

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use domain::{ClassId, PupilId, Role, SchoolId, StaffId};
use platform::CursorSigner;
use platform::queue::EventQueue;
use serde_json::{Value, json};
pub use testkit::Answer;
use testkit::{ApiRequest, DemoSchool, SigningKey, TestQueue, TestTable};

pub const HOUSES: [&str; 4] = ["Ash", "Beech", "Cedar", "Oak"];

pub struct Harness {
    pub table: TestTable,
    pub queue: TestQueue,
    /// Where certificates that points earn are queued to be emailed.
    pub certificates: TestQueue,
    pub key: SigningKey,
    pub school: DemoSchool,
    pub behaviour: behaviour::App,
    pub rewards: rewards::App,
}

impl Harness {
    pub async fn new() -> Self {
        Self::for_school("riverside").await
    }

    pub async fn for_school(id: &str) -> Self {
        let table = TestTable::create().await;
        let queue = TestQueue::create().await;
        let certificates = TestQueue::create().await;
        let key = SigningKey::generate();
        let school =
            testkit::seed_school(&table.store, &SchoolId::parse(id).unwrap(), "Riverside").await;
        let h = Self {
            behaviour: behaviour::App {
                store: table.store.clone(),
                events: EventQueue::new(queue.client.clone(), queue.url.clone()),
                certificates: EventQueue::new(
                    certificates.client.clone(),
                    certificates.url.clone(),
                ),
                gate: platform::Gate::new(key.verifier()),
                cursors: CursorSigner::new("cursor secret for the tests, 32+ chars").unwrap(),
            },
            rewards: rewards::App {
                store: table.store.clone(),
                certificates: EventQueue::new(
                    certificates.client.clone(),
                    certificates.url.clone(),
                ),
                gate: platform::Gate::new(key.verifier()),
            },
            table,
            queue,
            certificates,
            key,
            school,
        };
        h.seed_houses(&h.school.id).await;
        h
    }

    /// Writes the school's houses as the roster sync does.
    pub async fn seed_houses(&self, school: &SchoolId) {
        for name in HOUSES {
            self.table
                .client()
                .put_item()
                .table_name(&self.table.name)
                .item("pk", AttributeValue::S(format!("S#{school}#ROSTER")))
                .item("sk", AttributeValue::S(format!("GROUP#house-{name}")))
                .item("id", AttributeValue::S(format!("house-{name}")))
                .item("kind", AttributeValue::S("house".into()))
                .item("name", AttributeValue::S(name.into()))
                .send()
                .await
                .unwrap();
        }
    }

    pub fn token(&self, role: Role) -> String {
        let user = if role == Role::Teacher {
            &self.school.teacher
        } else {
            &self.school.leader
        };
        self.key.token(&self.school.id, user, role)
    }

    pub fn token_for(&self, user: &str, role: Role) -> String {
        self.key
            .token(&self.school.id, &StaffId::parse(user).unwrap(), role)
    }

    pub fn teacher(&self) -> String {
        self.token(Role::Teacher)
    }

    pub async fn call(&self, request: ApiRequest) -> Answer {
        Answer::from_response(rewards::handle(&self.rewards, request.build()).await)
    }

    pub async fn call_behaviour(&self, request: ApiRequest) -> Answer {
        Answer::from_response(behaviour::handle(&self.behaviour, request.build()).await)
    }

    /// A 200 answer's body from the rewards function, as SLT.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let mut request = ApiRequest::get(path).bearer(&self.token(Role::Slt));
        for (name, value) in query {
            request = request.query(name, value);
        }
        let answer = self.call(request).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        answer.body
    }

    /// Logs a behaviour type for some pupils of a class as the teacher,
    /// retrying with the same key while the store is busy, as a client
    /// does.
    pub async fn log(&self, class: &ClassId, pupils: &[PupilId], kind: &str, key: &str) -> Answer {
        let body = json!({ "classId": class, "pupilIds": pupils, "behaviourTypeId": kind });
        loop {
            let answer = self
                .call_behaviour(
                    ApiRequest::post("/v1/behaviours")
                        .bearer(&self.teacher())
                        .header("Idempotency-Key", key)
                        .json(&body),
                )
                .await;
            if answer.status != 503 {
                return answer;
            }
        }
    }

    /// Withdraws a behaviour as SLT, retrying while the store is busy.
    pub async fn withdraw(&self, behaviour: &str, key: &str) -> Answer {
        loop {
            let answer = self
                .call_behaviour(
                    ApiRequest::post(&format!("/v1/behaviours/{behaviour}/withdraw"))
                        .bearer(&self.token(Role::Slt))
                        .header("Idempotency-Key", key)
                        .json(&json!({ "reason": "logged for the wrong pupil" })),
                )
                .await;
            if answer.status != 503 {
                return answer;
            }
        }
    }

    /// Awards points by hand with a token, with an idempotency key.
    pub async fn award(&self, token: &str, body: Value, key: &str) -> Answer {
        self.call(
            ApiRequest::post("/v1/points/awards")
                .bearer(token)
                .header("Idempotency-Key", key)
                .json(&body),
        )
        .await
    }

    /// The pupil's certificates, newest first.
    pub async fn certificates_of(&self, pupil: &PupilId) -> Vec<store::Certificate> {
        let query = store::CertificateQuery {
            pupil: Some(pupil.clone()),
            limit: 50,
            ..store::CertificateQuery::default()
        };
        self.table
            .store
            .certificates(&self.school.id, &query)
            .await
            .unwrap()
            .0
    }

    pub fn class(&self) -> ClassId {
        self.school.class().id.clone()
    }

    pub fn pupils(&self, n: usize) -> Vec<PupilId> {
        self.school
            .pupils(self.school.class())
            .into_iter()
            .take(n)
            .collect()
    }

    /// Each seeded pupil's house, as the seed gives it.
    pub fn houses(&self) -> HashMap<PupilId, String> {
        let mut houses = HashMap::new();
        for class in &self.school.classes {
            for member in &class.members {
                let n: usize = member.pupil_id.as_str()["pupil-".len()..].parse().unwrap();
                houses.insert(member.pupil_id.clone(), HOUSES[n % 4].to_owned());
            }
        }
        houses
    }

    /// Every behaviour and hand award in the table, as the facts a
    /// reconciliation would fold: a test may scan what a function may not.
    pub async fn facts(&self) -> Vec<HashMap<String, AttributeValue>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .table
                .client()
                .scan()
                .table_name(&self.table.name)
                .filter_expression("sk = :behaviour OR sk = :award")
                .expression_attribute_values(":behaviour", AttributeValue::S("BEHAVIOUR".into()))
                .expression_attribute_values(":award", AttributeValue::S("AWARD".into()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return items;
            }
        }
    }
}

/// A number attribute of a fact.
pub fn number(item: &HashMap<String, AttributeValue>, name: &str) -> i64 {
    item.get(name).unwrap().as_n().unwrap().parse().unwrap()
}

pub fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}
