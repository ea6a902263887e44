//! The sanctions function's sample events in `events/` are real: given a
//! senior leader's token, and the ids of the form, session and detention
//! the samples create in place of the sample ids, each is answered as the route it names, one
//! after the other.

mod common;

use common::*;
use serde_json::Value;

/// The id the samples name a form by.
const SAMPLE_ID: &str = "01KB3X5N9Q2W7E4R6T8Y0U1I2O";

/// The ids the samples name a detention session and a detention by.
const SAMPLE_SESSION: &str = "01KB3X5N9Q2W7E4R6T8Y0V1Z2S";
const SAMPLE_DETENTION: &str = "01KB3X5N9Q2W7E4R6T8Y0V1Z2D";

/// In an order that works one after the other.
const SAMPLES: [(&str, u16); 16] = [
    ("detentions-sessions-create.json", 201),
    ("detentions-sessions-list.json", 200),
    ("detentions-create.json", 201),
    ("detentions-sessions-get.json", 200),
    ("detentions-list.json", 200),
    ("detentions-attendance.json", 200),
    ("incidents-create.json", 201),
    ("incidents-list.json", 200),
    ("incidents-get.json", 200),
    ("incidents-edit.json", 200),
    ("incidents-submit.json", 200),
    ("incidents-review.json", 200),
    ("incidents-close.json", 200),
    ("incidents-history.json", 200),
    ("safeguarding-settings-change.json", 200),
    ("safeguarding-settings-get.json", 200),
];

#[tokio::test]
async fn every_sample_is_answered() {
    let h = Harness::new().await;
    let mut created = String::new();
    let mut session = String::new();
    let mut detention = String::new();
    for (name, status) in SAMPLES {
        let mut event = testkit::api::sample_event(name);
        assert_eq!(
            event["headers"]["authorization"], "Bearer REPLACE-WITH-A-TOKEN",
            "{name} leaves the token to fill in"
        );
        event["headers"]["authorization"] = Value::String(format!("Bearer {}", h.token(SLT)));
        let path = event["rawPath"]
            .as_str()
            .unwrap()
            .replace(SAMPLE_ID, &created)
            .replace(SAMPLE_SESSION, &session)
            .replace(SAMPLE_DETENTION, &detention);
        if let Some(body) = event["body"].as_str() {
            event["body"] = Value::String(body.replace(SAMPLE_SESSION, &session));
        }
        event["rawPath"] = Value::String(path.clone());
        event["requestContext"]["http"]["path"] = Value::String(path);
        let request = lambda_http::request::from_str(&event.to_string()).expect("a valid event");
        let answer = Reply::from_response(sanctions::handle(&h.app, request).await);
        assert_eq!(answer.status, status, "{name}: {}", answer.body);
        let id = || answer.body["id"].as_str().unwrap().to_owned();
        match name {
            "incidents-create.json" => created = id(),
            "detentions-sessions-create.json" => session = id(),
            "detentions-create.json" => detention = id(),
            _ => {}
        }
    }
    let form = h.read(SLT, &created).await;
    assert_eq!(form.body["status"], "closed");
    assert_eq!(form.body["version"], 5);
}
