//! A deployment of one's own for each test: a fresh table and roster-sync
//! queue on the emulator, the webhook's handler called in-process with real
//! API Gateway events, and the auth function and a gate over the same
//! table, to see what a disabled school's staff can still do.

#![allow(dead_code)]

use chrono::Utc;
use domain::{Email, Role, Roles, SchoolId, StaffId};
use platform::Gate;
use platform::queue::EventQueue;
use serde_json::{Value, json};
use store::{Account, AccountKind, AccountStatus, StaffMember};
pub use testkit::Answer;
use testkit::{ApiRequest, SigningKey, TestQueue, TestTable};
use wonde_webhook::{App, WebhookSecret};

/// The deployment's shared secret in these tests.
pub const SECRET: &str = "test0webhook0secret0letters0and0digits";

/// The password of the admin account [`Harness::admin_account`] opens.
pub const PASSWORD: &str = "plum orchard at dusk";

pub struct Harness {
    pub table: TestTable,
    pub queue: TestQueue,
    pub key: SigningKey,
    pub app: App,
    pub auth: auth::App,
    /// Wonde's id of this test's school, found in no other test.
    pub wonde_id: String,
}

impl Harness {
    pub async fn new() -> Self {
        let table = TestTable::create().await;
        let queue = TestQueue::create().await;
        let key = SigningKey::generate();
        let app = App {
            store: table.store.clone(),
            syncs: EventQueue::new(queue.client.clone(), queue.url.clone()),
            secret: WebhookSecret::new(SECRET).unwrap(),
        };
        let auth = auth::App::new(
            table.store.clone(),
            auth::Mailer::new(testkit::mail::ses_client().await, testkit::mail::SENDER),
            &key.keys,
            testkit::tokens::ISSUER,
            testkit::tokens::AUDIENCE,
            "2026-09".to_owned(),
        )
        .unwrap();
        Self {
            table,
            queue,
            key,
            app,
            auth,
            wonde_id: format!("A{}", ulid::Ulid::new()),
        }
    }

    /// Our id of this test's school.
    pub fn school(&self) -> SchoolId {
        store::keys::school_from_wonde(&self.wonde_id)
    }

    pub async fn call(&self, request: ApiRequest) -> Answer {
        Answer::from_response(wonde_webhook::handle(&self.app, request.build()).await)
    }

    /// Delivers a webhook as Wonde does: the secret in the query.
    pub async fn deliver(&self, body: Value) -> Answer {
        self.call(
            ApiRequest::post("/v1/integrations/wonde")
                .query("secret", SECRET)
                .json(&body),
        )
        .await
    }

    pub async fn approve(&self) -> Answer {
        self.deliver(json!({
            "payload_type": "schoolApproved",
            "school_id": self.wonde_id,
            "school_name": "Riverside Academy",
            "school_token": "a token we never read",
        }))
        .await
    }

    pub async fn revoke(&self) -> Answer {
        self.deliver(json!({
            "payload_type": "accessRevoked",
            "school_id": self.wonde_id,
            "school_name": "Riverside Academy",
            "revoke_reason": "no longer using the app",
        }))
        .await
    }

    /// Every roster-sync message waiting, read off the queue.
    pub async fn queued(&self) -> Vec<sync_wonde::SyncMessage> {
        self.queue
            .drain()
            .await
            .iter()
            .map(|body| serde_json::from_str(body).expect("a roster-sync message"))
            .collect()
    }

    /// Every item in the table.
    pub async fn item_count(&self) -> usize {
        let mut count = 0;
        let mut start = None;
        loop {
            let page = self
                .table
                .client()
                .scan()
                .table_name(&self.table.name)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            count += page.items().len();
            start = page.last_evaluated_key;
            if start.is_none() {
                return count;
            }
        }
    }

    /// The school's admin, on its roster with an open account.
    pub async fn admin_account(&self) -> Email {
        let school = self.school();
        let email = Email::parse(&format!("ada@{school}.sch.uk")).unwrap();
        let staff = StaffId::parse("staff-ada").unwrap();
        let store = &self.table.store;
        store
            .put_staff(
                &school,
                &[StaffMember {
                    id: staff.clone(),
                    first_name: "Ada".to_owned(),
                    last_name: "Lovelace".to_owned(),
                    email: Some(email.clone()),
                }],
            )
            .await
            .unwrap();
        let now = Utc::now();
        let account = Account {
            user_id: staff.to_string(),
            kind: AccountKind::Staff,
            school_id: Some(school),
            email: email.clone(),
            name: Some("Ada Lovelace".to_owned()),
            password_hash: self.auth.passwords.hash(PASSWORD),
            roles: Roles::new([Role::Admin]),
            status: AccountStatus::Active,
            sessions_not_before_ms: 0,
            terms: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        assert!(store.create_account(&account, vec![]).await.unwrap());
        email
    }

    pub async fn login(&self, email: &Email) -> Answer {
        let request = ApiRequest::post("/v1/auth/login")
            .json(&json!({ "email": email.as_str(), "password": PASSWORD }));
        Answer::from_response(auth::handle(&self.auth, request.build()).await)
    }

    pub async fn refresh(&self, token: &str) -> Answer {
        let request = ApiRequest::post("/v1/auth/refresh").json(&json!({ "refreshToken": token }));
        Answer::from_response(auth::handle(&self.auth, request.build()).await)
    }

    /// What a function's gate, reading the school afresh, makes of a token:
    /// the status it would refuse with, or none.
    pub async fn gate_refuses(&self, token: &str) -> Option<(u16, String)> {
        let gate = Gate::new(self.key.verifier());
        let request = ApiRequest::get("/v1/behaviours").bearer(token).build();
        match gate.caller(&self.table.store, &request).await {
            Ok(_) => None,
            Err(problem) => Some((problem.status, problem.kind)),
        }
    }

    /// A sync-wonde function over the same table, whose Wonde nobody
    /// answers: a sync that tried to read it would fail.
    pub fn sync_app(&self) -> sync_wonde::App {
        let config = wonde::Config::new(
            "http://127.0.0.1:9/v1.0/".to_owned(),
            wonde::Token::new("test-wonde-token-1234").unwrap(),
        );
        sync_wonde::App {
            store: self.table.store.clone(),
            wonde: wonde::Client::new(config).unwrap(),
            syncs: EventQueue::new(self.queue.client.clone(), self.queue.url.clone()),
            lease_for: sync_wonde::DEFAULT_LEASE,
        }
    }
}
