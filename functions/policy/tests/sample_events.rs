//! The policy function's sample events in `events/` are real: each one,
//! given a senior leader's token, is answered by the function as the route
//! it names, one after the other.

mod common;

use common::*;
use serde_json::Value;

/// In an order that works one after the other: the default adopted as
/// version 2, then replaced with version 3.
const SAMPLES: [(&str, u16); 5] = [
    ("policy-read.json", 200),
    ("policy-default.json", 200),
    ("policy-adopt-default.json", 200),
    ("policy-replace.json", 200),
    ("policy-history.json", 200),
];

#[tokio::test]
async fn every_sample_is_answered() {
    let h = Harness::new().await;
    for (name, status) in SAMPLES {
        let mut event = testkit::api::sample_event(name);
        assert_eq!(
            event["headers"]["authorization"], "Bearer REPLACE-WITH-A-TOKEN",
            "{name} leaves the token to fill in"
        );
        event["headers"]["authorization"] = Value::String(format!("Bearer {}", h.slt()));
        let request = lambda_http::request::from_str(&event.to_string()).expect("a valid event");
        let answer = Answer::from_response(policy::handle(&h.app, request).await);
        assert_eq!(answer.status, status, "{name}: {}", answer.body);
    }
    let (read, etag) = h.read(&h.teacher()).await;
    assert_eq!(etag, "\"policy-3\"");
    assert_eq!(read["backdateDays"], 5);
}
