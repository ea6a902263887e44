//! Every HTTP function of the service in one process, over one table of the
//! emulator, so that tests can walk every route the API has: each with
//! every role, and each with another school's token.
//!
//! [`FUNCTIONS`] is the list of HTTP functions and their route tables; a
//! test checks it against the template's HTTP API, so a function or route
//! added to the API without joining it (and so without a rule) fails.

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use domain::{ClassId, Email, PupilId, Role, Roles, SchoolId, StaffId};
use lambda_http::{Body, Request, Response};
use platform::queue::EventQueue;
use platform::{Claims, CursorSigner, Route};
use serde_json::Value;
use store::{
    Account, AccountKind, AccountStatus, ClassRoster, Member, Pupil, StaffMember, SupportGrant,
};
use testkit::{ApiRequest, SigningKey, TestQueue, TestTable};

/// An HTTP function of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Auth,
    Admin,
    Behaviour,
    Roster,
    WondeWebhook,
    Policy,
    Certificates,
    Rewards,
    Charts,
    Sanctions,
}

/// Every HTTP function with its route table.
pub const FUNCTIONS: [(Function, &[Route]); 10] = [
    (Function::Auth, &auth::ROUTES),
    (Function::Admin, &admin::ROUTES),
    (Function::Behaviour, &behaviour::ROUTES),
    (Function::Roster, &roster::ROUTES),
    (Function::WondeWebhook, &wonde_webhook::ROUTES),
    (Function::Policy, &policy::ROUTES),
    (Function::Certificates, &certificates::ROUTES),
    (Function::Rewards, &rewards::ROUTES),
    (Function::Charts, &charts::ROUTES),
    (Function::Sanctions, &sanctions::ROUTES),
];

/// The shared secret of the stack's Wonde webhook. The walk sends it, with
/// an event the webhook only acknowledges, so that the route (public to the
/// gate, and authenticated by the secret) is walked past its door and
/// changes nothing; the webhook's own tests cover what it refuses.
pub const WEBHOOK_SECRET: &str = "walk0webhook0secret0letters0and0digits";

/// Every route of the API with the function that answers it.
pub fn all_routes() -> Vec<(Function, Route)> {
    FUNCTIONS
        .iter()
        .flat_map(|(function, routes)| routes.iter().map(|route| (*function, *route)))
        .collect()
}

/// The routes the template puts on the HTTP API, as (METHOD, path).
pub fn template_routes() -> BTreeSet<(String, String)> {
    let template = testkit::aws::template();
    let mut routes = BTreeSet::new();
    for resource in template["Resources"]
        .as_mapping()
        .expect("the template has resources")
        .values()
    {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for event in events.values() {
            if event["Type"].as_str() == Some("HttpApi") {
                let properties = &event["Properties"];
                routes.insert((
                    properties["Method"]
                        .as_str()
                        .expect("an HTTP API event names its method")
                        .to_uppercase(),
                    properties["Path"]
                        .as_str()
                        .expect("an HTTP API event names its path")
                        .to_owned(),
                ));
            }
        }
    }
    routes
}

/// What one school holds that no other school has: ids a token of another
/// school must never reach.
#[derive(Debug, Clone)]
pub struct Holdings {
    pub school: SchoolId,
    /// Teaches every class, so every staff role's own-class scope reaches.
    pub teacher: StaffId,
    pub class: ClassId,
    pub pupil: PupilId,
    /// A member of staff with an account, other than the teacher.
    pub colleague: StaffId,
    pub behaviour: String,
    pub grant: String,
}

impl Holdings {
    /// Every id that would give this school's data away if it appeared in
    /// another school's answer.
    pub fn markers(&self) -> Vec<String> {
        vec![
            self.school.to_string(),
            self.class.to_string(),
            self.pupil.to_string(),
            self.colleague.to_string(),
            self.behaviour.clone(),
            self.grant.clone(),
        ]
    }
}

/// The three functions over one table and queue, and the key their tokens
/// are signed with.
pub struct Stack {
    pub table: TestTable,
    pub queue: TestQueue,
    pub key: SigningKey,
    pub auth: auth::App,
    pub admin: admin::App,
    pub behaviour: behaviour::App,
    pub roster: roster::App,
    pub wonde_webhook: wonde_webhook::App,
    pub policy: policy::App,
    pub certificates: certificates::App,
    pub rewards: rewards::App,
    pub charts: charts::App,
    pub sanctions: sanctions::App,
}

pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub content_type: String,
}

impl Stack {
    pub async fn new() -> Self {
        let table = TestTable::create().await;
        let queue = TestQueue::create().await;
        let key = SigningKey::generate();
        let cursors = || CursorSigner::new("cursor secret for the tests, 32+ chars").unwrap();
        let auth = auth::App::new(
            table.store.clone(),
            auth::Mailer::new(testkit::mail::ses_client().await, testkit::mail::SENDER),
            &key.keys,
            testkit::tokens::ISSUER,
            testkit::tokens::AUDIENCE,
            "2026-09".to_owned(),
        )
        .expect("a generated key set signs");
        // Switching group analysis queues a full roster sync, on a queue of its own.
        let roster_sync_queue = TestQueue::create().await;
        let admin = admin::App {
            store: table.store.clone(),
            gate: platform::Gate::new(key.verifier()),
            cursors: cursors(),
            syncs: EventQueue::new(
                roster_sync_queue.client.clone(),
                roster_sync_queue.url.clone(),
            ),
        };
        let certificates_queue = TestQueue::create().await;
        let behaviour = behaviour::App {
            store: table.store.clone(),
            events: EventQueue::new(queue.client.clone(), queue.url.clone()),
            certificates: EventQueue::new(
                certificates_queue.client.clone(),
                certificates_queue.url.clone(),
            ),
            gate: platform::Gate::new(key.verifier()),
            cursors: cursors(),
        };
        let roster = roster::App {
            store: table.store.clone(),
            gate: platform::Gate::new(key.verifier()),
            cursors: cursors(),
        };
        let policy = policy::App {
            store: table.store.clone(),
            gate: platform::Gate::new(key.verifier()),
            cursors: cursors(),
        };
        let certificates = certificates::App {
            store: table.store.clone(),
            certificates: EventQueue::new(queue.client.clone(), queue.url.clone()),
            gate: platform::Gate::new(key.verifier()),
            cursors: cursors(),
        };
        let rewards = rewards::App {
            store: table.store.clone(),
            certificates: EventQueue::new(queue.client.clone(), queue.url.clone()),
            gate: platform::Gate::new(key.verifier()),
        };
        let charts = charts::App {
            store: table.store.clone(),
            gate: platform::Gate::new(key.verifier()),
        };
        let sanctions = sanctions::App {
            store: table.store.clone(),
            safeguarding: EventQueue::new(queue.client.clone(), queue.url.clone()),
            gate: platform::Gate::new(key.verifier()),
            cursors: cursors(),
            allow_local_webhooks: false,
        };
        let wonde_webhook = wonde_webhook::App {
            store: table.store.clone(),
            syncs: EventQueue::new(queue.client.clone(), queue.url.clone()),
            secret: wonde_webhook::WebhookSecret::new(WEBHOOK_SECRET)
                .expect("a long enough secret"),
        };
        Self {
            table,
            queue,
            key,
            auth,
            admin,
            behaviour,
            roster,
            wonde_webhook,
            policy,
            certificates,
            rewards,
            charts,
            sanctions,
        }
    }

    /// Seeds a school under a name of its own: the demo classes, a class
    /// and pupil found nowhere else, staff with accounts, a live support
    /// grant and one logged behaviour.
    pub async fn school(&self, name: &str) -> Holdings {
        let suffix = ulid::Ulid::new().to_string().to_lowercase();
        let school = SchoolId::parse(&format!("{name}-{suffix}")).unwrap();
        let store = &self.table.store;
        let demo = testkit::seed_school(store, &school, name).await;
        let teacher = demo.teacher.clone();

        let pupil = PupilId::parse(&format!("pupil-{name}-{suffix}")).unwrap();
        store
            .put_pupils(
                &school,
                &[Pupil {
                    id: pupil.clone(),
                    first_name: "Ines".to_owned(),
                    last_name: "Marsh".to_owned(),
                    year_group: "11".to_owned(),
                    house: None,
                }],
            )
            .await
            .unwrap();
        let class = ClassId::parse(&format!("11x-{name}-{suffix}")).unwrap();
        store
            .put_class(
                &school,
                &ClassRoster {
                    id: class.clone(),
                    name: "11X Science".to_owned(),
                    year_group: "11".to_owned(),
                    teacher_ids: vec![teacher.clone()],
                    members: vec![Member {
                        pupil_id: pupil.clone(),
                        display_name: "Ines Marsh".to_owned(),
                    }],
                },
            )
            .await
            .unwrap();

        let colleague = StaffId::parse(&format!("staff-{name}-{suffix}")).unwrap();
        let staff = [
            (teacher.clone(), Role::Teacher),
            (colleague.clone(), Role::Admin),
        ];
        let members: Vec<StaffMember> = staff
            .iter()
            .map(|(id, _)| StaffMember {
                id: id.clone(),
                first_name: "Sam".to_owned(),
                last_name: "Lee".to_owned(),
                email: Some(email(&school, id)),
            })
            .collect();
        store.put_staff(&school, &members).await.unwrap();
        for (id, role) in &staff {
            let now = Utc::now();
            let account = Account {
                user_id: id.to_string(),
                kind: AccountKind::Staff,
                school_id: Some(school.clone()),
                email: email(&school, id),
                name: Some("Sam Lee".to_owned()),
                password_hash: "not-a-real-hash".to_owned(),
                roles: Roles::new([*role]),
                status: AccountStatus::Active,
                sessions_not_before_ms: 0,
                terms: None,
                created_at: now,
                updated_at: now,
                version: 1,
            };
            assert!(store.create_account(&account, vec![]).await.unwrap());
        }

        let grant = format!("grant-{suffix}");
        let now = Utc::now();
        let write = store
            .grant_write(
                &school,
                &SupportGrant {
                    id: grant.clone(),
                    granted_by: colleague.to_string(),
                    reason: "a ticket about lights".to_owned(),
                    starts_at: now - Duration::minutes(1),
                    ends_at: now + Duration::hours(2),
                    ended_by: None,
                    ended_at: None,
                },
            )
            .unwrap();
        assert!(store.transact(vec![write]).await.unwrap());

        let mut holdings = Holdings {
            school,
            teacher,
            class,
            pupil,
            colleague,
            behaviour: String::new(),
            grant,
        };
        let logged = self
            .call(
                Function::Behaviour,
                ApiRequest::post("/v1/behaviours")
                    .bearer(&self.token(&holdings, Role::Teacher))
                    .json(&serde_json::json!({
                        "classId": holdings.class.as_str(),
                        "pupilIds": [holdings.pupil.as_str()],
                        "behaviourTypeId": "participation",
                    })),
            )
            .await;
        assert_eq!(logged.status, 201, "{}", logged.body);
        holdings.behaviour = logged.body["behaviours"][0]["id"]
            .as_str()
            .expect("the logged behaviour's id")
            .to_owned();
        holdings
    }

    /// A token acting in the school for one role. Staff roles act as the
    /// teacher of every class; support acts under the school's grant; a
    /// parent's token, like every parent's, names no school.
    pub fn token(&self, at: &Holdings, role: Role) -> String {
        let mut claims = testkit::tokens::claims(&at.school, &at.teacher, role, 15 * 60);
        match role {
            Role::Support => claims.grant = Some(at.grant.clone()),
            Role::Parent => {
                claims.school = None;
                claims.sub = "parent-walk".to_owned();
            }
            _ => {}
        }
        self.key.sign(&claims)
    }

    /// A support engineer signed in as themselves, acting in no school yet.
    pub fn support_account_token(&self) -> String {
        let now = Utc::now().timestamp();
        self.key.sign(&Claims {
            sub: "support-walk".to_owned(),
            school: None,
            roles: Roles::new([Role::Support]),
            grant: None,
            iss: testkit::tokens::ISSUER.to_owned(),
            aud: testkit::tokens::AUDIENCE.to_owned(),
            iat: now,
            nbf: now,
            exp: now + 15 * 60,
        })
    }

    pub async fn call(&self, function: Function, request: ApiRequest) -> Answer {
        let request: Request = request.build();
        let response: Response<Body> = match function {
            Function::Auth => auth::handle(&self.auth, request).await,
            Function::Admin => admin::handle(&self.admin, request).await,
            Function::Behaviour => behaviour::handle(&self.behaviour, request).await,
            Function::Roster => roster::handle(&self.roster, request).await,
            Function::WondeWebhook => wonde_webhook::handle(&self.wonde_webhook, request).await,
            Function::Policy => policy::handle(&self.policy, request).await,
            Function::Certificates => certificates::handle(&self.certificates, request).await,
            Function::Rewards => rewards::handle(&self.rewards, request).await,
            Function::Charts => charts::handle(&self.charts, request).await,
            Function::Sanctions => sanctions::handle(&self.sanctions, request).await,
        };
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes: &[u8] = response.body().as_ref();
        // A certificate's PDF is the one answer that is not JSON.
        let body = if bytes.is_empty() || content_type == "application/pdf" {
            Value::Null
        } else {
            serde_json::from_slice(bytes).expect("answers are JSON")
        };
        Answer {
            status,
            body,
            content_type,
        }
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
}

fn email(school: &SchoolId, user: &StaffId) -> Email {
    Email::parse(&format!("{user}@{school}.sch.uk")).unwrap()
}

/// The values a request puts in a route's path parameters.
#[derive(Debug, Clone)]
pub struct PathIds {
    pub behaviour: String,
    pub class: String,
    pub pupil: String,
    pub staff: String,
    pub grant: String,
}

impl PathIds {
    /// Ids of nothing but the class and its pupil: a walk with these finds
    /// no behaviour to withdraw, no member of staff to change and no grant
    /// to end, however far its requests get.
    pub fn ghosts(at: &Holdings) -> Self {
        Self {
            behaviour: ulid::Ulid::new().to_string(),
            class: at.class.to_string(),
            pupil: at.pupil.to_string(),
            staff: "staff-ghost".to_owned(),
            grant: "grant-ghost".to_owned(),
        }
    }

    /// The ids of what the school holds.
    pub fn of(at: &Holdings) -> Self {
        Self {
            behaviour: at.behaviour.clone(),
            class: at.class.to_string(),
            pupil: at.pupil.to_string(),
            staff: at.colleague.to_string(),
            grant: at.grant.clone(),
        }
    }
}

/// A request for a route with its path parameters filled in, and a body
/// that passes validation on the routes that take one, so that a walk
/// reaches the handler's look-ups: a class and pupil to log for, a reason
/// to withdraw, a support grant to give.
pub fn request_for(route: &Route, ids: &PathIds) -> ApiRequest {
    let path = route
        .path
        .split('/')
        .map(|segment| match segment {
            "{id}" if route.path.contains("support-grants") => ids.grant.clone(),
            "{id}" if route.path.starts_with("/v1/pupils/") => ids.pupil.clone(),
            "{id}" if route.path.starts_with("/v1/classes/") => ids.class.clone(),
            "{id}" if route.path.starts_with("/v1/points/pupils/") => ids.pupil.clone(),
            "{id}" => ids.behaviour.clone(),
            "{classId}" => ids.class.clone(),
            "{staffId}" => ids.staff.clone(),
            "{role}" => "tutor".to_owned(),
            "{chart}" => "behaviour-over-time".to_owned(),
            other if other.starts_with('{') => {
                panic!(
                    "{}: the walk does not know the parameter {other}",
                    route.path
                )
            }
            other => other.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/");
    let mut request = ApiRequest::new(route.method, &path);
    if (route.method, route.path) == ("GET", "/v1/behaviours") {
        // Staff who do not reach the whole school list one class they teach.
        request = request.query("classId", &ids.class);
    }
    if (route.method, route.path) == ("GET", "/v1/points/leaderboards/pupils") {
        request = request.query("classId", &ids.class);
    }
    if (route.method, route.path) == ("GET", "/v1/points/leaderboards/classes") {
        request = request.query("yearGroup", "7");
    }
    if (route.method, route.path) == ("GET", "/v1/charts/{chart}") {
        // A class the walk's staff teach, so a teacher's chart is drawn too.
        request = request.query("scope", "class").query("id", &ids.class);
    }
    if (route.method, route.path) == ("POST", "/v1/integrations/wonde") {
        request = request.query("secret", WEBHOOK_SECRET);
    }
    let body = match (route.method, route.path) {
        ("POST", "/v1/behaviours") => Some(serde_json::json!({
            "classId": ids.class,
            "pupilIds": [ids.pupil],
            "behaviourTypeId": "participation",
        })),
        ("POST", "/v1/behaviours/{id}/withdraw") => {
            Some(serde_json::json!({ "reason": "logged for the wrong pupil" }))
        }
        ("POST", "/v1/certificates") => Some(serde_json::json!({
            "pupilId": ids.pupil,
            "name": "Star of the Week",
        })),
        ("POST", "/v1/points/awards") => Some(serde_json::json!({
            "pupilId": ids.pupil,
            "points": 1,
            "reason": "helped a new pupil find their way",
        })),
        ("POST", "/v1/points/awards/{id}/withdraw") => {
            Some(serde_json::json!({ "reason": "awarded to the wrong pupil" }))
        }
        ("POST", "/v1/admin/support-grants") => Some(serde_json::json!({
            "reason": "a ticket about lights",
            "hours": 2,
        })),
        ("PUT", "/v1/admin/me/notifications") => {
            Some(serde_json::json!({ "weeklySummary": false }))
        }
        ("POST", "/v1/incidents") | ("PUT", "/v1/incidents/{id}") => Some(serde_json::json!({
            "pupils": [{ "pupilId": ids.pupil, "role": "involved" }],
            "occurredAt": "2026-12-03T10:15:00Z",
            "place": "Science block",
            "category": "Disruption",
            "whatHappened": "Threw a stool across the lab.",
        })),
        ("PUT", "/v1/safeguarding/settings") => Some(serde_json::json!({
            "webhookUrl": "https://safeguarding.example/hooks/classlights",
        })),
        // What a new school has already: the walk changes nothing.
        ("PUT", "/v1/admin/settings") => Some(serde_json::json!({ "groupAnalysis": false })),
        ("POST", "/v1/integrations/wonde") => Some(serde_json::json!({
            "payload_type": "schoolMigration",
            "school_id": "A1930499544",
        })),
        // The account routes' bodies are their own business: the walk
        // checks only who gets past the door.
        ("POST", path) if path.starts_with("/v1/auth/") => Some(serde_json::json!({})),
        _ => None,
    };
    match body {
        Some(body) => request.json(&body),
        None => request,
    }
}
