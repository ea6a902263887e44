//! A school of one's own for each test: a fresh table and queue on the
//! emulator, the demo school seeded, a key that signs its tokens, and the
//! function's handler called in-process with real API Gateway events.

#![allow(dead_code)]

use behaviour::App;
use domain::{ClassId, PupilId, Role, SchoolId, StaffId};
use platform::CursorSigner;
use platform::queue::EventQueue;
use serde_json::json;
pub use testkit::Answer;
use testkit::{ApiRequest, DemoSchool, SigningKey, TestQueue, TestTable};

pub struct Harness {
    pub table: TestTable,
    pub queue: TestQueue,
    pub key: SigningKey,
    pub school: DemoSchool,
    pub app: App,
}

impl Harness {
    pub async fn new() -> Self {
        let table = TestTable::create().await;
        let queue = TestQueue::create().await;
        Self::with_queue_url(table, queue.url.clone(), queue).await
    }

    /// A harness whose function sends events to `url`, which may be a queue
    /// that does not exist (to make sends fail).
    pub async fn with_queue_url(table: TestTable, url: String, queue: TestQueue) -> Self {
        let key = SigningKey::generate();
        let school = testkit::seed_school(
            &table.store,
            &SchoolId::parse("riverside").unwrap(),
            "Riverside",
        )
        .await;
        let app = App {
            store: table.store.clone(),
            events: EventQueue::new(queue.client.clone(), url),
            // No certificates queue: a certificate earned here waits on the
            // outbox, and the events queue holds behaviour events only.
            certificates: EventQueue::new(
                queue.client.clone(),
                format!("{}-no-certificates", queue.url),
            ),
            gate: platform::Gate::new(key.verifier()),
            cursors: CursorSigner::new("cursor secret for the tests, 32+ chars").unwrap(),
        };
        Self {
            table,
            queue,
            key,
            school,
            app,
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

    pub fn teacher(&self) -> String {
        self.token(Role::Teacher)
    }

    pub fn token_for(&self, user: &str, role: Role) -> String {
        self.key
            .token(&self.school.id, &StaffId::parse(user).unwrap(), role)
    }

    pub async fn call(&self, request: ApiRequest) -> Answer {
        Answer::from_response(behaviour::handle(&self.app, request.build()).await)
    }

    /// Logs a behaviour type for some pupils of a class as the teacher.
    pub async fn log(&self, class: &ClassId, pupils: &[PupilId], kind: &str) -> Answer {
        let body = json!({ "classId": class, "pupilIds": pupils, "behaviourTypeId": kind });
        self.call(
            ApiRequest::post("/v1/behaviours")
                .bearer(&self.teacher())
                .json(&body),
        )
        .await
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

    /// How many behaviour facts the table holds: the measure of "nothing
    /// changed" after a refused request.
    pub async fn behaviour_count(&self) -> usize {
        let output = self
            .table
            .client()
            .scan()
            .table_name(&self.table.name)
            .filter_expression("begins_with(pk, :school) AND sk = :sk")
            .expression_attribute_values(
                ":school",
                aws_sdk_dynamodb::types::AttributeValue::S("S#".into()),
            )
            .expression_attribute_values(
                ":sk",
                aws_sdk_dynamodb::types::AttributeValue::S("BEHAVIOUR".into()),
            )
            .send()
            .await
            .unwrap();
        output.items.unwrap_or_default().len()
    }

    /// Every item in the table, for checks that nothing at all was written.
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
