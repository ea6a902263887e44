//! The staff list: everyone on the roster, with their roles and where they
//! stand with their account, in name order, for those allowed to see it.

mod common;

use common::*;
use domain::Role;
use serde_json::json;
use testkit::ApiRequest;

#[tokio::test]
async fn the_list_shows_every_member_of_staff_with_roles_and_status_in_name_order() {
    let h = Harness::new().await;

    let answer = h
        .call(ApiRequest::get("/v1/admin/staff").bearer(&h.admin()))
        .await;

    assert_eq!(answer.status, 200, "{}", answer.body);
    let items = answer.body["items"].as_array().unwrap();
    let names: Vec<&str> = items
        .iter()
        .map(|i| i["lastName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Ali", "Brown", "Evans", "Hughes", "Khan", "Lovelace", "Wood"
        ]
    );
    let by_id = |id: &str| items.iter().find(|i| i["staffId"] == id).unwrap().clone();
    assert_eq!(
        by_id(NO_ACCOUNT),
        json!({
            "staffId": NO_ACCOUNT, "firstName": "Nora", "lastName": "Ali",
            "email": "staff-nora@riverside.sch.uk", "roles": [], "status": "noAccount"
        })
    );
    assert_eq!(by_id(PENDING)["status"], "pending");
    assert_eq!(by_id(DISABLED)["status"], "disabled");
    assert_eq!(by_id(ADMIN)["status"], "active");
    assert_eq!(by_id(ADMIN)["roles"], json!(["admin"]));
    assert_eq!(by_id(HEAD_OF_YEAR)["roles"], json!(["headOfYear"]));
}

#[tokio::test]
async fn senior_leaders_may_read_the_list_and_teachers_may_not() {
    let h = Harness::new().await;

    let slt = h
        .call(ApiRequest::get("/v1/admin/staff").bearer(&h.slt()))
        .await;
    assert_eq!(slt.status, 200);

    for (user, role) in [(TEACHER, Role::Teacher), (HEAD_OF_YEAR, Role::HeadOfYear)] {
        let answer = h
            .call(ApiRequest::get("/v1/admin/staff").bearer(&h.token(user, role)))
            .await;
        assert_eq!(answer.status, 403, "{role:?}");
    }
}

#[tokio::test]
async fn another_school_sees_only_its_own_staff() {
    let h = Harness::new().await;
    let other = domain::SchoolId::parse("hillside").unwrap();
    open_account(
        &h.table.store,
        &other,
        "staff-hilda",
        "Hilda Head",
        Role::Admin,
        store::AccountStatus::Active,
    )
    .await;
    let theirs = h.key.token(
        &other,
        &domain::StaffId::parse("staff-hilda").unwrap(),
        Role::Admin,
    );

    let answer = h
        .call(ApiRequest::get("/v1/admin/staff").bearer(&theirs))
        .await;

    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["items"], json!([]));
}
