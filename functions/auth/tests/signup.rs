//! Signing up: staff only with a work address the roster holds, proven by
//! an emailed code; parents with their own details and the terms in force;
//! and never an answer that tells whether an address is known.

mod common;

use common::*;
use domain::Role;
use serde_json::json;
use store::{AccountKind, AccountStatus};

#[tokio::test]
async fn staff_sign_up_with_their_roster_address_and_are_signed_in() {
    let h = Harness::new().await;
    let address = h.staff_email("staff-tess");

    // The roster's address, typed the way people type it.
    let shouted = address.as_str().to_uppercase();
    let asked = h
        .post("/v1/auth/staff/signup", json!({ "email": shouted }))
        .await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    let mail = h.emails_to(&address).await;
    assert_eq!(mail.len(), 1);
    let code = mail[0].code().expect("the email carries a code");
    assert!(
        h.account(&address).await.is_none(),
        "no account before the code"
    );

    let verified = h
        .post(
            "/v1/auth/verify",
            json!({ "email": address.as_str(), "code": code, "password": PASSWORD }),
        )
        .await;

    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(verified.body["user"]["id"], "staff-tess");
    assert_eq!(verified.body["user"]["kind"], "staff");
    assert_eq!(verified.body["user"]["roles"], json!(["teacher"]));
    let claims = h.claims(verified.body["accessToken"].as_str().unwrap());
    assert_eq!(claims.sub, "staff-tess");
    assert_eq!(claims.school.as_deref(), Some(h.school.as_str()));
    let account = h.account(&address).await.expect("the account exists");
    assert_eq!(account.status, AccountStatus::Active);
    assert_ne!(account.password_hash, PASSWORD);
    assert!(account.password_hash.starts_with("$argon2id$"));

    let login = h.login(&address, PASSWORD).await;
    assert_eq!(login.status, 200, "{}", login.body);
}

#[tokio::test]
async fn an_address_the_roster_does_not_hold_gets_the_same_answer_and_no_account() {
    let h = Harness::new().await;
    let known = h
        .post(
            "/v1/auth/staff/signup",
            json!({ "email": h.staff_email("staff-tess").as_str() }),
        )
        .await;
    let before = h.item_count().await;
    let stranger = h.parent_email("stranger");

    let unknown = h
        .post(
            "/v1/auth/staff/signup",
            json!({ "email": stranger.as_str() }),
        )
        .await;

    assert_eq!(unknown.status, known.status);
    assert_eq!(unknown.body, known.body);
    assert!(h.emails_to(&stranger).await.is_empty());
    assert_eq!(h.item_count().await, before);
}

#[tokio::test]
async fn signing_up_again_tells_the_owner_by_email_not_the_caller() {
    let h = Harness::new().await;
    let address = h.staff_email("staff-ada");

    let asked = h
        .post(
            "/v1/auth/staff/signup",
            json!({ "email": address.as_str() }),
        )
        .await;

    assert_eq!(asked.status, 202);
    let mail = h.emails_to(&address).await;
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].code().is_none(),
        "no code for an address with an account"
    );
}

#[tokio::test]
async fn a_wrong_code_is_refused_and_five_wrong_tries_use_the_code_up() {
    let h = Harness::new().await;
    let address = h.staff_email("staff-tess");
    h.post(
        "/v1/auth/staff/signup",
        json!({ "email": address.as_str() }),
    )
    .await;
    let code = h.code_sent_to(&address).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    for _ in 0..5 {
        let answer = h
            .post(
                "/v1/auth/verify",
                json!({ "email": address.as_str(), "code": wrong, "password": PASSWORD }),
            )
            .await;
        assert_eq!(answer.status, 401, "{}", answer.body);
    }
    let right_too_late = h
        .post(
            "/v1/auth/verify",
            json!({ "email": address.as_str(), "code": code, "password": PASSWORD }),
        )
        .await;

    assert_eq!(right_too_late.status, 401);
    assert!(h.account(&address).await.is_none());
}

#[tokio::test]
async fn a_code_works_once() {
    let h = Harness::new().await;
    let first = h.sign_up_staff("staff-tess").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let address = h.staff_email("staff-tess");
    let code = h.code_sent_to(&address).await;

    let again = h
        .post(
            "/v1/auth/verify",
            json!({ "email": address.as_str(), "code": code, "password": PASSWORD }),
        )
        .await;

    assert_eq!(again.status, 401);
}

#[tokio::test]
async fn weak_passwords_and_bad_fields_are_refused_field_by_field() {
    let h = Harness::new().await;
    let before = h.item_count().await;

    let answer = h
        .post(
            "/v1/auth/parents/signup",
            json!({
                "name": "",
                "email": "not an address",
                "password": "password",
                "acceptTerms": "1999-01",
            }),
        )
        .await;

    assert_eq!(answer.status, 400, "{}", answer.body);
    let fields: Vec<&str> = answer.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "email", "acceptTerms"]);

    for password in ["short", "password123", "aaaaaaaaaaaa", "Password1234!"] {
        let answer = h
            .post(
                "/v1/auth/parents/signup",
                json!({
                    "name": "Jo Parent",
                    "email": h.parent_email("jo").as_str(),
                    "password": password,
                    "acceptTerms": TERMS,
                }),
            )
            .await;
        assert_eq!(answer.status, 400, "{password}: {}", answer.body);
        assert_eq!(answer.body["errors"][0]["field"], "password");
    }
    assert_eq!(h.item_count().await, before);
    assert!(h.emails_to(&h.parent_email("jo")).await.is_empty());
}

#[tokio::test]
async fn unknown_fields_and_malformed_bodies_are_refused() {
    let h = Harness::new().await;
    let before = h.item_count().await;

    let extra = h
        .post(
            "/v1/auth/staff/signup",
            json!({ "email": h.staff_email("staff-tess").as_str(), "role": "admin" }),
        )
        .await;
    let broken = h
        .call(testkit::ApiRequest::post("/v1/auth/login").raw_body("{\"email\":"))
        .await;
    let huge = h
        .post(
            "/v1/auth/login",
            json!({ "email": "a@b.example", "password": "x".repeat(10_000) }),
        )
        .await;

    assert_eq!(extra.status, 400, "{}", extra.body);
    assert_eq!(broken.status, 400, "{}", broken.body);
    assert_eq!(huge.status, 413, "{}", huge.body);
    assert_eq!(h.item_count().await, before);
}

#[tokio::test]
async fn parents_sign_up_accept_the_terms_and_prove_their_address() {
    let h = Harness::new().await;

    let (address, verified) = h.sign_up_parent("jo").await;

    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(verified.body["user"]["kind"], "parent");
    assert_eq!(verified.body["user"]["roles"], json!(["parent"]));
    assert!(verified.body["user"].get("schoolId").is_none());
    let claims = h.claims(verified.body["accessToken"].as_str().unwrap());
    assert_eq!(claims.school, None);
    assert!(claims.roles.contains(Role::Parent));
    let account = h.account(&address).await.unwrap();
    assert_eq!(account.kind, AccountKind::Parent);
    assert_eq!(account.name.as_deref(), Some("Jo Parent"));
    let terms = account.terms.expect("the acceptance is stored");
    assert_eq!(terms.version, TERMS);
    assert!((chrono::Utc::now() - terms.accepted_at).num_seconds() < 60);
}

#[tokio::test]
async fn a_parent_who_has_not_proven_their_address_cannot_sign_in() {
    let h = Harness::new().await;
    let address = h.parent_email("sam");
    h.post(
        "/v1/auth/parents/signup",
        json!({
            "name": "Sam Parent",
            "email": address.as_str(),
            "password": PASSWORD,
            "acceptTerms": TERMS,
        }),
    )
    .await;

    let login = h.login(&address, PASSWORD).await;

    assert_eq!(login.status, 403, "{}", login.body);
    assert!(login.problem_type().ends_with("/email-not-verified"));
}

#[tokio::test]
async fn new_terms_are_accepted_again_at_the_next_login() {
    let h = Harness::new().await;
    let (address, _) = h.sign_up_parent("kim").await;
    let app = h.with_new_terms("2027-01").await;
    let login = |accept: Option<&str>| {
        let mut body = json!({ "email": address.as_str(), "password": PASSWORD });
        if let Some(version) = accept {
            body["acceptTerms"] = json!(version);
        }
        testkit::ApiRequest::post("/v1/auth/login").json(&body)
    };

    let refused = auth::handle(&app, login(None).build()).await;
    assert_eq!(refused.status(), 403);
    let old = auth::handle(&app, login(Some(TERMS)).build()).await;
    assert_eq!(old.status(), 403);
    let accepted = auth::handle(&app, login(Some("2027-01")).build()).await;
    assert_eq!(accepted.status(), 200);

    let terms = h.account(&address).await.unwrap().terms.unwrap();
    assert_eq!(terms.version, "2027-01");
    let again = auth::handle(&app, login(None).build()).await;
    assert_eq!(again.status(), 200, "accepted once, not at every login");
}

#[tokio::test]
async fn staff_who_forget_the_password_keep_their_code_for_the_retry() {
    let h = Harness::new().await;
    let address = h.staff_email("staff-tess");
    h.post(
        "/v1/auth/staff/signup",
        json!({ "email": address.as_str() }),
    )
    .await;
    let code = h.code_sent_to(&address).await;

    let without = h
        .post(
            "/v1/auth/verify",
            json!({ "email": address.as_str(), "code": code }),
        )
        .await;
    let with = h
        .post(
            "/v1/auth/verify",
            json!({ "email": address.as_str(), "code": code, "password": PASSWORD }),
        )
        .await;

    assert_eq!(without.status, 400, "{}", without.body);
    assert_eq!(without.body["errors"][0]["field"], "password");
    assert_eq!(with.status, 200, "{}", with.body);
}

#[tokio::test]
async fn a_suppressed_address_gets_the_usual_answer_and_no_code_until_it_is_lifted() {
    let h = Harness::new().await;
    let address = h.staff_email("staff-tess");
    // GIVEN the address bounced for good (as mail-feedback records it).
    let bounce = store::Feedback {
        kind: store::FeedbackKind::PermanentBounce,
        message_id: "ses-message-1".into(),
        at: chrono::Utc::now(),
    };
    h.table
        .store
        .record_mail_feedback(&address, &bounce)
        .await
        .unwrap();

    // WHEN they sign up, THEN the answer is as ever and no code is sent.
    let asked = h
        .post(
            "/v1/auth/staff/signup",
            json!({ "email": address.as_str() }),
        )
        .await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    assert!(h.emails_to(&address).await.is_empty());

    // Once an operator lifts it, the next request brings a code.
    assert!(
        h.table
            .store
            .lift_suppression(&address, chrono::Utc::now())
            .await
            .unwrap()
    );
    let again = h
        .post(
            "/v1/auth/staff/signup",
            json!({ "email": address.as_str() }),
        )
        .await;
    assert_eq!(again.status, 202, "{}", again.body);
    assert_eq!(h.emails_to(&address).await.len(), 1);
}
