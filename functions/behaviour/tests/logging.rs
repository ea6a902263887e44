//! Logging behaviour moves lights and points, once per request, whoever else
//! is logging at the same time.

mod common;

use common::Harness;
use domain::Role;
use serde_json::json;
use testkit::ApiRequest;

#[tokio::test]
async fn a_negative_behaviour_moves_one_pupils_light_along_the_ladder() {
    let h = Harness::new().await;
    let pupil = h.pupils(1);

    let answer = h.log(&h.class(), &pupil, "disruption").await;

    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.body["behaviours"].as_array().unwrap().len(), 1);
    let logged = &answer.body["behaviours"][0];
    assert_eq!(logged["pupilId"], pupil[0].as_str());
    assert_eq!(logged["behaviourTypeName"], "Disrupting learning");
    assert_eq!(logged["loggedBy"], h.school.teacher.as_str());
    let after = &answer.body["pupils"][0];
    assert_eq!(after["light"]["stage"], "Warning");
    assert_eq!(after["light"]["steps"], 1);
    assert_eq!(after["light"]["negatives"], 1);
    assert_eq!(after["totalPoints"], -1);
}

#[tokio::test]
async fn lights_climb_with_each_negative_and_positives_step_back_where_the_policy_says() {
    let h = Harness::new().await;
    let pupil = h.pupils(1);

    h.log(&h.class(), &pupil, "off-task").await;
    let amber = h.log(&h.class(), &pupil, "disruption").await;
    assert_eq!(amber.body["pupils"][0]["light"]["stage"], "Amber");

    let praised = h.log(&h.class(), &pupil, "great-work").await;
    assert_eq!(
        praised.body["pupils"][0]["light"]["stage"], "Amber",
        "plain praise does not step back"
    );
    assert_eq!(praised.body["pupils"][0]["totalPoints"], 1);

    let turned = h.log(&h.class(), &pupil, "turnaround").await;
    assert_eq!(turned.body["pupils"][0]["light"]["stage"], "Warning");
    assert_eq!(turned.body["pupils"][0]["light"]["positives"], 2);

    let serious = json!({ "classId": h.class(), "pupilIds": pupil, "behaviourTypeId": "serious", "note": "threw a chair" });
    let removed = h
        .call(
            ApiRequest::post("/v1/behaviours")
                .bearer(&h.teacher())
                .json(&serious),
        )
        .await;
    assert_eq!(removed.body["pupils"][0]["light"]["stage"], "Removal");
    assert_eq!(removed.body["pupils"][0]["light"]["steps"], 4);
}

#[tokio::test]
async fn a_whole_class_of_thirty_is_logged_in_one_request() {
    let h = Harness::new().await;
    let pupils = h.pupils(30);

    let answer = h.log(&h.class(), &pupils, "participation").await;

    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.body["behaviours"].as_array().unwrap().len(), 30);
    assert_eq!(answer.body["pupils"].as_array().unwrap().len(), 30);
    assert!(
        answer.body["pupils"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["totalPoints"] == 1)
    );
    assert_eq!(h.behaviour_count().await, 30);
}

#[tokio::test]
async fn a_class_of_forty_spans_two_transactions_and_lands_whole() {
    let h = Harness::new().await;
    let class = h.school.big_class().clone();
    let pupils = h.school.pupils(&class);
    assert_eq!(pupils.len(), 40);

    let answer = h.log(&class.id, &pupils, "no-equipment").await;

    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.body["pupils"].as_array().unwrap().len(), 40);
    assert_eq!(h.behaviour_count().await, 40);
    let grid = h
        .call(ApiRequest::get(&format!("/v1/lessons/{}/lights", class.id)).bearer(&h.teacher()))
        .await;
    assert!(
        grid.body["pupils"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["light"]["stage"] == "Warning")
    );
    assert_eq!(
        h.queue.drain().await.len(),
        1,
        "one event for the whole request"
    );
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_returns_the_first_answer_and_creates_nothing() {
    let h = Harness::new().await;
    let body =
        json!({ "classId": h.class(), "pupilIds": h.pupils(3), "behaviourTypeId": "kindness" });
    let request = ApiRequest::post("/v1/behaviours")
        .bearer(&h.teacher())
        .header("idempotency-key", "tap-42")
        .json(&body);

    let first = h.call(request.clone()).await;
    let again = h.call(request).await;

    assert_eq!(first.status, 201);
    assert_eq!(again.status, 201);
    assert_eq!(first.body, again.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(h.behaviour_count().await, 3);
    assert_eq!(h.queue.drain().await.len(), 1);
}

#[tokio::test]
async fn a_retried_forty_pupil_request_replays_both_transactions() {
    let h = Harness::new().await;
    let class = h.school.big_class().clone();
    let body = json!({ "classId": class.id, "pupilIds": h.school.pupils(&class), "behaviourTypeId": "kindness" });
    let request = ApiRequest::post("/v1/behaviours")
        .bearer(&h.teacher())
        .header("idempotency-key", "big")
        .json(&body);

    let first = h.call(request.clone()).await;
    let again = h.call(request).await;

    assert_eq!(first.body, again.body);
    assert_eq!(again.body["behaviours"].as_array().unwrap().len(), 40);
    assert_eq!(h.behaviour_count().await, 40);
}

#[tokio::test]
async fn reusing_a_key_for_a_different_request_is_refused() {
    let h = Harness::new().await;
    let first =
        json!({ "classId": h.class(), "pupilIds": h.pupils(1), "behaviourTypeId": "kindness" });
    let other =
        json!({ "classId": h.class(), "pupilIds": h.pupils(2), "behaviourTypeId": "kindness" });
    let call = |body| {
        ApiRequest::post("/v1/behaviours")
            .bearer(&h.teacher())
            .header("idempotency-key", "k1")
            .json(body)
    };

    assert_eq!(h.call(call(&first)).await.status, 201);
    let refused = h.call(call(&other)).await;

    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(h.behaviour_count().await, 1);
}

#[tokio::test]
async fn the_same_key_from_two_teachers_names_two_requests() {
    let h = Harness::new().await;
    let body =
        json!({ "classId": h.class(), "pupilIds": h.pupils(1), "behaviourTypeId": "kindness" });
    for user in ["staff-a", "staff-b"] {
        let token = h.token_for(user, Role::Teacher);
        let request = ApiRequest::post("/v1/behaviours")
            .bearer(&token)
            .header("idempotency-key", "same")
            .json(&body);
        assert_eq!(h.call(request).await.status, 201);
    }
    assert_eq!(h.behaviour_count().await, 2);
}

#[tokio::test]
async fn two_teachers_logging_the_same_pupil_at_once_both_land() {
    let h = Harness::new().await;
    let pupil = h.pupils(1);
    let body = json!({ "classId": h.class(), "pupilIds": pupil, "behaviourTypeId": "off-task" });
    let first = ApiRequest::post("/v1/behaviours")
        .bearer(&h.token_for("staff-a", Role::Teacher))
        .json(&body);
    let second = ApiRequest::post("/v1/behaviours")
        .bearer(&h.token_for("staff-b", Role::Teacher))
        .json(&body);

    let (a, b) = tokio::join!(h.call(first), h.call(second));

    assert_eq!((a.status, b.status), (201, 201));
    let grid = h
        .call(ApiRequest::get(&format!("/v1/lessons/{}/lights", h.class())).bearer(&h.teacher()))
        .await;
    let light = grid.body["pupils"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pupilId"] == pupil[0].as_str())
        .unwrap();
    assert_eq!(light["light"]["negatives"], 2);
    assert_eq!(light["light"]["stage"], "Amber");
}

#[tokio::test]
async fn many_concurrent_logs_for_one_pupil_lose_no_update() {
    let h = Harness::new().await;
    let pupil = h.pupils(1);
    let body = json!({ "classId": h.class(), "pupilIds": pupil, "behaviourTypeId": "kindness" });
    let calls = (0..6).map(|i| {
        let token = h.token_for(&format!("staff-{i}"), Role::Teacher);
        h.call(
            ApiRequest::post("/v1/behaviours")
                .bearer(&token)
                .json(&body),
        )
    });

    let answers = futures_util::future::join_all(calls).await;

    assert!(answers.iter().all(|a| a.status == 201));
    let list = h
        .call(
            ApiRequest::get("/v1/behaviours")
                .query("pupilId", pupil[0].as_str())
                .bearer(&h.token(Role::Slt)),
        )
        .await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 6);
    let grid = h
        .call(ApiRequest::get(&format!("/v1/lessons/{}/lights", h.class())).bearer(&h.teacher()))
        .await;
    let light = grid.body["pupils"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pupilId"] == pupil[0].as_str())
        .unwrap();
    assert_eq!(light["light"]["positives"], 6);
    assert_eq!(light["light"]["points"], 6);
}

#[tokio::test]
async fn every_logged_request_reaches_the_queue_without_notes() {
    let h = Harness::new().await;
    let body = json!({ "classId": h.class(), "pupilIds": h.pupils(2), "behaviourTypeId": "serious", "note": "private words" });

    let answer = h
        .call(
            ApiRequest::post("/v1/behaviours")
                .bearer(&h.teacher())
                .json(&body),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);

    let messages = h.queue.drain().await;
    assert_eq!(messages.len(), 1);
    assert!(!messages[0].contains("private words"));
    let event: domain::BehaviourEvent = serde_json::from_str(&messages[0]).unwrap();
    match event {
        domain::BehaviourEvent::Logged {
            behaviours,
            school_id,
            ..
        } => {
            assert_eq!(school_id, h.school.id);
            assert_eq!(behaviours.len(), 2);
        }
        other => panic!("unexpected event {other:?}"),
    }
}

#[tokio::test]
async fn behaviour_can_be_dated_earlier_in_the_allowed_window() {
    let h = Harness::new().await;
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    let body = json!({
        "classId": h.class(), "pupilIds": h.pupils(1), "behaviourTypeId": "kindness",
        "occurredAt": yesterday.to_rfc3339(),
    });

    let answer = h
        .call(
            ApiRequest::post("/v1/behaviours")
                .bearer(&h.teacher())
                .json(&body),
        )
        .await;

    assert_eq!(answer.status, 201, "{}", answer.body);
    let expected = domain::calendar::school_date(yesterday, chrono_tz::Europe::London).to_string();
    assert_eq!(answer.body["behaviours"][0]["lessonDate"], expected);
    assert_eq!(answer.body["pupils"][0]["light"]["date"], expected);
}

#[tokio::test]
async fn two_copies_of_a_forty_pupil_request_racing_write_it_once() {
    let h = Harness::new().await;
    let class = h.school.big_class().clone();
    let body = json!({ "classId": class.id, "pupilIds": h.school.pupils(&class), "behaviourTypeId": "kindness" });
    let request = ApiRequest::post("/v1/behaviours")
        .bearer(&h.teacher())
        .header("idempotency-key", "race")
        .json(&body);

    let (a, b) = tokio::join!(h.call(request.clone()), h.call(request));

    assert_eq!((a.status, b.status), (201, 201), "{} {}", a.body, b.body);
    assert_eq!(a.body, b.body);
    assert_eq!(h.behaviour_count().await, 40);
}
