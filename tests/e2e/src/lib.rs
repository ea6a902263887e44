//! End-to-end tests: the functions as `cargo lambda watch` serves them, on
//! the same `/v1` paths as API Gateway, against the local emulator. `make
//! test` starts the stack and runs these with its address and signing key.

use std::path::PathBuf;

use domain::{Role, SchoolId};
use store::Store;
use testkit::{DemoSchool, SigningKey};

/// The running stack, as `make test` describes it in the environment.
pub struct Stack {
    pub base: String,
    pub key: SigningKey,
    pub http: reqwest::Client,
    pub school: DemoSchool,
    /// The stack's table, for what a test must see beyond the API.
    pub store: Store,
}

/// An environment variable `make test` sets; panics naming it otherwise.
pub fn required(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run the end-to-end tests with `make test`"))
}

impl Stack {
    /// Connects to the stack and seeds a school of this test's own.
    pub async fn connect() -> Self {
        let base = required("CLASSLIGHTS_API_URL")
            .trim_end_matches('/')
            .to_owned();
        let key = SigningKey::load(&PathBuf::from(required("CLASSLIGHTS_SIGNING_KEY_FILE")))
            .expect("the signing key");
        let config = testkit::aws::config().await;
        let store = Store::new(
            aws_sdk_dynamodb::Client::new(&config),
            required("TABLE_NAME"),
        );
        let id = SchoolId::parse(&format!(
            "e2e-{}",
            ulid::Ulid::new().to_string().to_lowercase()
        ))
        .unwrap();
        let school = testkit::seed_school(&store, &id, "End-to-end Academy").await;
        Self {
            base,
            key,
            http: reqwest::Client::new(),
            school,
            store,
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

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}
