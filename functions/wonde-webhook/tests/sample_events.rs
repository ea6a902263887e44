//! The function's sample event in `events/` is real: given the
//! deployment's secret, it is answered as an approval, and it names the one
//! route of the function.

mod common;

use common::*;

const SAMPLE: &str = "wonde-webhook-school-approved.json";

#[tokio::test]
async fn the_sample_approval_is_answered() {
    let h = Harness::new().await;
    let mut event = testkit::api::sample_event(SAMPLE);
    assert_eq!(
        event["queryStringParameters"]["secret"], "REPLACE-WITH-THE-WEBHOOK-SECRET",
        "{SAMPLE} leaves the secret to fill in"
    );
    event["queryStringParameters"]["secret"] = SECRET.into();
    event["rawQueryString"] = format!("secret={SECRET}").into();
    let request =
        lambda_http::request::from_str(&event.to_string()).expect("the runtime parses the sample");

    let answer = Answer::from_response(wonde_webhook::handle(&h.app, request).await);

    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        ["created", "unchanged"].contains(&answer.body["outcome"].as_str().unwrap()),
        "{}",
        answer.body
    );
    assert_eq!(answer.body["status"], "pending");
}

#[test]
fn the_sample_names_the_route() {
    let event = testkit::api::sample_event(SAMPLE);
    let method = event["requestContext"]["http"]["method"].as_str().unwrap();
    let path = event["rawPath"].as_str().unwrap();
    assert_eq!(event["requestContext"]["http"]["path"], path);
    let (route, _) = platform::route::find(&wonde_webhook::ROUTES, method, path).unwrap();
    assert_eq!(
        (route.method, route.path),
        ("POST", "/v1/integrations/wonde")
    );
}
