//! A school of one's own for each test: a fresh table on the emulator, the
//! demo school seeded with the default policy, a key that signs its tokens,
//! and the policy and behaviour functions called in-process with real API
//! Gateway events.

#![allow(dead_code)]

use domain::{ClassId, PupilId, Role, StaffId};
use platform::CursorSigner;
use platform::queue::EventQueue;
use policy::App;
use serde_json::{Value, json};
pub use testkit::Answer;
use testkit::{ApiRequest, DemoSchool, SigningKey, TestQueue, TestTable};

pub const SLT: &str = "staff-slt";
pub const ADMIN: &str = "staff-admin";

pub struct Harness {
    pub table: TestTable,
    pub queue: TestQueue,
    pub key: SigningKey,
    pub school: DemoSchool,
    pub app: App,
    pub behaviour: behaviour::App,
}

impl Harness {
    pub async fn new() -> Self {
        let table = TestTable::create().await;
        let queue = TestQueue::create().await;
        let key = SigningKey::generate();
        let school = testkit::seed_school(
            &table.store,
            &domain::SchoolId::parse("riverside").unwrap(),
            "Riverside",
        )
        .await;
        let cursors = || CursorSigner::new("cursor secret for the tests, 32+ chars").unwrap();
        let app = App {
            store: table.store.clone(),
            gate: platform::Gate::new(key.verifier()),
            cursors: cursors(),
        };
        let certificates = TestQueue::create().await;
        let behaviour = behaviour::App {
            store: table.store.clone(),
            events: EventQueue::new(queue.client.clone(), queue.url.clone()),
            certificates: EventQueue::new(certificates.client.clone(), certificates.url.clone()),
            gate: platform::Gate::new(key.verifier()),
            cursors: cursors(),
        };
        Self {
            table,
            queue,
            key,
            school,
            app,
            behaviour,
        }
    }

    pub fn token(&self, user: &str, role: Role) -> String {
        self.key
            .token(&self.school.id, &StaffId::parse(user).unwrap(), role)
    }

    pub fn teacher(&self) -> String {
        self.key
            .token(&self.school.id, &self.school.teacher, Role::Teacher)
    }

    pub fn slt(&self) -> String {
        self.token(SLT, Role::Slt)
    }

    pub fn admin(&self) -> String {
        self.token(ADMIN, Role::Admin)
    }

    pub async fn call(&self, request: ApiRequest) -> Answer {
        Answer::from_response(policy::handle(&self.app, request.build()).await)
    }

    /// The current policy as `token` reads it, with its ETag.
    pub async fn read(&self, token: &str) -> (Value, String) {
        let answer = self.call(ApiRequest::get("/v1/policy").bearer(token)).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let etag = answer.headers["etag"].to_str().unwrap().to_owned();
        (answer.body, etag)
    }

    /// `PUT /v1/policy` of `policy` (read-only fields are taken out).
    pub async fn put(&self, token: &str, etag: Option<&str>, policy: &Value) -> Answer {
        let mut request = ApiRequest::new("PUT", "/v1/policy")
            .bearer(token)
            .json(&editable(policy));
        if let Some(etag) = etag {
            request = request.header("if-match", etag);
        }
        self.call(request).await
    }

    pub async fn behaviour_call(&self, request: ApiRequest) -> Answer {
        Answer::from_response(behaviour::handle(&self.behaviour, request.build()).await)
    }

    /// Logs a behaviour type for some pupils of the first class as the teacher.
    pub async fn log(&self, pupils: &[PupilId], kind: &str) -> Answer {
        let body = json!({ "classId": self.class(), "pupilIds": pupils, "behaviourTypeId": kind });
        self.behaviour_call(
            ApiRequest::post("/v1/behaviours")
                .bearer(&self.teacher())
                .json(&body),
        )
        .await
    }

    /// A pupil's light in the first class's lesson today.
    pub async fn light(&self, pupil: &PupilId) -> Value {
        let grid = self
            .behaviour_call(
                ApiRequest::get(&format!("/v1/lessons/{}/lights", self.class()))
                    .bearer(&self.teacher()),
            )
            .await;
        assert_eq!(grid.status, 200, "{}", grid.body);
        grid.body["pupils"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["pupilId"] == pupil.as_str())
            .expect("the pupil is in the class")["light"]
            .clone()
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

    /// Every item in the table, for checks that nothing was written.
    pub async fn item_count(&self) -> usize {
        let output = self
            .table
            .client()
            .scan()
            .table_name(&self.table.name)
            .send()
            .await
            .unwrap();
        output.items.unwrap_or_default().len()
    }
}

/// A policy as read, without what the service records itself: the body a
/// leader sends back.
pub fn editable(policy: &Value) -> Value {
    let mut body = policy.clone();
    if let Some(fields) = body.as_object_mut() {
        for field in ["version", "source", "changedAt", "changedBy"] {
            fields.remove(field);
        }
    }
    body
}

/// The index of the behaviour type with this id.
pub fn type_index(policy: &Value, id: &str) -> usize {
    policy["behaviourTypes"]
        .as_array()
        .unwrap()
        .iter()
        .position(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no type {id}"))
}

/// The fields a refusal names.
pub fn fields(answer: &Answer) -> Vec<String> {
    answer.body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
