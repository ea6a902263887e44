//! The sample events in `events/rewards-*.json` are real: each one, given a
//! token, is answered by the function as the route it names.

mod common;

use common::Harness;
use domain::Role;
use serde_json::Value;

fn signed(h: &Harness, name: &str) -> Value {
    let mut event = testkit::api::sample_event(name);
    assert_eq!(
        event["headers"]["authorization"],
        "Bearer REPLACE-WITH-A-TOKEN"
    );
    event["headers"]["authorization"] = Value::String(format!("Bearer {}", h.token(Role::Slt)));
    event
}

async fn invoke(h: &Harness, event: &Value) -> (u16, Value) {
    let request =
        lambda_http::request::from_str(&event.to_string()).expect("the runtime parses the sample");
    let response = rewards::handle(&h.rewards, request).await;
    let body: &[u8] = response.body().as_ref();
    (
        response.status().as_u16(),
        serde_json::from_slice(body).unwrap(),
    )
}

#[tokio::test]
async fn each_route_sample_is_answered() {
    let h = Harness::new().await;

    let (status, award) = invoke(&h, &signed(&h, "rewards-award-points.json")).await;
    assert_eq!(status, 201, "{award}");
    for name in [
        "rewards-pupil-points.json",
        "rewards-house-leaderboard.json",
        "rewards-pupil-leaderboard.json",
        "rewards-class-leaderboard.json",
    ] {
        let (status, body) = invoke(&h, &signed(&h, name)).await;
        assert_eq!(status, 200, "{name}: {body}");
    }
    let (_, points) = invoke(&h, &signed(&h, "rewards-pupil-points.json")).await;
    assert_eq!(points["thisCycle"], 3);

    let mut withdraw = signed(&h, "rewards-withdraw-award.json");
    let id = award["id"].as_str().unwrap();
    let path = withdraw["rawPath"]
        .as_str()
        .unwrap()
        .replace("01JEQ4Z8XKCV5T3G9W2M7PBN6R", id);
    withdraw["rawPath"] = Value::String(path.clone());
    withdraw["requestContext"]["http"]["path"] = Value::String(path);
    let (status, body) = invoke(&h, &withdraw).await;
    assert_eq!(status, 200, "{body}");
}
