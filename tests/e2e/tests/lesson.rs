//! A teacher's lesson through the HTTP API: log for the whole class, see the
//! lights, withdraw a mistake.

use domain::Role;
use e2e::Stack;
use serde_json::{Value, json};

#[tokio::test]
async fn a_teacher_logs_a_whole_class_sees_the_lights_and_withdraws_a_mistake() {
    let stack = Stack::connect().await;
    let token = stack.token(Role::Teacher);
    let class = stack.school.class().clone();
    let pupils = stack.school.pupils(&class);

    let logged = stack
        .http
        .post(stack.url("/v1/behaviours"))
        .bearer_auth(&token)
        .header("idempotency-key", "e2e-whole-class")
        .json(
            &json!({ "classId": class.id, "pupilIds": pupils, "behaviourTypeId": "participation" }),
        )
        .send()
        .await
        .expect("the stack answers");
    assert_eq!(logged.status(), 201);
    let logged: Value = logged.json().await.unwrap();
    assert_eq!(logged["behaviours"].as_array().unwrap().len(), 30);

    let warned = stack
        .http
        .post(stack.url("/v1/behaviours"))
        .bearer_auth(&token)
        .json(
            &json!({ "classId": class.id, "pupilIds": [pupils[0]], "behaviourTypeId": "defiance" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(warned.status(), 201);
    let warned: Value = warned.json().await.unwrap();
    assert_eq!(warned["pupils"][0]["light"]["stage"], "Amber");

    let grid: Value = stack
        .http
        .get(stack.url(&format!("/v1/lessons/{}/lights", class.id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows = grid["pupils"].as_array().unwrap();
    assert_eq!(rows.len(), 30);
    let first = rows
        .iter()
        .find(|r| r["pupilId"] == pupils[0].as_str())
        .unwrap();
    assert_eq!(first["light"]["stage"], "Amber");
    assert_eq!(first["light"]["positives"], 1);

    let id = warned["behaviours"][0]["id"].as_str().unwrap();
    let withdrawn = stack
        .http
        .post(stack.url(&format!("/v1/behaviours/{id}/withdraw")))
        .bearer_auth(&token)
        .json(&json!({ "reason": "logged for the wrong pupil" }))
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), 200);
    let withdrawn: Value = withdrawn.json().await.unwrap();
    assert_eq!(withdrawn["pupil"]["light"]["stage"], "Green");

    let listed: Value = stack
        .http
        .get(stack.url("/v1/behaviours"))
        .query(&[("pupilId", pupils[0].as_str())])
        .bearer_auth(stack.token(Role::Slt))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_stack_refuses_bad_input_with_problem_details() {
    let stack = Stack::connect().await;
    let token = stack.token(Role::Teacher);

    let answer = stack
        .http
        .post(stack.url("/v1/behaviours"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    assert_eq!(answer.headers()["content-type"], "application/problem+json");

    let anonymous = stack
        .http
        .get(stack.url("/v1/behaviours"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}
