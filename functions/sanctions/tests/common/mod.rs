//! A school with staff in every role that incident forms care about, the
//! sanctions function over a table and a safeguarding queue of its own.

#![allow(dead_code, unused_imports)]

use chrono::Utc;
use domain::{Email, Role, Roles, SchoolId, StaffId};
use platform::CursorSigner;
use platform::queue::EventQueue;
use serde_json::{Value, json};
use store::{Account, AccountKind, AccountStatus, StaffMember};
use testkit::{Answer, ApiRequest, DemoSchool, SigningKey, TestQueue, TestTable};

pub use testkit::{Answer as Reply, ApiRequest as Call};

pub struct Harness {
    pub table: TestTable,
    pub queue: TestQueue,
    pub key: SigningKey,
    pub school: DemoSchool,
    pub app: sanctions::App,
    /// Unique to this test, so that mail to it is this test's alone.
    pub tag: String,
}

/// The members of staff of the seeded school, by what they do.
pub const AUTHOR: &str = "staff-teacher";
pub const OTHER_TEACHER: &str = "staff-other";
pub const PASTORAL: &str = "staff-pastoral";
pub const DSL: &str = "staff-dsl";
pub const SLT: &str = "staff-head";

impl Harness {
    pub async fn new() -> Self {
        Self::with_queue_url(None).await
    }

    /// A harness whose function sends to `queue_url` rather than the
    /// test's queue (one that does not exist, to make the send fail).
    pub async fn with_queue_url(queue_url: Option<String>) -> Self {
        let table = TestTable::create().await;
        let queue = TestQueue::create().await;
        let key = SigningKey::generate();
        let tag = ulid::Ulid::new().to_string().to_lowercase();
        let school_id = SchoolId::parse(&format!("riverside-{tag}")).unwrap();
        let school = testkit::seed_school(&table.store, &school_id, "Riverside Academy").await;
        let staff = [
            (AUTHOR, Role::Teacher),
            (OTHER_TEACHER, Role::Teacher),
            (PASTORAL, Role::Pastoral),
            (DSL, Role::Dsl),
            (SLT, Role::Slt),
        ];
        let members: Vec<StaffMember> = staff
            .iter()
            .map(|(id, _)| StaffMember {
                id: StaffId::parse(id).unwrap(),
                first_name: "Sam".into(),
                last_name: "Lee".into(),
                email: Some(Email::parse(&email_of(id, &tag)).unwrap()),
            })
            .collect();
        table.store.put_staff(&school_id, &members).await.unwrap();
        for (id, role) in staff {
            let now = Utc::now();
            let account = Account {
                user_id: id.to_owned(),
                kind: AccountKind::Staff,
                school_id: Some(school_id.clone()),
                email: Email::parse(&email_of(id, &tag)).unwrap(),
                name: Some("Sam Lee".into()),
                password_hash: "not-a-real-hash".into(),
                roles: Roles::new([role]),
                status: AccountStatus::Active,
                sessions_not_before_ms: 0,
                terms: None,
                created_at: now,
                updated_at: now,
                version: 1,
            };
            assert!(table.store.create_account(&account, vec![]).await.unwrap());
        }
        let url = queue_url.unwrap_or_else(|| queue.url.clone());
        let app = sanctions::App {
            store: table.store.clone(),
            safeguarding: EventQueue::new(queue.client.clone(), url),
            gate: platform::Gate::new(key.verifier()),
            cursors: CursorSigner::new("cursor secret for the tests, 32+ chars").unwrap(),
            allow_local_webhooks: true,
        };
        Self {
            table,
            queue,
            key,
            school,
            app,
            tag,
        }
    }

    pub fn email(&self, staff: &str) -> String {
        email_of(staff, &self.tag)
    }

    /// A token for one of the school's staff in their role.
    pub fn token(&self, staff: &str) -> String {
        let role = match staff {
            AUTHOR | OTHER_TEACHER => Role::Teacher,
            PASTORAL => Role::Pastoral,
            DSL => Role::Dsl,
            _ => Role::Slt,
        };
        self.key
            .token(&self.school.id, &StaffId::parse(staff).unwrap(), role)
    }

    pub async fn call(&self, request: ApiRequest) -> Answer {
        Answer::from_response(sanctions::handle(&self.app, request.build()).await)
    }

    /// A form's body about the first two pupils of the class of 30.
    pub fn form(&self, safeguarding: bool) -> Value {
        let pupils = self.school.pupils(self.school.class());
        json!({
            "pupils": [
                {"pupilId": pupils[0], "role": "target"},
                {"pupilId": pupils[1], "role": "aggressor"},
            ],
            "staffIds": [AUTHOR],
            "occurredAt": "2026-12-03T10:15:00Z",
            "place": "Lower corridor",
            "category": "Bullying",
            "whatHappened": "Pushed against the lockers at break.",
            "actionTaken": "Separated them and spoke to both.",
            "witnesses": ["A dinner supervisor"],
            "safeguarding": safeguarding,
        })
    }

    /// Writes a form as `staff`; answers its id.
    pub async fn create(&self, staff: &str, body: &Value) -> String {
        let answer = self
            .call(
                ApiRequest::post("/v1/incidents")
                    .bearer(&self.token(staff))
                    .json(body),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.body["id"].as_str().unwrap().to_owned()
    }

    pub async fn read(&self, staff: &str, id: &str) -> Answer {
        self.call(ApiRequest::get(&format!("/v1/incidents/{id}")).bearer(&self.token(staff)))
            .await
    }

    /// Moves a form (`submit`, `review`, `close`) from `version` as `staff`.
    pub async fn step(&self, staff: &str, id: &str, step: &str, version: u64) -> Answer {
        self.call(
            ApiRequest::post(&format!("/v1/incidents/{id}/{step}"))
                .bearer(&self.token(staff))
                .header("If-Match", &format!("\"incident-{version}\"")),
        )
        .await
    }

    pub async fn edit(&self, staff: &str, id: &str, version: u64, body: &Value) -> Answer {
        self.call(
            ApiRequest::new("PUT", &format!("/v1/incidents/{id}"))
                .bearer(&self.token(staff))
                .header("If-Match", &format!("\"incident-{version}\""))
                .json(body),
        )
        .await
    }

    /// The ids of the forms `staff` lists.
    pub async fn listed(&self, staff: &str) -> Vec<String> {
        let answer = self
            .call(ApiRequest::get("/v1/incidents").bearer(&self.token(staff)))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn email_of(staff: &str, tag: &str) -> String {
    format!("{staff}-{tag}@riverside.test")
}
