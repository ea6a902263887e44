//! The SQS edge: partial batch failures and the sample event.

mod common;

use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use common::World;
use store::{SyncKind, SyncLease};
use sync_wonde::{Invocation, SyncMessage};
use testkit::wonde::Fault;

fn message(id: &str, body: &str) -> SqsMessage {
    let mut message = SqsMessage::default();
    message.message_id = Some(id.to_owned());
    message.body = Some(body.to_owned());
    message
}

fn event(messages: Vec<SqsMessage>) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages;
    event
}

fn failures(response: &aws_lambda_events::event::sqs::SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

#[tokio::test]
async fn only_the_messages_that_failed_are_reported() {
    let world = World::start().await;
    let good = format!(r#"{{"schoolId":"{}","kind":"full"}}"#, world.school);
    let unknown = r#"{"schoolId":"no-such-school","kind":"delta"}"#;
    let extra = format!(
        r#"{{"schoolId":"{}","kind":"delta","force":true}}"#,
        world.school
    );

    let response = sync_wonde::handle(
        &world.app,
        event(vec![
            message("m-garbled", "not json"),
            message("m-good", &good),
            message("m-unknown", unknown),
            message("m-extra", &extra),
        ]),
    )
    .await;

    assert_eq!(failures(&response), ["m-garbled", "m-unknown", "m-extra"]);
    let runs = world.store().sync_runs(&world.school).await.unwrap();
    assert_eq!(runs.len(), 1, "the good message synced in the same batch");
}

#[tokio::test]
async fn a_failed_sync_is_reported_for_retry() {
    let world = World::start().await;
    world.fake.inject_next_n(3, Fault::ServerError);
    let body = format!(r#"{{"schoolId":"{}","kind":"full"}}"#, world.school);
    let response = sync_wonde::handle(&world.app, event(vec![message("m1", &body)])).await;
    assert_eq!(failures(&response), ["m1"]);
}

#[tokio::test]
async fn a_full_sync_asked_for_while_a_delta_runs_comes_back_later() {
    let world = World::start().await;
    let running = SyncLease {
        owner: "another-sync".to_owned(),
        kind: SyncKind::Delta,
        expires_at: (chrono::Utc::now() + chrono::Duration::minutes(5)).timestamp(),
    };
    world
        .store()
        .take_sync_lease(&world.school, &running, chrono::Utc::now())
        .await
        .unwrap();
    let full = format!(r#"{{"schoolId":"{}","kind":"full"}}"#, world.school);
    let delta = format!(r#"{{"schoolId":"{}","kind":"delta"}}"#, world.school);

    let response = sync_wonde::handle(
        &world.app,
        event(vec![message("m-full", &full), message("m-delta", &delta)]),
    )
    .await;

    assert_eq!(
        failures(&response),
        ["m-full"],
        "the running delta covers the delta"
    );
    assert!(
        world
            .store()
            .sync_runs(&world.school)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_expired_lease_does_not_block_the_next_sync() {
    let world = World::start().await;
    let dead = SyncLease {
        owner: "a-sync-that-died".to_owned(),
        kind: SyncKind::Full,
        expires_at: (chrono::Utc::now() - chrono::Duration::seconds(1)).timestamp(),
    };
    world
        .store()
        .take_sync_lease(
            &world.school,
            &dead,
            chrono::Utc::now() - chrono::Duration::minutes(20),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    let run = world.sync(SyncKind::Delta).await;
    assert_eq!(
        run.kind,
        SyncKind::Full,
        "no sync completed before, so it starts over in full"
    );
}

#[test]
fn the_sample_event_holds_sync_messages() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/sync-wonde-batch.json"
    );
    let event: SqsEvent = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(!event.records.is_empty());
    let invocation: Invocation =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        matches!(invocation, Invocation::Queue(_)),
        "a queue batch is not taken for a tick"
    );
    for record in event.records {
        let message: SyncMessage = serde_json::from_str(record.body.as_deref().unwrap()).unwrap();
        assert!(!message.school_id.as_str().is_empty());
    }
}

#[test]
fn the_sample_tick_is_a_scheduled_event_at_its_time() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/sync-wonde-tick.json"
    );
    let invocation: Invocation =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let Invocation::Tick(tick) = invocation else {
        panic!("the sample tick was read as a queue batch");
    };
    assert_eq!(tick.time.to_rfc3339(), "2026-12-01T10:00:00+00:00");
}
