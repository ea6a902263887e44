//! Every stored behaviour reaches the queue, even when the function's own
//! send fails: the record stays in the outbox and the relay sends it.

use behaviour::App;
use domain::{Role, SchoolId};
use platform::CursorSigner;
use platform::queue::EventQueue;
use relay_outbox::{Relay, RelayReport};
use serde_json::json;
use testkit::{ApiRequest, SigningKey, TestQueue, TestTable};

struct World {
    table: TestTable,
    queue: TestQueue,
    app: App,
    key: SigningKey,
    school: testkit::DemoSchool,
}

/// A behaviour function whose queue URL leads nowhere, so every send fails.
async fn world_with_failing_sends() -> World {
    let table = TestTable::create().await;
    let queue = TestQueue::create().await;
    let key = SigningKey::generate();
    let school = testkit::seed_school(
        &table.store,
        &SchoolId::parse("riverside").unwrap(),
        "Riverside",
    )
    .await;
    let broken = format!("{}-missing", queue.url);
    let app = App {
        store: table.store.clone(),
        events: EventQueue::new(queue.client.clone(), broken.clone()),
        certificates: EventQueue::new(queue.client.clone(), broken),
        gate: platform::Gate::new(key.verifier()),
        cursors: CursorSigner::new("cursor secret for the tests, 32+ chars").unwrap(),
    };
    World {
        table,
        queue,
        app,
        key,
        school,
    }
}

impl World {
    async fn log(&self, pupils: usize) -> u16 {
        let token = self
            .key
            .token(&self.school.id, &self.school.teacher, Role::Teacher);
        let pupils: Vec<_> = self
            .school
            .pupils(self.school.class())
            .into_iter()
            .take(pupils)
            .collect();
        let body = json!({ "classId": self.school.class().id, "pupilIds": pupils, "behaviourTypeId": "kindness" });
        let request = ApiRequest::post("/v1/behaviours")
            .bearer(&token)
            .json(&body)
            .build();
        behaviour::handle(&self.app, request)
            .await
            .status()
            .as_u16()
    }

    fn relay(&self) -> Relay {
        Relay {
            store: self.table.store.clone(),
            events: EventQueue::new(self.queue.client.clone(), self.queue.url.clone()),
        }
    }
}

#[tokio::test]
async fn behaviours_whose_send_failed_are_published_by_the_relay_exactly_once() {
    let world = world_with_failing_sends().await;

    assert_eq!(
        world.log(3).await,
        201,
        "a failed send does not fail the request"
    );
    assert_eq!(world.log(1).await, 201);
    assert!(
        world.queue.drain().await.is_empty(),
        "nothing reached the queue yet"
    );

    let relay = world
        .relay()
        .run_before(chrono::Utc::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(
        relay,
        RelayReport {
            published: 2,
            failed: 0
        }
    );

    let messages = world.queue.drain().await;
    assert_eq!(messages.len(), 2);
    let counted: usize = messages
        .iter()
        .map(
            |m| match serde_json::from_str::<domain::BehaviourEvent>(m).unwrap() {
                domain::BehaviourEvent::Logged { behaviours, .. } => behaviours.len(),
                other => panic!("unexpected event {other:?}"),
            },
        )
        .sum();
    assert_eq!(counted, 4);

    let again = world
        .relay()
        .run_before(chrono::Utc::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(
        again,
        RelayReport::default(),
        "published records leave the outbox"
    );
    assert!(world.queue.drain().await.is_empty());
}

#[tokio::test]
async fn the_relay_leaves_fresh_records_to_the_function_that_wrote_them() {
    let world = world_with_failing_sends().await;
    assert_eq!(world.log(1).await, 201);

    let report = world.relay().run().await.unwrap();

    assert_eq!(report, RelayReport::default());
}

#[tokio::test]
async fn when_the_relay_cannot_send_either_the_record_waits_for_the_next_run() {
    let world = world_with_failing_sends().await;
    assert_eq!(world.log(1).await, 201);
    let broken = Relay {
        store: world.table.store.clone(),
        events: EventQueue::new(
            world.queue.client.clone(),
            format!("{}-missing", world.queue.url),
        ),
    };

    let report = broken
        .run_before(chrono::Utc::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(
        report,
        RelayReport {
            published: 0,
            failed: 1
        }
    );

    let retried = world
        .relay()
        .run_before(chrono::Utc::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(retried.published, 1);
}

#[tokio::test]
async fn a_command_stopped_between_its_transactions_is_finished_by_the_relay() {
    let world = world_with_failing_sends().await;
    let class = world.school.big_class().clone();
    let pupils = world.school.pupils(&class);
    // A damaged points item for a pupil of the second batch stops the request
    // after its first transaction, as a crash would.
    let damaged = format!("S#{}#PUPIL#{}", world.school.id, pupils[39]);
    let put = |points: aws_sdk_dynamodb::types::AttributeValue| {
        world
            .table
            .client()
            .put_item()
            .table_name(&world.table.name)
            .item(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(damaged.clone()),
            )
            .item(
                "sk",
                aws_sdk_dynamodb::types::AttributeValue::S("TOTALS".into()),
            )
            .item(
                "pupilId",
                aws_sdk_dynamodb::types::AttributeValue::S(pupils[39].to_string()),
            )
            .item("points", points)
            .item(
                "positives",
                aws_sdk_dynamodb::types::AttributeValue::N("0".into()),
            )
            .item(
                "negatives",
                aws_sdk_dynamodb::types::AttributeValue::N("0".into()),
            )
            .item(
                "version",
                aws_sdk_dynamodb::types::AttributeValue::N("1".into()),
            )
            .send()
    };
    put(aws_sdk_dynamodb::types::AttributeValue::S("damaged".into()))
        .await
        .unwrap();
    let token = world
        .key
        .token(&world.school.id, &world.school.teacher, Role::Teacher);
    let body = json!({ "classId": class.id, "pupilIds": pupils, "behaviourTypeId": "kindness" });
    let request = ApiRequest::post("/v1/behaviours")
        .bearer(&token)
        .json(&body)
        .build();

    let status = behaviour::handle(&world.app, request)
        .await
        .status()
        .as_u16();
    assert_eq!(status, 500);
    let stuck = world
        .relay()
        .run_before(chrono::Utc::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(
        stuck,
        RelayReport {
            published: 0,
            failed: 1
        }
    );

    put(aws_sdk_dynamodb::types::AttributeValue::N("0".into()))
        .await
        .unwrap();
    let report = world
        .relay()
        .run_before(chrono::Utc::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();

    assert_eq!(
        report,
        RelayReport {
            published: 1,
            failed: 0
        }
    );
    let messages = world.queue.drain().await;
    match serde_json::from_str::<domain::BehaviourEvent>(&messages[0]).unwrap() {
        domain::BehaviourEvent::Logged { behaviours, .. } => assert_eq!(behaviours.len(), 40),
        other => panic!("unexpected event {other:?}"),
    }
}
