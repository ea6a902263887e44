//! A school of one's own for each test: a fresh table and roster-sync
//! queue on the emulator, a staff room with one member at every rank and in
//! every account state, a key that signs their tokens, and the function's
//! handler called in-process with real API Gateway events.

#![allow(dead_code)]

use admin::App;
use chrono::Utc;
use domain::{Email, Role, Roles, SchoolId, StaffId};
use platform::CursorSigner;
use platform::queue::EventQueue;
use serde_json::Value;
use store::{Account, AccountKey, AccountKind, AccountStatus, StaffMember, Store};
pub use testkit::Answer;
use testkit::{ApiRequest, SigningKey, TestQueue, TestTable};

pub const ADMIN: &str = "staff-ada";
pub const SLT: &str = "staff-sam";
pub const HEAD_OF_YEAR: &str = "staff-hal";
pub const TEACHER: &str = "staff-tess";
pub const PENDING: &str = "staff-pip";
pub const NO_ACCOUNT: &str = "staff-nora";
pub const DISABLED: &str = "staff-dan";

/// A seeded account: the role it holds and its status.
type Seeded = Option<(Role, AccountStatus)>;

/// The staff room: id, first and last name, and the account if any.
const STAFF: [(&str, &str, &str, Seeded); 7] = [
    (
        ADMIN,
        "Ada",
        "Lovelace",
        Some((Role::Admin, AccountStatus::Active)),
    ),
    (
        SLT,
        "Samira",
        "Khan",
        Some((Role::Slt, AccountStatus::Active)),
    ),
    (
        HEAD_OF_YEAR,
        "Harriet",
        "Hughes",
        Some((Role::HeadOfYear, AccountStatus::Active)),
    ),
    (
        TEACHER,
        "Tess",
        "Brown",
        Some((Role::Teacher, AccountStatus::Active)),
    ),
    (
        PENDING,
        "Pip",
        "Evans",
        Some((Role::Teacher, AccountStatus::Pending)),
    ),
    (NO_ACCOUNT, "Nora", "Ali", None),
    (
        DISABLED,
        "Dan",
        "Wood",
        Some((Role::Teacher, AccountStatus::Disabled)),
    ),
];

pub struct Harness {
    pub table: TestTable,
    /// The roster-sync queue the function puts full syncs on.
    pub syncs: TestQueue,
    pub key: SigningKey,
    pub school: SchoolId,
    pub app: App,
}

impl Harness {
    pub async fn new() -> Self {
        let table = TestTable::create().await;
        let syncs = TestQueue::create().await;
        let key = SigningKey::generate();
        let school = SchoolId::parse("riverside").unwrap();
        seed_staff(&table.store, &school).await;
        let app = app(&table, &syncs, &key);
        Self {
            table,
            syncs,
            key,
            school,
            app,
        }
    }

    /// A second instance of the function, whose gate has read nothing yet:
    /// what another Lambda instance would see.
    pub fn fresh_app(&self) -> App {
        app(&self.table, &self.syncs, &self.key)
    }

    pub fn token(&self, user: &str, role: Role) -> String {
        self.key
            .token(&self.school, &StaffId::parse(user).unwrap(), role)
    }

    /// A token issued a few seconds from now: one the user would get by
    /// refreshing after a change, which a revocation made now does not reach.
    pub fn later_token(&self, user: &str, roles: Roles) -> String {
        let mut claims = testkit::tokens::claims(
            &self.school,
            &StaffId::parse(user).unwrap(),
            Role::Teacher,
            600,
        );
        claims.roles = roles;
        claims.iat += 2;
        self.key.sign(&claims)
    }

    pub fn admin(&self) -> String {
        self.token(ADMIN, Role::Admin)
    }

    pub fn slt(&self) -> String {
        self.token(SLT, Role::Slt)
    }

    pub async fn call(&self, request: ApiRequest) -> Answer {
        call(&self.app, request).await
    }

    pub async fn call_with(&self, app: &App, request: ApiRequest) -> Answer {
        call(app, request).await
    }

    pub async fn account(&self, user: &str) -> Account {
        self.table
            .store
            .account(&AccountKey::of(
                AccountKind::Staff,
                Some(&self.school),
                user,
            ))
            .await
            .unwrap()
            .expect("the account exists")
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

    /// The audit records of one action, newest first.
    pub async fn audited(&self, action: &str) -> Vec<Value> {
        let answer = self
            .call(
                ApiRequest::get("/v1/admin/audit")
                    .bearer(&self.admin())
                    .query("action", action),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body["items"].as_array().unwrap().clone()
    }
}

fn app(table: &TestTable, syncs: &TestQueue, key: &SigningKey) -> App {
    App {
        store: table.store.clone(),
        gate: platform::Gate::new(key.verifier()),
        cursors: CursorSigner::new("cursor secret for the tests, 32+ chars").unwrap(),
        syncs: EventQueue::new(syncs.client.clone(), syncs.url.clone()),
    }
}

async fn call(app: &App, request: ApiRequest) -> Answer {
    Answer::from_response(admin::handle(app, request.build()).await)
}

/// Puts the staff room on the roster and opens the accounts it has.
pub async fn seed_staff(store: &Store, school: &SchoolId) {
    let members: Vec<StaffMember> = STAFF
        .iter()
        .map(|(id, first, last, _)| StaffMember {
            id: StaffId::parse(id).unwrap(),
            first_name: (*first).to_owned(),
            last_name: (*last).to_owned(),
            email: Some(email(school, id)),
        })
        .collect();
    store.put_staff(school, &members).await.unwrap();
    for (id, first, last, account) in STAFF {
        if let Some((role, status)) = account {
            open_account(store, school, id, &format!("{first} {last}"), role, status).await;
        }
    }
}

pub fn email(school: &SchoolId, user: &str) -> Email {
    Email::parse(&format!("{user}@{school}.sch.uk")).unwrap()
}

pub async fn open_account(
    store: &Store,
    school: &SchoolId,
    user: &str,
    name: &str,
    role: Role,
    status: AccountStatus,
) {
    let now = Utc::now();
    let account = Account {
        user_id: user.to_owned(),
        kind: AccountKind::Staff,
        school_id: Some(school.clone()),
        email: email(school, user),
        name: Some(name.to_owned()),
        password_hash: "not-a-real-hash".to_owned(),
        roles: Roles::new([role]),
        status,
        sessions_not_before_ms: 0,
        terms: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    assert!(store.create_account(&account, vec![]).await.unwrap());
}

pub fn role_path(staff: &str, role: &str) -> String {
    format!("/v1/admin/staff/{staff}/roles/{role}")
}

pub fn put_role(token: &str, staff: &str, role: &str) -> ApiRequest {
    ApiRequest::new("PUT", &role_path(staff, role)).bearer(token)
}

pub fn delete_role(token: &str, staff: &str, role: &str) -> ApiRequest {
    ApiRequest::new("DELETE", &role_path(staff, role)).bearer(token)
}

pub fn disable(token: &str, staff: &str) -> ApiRequest {
    ApiRequest::post(&format!("/v1/admin/staff/{staff}/disable")).bearer(token)
}

pub fn enable(token: &str, staff: &str) -> ApiRequest {
    ApiRequest::post(&format!("/v1/admin/staff/{staff}/enable")).bearer(token)
}
