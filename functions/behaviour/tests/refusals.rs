//! Bad input gets a clear problem+json answer with a 4xx, names the field,
//! and changes nothing.

mod common;

use common::Harness;
use domain::{Role, SchoolId, StaffId};
use serde_json::{Value, json};
use testkit::{ApiRequest, SigningKey};

fn log_body(h: &Harness) -> Value {
    json!({ "classId": h.class(), "pupilIds": h.pupils(1), "behaviourTypeId": "off-task" })
}

/// Sends a log request, expects the status and the named field, and checks
/// that the table is exactly as it was.
async fn refused(h: &Harness, request: ApiRequest, status: u16, field: Option<&str>) -> Value {
    let before = h.item_count().await;
    let answer = h.call(request).await;
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["status"], status);
    assert!(
        answer.body["type"]
            .as_str()
            .unwrap()
            .starts_with("https://classlights.app/problems/")
    );
    assert!(!answer.body["detail"].as_str().unwrap().is_empty());
    if let Some(field) = field {
        let fields: Vec<&str> = answer.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "expected {field} in {fields:?}");
    }
    assert_eq!(
        h.item_count().await,
        before,
        "a refused request changed the table"
    );
    answer.body
}

fn post(h: &Harness, body: &Value) -> ApiRequest {
    ApiRequest::post("/v1/behaviours")
        .bearer(&h.teacher())
        .json(body)
}

#[tokio::test]
async fn malformed_json_is_a_400() {
    let h = Harness::new().await;
    let request = ApiRequest::post("/v1/behaviours")
        .bearer(&h.teacher())
        .header("content-type", "application/json")
        .raw_body("{\"classId\": ");
    let body = refused(&h, request, 400, None).await;
    assert_eq!(
        body["type"],
        "https://classlights.app/problems/malformed-request"
    );
}

#[tokio::test]
async fn an_empty_body_is_a_400() {
    let h = Harness::new().await;
    refused(
        &h,
        ApiRequest::post("/v1/behaviours").bearer(&h.teacher()),
        400,
        None,
    )
    .await;
}

#[tokio::test]
async fn unknown_fields_are_named() {
    let h = Harness::new().await;
    let mut body = log_body(&h);
    body["colour"] = json!("red");
    refused(&h, post(&h, &body), 400, Some("colour")).await;
}

#[tokio::test]
async fn wrong_types_are_named_with_their_path() {
    let h = Harness::new().await;
    let mut body = log_body(&h);
    body["pupilIds"] = json!(["pupil-000", 7]);
    refused(&h, post(&h, &body), 400, Some("pupilIds[1]")).await;

    let mut body = log_body(&h);
    body["occurredAt"] = json!("yesterday");
    refused(&h, post(&h, &body), 400, Some("occurredAt")).await;
}

#[tokio::test]
async fn missing_fields_are_named() {
    let h = Harness::new().await;
    let body = json!({ "classId": h.class(), "pupilIds": h.pupils(1) });
    let answer = refused(&h, post(&h, &body), 400, Some("behaviourTypeId")).await;
    assert!(answer["detail"].as_str().unwrap().contains("missing field"));
}

#[tokio::test]
async fn ids_with_unsafe_characters_are_refused() {
    let h = Harness::new().await;
    let mut body = log_body(&h);
    body["classId"] = json!("7A#other-school");
    refused(&h, post(&h, &body), 400, Some("classId")).await;
}

#[tokio::test]
async fn oversize_bodies_are_a_413() {
    let h = Harness::new().await;
    let mut body = log_body(&h);
    body["note"] = json!("x".repeat(20_000));
    refused(&h, post(&h, &body), 413, None).await;
}

#[tokio::test]
async fn notes_longer_than_a_thousand_characters_are_refused() {
    let h = Harness::new().await;
    let mut body = log_body(&h);
    body["note"] = json!("x".repeat(1001));
    refused(&h, post(&h, &body), 400, Some("note")).await;
}

#[tokio::test]
async fn more_than_forty_pupils_is_refused() {
    let h = Harness::new().await;
    let mut pupils: Vec<String> = h
        .school
        .pupils(h.school.big_class())
        .iter()
        .map(ToString::to_string)
        .collect();
    pupils.push("pupil-000".into());
    let body = json!({ "classId": h.school.big_class().id, "pupilIds": pupils, "behaviourTypeId": "off-task" });
    refused(&h, post(&h, &body), 400, Some("pupilIds")).await;
}

#[tokio::test]
async fn no_pupils_or_the_same_pupil_twice_is_refused() {
    let h = Harness::new().await;
    let body = json!({ "classId": h.class(), "pupilIds": [], "behaviourTypeId": "off-task" });
    refused(&h, post(&h, &body), 400, Some("pupilIds")).await;
    let body = json!({ "classId": h.class(), "pupilIds": ["pupil-001", "pupil-001"], "behaviourTypeId": "off-task" });
    refused(&h, post(&h, &body), 400, Some("pupilIds[1]")).await;
}

#[tokio::test]
async fn an_unknown_class_is_refused() {
    let h = Harness::new().await;
    let mut body = log_body(&h);
    body["classId"] = json!("no-such-class");
    refused(&h, post(&h, &body), 422, Some("classId")).await;
}

#[tokio::test]
async fn a_pupil_outside_the_class_is_refused_and_no_one_is_logged() {
    let h = Harness::new().await;
    let outsider = h.school.pupils(&h.school.classes[1])[0].clone();
    let mut pupils = h.pupils(2);
    pupils.push(outsider);
    let body = json!({ "classId": h.class(), "pupilIds": pupils, "behaviourTypeId": "off-task" });
    refused(&h, post(&h, &body), 422, Some("pupilIds[2]")).await;
}

#[tokio::test]
async fn unknown_and_archived_behaviour_types_are_refused() {
    let h = Harness::new().await;
    let mut body = log_body(&h);
    body["behaviourTypeId"] = json!("juggling");
    refused(&h, post(&h, &body), 422, Some("behaviourTypeId")).await;

    let mut policy = h.school.policy.clone();
    policy
        .behaviour_types
        .iter_mut()
        .find(|t| t.id.as_str() == "off-task")
        .unwrap()
        .archived = true;
    let settings = store::SchoolSettings {
        name: "Riverside".into(),
        time_zone: "Europe/London".into(),
    };
    h.table
        .store
        .put_school(&h.school.id, &settings, &policy)
        .await
        .unwrap();
    let answer = refused(&h, post(&h, &log_body(&h)), 422, Some("behaviourTypeId")).await;
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("archived")
    );
}

#[tokio::test]
async fn a_type_that_needs_a_note_is_refused_without_one() {
    let h = Harness::new().await;
    let mut body = log_body(&h);
    body["behaviourTypeId"] = json!("serious");
    refused(&h, post(&h, &body), 422, Some("note")).await;
}

#[tokio::test]
async fn behaviour_in_the_future_or_too_long_ago_is_refused() {
    let h = Harness::new().await;
    let mut body = log_body(&h);
    body["occurredAt"] = json!((chrono::Utc::now() + chrono::Duration::minutes(30)).to_rfc3339());
    refused(&h, post(&h, &body), 400, Some("occurredAt")).await;

    body["occurredAt"] = json!((chrono::Utc::now() - chrono::Duration::days(30)).to_rfc3339());
    refused(&h, post(&h, &body), 422, Some("occurredAt")).await;
}

#[tokio::test]
async fn another_schools_class_and_pupils_are_not_found() {
    let h = Harness::new().await;
    let other = SchoolId::parse("hillside").unwrap();
    let theirs = testkit::seed_school(&h.table.store, &other, "Hillside").await;
    // Same ids exist in both schools' rosters; a token for Riverside must not
    // reach Hillside's, and Hillside-only classes are unknown to Riverside.
    let hillside_class = store::ClassRoster {
        id: domain::ClassId::parse("hillside-only").unwrap(),
        name: "Hillside only".into(),
        year_group: "7".into(),
        teacher_ids: vec![],
        members: theirs.class().members.clone(),
    };
    h.table
        .store
        .put_class(&other, &hillside_class)
        .await
        .unwrap();

    let body = json!({ "classId": "hillside-only", "pupilIds": h.pupils(1), "behaviourTypeId": "off-task" });
    refused(&h, post(&h, &body), 422, Some("classId")).await;
    let grid = h
        .call(ApiRequest::get("/v1/lessons/hillside-only/lights").bearer(&h.teacher()))
        .await;
    assert_eq!(grid.status, 404);
}

#[tokio::test]
async fn requests_without_a_valid_token_are_a_401() {
    let h = Harness::new().await;
    let body = log_body(&h);
    refused(
        &h,
        ApiRequest::post("/v1/behaviours").json(&body),
        401,
        None,
    )
    .await;
    refused(
        &h,
        ApiRequest::post("/v1/behaviours")
            .header("authorization", "Basic abc")
            .json(&body),
        401,
        None,
    )
    .await;
    refused(
        &h,
        ApiRequest::post("/v1/behaviours")
            .bearer("not.a.jwt")
            .json(&body),
        401,
        None,
    )
    .await;

    let expired = h.key.sign(&testkit::tokens::claims(
        &h.school.id,
        &h.school.teacher,
        Role::Teacher,
        -120,
    ));
    refused(
        &h,
        ApiRequest::post("/v1/behaviours")
            .bearer(&expired)
            .json(&body),
        401,
        None,
    )
    .await;

    let forged = SigningKey::generate().token(&h.school.id, &h.school.teacher, Role::Teacher);
    refused(
        &h,
        ApiRequest::post("/v1/behaviours")
            .bearer(&forged)
            .json(&body),
        401,
        None,
    )
    .await;

    let mut claims = testkit::tokens::claims(&h.school.id, &h.school.teacher, Role::Teacher, 600);
    claims.aud = "another-api".into();
    refused(
        &h,
        ApiRequest::post("/v1/behaviours")
            .bearer(&h.key.sign(&claims))
            .json(&body),
        401,
        None,
    )
    .await;
}

#[tokio::test]
async fn a_token_signed_with_a_symmetric_algorithm_is_refused() {
    let h = Harness::new().await;
    let claims = testkit::tokens::claims(&h.school.id, &h.school.teacher, Role::Teacher, 600);
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(h.key.kid().to_owned());
    let token = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(h.key.jwks().as_bytes()),
    )
    .unwrap();
    refused(
        &h,
        ApiRequest::post("/v1/behaviours")
            .bearer(&token)
            .json(&log_body(&h)),
        401,
        None,
    )
    .await;
}

#[tokio::test]
async fn parents_and_support_staff_without_a_grant_may_not_log_or_read_behaviour() {
    let h = Harness::new().await;
    for role in [Role::Parent, Role::Support] {
        let token = h
            .key
            .token(&h.school.id, &StaffId::parse("someone").unwrap(), role);
        refused(
            &h,
            ApiRequest::post("/v1/behaviours")
                .bearer(&token)
                .json(&log_body(&h)),
            403,
            None,
        )
        .await;
        refused(
            &h,
            ApiRequest::get("/v1/behaviours").bearer(&token),
            403,
            None,
        )
        .await;
    }
}

#[tokio::test]
async fn a_token_for_a_school_that_is_not_set_up_is_refused() {
    let h = Harness::new().await;
    let token = h.key.token(
        &SchoolId::parse("nowhere").unwrap(),
        &h.school.teacher,
        Role::Teacher,
    );
    refused(
        &h,
        ApiRequest::post("/v1/behaviours")
            .bearer(&token)
            .json(&log_body(&h)),
        403,
        None,
    )
    .await;
}

#[tokio::test]
async fn unknown_routes_and_methods_are_refused() {
    let h = Harness::new().await;
    refused(
        &h,
        ApiRequest::get("/v1/nothing-here").bearer(&h.teacher()),
        404,
        None,
    )
    .await;
    refused(
        &h,
        ApiRequest::new("DELETE", "/v1/behaviours").bearer(&h.teacher()),
        405,
        None,
    )
    .await;
}

#[tokio::test]
async fn a_malformed_idempotency_key_is_refused() {
    let h = Harness::new().await;
    let request = post(&h, &log_body(&h)).header("idempotency-key", &"k".repeat(300));
    refused(&h, request, 400, Some("Idempotency-Key")).await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415() {
    let h = Harness::new().await;
    let request = ApiRequest::post("/v1/behaviours")
        .bearer(&h.teacher())
        .header("content-type", "text/plain")
        .raw_body("hello");
    refused(&h, request, 415, None).await;
}
