//! The staff list and the school's houses and year groups: any member of
//! staff reads them; work addresses go only to those who may read the
//! staff list with them.

mod common;

use common::*;
use domain::{Role, SchoolId};
use serde_json::json;
use testkit::ApiRequest;

#[tokio::test]
async fn staff_are_listed_by_name_with_addresses_for_leaders_only() {
    let h = Harness::new().await;

    let page = h
        .get(ApiRequest::get("/v1/staff").bearer(&h.teacher()))
        .await;
    assert_eq!(ids(&page), [TEACHER, OTHER_TEACHER, LEADER]);
    assert_eq!(
        page["items"][0],
        json!({
            "id": TEACHER,
            "firstName": "Tess",
            "lastName": "Brown",
            "displayName": "Tess Brown",
            "teaching": true,
        })
    );
    for role in [Role::Tutor, Role::HeadOfYear, Role::Pastoral, Role::Dsl] {
        let page = h
            .get(ApiRequest::get("/v1/staff").bearer(&h.token(LEADER, role)))
            .await;
        assert!(page["items"][0].get("email").is_none(), "{role:?}");
    }
    for role in [Role::Slt, Role::Admin, Role::Support] {
        let page = h
            .get(ApiRequest::get("/v1/staff").bearer(&h.token(LEADER, role)))
            .await;
        assert_eq!(
            page["items"][0]["email"], "tess.brown@riverside.sch.uk",
            "{role:?}"
        );
    }
}

#[tokio::test]
async fn staff_are_found_by_name_and_by_whether_they_teach_a_page_at_a_time() {
    let h = Harness::new().await;
    let staff = || ApiRequest::get("/v1/staff").bearer(&h.teacher());

    assert_eq!(ids(&h.get(staff().query("q", "om")).await), [OTHER_TEACHER]);
    assert_eq!(ids(&h.get(staff().query("q", "MARSH")).await), [LEADER]);
    assert_eq!(
        ids(&h.get(staff().query("teaching", "true")).await),
        [TEACHER, OTHER_TEACHER]
    );
    assert_eq!(
        ids(&h.get(staff().query("teaching", "false")).await),
        [LEADER]
    );

    let first = h.get(staff().query("limit", "2")).await;
    assert_eq!(ids(&first), [TEACHER, OTHER_TEACHER]);
    let cursor = first["nextCursor"].as_str().unwrap();
    let second = h
        .get(staff().query("limit", "2").query("cursor", cursor))
        .await;
    assert_eq!(ids(&second), [LEADER]);
    assert_eq!(second["nextCursor"], json!(null));

    for (field, value) in [("teaching", "maybe"), ("limit", "x"), ("email", "a")] {
        let answer = h.call(staff().query(field, value)).await;
        assert_eq!(answer.status, 400, "{field}");
        assert_eq!(answer.body["errors"][0]["field"], field);
    }
    let other_list = h
        .call(staff().query("teaching", "true").query("cursor", cursor))
        .await;
    assert_eq!(other_list.status, 400);
}

#[tokio::test]
async fn houses_and_year_groups_come_by_name() {
    let h = Harness::new().await;
    let houses = h
        .get(ApiRequest::get("/v1/houses").bearer(&h.teacher()))
        .await;
    assert_eq!(
        houses,
        json!({ "items": [
            { "id": "g-ash", "name": "Ash", "code": "A" },
            { "id": "g-oak", "name": "Oak", "code": null },
        ] })
    );
    let years = h
        .get(ApiRequest::get("/v1/year-groups").bearer(&h.teacher()))
        .await;
    assert_eq!(ids(&years), ["g-y7", "g-y10"]);

    let refused = h
        .call(
            ApiRequest::get("/v1/houses")
                .bearer(&h.teacher())
                .query("limit", "5"),
        )
        .await;
    assert_eq!(refused.status, 400);
}

#[tokio::test]
async fn another_schools_staff_and_groups_are_never_listed() {
    let h = Harness::new().await;
    let elsewhere = SchoolId::parse("northfield").unwrap();
    let token = h.token_at(&elsewhere, LEADER, Role::Admin);
    for path in ["/v1/staff", "/v1/houses", "/v1/year-groups"] {
        let page = h.get(ApiRequest::get(path).bearer(&token)).await;
        assert!(ids(&page).is_empty(), "{path}: {page}");
    }
}
