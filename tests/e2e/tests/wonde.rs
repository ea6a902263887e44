//! A school's life through Wonde, across the whole stack: Wonde's approval
//! webhook creates the school and queues its first sync, the pump hands it
//! to the roster sync, which reads the school from a fake Wonde, and the
//! roster API then shows what Wonde holds; a change in the MIS arrives with
//! the next delta; a revocation locks the school out.
//!
//! `make test` points the stack's Wonde at `CLASSLIGHTS_WONDE_PORT`, where
//! this test serves its own fake school.

use std::time::{Duration, Instant};

use domain::{Role, SchoolId, StaffId};
use e2e::{Stack, required};
use serde_json::{Value, json};
use store::{RunOutcome, SyncKind, keys};
use testkit::wonde::{FakeWonde, SchoolSpec};

/// Long enough for a sync through the pump on a busy two-core machine.
const PATIENCE: Duration = Duration::from_secs(300);

async fn eventually<T, F, Fut>(what: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(done) = attempt().await {
            return done;
        }
        assert!(Instant::now() < deadline, "{what} did not happen in time");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn webhook(stack: &Stack, body: Value) -> Value {
    let secret = required("CLASSLIGHTS_WONDE_WEBHOOK_SECRET");
    let answer = stack
        .http
        .post(stack.url("/v1/integrations/wonde"))
        .query(&[("secret", secret.as_str())])
        .json(&body)
        .send()
        .await
        .expect("the stack answers");
    assert_eq!(answer.status(), 200, "the webhook accepts Wonde's call");
    answer.json().await.unwrap()
}

async fn get(stack: &Stack, token: &str, path: &str) -> (u16, Value) {
    let answer = stack
        .http
        .get(stack.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("the stack answers");
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// Every pupil the roster API lists, through all its pages.
async fn all_pupils(stack: &Stack, token: &str) -> Vec<Value> {
    let mut pupils = Vec::new();
    let mut path = "/v1/pupils?limit=200".to_owned();
    loop {
        let (status, page) = get(stack, token, &path).await;
        assert_eq!(status, 200, "{page}");
        pupils.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("/v1/pupils?limit=200&cursor={cursor}"),
            None => return pupils,
        }
    }
}

#[tokio::test]
async fn a_school_joins_through_wonde_gets_its_roster_keeps_it_fresh_and_is_locked_out_when_it_leaves()
 {
    let stack = Stack::connect().await;
    let port: u16 = required("CLASSLIGHTS_WONDE_PORT").parse().unwrap();
    // A Wonde id of this run's own, so a second run against the same stack
    // is a new school.
    let wonde_id = format!(
        "A{}",
        1_000_000_000 + chrono::Utc::now().timestamp() % 1_000_000_000
    );
    let fake = FakeWonde::start_on(
        ([127, 0, 0, 1], port).into(),
        required("CLASSLIGHTS_WONDE_TOKEN").trim(),
        SchoolSpec {
            id: wonde_id.clone(),
            name: "Hillside Community School".to_owned(),
            pupils: 150,
            staff: 14,
            classes: 40,
            ..SchoolSpec::default()
        },
    )
    .await
    .expect("the fake Wonde takes the stack's Wonde port");

    // GIVEN the school approves Classlights in Wonde
    let approved = webhook(
        &stack,
        json!({"payload_type": "schoolApproved", "school_id": wonde_id, "school_name": "Hillside Community School"}),
    )
    .await;
    let school = SchoolId::parse(approved["schoolId"].as_str().unwrap()).unwrap();
    assert_eq!(approved["status"], "pending");

    // THEN its first full sync runs, through the queue, without anyone asking
    let first = eventually("the first sync", || async {
        let runs = stack.store.sync_runs(&school).await.unwrap();
        runs.into_iter()
            .find(|run| run.outcome == RunOutcome::Completed)
    })
    .await;
    assert_eq!(first.kind, SyncKind::Full);
    assert_eq!(first.pupils_read as usize, fake.pupils().len());

    // AND a senior leader finds every pupil Wonde holds, by name
    let leader = StaffId::parse(&fake.staff()[0].id).unwrap();
    let token = stack.key.token(&school, &leader, Role::Slt);
    let listed = all_pupils(&stack, &token).await;
    assert_eq!(listed.len(), fake.pupils().len());
    let mut wanted: Vec<String> = fake
        .pupils()
        .iter()
        .map(|p| keys::pupil_from_upi(&school, &p.upi).to_string())
        .collect();
    let mut got: Vec<String> = listed
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    wanted.sort();
    got.sort();
    assert_eq!(got, wanted);
    let (status, classes) = get(&stack, &token, "/v1/classes?all=true&limit=200").await;
    assert_eq!(status, 200);
    assert_eq!(
        classes["items"].as_array().unwrap().len(),
        fake.classes().len()
    );

    // WHEN a pupil's name changes in the MIS and the next delta runs
    let pupil = fake.pupils()[0].clone();
    fake.rename_pupil(&pupil.id, "Marguerite", "Okonkwo-Hale");
    let sqs = aws_sdk_sqs::Client::new(&testkit::aws::config().await);
    sqs.send_message()
        .queue_url(required("ROSTER_SYNC_QUEUE_URL"))
        .message_body(json!({"schoolId": school, "kind": "delta"}).to_string())
        .send()
        .await
        .expect("the emulator takes the message");

    // THEN the roster API shows the new name
    let ours = keys::pupil_from_upi(&school, &pupil.upi);
    eventually("the renamed pupil", || async {
        let (status, found) = get(&stack, &token, &format!("/v1/pupils/{ours}")).await;
        (status == 200 && found["displayName"] == "Marguerite Okonkwo-Hale").then_some(())
    })
    .await;

    // WHEN the school revokes access in Wonde
    let revoked = webhook(
        &stack,
        json!({"payload_type": "accessRevoked", "school_id": wonde_id, "school_name": "Hillside Community School", "revoke_reason": "Moving to another system"}),
    )
    .await;
    assert_eq!(revoked["status"], "disabled");

    // THEN the tokens its staff hold stop working, within the gate's half minute
    eventually("the lock-out", || async {
        let (status, _) = get(&stack, &token, "/v1/pupils?limit=1").await;
        (status == 403).then_some(())
    })
    .await;
    let entry = stack.store.school_entry(&school).await.unwrap().unwrap();
    assert!(entry.delete_after.is_some(), "its data is due for deletion");
}
