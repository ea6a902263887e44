//! Classes: a member of staff's own by default, every class for those who
//! read the whole school, and one class with its teachers and pupils for
//! those who teach it or lead.

mod common;

use common::*;
use domain::{Role, SchoolId};
use serde_json::json;
use testkit::ApiRequest;

#[tokio::test]
async fn a_teacher_lists_the_classes_they_teach_with_teachers_and_counts() {
    let h = Harness::new().await;
    let page = h
        .get(ApiRequest::get("/v1/classes").bearer(&h.teacher()))
        .await;
    assert_eq!(ids(&page), ["7A-ma", "7B-sc"]);
    assert_eq!(
        page["items"][1],
        json!({
            "id": "7B-sc",
            "name": "7B Science",
            "yearGroup": "7",
            "subject": "Science",
            "teachers": [
                { "id": OTHER_TEACHER, "name": "Omar Haddad", "main": true },
                { "id": TEACHER, "name": "Tess Brown", "main": false },
            ],
            "mainTeacherId": OTHER_TEACHER,
            "pupilCount": 3,
        })
    );
    assert_eq!(page["items"][0]["pupilCount"], 5);
    assert_eq!(page["nextCursor"], json!(null));

    let other = h
        .get(ApiRequest::get("/v1/classes").bearer(&h.token(OTHER_TEACHER, Role::Teacher)))
        .await;
    assert_eq!(ids(&other), ["10X-en", "7B-sc"]);
    let leader = h.get(ApiRequest::get("/v1/classes").bearer(&h.slt())).await;
    assert!(ids(&leader).is_empty(), "the leader teaches nothing");
}

#[tokio::test]
async fn every_class_is_for_those_who_read_the_whole_school() {
    let h = Harness::new().await;
    let all = |token: &str| {
        ApiRequest::get("/v1/classes")
            .bearer(token)
            .query("all", "true")
    };

    for role in [Role::Teacher, Role::Tutor, Role::HeadOfYear] {
        let answer = h.call(all(&h.token(TEACHER, role))).await;
        assert_eq!(answer.status, 403, "{role:?}");
        assert!(
            answer.body["detail"].as_str().unwrap().contains("all=true"),
            "{}",
            answer.body
        );
    }
    for role in [
        Role::Pastoral,
        Role::Dsl,
        Role::Slt,
        Role::Admin,
        Role::Support,
    ] {
        let page = h.get(all(&h.token(LEADER, role))).await;
        assert_eq!(ids(&page), ["10X-en", "7A-ma", "7B-sc"], "{role:?}");
    }
    let english = &h.get(all(&h.slt())).await["items"][0];
    assert_eq!(
        english["pupilCount"], 4,
        "the pupil who left is no longer counted"
    );
    assert_eq!(english["mainTeacherId"], json!(null));

    let mine = h
        .get(
            ApiRequest::get("/v1/classes")
                .bearer(&h.teacher())
                .query("all", "false"),
        )
        .await;
    assert_eq!(ids(&mine), ["7A-ma", "7B-sc"]);
}

#[tokio::test]
async fn classes_page_by_cursor() {
    let h = Harness::new().await;
    let first = h
        .get(
            ApiRequest::get("/v1/classes")
                .bearer(&h.slt())
                .query("all", "true")
                .query("limit", "2"),
        )
        .await;
    assert_eq!(ids(&first), ["10X-en", "7A-ma"]);
    let cursor = first["nextCursor"].as_str().expect("more to come");
    let second = h
        .get(
            ApiRequest::get("/v1/classes")
                .bearer(&h.slt())
                .query("all", "true")
                .query("limit", "2")
                .query("cursor", cursor),
        )
        .await;
    assert_eq!(ids(&second), ["7B-sc"]);
    assert_eq!(second["nextCursor"], json!(null));

    let mine = h
        .call(
            ApiRequest::get("/v1/classes")
                .bearer(&h.slt())
                .query("cursor", cursor),
        )
        .await;
    assert_eq!(
        mine.status, 400,
        "a cursor of every class is not one of mine"
    );
    for (field, value) in [("all", "yes"), ("limit", "0"), ("teacher", "me")] {
        let answer = h
            .call(
                ApiRequest::get("/v1/classes")
                    .bearer(&h.teacher())
                    .query(field, value),
            )
            .await;
        assert_eq!(answer.status, 400, "{field}");
        assert_eq!(answer.body["errors"][0]["field"], field);
    }
}

#[tokio::test]
async fn a_class_shows_its_pupils_to_its_teachers_and_to_leaders_only() {
    let h = Harness::new().await;
    let science = |token: &str| ApiRequest::get("/v1/classes/7B-sc").bearer(token);

    let class = h.get(science(&h.teacher())).await;
    assert_eq!(class["name"], "7B Science");
    assert_eq!(class["pupilCount"], 3);
    assert_eq!(
        class["pupils"],
        json!([
            { "id": "p-amelia", "displayName": "Amelia Smith" },
            { "id": "p-isla", "displayName": "Isla Jones" },
            { "id": "p-oliver", "displayName": "Oliver Smithson" },
        ])
    );
    assert_eq!(class["teachers"][0]["main"], true);
    assert_eq!(class["teachers"][0]["id"], OTHER_TEACHER);

    let english = h
        .call(ApiRequest::get("/v1/classes/10X-en").bearer(&h.teacher()))
        .await;
    assert_eq!(english.status, 403, "{}", english.body);
    for role in [Role::Tutor, Role::HeadOfYear] {
        let answer = h
            .call(ApiRequest::get("/v1/classes/10X-en").bearer(&h.token(LEADER, role)))
            .await;
        assert_eq!(answer.status, 403, "{role:?}");
    }
    for role in [Role::Pastoral, Role::Slt, Role::Support] {
        let class = h
            .get(ApiRequest::get("/v1/classes/10X-en").bearer(&h.token(LEADER, role)))
            .await;
        assert_eq!(class["pupils"].as_array().unwrap().len(), 4, "{role:?}");
    }

    let missing = h
        .call(ApiRequest::get("/v1/classes/no-such-class").bearer(&h.teacher()))
        .await;
    assert_eq!(missing.status, 404);
    let query = h.call(science(&h.teacher()).query("limit", "5")).await;
    assert_eq!(query.status, 400);
}

#[tokio::test]
async fn another_schools_classes_are_never_found() {
    let h = Harness::new().await;
    let elsewhere = SchoolId::parse("northfield").unwrap();
    for role in [Role::Teacher, Role::Slt] {
        let token = h.token_at(&elsewhere, TEACHER, role);
        let one = h
            .call(ApiRequest::get("/v1/classes/7A-ma").bearer(&token))
            .await;
        assert_eq!(one.status, 404, "{role:?}");
        let mine = h.get(ApiRequest::get("/v1/classes").bearer(&token)).await;
        assert!(ids(&mine).is_empty());
    }
    let all = h
        .get(
            ApiRequest::get("/v1/classes")
                .bearer(&h.token_at(&elsewhere, LEADER, Role::Slt))
                .query("all", "true"),
        )
        .await;
    assert!(ids(&all).is_empty());
}

#[tokio::test]
async fn a_seeded_school_shows_in_the_directory_too() {
    let table = testkit::TestTable::create().await;
    let school = SchoolId::parse("demo").unwrap();
    let demo = testkit::seed_school(&table.store, &school, "Demo Academy").await;
    let key = testkit::SigningKey::generate();
    let app = roster::App {
        store: table.store.clone(),
        gate: platform::Gate::new(key.verifier()),
        cursors: platform::CursorSigner::new("cursor secret for the tests, 32+ chars").unwrap(),
    };
    let app = &app;
    let call = |request: ApiRequest| async move {
        let answer = Answer::from_response(roster::handle(app, request.build()).await);
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body
    };
    let teacher = key.token(&school, &demo.teacher, Role::Teacher);

    let classes = call(ApiRequest::get("/v1/classes").bearer(&teacher)).await;
    assert_eq!(ids(&classes), ["7A-ma", "8C-en", "9-assembly"]);
    assert_eq!(classes["items"][0]["pupilCount"], 30);
    let pupils = call(
        ApiRequest::get("/v1/pupils")
            .bearer(&teacher)
            .query("limit", "200"),
    )
    .await;
    assert_eq!(ids(&pupils).len(), 98);
    let first = &demo.class().members[0];
    let one =
        call(ApiRequest::get(&format!("/v1/pupils/{}", first.pupil_id)).bearer(&teacher)).await;
    assert_eq!(one["displayName"], first.display_name.as_str());
    assert_eq!(one["classes"][0]["id"], "7A-ma");
    let year8 = call(
        ApiRequest::get("/v1/pupils")
            .bearer(&teacher)
            .query("yearGroup", "8")
            .query("limit", "200"),
    )
    .await;
    assert_eq!(ids(&year8).len(), 28);
}
