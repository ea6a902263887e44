//! The sample events in `events/` are real: each one, given a token, is
//! answered by the function as the route it names, and the sample queue
//! batch carries messages consumers can read.

mod common;

use common::Harness;
use serde_json::Value;

fn signed(h: &Harness, name: &str) -> Value {
    let mut event = testkit::api::sample_event(name);
    assert_eq!(
        event["headers"]["authorization"],
        "Bearer REPLACE-WITH-A-TOKEN"
    );
    event["headers"]["authorization"] = Value::String(format!("Bearer {}", h.teacher()));
    event
}

async fn invoke(h: &Harness, event: &Value) -> (u16, Value) {
    let request =
        lambda_http::request::from_str(&event.to_string()).expect("the runtime parses the sample");
    let response = behaviour::handle(&h.app, request).await;
    let body: &[u8] = response.body().as_ref();
    (
        response.status().as_u16(),
        serde_json::from_slice(body).unwrap(),
    )
}

#[tokio::test]
async fn each_route_sample_is_answered() {
    let h = Harness::new().await;

    let (status, logged) = invoke(&h, &signed(&h, "log-behaviours.json")).await;
    assert_eq!(status, 201, "{logged}");
    let (status, page) = invoke(&h, &signed(&h, "list-behaviours.json")).await;
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let (status, grid) = invoke(&h, &signed(&h, "lesson-lights.json")).await;
    assert_eq!(status, 200, "{grid}");

    let mut withdraw = signed(&h, "withdraw-behaviour.json");
    let id = logged["behaviours"][0]["id"].as_str().unwrap();
    let path = withdraw["rawPath"]
        .as_str()
        .unwrap()
        .replace("01JEQ4Z8XKCV5T3G9W2M7PBN6R", id);
    withdraw["rawPath"] = Value::String(path.clone());
    withdraw["requestContext"]["http"]["path"] = Value::String(path);
    let (status, body) = invoke(&h, &withdraw).await;
    assert_eq!(status, 200, "{body}");
}

#[test]
fn the_sample_queue_batch_holds_behaviour_events() {
    let batch = testkit::api::sample_event("behaviour-events-batch.json");
    let records = batch["Records"].as_array().unwrap();
    assert!(!records.is_empty());
    for record in records {
        let body = record["body"].as_str().unwrap();
        serde_json::from_str::<domain::BehaviourEvent>(body).expect("a behaviour event");
    }
}
