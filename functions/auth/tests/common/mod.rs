//! A school of one's own for each auth test: a fresh table on the emulator,
//! a roster with work addresses, the emulator's SES with a verified sender,
//! and the auth function's handler called in-process with real API Gateway
//! events. Addresses carry the school's unique id, because every test's
//! email lands in the one emulator and is read back by address.

#![allow(dead_code)]

use auth::{App, Mailer};
use chrono::Utc;
use domain::{Email, Role, Roles, SchoolId, StaffId};
use platform::Claims;
use serde_json::{Value, json};
use store::{Account, AccountKind, AccountStatus, StaffMember};
pub use testkit::Answer;
use testkit::{ApiRequest, SigningKey, TestTable};

/// The version of the parents' terms in force in these tests.
pub const TERMS: &str = "2026-09";

/// A password good enough for the checks: long and not a common one.
pub const PASSWORD: &str = "plum orchard at dusk";

pub struct Harness {
    pub table: TestTable,
    pub key: SigningKey,
    pub school: SchoolId,
    pub app: App,
}

impl Harness {
    /// A school whose roster holds `staff-tess` (a teacher with no account
    /// yet) and `staff-ada` (an admin whose account is open, password
    /// [`PASSWORD`]).
    pub async fn new() -> Self {
        Self::with_terms(TERMS).await
    }

    pub async fn with_terms(terms: &str) -> Self {
        let table = TestTable::create().await;
        let key = SigningKey::generate();
        let suffix = ulid::Ulid::new().to_string().to_lowercase();
        let school = SchoolId::parse(&format!("school-{suffix}")).unwrap();
        let app = app(&table, &key, terms).await;
        let h = Self {
            table,
            key,
            school,
            app,
        };
        h.seed_roster().await;
        h
    }

    /// The same table and key with another version of the terms in force.
    pub async fn with_new_terms(&self, terms: &str) -> App {
        app(&self.table, &self.key, terms).await
    }

    async fn seed_roster(&self) {
        let members = [
            ("staff-tess", "Tess", "Brown"),
            ("staff-ada", "Ada", "Lovelace"),
        ]
        .map(|(id, first, last)| StaffMember {
            id: StaffId::parse(id).unwrap(),
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            email: Some(self.staff_email(id)),
        });
        self.table
            .store
            .put_staff(&self.school, &members)
            .await
            .unwrap();
        let now = Utc::now();
        let admin = Account {
            user_id: "staff-ada".to_owned(),
            kind: AccountKind::Staff,
            school_id: Some(self.school.clone()),
            email: self.staff_email("staff-ada"),
            name: Some("Ada Lovelace".to_owned()),
            password_hash: self.app.passwords.hash(PASSWORD),
            roles: Roles::new([Role::Admin]),
            status: AccountStatus::Active,
            sessions_not_before_ms: 0,
            terms: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        assert!(
            self.table
                .store
                .create_account(&admin, vec![])
                .await
                .unwrap()
        );
    }

    /// A member of staff's work address, as the roster holds it.
    pub fn staff_email(&self, user: &str) -> Email {
        Email::parse(&format!("{user}@{}.sch.uk", self.school)).unwrap()
    }

    /// An address nobody else in any test uses.
    pub fn parent_email(&self, name: &str) -> Email {
        Email::parse(&format!("{name}.{}@home.example", self.school)).unwrap()
    }

    pub async fn call(&self, request: ApiRequest) -> Answer {
        call(&self.app, request).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(ApiRequest::post(path).json(&body)).await
    }

    pub async fn login(&self, email: &Email, password: &str) -> Answer {
        self.post(
            "/v1/auth/login",
            json!({ "email": email.as_str(), "password": password }),
        )
        .await
    }

    pub async fn refresh(&self, token: &str) -> Answer {
        self.post("/v1/auth/refresh", json!({ "refreshToken": token }))
            .await
    }

    /// The verified claims of an access token the function issued.
    pub fn claims(&self, token: &str) -> Claims {
        self.key
            .verifier()
            .verify(token)
            .expect("the function signs tokens with its key")
    }

    /// The latest code emailed to an address.
    pub async fn code_sent_to(&self, email: &Email) -> String {
        testkit::mail::latest_code(email.as_str())
            .await
            .expect("a code was emailed")
    }

    pub async fn emails_to(&self, email: &Email) -> Vec<testkit::mail::Sent> {
        testkit::mail::sent_to(email.as_str()).await
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

    pub async fn account(&self, email: &Email) -> Option<Account> {
        self.table.store.account_by_email(email).await.unwrap()
    }

    /// Signs a member of staff up from the roster: address, emailed code,
    /// password. Returns the signed-in answer.
    pub async fn sign_up_staff(&self, user: &str) -> Answer {
        let address = self.staff_email(user);
        let asked = self
            .post(
                "/v1/auth/staff/signup",
                json!({ "email": address.as_str() }),
            )
            .await;
        assert_eq!(asked.status, 202, "{}", asked.body);
        let code = self.code_sent_to(&address).await;
        self.post(
            "/v1/auth/verify",
            json!({ "email": address.as_str(), "code": code, "password": PASSWORD }),
        )
        .await
    }

    /// Signs a parent up and proves their address: signed in.
    pub async fn sign_up_parent(&self, name: &str) -> (Email, Answer) {
        let address = self.parent_email(name);
        let asked = self
            .post(
                "/v1/auth/parents/signup",
                json!({
                    "name": "Jo Parent",
                    "email": address.as_str(),
                    "password": PASSWORD,
                    "acceptTerms": TERMS,
                }),
            )
            .await;
        assert_eq!(asked.status, 202, "{}", asked.body);
        let code = self.code_sent_to(&address).await;
        let verified = self
            .post(
                "/v1/auth/verify",
                json!({ "email": address.as_str(), "code": code }),
            )
            .await;
        (address, verified)
    }
}

async fn app(table: &TestTable, key: &SigningKey, terms: &str) -> App {
    let mailer = Mailer::new(testkit::mail::ses_client().await, testkit::mail::SENDER);
    App::new(
        table.store.clone(),
        mailer,
        &key.keys,
        testkit::tokens::ISSUER,
        testkit::tokens::AUDIENCE,
        terms.to_owned(),
    )
    .expect("a generated key set signs")
}

async fn call(app: &App, request: ApiRequest) -> Answer {
    Answer::from_response(auth::handle(app, request.build()).await)
}
