//! What signing in costs: the Argon2id hash on its own, and a whole login
//! (`POST /v1/auth/login`) in-process against the emulator, for the right
//! password, a wrong one and an address with no account. The last two
//! should take as long as each other, so that timing tells nobody which
//! addresses have accounts.

use std::time::{Duration, Instant};

use auth::{App, Mailer};
use chrono::Utc;
use domain::{Email, Role, Roles, SchoolId};
use platform::Passwords;
use platform::passwords::{ITERATIONS, MEMORY_KIB, PARALLELISM};
use serde_json::{Value, json};
use store::{Account, AccountKind, AccountStatus};
use testkit::{ApiRequest, SigningKey, TestTable};

use crate::logging::{Stats, ms};

/// Hashes timed, and logins of each kind.
pub const SAMPLES: usize = 30;

const PASSWORD: &str = "benchmark lights on";

pub struct Measured {
    pub hash: Vec<Duration>,
    pub verify: Vec<Duration>,
    pub right: Vec<Duration>,
    pub wrong: Vec<Duration>,
    pub unknown: Vec<Duration>,
}

pub async fn measure() -> Measured {
    let passwords = Passwords::new();
    let mut hash = Vec::new();
    let mut verify = Vec::new();
    for _ in 0..SAMPLES {
        let started = Instant::now();
        let stored = passwords.hash(PASSWORD);
        hash.push(started.elapsed());
        let started = Instant::now();
        assert!(passwords.verify(PASSWORD, &stored));
        verify.push(started.elapsed());
    }

    let table = TestTable::create().await;
    let key = SigningKey::generate();
    let app = App::new(
        table.store.clone(),
        Mailer::new(testkit::mail::ses_client().await, testkit::mail::SENDER),
        &key.keys,
        testkit::tokens::ISSUER,
        testkit::tokens::AUDIENCE,
        "bench".to_owned(),
    )
    .expect("a generated key set signs");
    let school = SchoolId::parse("bench-signin").expect("a valid id");
    let address =
        |n: usize| Email::parse(&format!("teacher{n}@bench.example")).expect("a valid address");
    for n in 0..SAMPLES {
        let now = Utc::now();
        let account = Account {
            user_id: format!("staff-{n}"),
            kind: AccountKind::Staff,
            school_id: Some(school.clone()),
            email: address(n),
            name: None,
            password_hash: passwords.hash(PASSWORD),
            roles: Roles::new([Role::Teacher]),
            status: AccountStatus::Active,
            sessions_not_before_ms: 0,
            terms: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        assert!(table.store.create_account(&account, vec![]).await.unwrap());
    }

    let mut right = Vec::new();
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for n in 0..SAMPLES {
        // One failure per account and source stays far below every limit.
        let source = format!("198.51.100.{}", n % 250);
        right.push(login(&app, &address(n), PASSWORD, &source, 200).await);
        wrong.push(login(&app, &address(n), "not the password", &source, 401).await);
        let nobody = Email::parse(&format!("nobody{n}@bench.example")).unwrap();
        unknown.push(login(&app, &nobody, PASSWORD, &source, 401).await);
    }
    Measured {
        hash,
        verify,
        right,
        wrong,
        unknown,
    }
}

async fn login(app: &App, email: &Email, password: &str, source: &str, expect: u16) -> Duration {
    let request = ApiRequest::post("/v1/auth/login")
        .from_ip(source)
        .json(&json!({ "email": email.as_str(), "password": password }))
        .build();
    let started = Instant::now();
    let response = auth::handle(app, request).await;
    let took = started.elapsed();
    assert_eq!(response.status().as_u16(), expect, "a benchmark login");
    took
}

fn rows(measured: &Measured) -> [(&'static str, &[Duration]); 5] {
    [
        ("argon2id hash", &measured.hash),
        ("argon2id verify", &measured.verify),
        ("login, right password", &measured.right),
        ("login, wrong password", &measured.wrong),
        ("login, unknown address", &measured.unknown),
    ]
}

pub fn print(measured: &Measured) {
    println!(
        "\n5. Signing in: Argon2id (m={MEMORY_KIB} KiB, t={ITERATIONS}, p={PARALLELISM}) and \
         POST /v1/auth/login in-process against moto (ms)"
    );
    println!(
        "  {:<24} {:>7} {:>8} {:>8} {:>8} {:>8}",
        "what", "samples", "p50", "p95", "max", "mean"
    );
    for (name, samples) in rows(measured) {
        let stats = Stats::of(samples);
        println!(
            "  {name:<24} {:>7} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
            stats.count,
            ms(stats.p50),
            ms(stats.p95),
            ms(stats.max),
            ms(stats.mean)
        );
    }
    println!("  a wrong password and an unknown address both spend one Argon2id verify.");
}

pub fn to_json(measured: &Measured) -> Value {
    json!({
        "argon2": { "memoryKiB": MEMORY_KIB, "iterations": ITERATIONS, "parallelism": PARALLELISM },
        "rows": rows(measured)
            .iter()
            .map(|(name, samples)| json!({ "what": name, "ms": Stats::of(samples).to_json() }))
            .collect::<Vec<_>>(),
    })
}
