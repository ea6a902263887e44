//! Support access: the admin lets vendor support in for some hours with a
//! reason, sees every grant, and ends one early; support tokens work only
//! while their grant is live, and retries never make a second grant.

mod common;

use chrono::{Duration, Utc};
use common::*;
use domain::{Role, SchoolId, StaffId};
use serde_json::{Value, json};
use store::SupportGrant;
use testkit::ApiRequest;

fn create(token: &str, body: &Value) -> ApiRequest {
    ApiRequest::post("/v1/admin/support-grants")
        .bearer(token)
        .json(body)
}

fn end(token: &str, id: &str) -> ApiRequest {
    ApiRequest::post(&format!("/v1/admin/support-grants/{id}/end")).bearer(token)
}

fn list(token: &str) -> ApiRequest {
    ApiRequest::get("/v1/admin/support-grants").bearer(token)
}

/// A token for a support engineer acting under a grant.
fn support_token(h: &Harness, grant: &str) -> String {
    let mut claims = testkit::tokens::claims(
        &h.school,
        &StaffId::parse("support-eve").unwrap(),
        Role::Support,
        600,
    );
    claims.grant = Some(grant.to_owned());
    h.key.sign(&claims)
}

#[tokio::test]
async fn an_admin_grants_lists_and_ends_support_access() {
    let h = Harness::new().await;
    let body = json!({ "reason": "Ticket 4411: charts look wrong", "hours": 4 });

    let created = h.call(create(&h.admin(), &body)).await;

    assert_eq!(created.status, 201, "{}", created.body);
    let grant = &created.body;
    let id = grant["id"].as_str().unwrap().to_owned();
    assert_eq!(grant["grantedBy"], ADMIN);
    assert_eq!(grant["reason"], "Ticket 4411: charts look wrong");
    assert_eq!(grant["live"], true);
    let starts = chrono::DateTime::parse_from_rfc3339(grant["startsAt"].as_str().unwrap()).unwrap();
    let ends = chrono::DateTime::parse_from_rfc3339(grant["endsAt"].as_str().unwrap()).unwrap();
    assert_eq!(ends - starts, Duration::hours(4));

    let listed = h.call(list(&h.admin())).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["items"], json!([grant]));

    let ended = h.call(end(&h.admin(), &id)).await;
    assert_eq!(ended.status, 200, "{}", ended.body);
    assert_eq!(ended.body["live"], false);
    assert_eq!(ended.body["endedBy"], ADMIN);
    assert!(ended.body["endedAt"].is_string());

    let again = h.call(end(&h.admin(), &id)).await;
    assert_eq!(again.status, 409);
    assert_eq!(
        again.body["type"],
        "https://classlights.app/problems/grant-ended"
    );
    let listed = h.call(list(&h.admin())).await;
    assert_eq!(listed.body["items"][0]["live"], false);
}

#[tokio::test]
async fn grants_are_listed_newest_first() {
    let h = Harness::new().await;
    for hours in [1, 2, 3] {
        let body = json!({ "reason": format!("grant {hours}"), "hours": hours });
        assert_eq!(h.call(create(&h.admin(), &body)).await.status, 201);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    let listed = h.call(list(&h.admin())).await;

    let reasons: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["grant 3", "grant 2", "grant 1"]);
}

#[tokio::test]
async fn a_retry_with_the_same_key_returns_the_same_grant() {
    let h = Harness::new().await;
    let body = json!({ "reason": "Login trouble", "hours": 2 });
    let request = || create(&h.admin(), &body).header("idempotency-key", "grant-1");

    let first = h.call(request()).await;
    let second = h.call(request()).await;

    assert_eq!(first.status, 201);
    assert_eq!(second.status, 201);
    assert_eq!(first.body, second.body);
    assert_eq!(second.headers["idempotent-replayed"], "true");
    let listed = h.call(list(&h.admin())).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(h.audited("support.granted").await.len(), 1);

    let other = json!({ "reason": "Something else", "hours": 2 });
    let reused = h
        .call(create(&h.admin(), &other).header("idempotency-key", "grant-1"))
        .await;
    assert_eq!(reused.status, 422, "{}", reused.body);
    assert_eq!(reused.body["errors"][0]["field"], "Idempotency-Key");

    // Without a key, each request is a grant of its own.
    h.call(create(&h.admin(), &body)).await;
    h.call(create(&h.admin(), &body)).await;
    let listed = h.call(list(&h.admin())).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn bad_grant_requests_name_the_field() {
    let h = Harness::new().await;
    let before = h.item_count().await;
    let cases = [
        (json!({ "reason": "", "hours": 1 }), "reason"),
        (json!({ "reason": "   ", "hours": 1 }), "reason"),
        (json!({ "reason": "x".repeat(501), "hours": 1 }), "reason"),
        (json!({ "reason": "ok", "hours": 0 }), "hours"),
        (json!({ "reason": "ok", "hours": 169 }), "hours"),
        (json!({ "reason": "ok", "hours": 1.5 }), "hours"),
        (json!({ "reason": "ok", "hours": "3" }), "hours"),
        (json!({ "reason": "ok" }), "hours"),
        (
            json!({ "reason": "ok", "hours": 1, "forever": true }),
            "forever",
        ),
    ];
    for (body, field) in cases {
        let answer = h.call(create(&h.admin(), &body)).await;
        assert_eq!(answer.status, 400, "{body}");
        let fields: Vec<&str> = answer.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{body}: {fields:?}");
    }
    let most = json!({ "reason": "x".repeat(500), "hours": 168 });
    let huge = json!({ "reason": "x".repeat(20_000), "hours": 1 });
    assert_eq!(h.call(create(&h.admin(), &huge)).await.status, 413);
    assert_eq!(h.item_count().await, before);
    assert_eq!(h.call(create(&h.admin(), &most)).await.status, 201);
}

#[tokio::test]
async fn only_admins_manage_support_access() {
    let h = Harness::new().await;
    let body = json!({ "reason": "help", "hours": 1 });
    let created = h.call(create(&h.admin(), &body)).await;
    let id = created.body["id"].as_str().unwrap();

    for token in [
        h.slt(),
        h.token(TEACHER, Role::Teacher),
        support_token(&h, id),
    ] {
        assert_eq!(h.call(create(&token, &body)).await.status, 403);
        assert_eq!(h.call(list(&token)).await.status, 403);
        assert_eq!(h.call(end(&token, id)).await.status, 403);
    }
}

#[tokio::test]
async fn support_reaches_the_school_only_while_the_grant_is_live_and_is_audited() {
    let h = Harness::new().await;
    let body = json!({ "reason": "Ticket 9", "hours": 1 });
    let id = h.call(create(&h.admin(), &body)).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let eve = support_token(&h, &id);

    let reading = h
        .call(ApiRequest::get("/v1/admin/staff").bearer(&eve))
        .await;
    assert_eq!(reading.status, 200, "{}", reading.body);
    let requests = h.audited("support.request").await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["grant"], json!(id));
    assert_eq!(
        requests[0]["targetIds"],
        json!(["GET /v1/admin/staff", "200"])
    );

    assert_eq!(h.call(end(&h.admin(), &id)).await.status, 200);
    for app in [&h.app, &h.fresh_app()] {
        let refused = h
            .call_with(app, ApiRequest::get("/v1/admin/staff").bearer(&eve))
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
    }

    let granted = h.audited("support.granted").await;
    assert_eq!(granted[0]["targetIds"], json!([id, "hours:1"]));
    let ended = h.audited("support.ended").await;
    assert_eq!(ended[0]["targetIds"], json!([id]));
    assert_eq!(ended[0]["actor"], ADMIN);
}

#[tokio::test]
async fn unknown_expired_and_other_schools_grants_cannot_be_ended() {
    let h = Harness::new().await;
    let past = Utc::now() - Duration::hours(3);
    let expired = SupportGrant {
        id: "grant-expired".into(),
        granted_by: ADMIN.into(),
        reason: "long ago".into(),
        starts_at: past,
        ends_at: past + Duration::hours(1),
        ended_by: None,
        ended_at: None,
    };
    let other = SchoolId::parse("hillside").unwrap();
    let theirs = SupportGrant {
        id: "grant-hillside".into(),
        ends_at: Utc::now() + Duration::hours(1),
        ..expired.clone()
    };
    let writes = vec![
        h.table.store.grant_write(&h.school, &expired).unwrap(),
        h.table.store.grant_write(&other, &theirs).unwrap(),
    ];
    assert!(h.table.store.transact(writes).await.unwrap());

    let answer = h.call(end(&h.admin(), "grant-expired")).await;
    assert_eq!(answer.status, 409);
    assert_eq!(
        answer.body["type"],
        "https://classlights.app/problems/grant-expired"
    );
    assert_eq!(h.call(end(&h.admin(), "grant-hillside")).await.status, 404);
    assert_eq!(h.call(end(&h.admin(), "no-such-grant")).await.status, 404);
    assert_eq!(h.call(end(&h.admin(), "a%23b")).await.status, 404);

    let listed = h.call(list(&h.admin())).await;
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["live"], false);
}
