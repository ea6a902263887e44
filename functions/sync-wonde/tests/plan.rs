//! The schedule's tick: which schools get which sync put on the queue.

mod common;

use chrono::{DateTime, Utc};
use common::World;
use domain::SchoolId;
use store::SyncKind;
use sync_wonde::{SyncMessage, TickReport};

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
}

async fn approve(world: &World, id: &str, wonde_id: &str) -> SchoolId {
    let school = SchoolId::parse(id).unwrap();
    world
        .store()
        .approve_school(&school, wonde_id, "Hillside School", Utc::now())
        .await
        .unwrap();
    school
}

async fn queued(world: &World) -> Vec<SyncMessage> {
    let mut messages: Vec<SyncMessage> = world
        .syncs
        .drain()
        .await
        .iter()
        .map(|body| serde_json::from_str(body).unwrap())
        .collect();
    messages.sort_by(|a, b| a.school_id.as_str().cmp(b.school_id.as_str()));
    messages
}

#[tokio::test]
async fn a_school_day_tick_queues_a_delta_for_each_linked_school_but_not_a_disabled_one() {
    let world = World::start().await;
    let hillside = approve(&world, "hillside", "A1000000001").await;
    let lakeside = approve(&world, "lakeside", "A1000000002").await;
    let gone = approve(&world, "gone-away", "A1000000003").await;
    world
        .store()
        .disable_school(&gone, Utc::now())
        .await
        .unwrap();

    // Tuesday 1 December 2026, 10:00 in London.
    let report = sync_wonde::plan_tick(&world.app, at("2026-12-01T10:00:00Z"))
        .await
        .unwrap();

    assert_eq!(
        report,
        TickReport {
            schools: 2,
            queued: 2,
            failed: 0
        }
    );
    assert_eq!(
        queued(&world).await,
        [hillside, lakeside].map(|school_id| SyncMessage {
            school_id,
            kind: SyncKind::Delta,
        })
    );
}

#[tokio::test]
async fn the_night_tick_queues_a_full_sync_and_the_evening_queues_nothing() {
    let world = World::start().await;
    let hillside = approve(&world, "hillside", "A1000000001").await;

    let evening = sync_wonde::plan_tick(&world.app, at("2026-12-01T20:00:00Z"))
        .await
        .unwrap();
    assert_eq!(evening.queued, 0);
    assert!(queued(&world).await.is_empty());

    // 02:00 in London on a Saturday: full syncs run every night.
    sync_wonde::plan_tick(&world.app, at("2026-12-05T02:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        queued(&world).await,
        [SyncMessage {
            school_id: hillside,
            kind: SyncKind::Full,
        }]
    );
}

#[tokio::test]
async fn more_schools_than_one_batch_all_reach_the_queue() {
    let world = World::start().await;
    for n in 0..23 {
        approve(
            &world,
            &format!("school-{n:02}"),
            &format!("A20000000{n:02}"),
        )
        .await;
    }

    let report = sync_wonde::plan_tick(&world.app, at("2026-12-01T10:00:00Z"))
        .await
        .unwrap();

    assert_eq!((report.schools, report.queued, report.failed), (23, 23, 0));
    assert_eq!(queued(&world).await.len(), 23);
}
