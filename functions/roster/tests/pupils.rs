//! Finding pupils: by name, year, class, house and tutor group, a page at a
//! time, with or without those who left; and one pupil with their classes,
//! whose group-analysis flags only the school's leaders see.

mod common;

use common::*;
use domain::{Role, SchoolId};
use serde_json::json;
use testkit::ApiRequest;

fn pupils(h: &Harness) -> ApiRequest {
    ApiRequest::get("/v1/pupils").bearer(&h.teacher())
}

#[tokio::test]
async fn any_member_of_staff_lists_the_school_by_last_name_without_those_who_left() {
    let h = Harness::new().await;

    let page = h.get(pupils(&h)).await;
    assert_eq!(
        ids(&page),
        [
            "p-zara", "p-leo", "p-sophia", "p-isla", "p-noah", "p-ava", "p-amelia", "p-arthur",
            "p-oliver"
        ]
    );
    assert_eq!(page["nextCursor"], json!(null));
    assert_eq!(
        page["items"][0],
        json!({
            "id": "p-zara",
            "firstName": "Zara",
            "lastName": "Ali",
            "displayName": "Zara Ali",
            "yearGroup": "10",
            "house": "Oak",
            "registrationGroup": "10U",
            "left": false,
        })
    );

    for role in [Role::Tutor, Role::HeadOfYear, Role::Support, Role::Admin] {
        let answer = h
            .call(ApiRequest::get("/v1/pupils").bearer(&h.token(TEACHER, role)))
            .await;
        assert_eq!(answer.status, 200, "{role:?}");
    }
}

#[tokio::test]
async fn pupils_who_left_are_listed_when_asked_for_and_marked() {
    let h = Harness::new().await;

    let page = h.get(pupils(&h).query("includeLeft", "true")).await;
    let grace = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == LEFT)
        .expect("the pupil who left is listed");
    assert_eq!(grace["left"], true);
    assert_eq!(ids(&page).len(), PUPILS.len());

    let page = h.get(pupils(&h).query("includeLeft", "false")).await;
    assert!(!ids(&page).contains(&LEFT.to_owned()));
}

#[tokio::test]
async fn a_name_matches_the_start_of_a_first_last_or_whole_name_in_any_case() {
    let h = Harness::new().await;
    let search = |q: &str| pupils(&h).query("q", q);

    assert_eq!(
        ids(&h.get(search("smith")).await),
        ["p-amelia", "p-arthur", "p-oliver"]
    );
    assert_eq!(ids(&h.get(search("SMITHS")).await), ["p-oliver"]);
    assert_eq!(ids(&h.get(search("am")).await), ["p-leo", "p-amelia"]);
    assert_eq!(ids(&h.get(search("ava o'b")).await), ["p-ava"]);
    assert_eq!(ids(&h.get(search("  Isla   Jones ")).await), ["p-isla"]);
    assert!(ids(&h.get(search("mith")).await).is_empty());
    assert!(ids(&h.get(search("evans")).await).is_empty(), "she left");
    assert_eq!(
        ids(&h.get(search("evans").query("includeLeft", "true")).await),
        [LEFT]
    );
}

#[tokio::test]
async fn filters_by_year_house_tutor_group_and_class_combine() {
    let h = Harness::new().await;

    let year10 = h.get(pupils(&h).query("yearGroup", "10")).await;
    assert_eq!(ids(&year10), ["p-zara", "p-leo", "p-sophia", "p-arthur"]);
    let ash7 = h
        .get(pupils(&h).query("yearGroup", "7").query("house", "Ash"))
        .await;
    assert_eq!(ids(&ash7), ["p-isla", "p-ava", "p-amelia"]);
    let tutor = h.get(pupils(&h).query("registrationGroup", "7R")).await;
    assert_eq!(ids(&tutor), ["p-ava", "p-amelia", "p-oliver"]);

    let class = h.get(pupils(&h).query("classId", "7B-sc")).await;
    assert_eq!(ids(&class), ["p-isla", "p-amelia", "p-oliver"]);
    let class_and_name = h
        .get(pupils(&h).query("classId", "7A-ma").query("q", "smith"))
        .await;
    assert_eq!(ids(&class_and_name), ["p-amelia", "p-oliver"]);
    let class_and_house = h
        .get(
            pupils(&h)
                .query("classId", "7A-ma")
                .query("house", "Oak")
                .query("registrationGroup", "7S"),
        )
        .await;
    assert_eq!(ids(&class_and_house), ["p-noah"]);

    let nothing = h.get(pupils(&h).query("classId", "no-such-class")).await;
    assert!(ids(&nothing).is_empty());
    assert!(ids(&h.get(pupils(&h).query("house", "ash")).await).is_empty());
}

#[tokio::test]
async fn pages_follow_on_by_cursor_for_the_same_filters_only() {
    let h = Harness::new().await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut request = pupils(&h).query("limit", "4").query("includeLeft", "true");
        if let Some(cursor) = &cursor {
            request = request.query("cursor", cursor);
        }
        let page = h.get(request).await;
        pages += 1;
        assert!(ids(&page).len() <= 4);
        seen.extend(ids(&page));
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), PUPILS.len());
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no pupil twice: {seen:?}");

    let by_class = h
        .get(pupils(&h).query("classId", "7A-ma").query("limit", "2"))
        .await;
    assert_eq!(ids(&by_class), ["p-isla", "p-noah"]);
    let cursor = by_class["nextCursor"].as_str().unwrap();
    let next = h
        .get(
            pupils(&h)
                .query("classId", "7A-ma")
                .query("limit", "2")
                .query("cursor", cursor),
        )
        .await;
    assert_eq!(ids(&next), ["p-ava", "p-amelia"]);

    let other_filters = h
        .call(pupils(&h).query("yearGroup", "7").query("cursor", cursor))
        .await;
    assert_eq!(other_filters.status, 400);
    assert_eq!(other_filters.body["errors"][0]["field"], "cursor");
    let elsewhere = SchoolId::parse("northfield").unwrap();
    let other_school = h
        .call(
            ApiRequest::get("/v1/pupils")
                .bearer(&h.token_at(&elsewhere, TEACHER, Role::Teacher))
                .query("classId", "7A-ma")
                .query("limit", "2")
                .query("cursor", cursor),
        )
        .await;
    assert_eq!(other_school.status, 400);
}

#[tokio::test]
async fn bad_parameters_are_refused_naming_each_field() {
    let h = Harness::new().await;
    let cases = [
        ("limit", "0"),
        ("limit", "201"),
        ("limit", "ten"),
        ("includeLeft", "yes"),
        ("classId", "7A ma"),
        ("yearGroup", &"7".repeat(65)),
        ("q", &"a".repeat(101)),
        ("cursor", "not-a-cursor"),
        ("colour", "green"),
    ];
    for (field, value) in cases {
        let answer = h.call(pupils(&h).query(field, value)).await;
        assert_eq!(answer.status, 400, "{field}={value}: {}", answer.body);
        assert_eq!(answer.body["errors"][0]["field"], field, "{}", answer.body);
    }

    let two = h
        .call(pupils(&h).query("limit", "0").query("includeLeft", "1"))
        .await;
    assert_eq!(two.body["errors"].as_array().unwrap().len(), 2);
    assert_eq!(
        h.get(pupils(&h).query("limit", "200")).await["items"]
            .as_array()
            .unwrap()
            .len(),
        PUPILS.len() - 1
    );
}

#[tokio::test]
async fn one_pupil_comes_with_their_classes() {
    let h = Harness::new().await;
    let amelia = h
        .get(ApiRequest::get("/v1/pupils/p-amelia").bearer(&h.teacher()))
        .await;
    assert_eq!(amelia["displayName"], "Amelia Smith");
    assert_eq!(amelia["left"], false);
    assert_eq!(amelia["leftAt"], json!(null));
    assert_eq!(
        amelia["classes"],
        json!([
            { "id": "7A-ma", "name": "7A Maths", "subject": "Maths" },
            { "id": "7B-sc", "name": "7B Science", "subject": "Science" },
        ])
    );

    let grace = h
        .get(ApiRequest::get(&format!("/v1/pupils/{LEFT}")).bearer(&h.teacher()))
        .await;
    assert_eq!(grace["left"], true);
    assert!(grace["leftAt"].is_string());
    assert_eq!(
        grace["classes"],
        json!([]),
        "a pupil who left leaves their classes"
    );
}

#[tokio::test]
async fn group_flags_are_shown_to_leaders_and_never_to_teachers_tutors_or_support() {
    let h = Harness::new().await;
    let amelia = |role: Role| ApiRequest::get("/v1/pupils/p-amelia").bearer(&h.token(LEADER, role));

    for role in [Role::Teacher, Role::Tutor, Role::HeadOfYear, Role::Support] {
        let body = h.get(amelia(role)).await;
        assert!(
            body.get("groupFlags").is_none(),
            "{role:?} sees no flags: {body}"
        );
    }
    for role in [Role::Pastoral, Role::Dsl, Role::Slt, Role::Admin] {
        let body = h.get(amelia(role)).await;
        assert_eq!(
            body["groupFlags"],
            json!({ "gender": "F", "senStatus": "K", "pupilPremium": true, "eal": false }),
            "{role:?}"
        );
    }
    let without = h
        .get(ApiRequest::get("/v1/pupils/p-noah").bearer(&h.slt()))
        .await;
    assert_eq!(without["groupFlags"], json!(null));
}

#[tokio::test]
async fn another_schools_pupils_are_never_found() {
    let h = Harness::new().await;
    let elsewhere = SchoolId::parse("northfield").unwrap();
    let theirs = h.token_at(&elsewhere, LEADER, Role::Slt);

    let one = h
        .call(ApiRequest::get("/v1/pupils/p-amelia").bearer(&theirs))
        .await;
    assert_eq!(one.status, 404);
    let list = h.get(ApiRequest::get("/v1/pupils").bearer(&theirs)).await;
    assert!(ids(&list).is_empty());
    let by_class = h
        .get(
            ApiRequest::get("/v1/pupils")
                .bearer(&theirs)
                .query("classId", "7A-ma"),
        )
        .await;
    assert!(ids(&by_class).is_empty());
    let bad = h
        .call(ApiRequest::get("/v1/pupils/not%20an%20id").bearer(&h.teacher()))
        .await;
    assert_eq!(bad.status, 404);
}

#[tokio::test]
async fn parents_and_callers_without_a_token_are_turned_away() {
    let h = Harness::new().await;
    let parent = h.call(ApiRequest::get("/v1/pupils").bearer(&h.token("parent-jo", Role::Parent)));
    assert_eq!(parent.await.status, 403);
    assert_eq!(h.call(ApiRequest::get("/v1/pupils")).await.status, 401);
}
