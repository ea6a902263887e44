//! Signing in through the HTTP API, as a client app does: the demo staff
//! sign in with their passwords and use the token they get; a member of
//! staff on the roster signs up with an emailed code; sessions refresh and
//! end.

use e2e::Stack;
use serde_json::{Value, json};
use testkit::accounts::{NEW_STAFF, STAFF_ACCOUNTS};

fn demo(user: &str) -> testkit::accounts::DemoAccount {
    *STAFF_ACCOUNTS
        .iter()
        .find(|a| a.user == user)
        .expect("a demo account")
}

async fn post(stack: &Stack, path: &str, body: Value) -> (u16, Value) {
    let response = stack
        .http
        .post(stack.url(path))
        .json(&body)
        .send()
        .await
        .expect("the stack answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path} answered {text}"))
    };
    (status, body)
}

async fn login(stack: &Stack, email: &str, password: &str) -> (u16, Value) {
    post(
        stack,
        "/v1/auth/login",
        json!({ "email": email, "password": password }),
    )
    .await
}

#[tokio::test]
async fn a_demo_teacher_signs_in_and_reads_a_lesson_with_the_token() {
    let stack = Stack::connect().await;
    let teacher = demo("staff-teacher");

    let (status, signed_in) = login(&stack, teacher.email, teacher.password).await;
    assert_eq!(status, 200, "{signed_in}");
    let token = signed_in["accessToken"].as_str().unwrap();

    let lights = stack
        .http
        .get(stack.url("/v1/lessons/7A-ma/lights"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(lights.status(), 200);
    let grid: Value = lights.json().await.unwrap();
    assert_eq!(grid["pupils"].as_array().unwrap().len(), 30);

    let admin_only = stack
        .http
        .get(stack.url("/v1/admin/staff"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(admin_only.status(), 403);
}

#[tokio::test]
async fn the_demo_admin_sees_the_staff_room() {
    let stack = Stack::connect().await;
    let admin = demo("staff-admin");

    let (status, signed_in) = login(&stack, admin.email, admin.password).await;
    assert_eq!(status, 200, "{signed_in}");
    let staff: Value = stack
        .http
        .get(stack.url("/v1/admin/staff"))
        .bearer_auth(signed_in["accessToken"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let ids: Vec<&str> = staff["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["staffId"].as_str().unwrap())
        .collect();
    for account in STAFF_ACCOUNTS {
        assert!(ids.contains(&account.user), "{} in {ids:?}", account.user);
    }
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_a_session_refreshes_and_ends() {
    let stack = Stack::connect().await;
    let leader = demo("staff-head");

    let (status, refused) = login(&stack, leader.email, "not my password at all").await;
    assert_eq!(status, 401, "{refused}");
    assert_eq!(
        refused["type"],
        "https://classlights.app/problems/unauthenticated"
    );

    let (_, signed_in) = login(&stack, leader.email, leader.password).await;
    let first = signed_in["refreshToken"].as_str().unwrap().to_owned();
    let (status, refreshed) =
        post(&stack, "/v1/auth/refresh", json!({ "refreshToken": first })).await;
    assert_eq!(status, 200, "{refreshed}");
    let second = refreshed["refreshToken"].as_str().unwrap().to_owned();
    let (status, _) = post(&stack, "/v1/auth/logout", json!({ "refreshToken": second })).await;
    assert_eq!(status, 204);
    let (status, _) = post(
        &stack,
        "/v1/auth/refresh",
        json!({ "refreshToken": second }),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_member_of_staff_on_the_roster_signs_up_with_the_emailed_code() {
    let stack = Stack::connect().await;
    let (_, _, _, email) = NEW_STAFF;

    let (status, asked) = post(&stack, "/v1/auth/staff/signup", json!({ "email": email })).await;
    assert_eq!(status, 202, "{asked}");
    let code = testkit::mail::latest_code(email)
        .await
        .expect("the code was emailed through SES");
    let (status, signed_in) = post(
        &stack,
        "/v1/auth/verify",
        json!({ "email": email, "code": code, "password": "a first day at riverside" }),
    )
    .await;

    assert_eq!(status, 200, "{signed_in}");
    assert_eq!(signed_in["user"]["id"], NEW_STAFF.0);
    assert_eq!(signed_in["user"]["roles"], json!(["teacher"]));
}
