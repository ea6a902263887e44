//! A behaviour logged by mistake is withdrawn as a new fact: the light and
//! points are folded again without it, and the original stays on record.

mod common;

use common::Harness;
use domain::Role;
use serde_json::json;
use testkit::ApiRequest;

fn withdraw(id: &str, token: &str, reason: &str) -> ApiRequest {
    ApiRequest::post(&format!("/v1/behaviours/{id}/withdraw"))
        .bearer(token)
        .json(&json!({ "reason": reason }))
}

#[tokio::test]
async fn withdrawing_recomputes_the_light_and_points_and_keeps_the_original() {
    let h = Harness::new().await;
    let pupil = h.pupils(1);
    let first = h.log(&h.class(), &pupil, "defiance").await;
    h.log(&h.class(), &pupil, "off-task").await;
    let id = first.body["behaviours"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let answer = h.call(withdraw(&id, &h.teacher(), "wrong pupil")).await;

    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["behaviour"]["id"], id.as_str());
    assert_eq!(
        answer.body["behaviour"]["withdrawal"]["reason"],
        "wrong pupil"
    );
    assert_eq!(answer.body["pupil"]["light"]["stage"], "Warning");
    assert_eq!(answer.body["pupil"]["light"]["negatives"], 1);
    assert_eq!(answer.body["pupil"]["totalPoints"], 0);

    let listed = h
        .call(
            ApiRequest::get("/v1/behaviours")
                .query("pupilId", pupil[0].as_str())
                .bearer(&h.token(Role::Slt)),
        )
        .await;
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        2,
        "the withdrawn behaviour stays in the record"
    );
    let original = items.iter().find(|b| b["id"] == id.as_str()).unwrap();
    assert_eq!(original["behaviourTypeId"], "defiance");
    assert_eq!(
        original["withdrawal"]["withdrawnBy"],
        h.school.teacher.as_str()
    );
}

#[tokio::test]
async fn a_withdrawal_reaches_the_queue() {
    let h = Harness::new().await;
    let logged = h.log(&h.class(), &h.pupils(1), "off-task").await;
    let id = logged.body["behaviours"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    h.queue.drain().await;

    h.call(withdraw(&id, &h.teacher(), "mistake")).await;

    let messages = h.queue.drain().await;
    assert_eq!(messages.len(), 1);
    let event: domain::BehaviourEvent = serde_json::from_str(&messages[0]).unwrap();
    assert!(
        matches!(event, domain::BehaviourEvent::Withdrawn { behaviour, .. } if behaviour.id.to_string() == id)
    );
    assert!(
        !messages[0].contains("mistake"),
        "reasons stay out of the queue"
    );
}

#[tokio::test]
async fn a_behaviour_is_withdrawn_only_once() {
    let h = Harness::new().await;
    let logged = h.log(&h.class(), &h.pupils(1), "off-task").await;
    let id = logged.body["behaviours"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(
        h.call(withdraw(&id, &h.teacher(), "mistake")).await.status,
        200
    );
    let again = h.call(withdraw(&id, &h.teacher(), "mistake")).await;

    assert_eq!(again.status, 409);
    assert_eq!(
        again.body["type"],
        "https://classlights.app/problems/already-withdrawn"
    );
}

#[tokio::test]
async fn a_retried_withdrawal_returns_the_first_answer() {
    let h = Harness::new().await;
    let logged = h.log(&h.class(), &h.pupils(1), "off-task").await;
    let id = logged.body["behaviours"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let request = withdraw(&id, &h.teacher(), "mistake").header("idempotency-key", "undo-1");

    let first = h.call(request.clone()).await;
    let again = h.call(request).await;

    assert_eq!(again.status, 200);
    assert_eq!(first.body, again.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
}

#[tokio::test]
async fn teachers_withdraw_only_their_own_but_leaders_withdraw_any() {
    let h = Harness::new().await;
    let logged = h.log(&h.class(), &h.pupils(1), "off-task").await;
    let id = logged.body["behaviours"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let colleague = h.token_for("staff-colleague", Role::Teacher);
    let refused = h.call(withdraw(&id, &colleague, "not mine")).await;
    assert_eq!(refused.status, 403);

    let leader = h.token(Role::Slt);
    let done = h.call(withdraw(&id, &leader, "logged in error")).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        done.body["behaviour"]["withdrawal"]["withdrawnBy"],
        h.school.leader.as_str()
    );
}

#[tokio::test]
async fn unknown_and_other_schools_behaviours_are_not_found() {
    let h = Harness::new().await;
    let unknown = h
        .call(withdraw(&ulid::Ulid::new().to_string(), &h.teacher(), "x"))
        .await;
    assert_eq!(unknown.status, 404);
    let malformed = h.call(withdraw("not-an-id", &h.teacher(), "x")).await;
    assert_eq!(malformed.status, 404);

    let logged = h.log(&h.class(), &h.pupils(1), "off-task").await;
    let id = logged.body["behaviours"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = domain::SchoolId::parse("hillside").unwrap();
    testkit::seed_school(&h.table.store, &other, "Hillside").await;
    let outsider = h.key.token(&other, &h.school.leader, Role::Slt);
    let answer = h.call(withdraw(&id, &outsider, "x")).await;
    assert_eq!(answer.status, 404);
}

#[tokio::test]
async fn a_withdrawal_needs_a_reason() {
    let h = Harness::new().await;
    let logged = h.log(&h.class(), &h.pupils(1), "off-task").await;
    let id = logged.body["behaviours"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let request = ApiRequest::post(&format!("/v1/behaviours/{id}/withdraw")).bearer(&h.teacher());

    let answer = h
        .call(request.clone().json(&json!({ "reason": "  " })))
        .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body["errors"][0]["field"], "reason");
    let answer = h.call(request.json(&json!({}))).await;
    assert_eq!(answer.status, 400);
}
