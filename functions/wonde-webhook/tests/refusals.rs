//! What the webhook refuses, and that a refusal changes nothing: no secret
//! or the wrong one is 401, a body Wonde would never send is 400.

mod common;

use common::*;
use serde_json::json;
use testkit::ApiRequest;

fn approval(h: &Harness) -> serde_json::Value {
    json!({
        "payload_type": "schoolApproved",
        "school_id": h.wonde_id,
        "school_name": "Riverside Academy",
    })
}

#[tokio::test]
async fn without_the_secret_nothing_happens() {
    let h = Harness::new().await;
    let path = "/v1/integrations/wonde";
    let body = approval(&h);
    let attempts = [
        ("no secret", ApiRequest::post(path).json(&body)),
        (
            "a wrong secret",
            ApiRequest::post(path)
                .query("secret", "not-the-secret")
                .json(&body),
        ),
        (
            "the secret with one letter missing",
            ApiRequest::post(path)
                .query("secret", &SECRET[1..])
                .json(&body),
        ),
        (
            "the secret and another",
            ApiRequest::post(path)
                .query("secret", SECRET)
                .query("secret", "another")
                .json(&body),
        ),
        (
            "the secret as a bearer token",
            ApiRequest::post(path).bearer(SECRET).json(&body),
        ),
        (
            "the secret in a header",
            ApiRequest::post(path)
                .header("x-webhook-secret", SECRET)
                .json(&body),
        ),
    ];

    for (what, request) in attempts {
        let answer = h.call(request).await;
        assert_eq!(answer.status, 401, "{what}: {}", answer.body);
        assert!(
            answer.problem_type().ends_with("/unauthenticated"),
            "{what}"
        );
    }
    assert_eq!(h.item_count().await, 0, "no school was created");
    assert!(h.queued().await.is_empty(), "no sync was queued");
}

#[tokio::test]
async fn a_revocation_without_the_secret_leaves_the_school_open() {
    let h = Harness::new().await;
    assert_eq!(h.approve().await.status, 200);
    let answer = h
        .call(
            ApiRequest::post("/v1/integrations/wonde")
                .query("secret", "guess")
                .json(&json!({"payload_type": "accessRevoked", "school_id": h.wonde_id})),
        )
        .await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        h.table.store.school_status(&h.school()).await.unwrap(),
        store::SchoolStatus::Pending
    );
}

#[tokio::test]
async fn bodies_wonde_would_never_send_are_400_and_change_nothing() {
    let h = Harness::new().await;
    let post = || ApiRequest::post("/v1/integrations/wonde").query("secret", SECRET);
    let cases = [
        (
            "not JSON",
            post()
                .raw_body("{\"payload_type\": ")
                .header("content-type", "application/json"),
            400,
        ),
        ("no body", post(), 400),
        ("an array", post().json(&json!([1, 2])), 400),
        (
            "no payload_type",
            post().json(&json!({"school_id": h.wonde_id})),
            400,
        ),
        (
            "an approval without a school",
            post().json(&json!({"payload_type": "schoolApproved", "school_name": "Riverside"})),
            400,
        ),
        (
            "a school id Wonde does not use",
            post().json(&json!({"payload_type": "accessRevoked", "school_id": "S#1"})),
            400,
        ),
        (
            "another kind of body",
            post()
                .raw_body("payload_type=schoolApproved")
                .header("content-type", "application/x-www-form-urlencoded"),
            415,
        ),
        (
            "a body too large",
            post().json(&json!({"payload_type": "schoolMigration", "padding": "x".repeat(20_000)})),
            413,
        ),
        (
            "a query parameter we do not know",
            post().query("school", "A1").json(&approval(&h)),
            400,
        ),
    ];

    for (what, request, status) in cases {
        let answer = h.call(request).await;
        assert_eq!(answer.status, status, "{what}: {}", answer.body);
    }
    assert_eq!(h.item_count().await, 0);
    assert!(h.queued().await.is_empty());
}

#[tokio::test]
async fn other_methods_and_paths_are_refused() {
    let h = Harness::new().await;
    let get = h
        .call(ApiRequest::get("/v1/integrations/wonde").query("secret", SECRET))
        .await;
    assert_eq!(get.status, 405);
    let elsewhere = h
        .call(ApiRequest::post("/v1/integrations/other").query("secret", SECRET))
        .await;
    assert_eq!(elsewhere.status, 404);
}
