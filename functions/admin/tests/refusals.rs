//! Bad requests get a clear problem+json answer with a 4xx and change
//! nothing: unknown paths and methods, missing tokens, bodies and query
//! parameters a route does not take.

mod common;

use common::*;
use domain::Role;
use testkit::ApiRequest;

async fn refused(h: &Harness, request: ApiRequest, status: u16) {
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
    assert_eq!(h.item_count().await, before, "a refused request wrote");
}

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405() {
    let h = Harness::new().await;
    let admin = h.admin();
    refused(&h, ApiRequest::get("/v1/admin").bearer(&admin), 404).await;
    refused(
        &h,
        ApiRequest::get("/v1/admin/staff/x/y").bearer(&admin),
        404,
    )
    .await;
    refused(&h, ApiRequest::get("/v1/admin/school").bearer(&admin), 404).await;
    for (method, path) in [
        ("POST", "/v1/admin/staff"),
        ("GET", "/v1/admin/staff/staff-tess/roles/tutor"),
        ("POST", "/v1/admin/staff/staff-tess/roles/tutor"),
        ("GET", "/v1/admin/staff/staff-tess/disable"),
        ("DELETE", "/v1/admin/support-grants"),
        ("GET", "/v1/admin/support-grants/g1/end"),
        ("POST", "/v1/admin/audit"),
        ("POST", "/v1/admin/settings"),
        ("DELETE", "/v1/admin/settings"),
    ] {
        refused(&h, ApiRequest::new(method, path).bearer(&admin), 405).await;
    }
}

#[tokio::test]
async fn requests_without_a_valid_token_are_401() {
    let h = Harness::new().await;
    refused(&h, ApiRequest::get("/v1/admin/staff"), 401).await;
    refused(&h, disable("not.a.jwt", TEACHER), 401).await;
    let forged = testkit::SigningKey::generate().token(
        &h.school,
        &domain::StaffId::parse(ADMIN).unwrap(),
        Role::Admin,
    );
    refused(&h, disable(&forged, TEACHER), 401).await;
}

#[tokio::test]
async fn routes_without_a_body_refuse_one() {
    let h = Harness::new().await;
    let body = serde_json::json!({ "why": "because" });
    refused(&h, disable(&h.admin(), TEACHER).json(&body), 400).await;
    refused(&h, put_role(&h.admin(), TEACHER, "tutor").json(&body), 400).await;
    let huge = "x".repeat(20_000);
    refused(&h, enable(&h.admin(), DISABLED).raw_body(&huge), 413).await;
}

#[tokio::test]
async fn unknown_query_parameters_and_bad_idempotency_keys_are_400() {
    let h = Harness::new().await;
    refused(
        &h,
        ApiRequest::get("/v1/admin/staff")
            .bearer(&h.admin())
            .query("sort", "name"),
        400,
    )
    .await;
    refused(&h, disable(&h.admin(), TEACHER).query("force", "true"), 400).await;
    refused(
        &h,
        disable(&h.admin(), TEACHER).header("idempotency-key", &"k".repeat(300)),
        400,
    )
    .await;
}

#[tokio::test]
async fn grant_bodies_must_be_json() {
    let h = Harness::new().await;
    let post = || ApiRequest::post("/v1/admin/support-grants").bearer(&h.admin());
    refused(
        &h,
        post()
            .header("content-type", "application/json")
            .raw_body("{\"reason\": "),
        400,
    )
    .await;
    refused(&h, post(), 400).await;
    refused(
        &h,
        post().header("content-type", "text/plain").raw_body("hi"),
        415,
    )
    .await;
}
