//! Sessions: a login answers a short-lived access token and an opaque
//! refresh token; a refresh token works once and its reuse ends the whole
//! session; logout and a password reset end sessions; repeated failures
//! lock sign-in for a while, even for the right password.

mod common;

use common::*;
use serde_json::json;
use testkit::ApiRequest;

fn text(value: &serde_json::Value) -> String {
    value.as_str().expect("a string").to_owned()
}

#[tokio::test]
async fn a_login_answers_a_fifteen_minute_token_for_the_school_and_a_refresh_token() {
    let h = Harness::new().await;

    let login = h.login(&h.staff_email("staff-ada"), PASSWORD).await;

    assert_eq!(login.status, 200, "{}", login.body);
    assert_eq!(login.body["tokenType"], "Bearer");
    assert_eq!(login.body["expiresIn"], 900);
    let token = text(&login.body["accessToken"]);
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    assert_eq!(header.kid.as_deref(), Some(h.key.kid()));
    let claims = h.claims(&token);
    assert_eq!(claims.sub, "staff-ada");
    assert_eq!(claims.school.as_deref(), Some(h.school.as_str()));
    assert_eq!(claims.exp - claims.iat, 900);
    assert_eq!(claims.iss, testkit::tokens::ISSUER);
    assert_eq!(claims.aud, testkit::tokens::AUDIENCE);
    let refresh = text(&login.body["refreshToken"]);
    assert!(refresh.len() >= 40, "refresh tokens are long and random");
    assert!(!refresh.contains("staff-ada"));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_get_the_same_answer() {
    let h = Harness::new().await;

    let wrong = h
        .login(&h.staff_email("staff-ada"), "not the password")
        .await;
    let unknown = h.login(&h.parent_email("nobody"), PASSWORD).await;

    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.body, unknown.body);
}

#[tokio::test]
async fn a_refresh_token_is_rotated_on_use() {
    let h = Harness::new().await;
    let login = h.login(&h.staff_email("staff-ada"), PASSWORD).await;
    let first = text(&login.body["refreshToken"]);

    let refreshed = h.refresh(&first).await;

    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let second = text(&refreshed.body["refreshToken"]);
    assert_ne!(second, first);
    assert_eq!(
        h.claims(&text(&refreshed.body["accessToken"])).sub,
        "staff-ada"
    );
    let third = h.refresh(&second).await;
    assert_eq!(third.status, 200, "{}", third.body);
}

#[tokio::test]
async fn a_reused_refresh_token_ends_its_whole_family() {
    let h = Harness::new().await;
    let login = h.login(&h.staff_email("staff-ada"), PASSWORD).await;
    let stolen = text(&login.body["refreshToken"]);
    let owners = text(&h.refresh(&stolen).await.body["refreshToken"]);

    let thief = h.refresh(&stolen).await;
    let owner = h.refresh(&owners).await;

    assert_eq!(thief.status, 401, "{}", thief.body);
    assert_eq!(owner.status, 401, "the copy ended the owner's session too");
    let elsewhere = h.login(&h.staff_email("staff-ada"), PASSWORD).await;
    assert_eq!(elsewhere.status, 200, "other sessions are not this family");
    assert_eq!(
        h.refresh(&text(&elsewhere.body["refreshToken"]))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn two_refreshes_with_one_token_at_once_leave_one_winner_at_most() {
    let h = Harness::new().await;
    let login = h.login(&h.staff_email("staff-ada"), PASSWORD).await;
    let token = text(&login.body["refreshToken"]);

    let (a, b) = tokio::join!(h.refresh(&token), h.refresh(&token));

    let won = [a.status, b.status].iter().filter(|s| **s == 200).count();
    assert!(won <= 1, "{} and {}", a.status, b.status);
}

#[tokio::test]
async fn logout_ends_the_session_and_is_harmless_to_repeat() {
    let h = Harness::new().await;
    let login = h.login(&h.staff_email("staff-ada"), PASSWORD).await;
    let token = text(&login.body["refreshToken"]);

    let out = h
        .post("/v1/auth/logout", json!({ "refreshToken": token }))
        .await;
    let again = h
        .post("/v1/auth/logout", json!({ "refreshToken": token }))
        .await;
    let nonsense = h
        .post("/v1/auth/logout", json!({ "refreshToken": "made-up" }))
        .await;

    assert_eq!(out.status, 204);
    assert_eq!(again.status, 204);
    assert_eq!(nonsense.status, 204);
    assert_eq!(h.refresh(&token).await.status, 401);
}

#[tokio::test]
async fn five_failures_lock_the_account_even_against_the_right_password() {
    let h = Harness::new().await;
    let address = h.staff_email("staff-ada");

    for attempt in 1..=5 {
        let answer = h.login(&address, "not the password").await;
        assert_eq!(answer.status, 401, "attempt {attempt}: {}", answer.body);
    }
    let locked = h.login(&address, PASSWORD).await;

    assert_eq!(locked.status, 429, "{}", locked.body);
    let wait: i64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert!(locked.body.get("accessToken").is_none());
}

#[tokio::test]
async fn many_failures_from_one_source_lock_that_source_only() {
    let h = Harness::new().await;
    let attacker = "198.51.100.7";

    // A spray across many addresses: each address stays under its own limit.
    for n in 0..100 {
        let address = h.parent_email(&format!("victim{n}"));
        let answer = h
            .call(
                ApiRequest::post("/v1/auth/login")
                    .from_ip(attacker)
                    .json(&json!({ "email": address.as_str(), "password": "Winter2026!" })),
            )
            .await;
        assert_eq!(answer.status, 401, "attempt {n}: {}", answer.body);
    }
    let ada = json!({ "email": h.staff_email("staff-ada").as_str(), "password": PASSWORD });
    let from_attacker = h
        .call(
            ApiRequest::post("/v1/auth/login")
                .from_ip(attacker)
                .json(&ada),
        )
        .await;
    let from_school = h
        .call(
            ApiRequest::post("/v1/auth/login")
                .from_ip("203.0.113.20")
                .json(&ada),
        )
        .await;

    assert_eq!(from_attacker.status, 429, "{}", from_attacker.body);
    assert!(from_attacker.headers.contains_key("retry-after"));
    assert_eq!(from_school.status, 200, "{}", from_school.body);
}

#[tokio::test]
async fn a_success_clears_the_count_of_failures() {
    let h = Harness::new().await;
    let address = h.staff_email("staff-ada");
    for _ in 0..4 {
        h.login(&address, "not the password").await;
    }
    assert_eq!(h.login(&address, PASSWORD).await.status, 200);

    for _ in 0..4 {
        assert_eq!(h.login(&address, "not the password").await.status, 401);
    }
    assert_eq!(h.login(&address, PASSWORD).await.status, 200);
}

#[tokio::test]
async fn a_password_reset_ends_every_session_and_the_old_password() {
    let h = Harness::new().await;
    let address = h.staff_email("staff-ada");
    let before = h.login(&address, PASSWORD).await;
    let old_refresh = text(&before.body["refreshToken"]);

    let asked = h
        .post(
            "/v1/auth/password/forgot",
            json!({ "email": address.as_str() }),
        )
        .await;
    assert_eq!(asked.status, 202);
    let code = h.code_sent_to(&address).await;
    let new_password = "a new kettle for the staff room";
    let reset = h
        .post(
            "/v1/auth/password/reset",
            json!({ "email": address.as_str(), "code": code, "password": new_password }),
        )
        .await;

    assert_eq!(reset.status, 204, "{}", reset.body);
    assert_eq!(h.refresh(&old_refresh).await.status, 401);
    assert_eq!(h.login(&address, PASSWORD).await.status, 401);
    assert_eq!(h.login(&address, new_password).await.status, 200);
    let state = h.table.store.access_state(&h.school).await.unwrap();
    let issued = h.claims(&text(&before.body["accessToken"])).iat;
    assert!(
        state.is_revoked("staff-ada", issued),
        "access tokens from before the reset are refused by every function"
    );
}

#[tokio::test]
async fn a_reset_for_an_unknown_address_looks_the_same_and_sends_nothing() {
    let h = Harness::new().await;
    let stranger = h.parent_email("stranger");

    let known = h
        .post(
            "/v1/auth/password/forgot",
            json!({ "email": h.staff_email("staff-ada").as_str() }),
        )
        .await;
    let unknown = h
        .post(
            "/v1/auth/password/forgot",
            json!({ "email": stranger.as_str() }),
        )
        .await;

    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    assert!(h.emails_to(&stranger).await.is_empty());
}

#[tokio::test]
async fn a_wrong_reset_code_changes_nothing() {
    let h = Harness::new().await;
    let address = h.staff_email("staff-ada");
    h.post(
        "/v1/auth/password/forgot",
        json!({ "email": address.as_str() }),
    )
    .await;
    let code = h.code_sent_to(&address).await;
    let wrong = if code == "123456" { "654321" } else { "123456" };

    let answer = h
        .post(
            "/v1/auth/password/reset",
            json!({ "email": address.as_str(), "code": wrong, "password": "a new kettle for the staff room" }),
        )
        .await;

    assert_eq!(answer.status, 401);
    assert_eq!(h.login(&address, PASSWORD).await.status, 200);
}

#[tokio::test]
async fn routes_answer_only_post_and_unknown_paths_are_404() {
    let h = Harness::new().await;

    let get = h.call(ApiRequest::get("/v1/auth/login")).await;
    let unknown = h.call(ApiRequest::post("/v1/auth/nothing")).await;

    assert_eq!(get.status, 405);
    assert_eq!(unknown.status, 404);
}
