//! The class grid of lights and the list of behaviours, with cursors that
//! only work for the list and school they came from.

mod common;

use std::collections::HashSet;

use common::Harness;
use domain::Role;
use serde_json::{Value, json};
use testkit::ApiRequest;

#[tokio::test]
async fn the_lesson_grid_shows_every_pupil_of_the_class_green_until_logged() {
    let h = Harness::new().await;
    let pupils = h.pupils(2);
    h.log(&h.class(), &pupils[..1], "defiance").await;

    let grid = h
        .call(ApiRequest::get(&format!("/v1/lessons/{}/lights", h.class())).bearer(&h.teacher()))
        .await;

    assert_eq!(grid.status, 200, "{}", grid.body);
    assert_eq!(grid.body["classId"], h.class().as_str());
    assert_eq!(grid.body["lightScope"], "lesson");
    assert_eq!(grid.body["ladder"].as_array().unwrap().len(), 5);
    let rows = grid.body["pupils"].as_array().unwrap();
    assert_eq!(rows.len(), 30);
    let row = |p: &domain::PupilId| {
        rows.iter()
            .find(|r| r["pupilId"] == p.as_str())
            .unwrap()
            .clone()
    };
    assert_eq!(row(&pupils[0])["light"]["stage"], "Amber");
    assert_eq!(row(&pupils[1])["light"]["stage"], "Green");
    assert!(
        row(&pupils[0])["displayName"]
            .as_str()
            .unwrap()
            .contains(' ')
    );
}

#[tokio::test]
async fn lights_belong_to_one_lesson_date() {
    let h = Harness::new().await;
    h.log(&h.class(), &h.pupils(1), "defiance").await;

    let grid = h
        .call(
            ApiRequest::get(&format!("/v1/lessons/{}/lights", h.class()))
                .query("date", "2020-01-06")
                .bearer(&h.teacher()),
        )
        .await;

    assert_eq!(grid.status, 200);
    assert!(
        grid.body["pupils"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["light"]["stage"] == "Green")
    );
    for odd in [
        "06/01/2020",
        "26-12-03",
        "2026-1-3",
        " 2026-12-03",
        "+2026-12-03",
    ] {
        let bad = h
            .call(
                ApiRequest::get(&format!("/v1/lessons/{}/lights", h.class()))
                    .query("date", odd)
                    .bearer(&h.teacher()),
            )
            .await;
        assert_eq!(bad.status, 400, "{odd}");
        assert_eq!(bad.body["errors"][0]["field"], "date");
    }
}

/// Puts the first pupil of 7A Maths into a second class as well.
async fn second_class_for_first_pupil(h: &Harness) -> (domain::PupilId, domain::ClassId) {
    let pupil = h.school.class().members[0].clone();
    let science = store::ClassRoster {
        id: domain::ClassId::parse("7A-sc").unwrap(),
        name: "7A Science".into(),
        year_group: "7".into(),
        teacher_ids: vec![h.school.teacher.clone()],
        members: vec![pupil.clone()],
    };
    h.table
        .store
        .put_class(&h.school.id, &science)
        .await
        .unwrap();
    (pupil.pupil_id, science.id)
}

#[tokio::test]
async fn lights_per_lesson_start_green_in_the_next_lesson() {
    let h = Harness::new().await;
    let (pupil, science) = second_class_for_first_pupil(&h).await;

    h.log(&h.class(), std::slice::from_ref(&pupil), "off-task")
        .await;
    let next_lesson = h
        .log(&science, std::slice::from_ref(&pupil), "off-task")
        .await;

    assert_eq!(next_lesson.body["pupils"][0]["light"]["stage"], "Warning");
    assert_eq!(next_lesson.body["pupils"][0]["totalPoints"], 0);
}

#[tokio::test]
async fn lights_per_day_follow_a_pupil_across_lessons() {
    let h = Harness::new().await;
    let mut policy = h.school.policy.clone();
    policy.light_scope = domain::LightScope::Day;
    let settings = store::SchoolSettings {
        name: "Riverside".into(),
        time_zone: "Europe/London".into(),
    };
    h.table
        .store
        .put_school(&h.school.id, &settings, &policy)
        .await
        .unwrap();
    let (pupil, science) = second_class_for_first_pupil(&h).await;

    h.log(&h.class(), std::slice::from_ref(&pupil), "off-task")
        .await;
    let next_lesson = h
        .log(&science, std::slice::from_ref(&pupil), "off-task")
        .await;

    assert_eq!(next_lesson.body["pupils"][0]["light"]["stage"], "Amber");
    let grid = h
        .call(ApiRequest::get("/v1/lessons/7A-sc/lights").bearer(&h.teacher()))
        .await;
    assert_eq!(grid.body["lightScope"], "day");
    assert_eq!(grid.body["pupils"][0]["light"]["stage"], "Amber");
}

/// Lists as a senior leader, who reads the whole school.
async fn list(h: &Harness, query: &[(&str, &str)]) -> Value {
    let mut request = ApiRequest::get("/v1/behaviours").bearer(&h.token(Role::Slt));
    for (k, v) in query {
        request = request.query(k, v);
    }
    let answer = h.call(request).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

#[tokio::test]
async fn behaviours_list_newest_first_and_filter_by_pupil_class_and_staff() {
    let h = Harness::new().await;
    let pupils = h.pupils(3);
    h.log(&h.class(), &pupils, "kindness").await;
    h.log(&h.class(), &pupils[..1], "off-task").await;
    let english = h.school.classes[1].clone();
    let body = json!({ "classId": english.id, "pupilIds": [english.members[0].pupil_id], "behaviourTypeId": "kindness" });
    let colleague = h.token_for("staff-english", Role::Teacher);
    h.call(
        ApiRequest::post("/v1/behaviours")
            .bearer(&colleague)
            .json(&body),
    )
    .await;

    let all = list(&h, &[]).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 5);
    assert!(all["nextCursor"].is_null());

    let one = list(&h, &[("pupilId", pupils[0].as_str())]).await;
    let items = one["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["behaviourTypeId"], "off-task", "newest first");

    assert_eq!(
        list(&h, &[("classId", english.id.as_str())]).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        list(&h, &[("staffId", "staff-english")]).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let both = list(
        &h,
        &[
            ("classId", h.class().as_str()),
            ("staffId", "staff-english"),
        ],
    )
    .await;
    assert_eq!(both["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn behaviours_filter_by_time_range() {
    let h = Harness::new().await;
    let now = chrono::Utc::now();
    for hours_ago in [30, 5, 1] {
        let at = (now - chrono::Duration::hours(hours_ago)).to_rfc3339();
        let body = json!({ "classId": h.class(), "pupilIds": h.pupils(1), "behaviourTypeId": "kindness", "occurredAt": at });
        let answer = h
            .call(
                ApiRequest::post("/v1/behaviours")
                    .bearer(&h.teacher())
                    .json(&body),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    let from = (now - chrono::Duration::hours(6)).to_rfc3339();
    let to = (now - chrono::Duration::hours(2)).to_rfc3339();

    assert_eq!(
        list(&h, &[("from", &from)]).await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        list(&h, &[("from", &from), ("to", &to)]).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        list(&h, &[("to", &to)]).await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn pages_follow_cursors_to_the_end_without_repeats() {
    let h = Harness::new().await;
    h.log(&h.class(), &h.pupils(25), "kindness").await;

    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut query = vec![("limit", "10")];
        if let Some(c) = &cursor {
            query.push(("cursor", c));
        }
        let page = list(&h, &query).await;
        pages += 1;
        for item in page["items"].as_array().unwrap() {
            assert!(
                seen.insert(item["id"].as_str().unwrap().to_owned()),
                "an item appeared twice"
            );
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn cursors_are_tamper_proof_and_bound_to_their_school_and_filters() {
    let h = Harness::new().await;
    h.log(&h.class(), &h.pupils(3), "kindness").await;
    let page = list(&h, &[("limit", "1")]).await;
    let cursor = page["nextCursor"].as_str().unwrap().to_owned();

    let mut tampered = cursor.clone().into_bytes();
    tampered[5] = if tampered[5] == b'a' { b'b' } else { b'a' };
    let tampered = String::from_utf8(tampered).unwrap();
    let answer = h
        .call(
            ApiRequest::get("/v1/behaviours")
                .query("cursor", &tampered)
                .bearer(&h.teacher()),
        )
        .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body["errors"][0]["field"], "cursor");

    let other = h
        .call(
            ApiRequest::get("/v1/behaviours")
                .query("cursor", &cursor)
                .query("pupilId", "pupil-000")
                .bearer(&h.teacher()),
        )
        .await;
    assert_eq!(other.status, 400);

    let elsewhere = domain::SchoolId::parse("hillside").unwrap();
    testkit::seed_school(&h.table.store, &elsewhere, "Hillside").await;
    let outsider = h.key.token(&elsewhere, &h.school.teacher, Role::Teacher);
    let answer = h
        .call(
            ApiRequest::get("/v1/behaviours")
                .query("cursor", &cursor)
                .bearer(&outsider),
        )
        .await;
    assert_eq!(answer.status, 400);
}

#[tokio::test]
async fn list_parameters_are_checked() {
    let h = Harness::new().await;
    let far = [
        ("to", "9999-12-31T23:59:59-01:00"),
        ("from", "+10000-01-01T00:00:00Z"),
    ];
    for (name, value) in [
        ("limit", "0"),
        ("limit", "101"),
        ("limit", "ten"),
        ("from", "monday"),
        ("pupilId", "a b"),
        ("colour", "red"),
    ]
    .into_iter()
    .chain(far)
    {
        let answer = h
            .call(
                ApiRequest::get("/v1/behaviours")
                    .query(name, value)
                    .bearer(&h.teacher()),
            )
            .await;
        assert_eq!(answer.status, 400, "{name}={value}: {}", answer.body);
        assert_eq!(answer.body["errors"][0]["field"], name);
    }
}

#[tokio::test]
async fn another_school_sees_none_of_our_behaviours() {
    let h = Harness::new().await;
    h.log(&h.class(), &h.pupils(3), "kindness").await;
    let other = domain::SchoolId::parse("hillside").unwrap();
    testkit::seed_school(&h.table.store, &other, "Hillside").await;
    let outsider = h.key.token(&other, &h.school.teacher, Role::Teacher);

    let answer = h
        .call(
            ApiRequest::get("/v1/behaviours")
                .query("classId", h.class().as_str())
                .bearer(&outsider),
        )
        .await;

    assert_eq!(answer.status, 200);
    assert!(answer.body["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn teachers_read_the_classes_they_teach_and_what_they_logged() {
    let h = Harness::new().await;
    let pupil = h.pupils(1);
    let logged = h
        .call(
            ApiRequest::post("/v1/behaviours")
                .bearer(&h.teacher())
                .json(&serde_json::json!({
                    "classId": h.class(), "pupilIds": pupil, "behaviourTypeId": "kindness"
                })),
        )
        .await;
    assert_eq!(logged.status, 201, "{}", logged.body);

    let teacher = h.teacher();
    let cover = h.token_for("staff-cover", Role::Teacher);
    let by_class = || ApiRequest::get("/v1/behaviours").query("classId", h.class().as_str());
    let lights = || ApiRequest::get(&format!("/v1/lessons/{}/lights", h.class()));

    assert_eq!(h.call(by_class().bearer(&teacher)).await.status, 200);
    assert_eq!(h.call(lights().bearer(&teacher)).await.status, 200);
    let own = ApiRequest::get("/v1/behaviours").query("staffId", "staff-cover");
    assert_eq!(h.call(own.bearer(&cover)).await.status, 200);

    // A teacher who does not teach the class reads neither its list nor its
    // lights, nor a pupil's or the whole school's history.
    assert_eq!(h.call(by_class().bearer(&cover)).await.status, 403);
    assert_eq!(h.call(lights().bearer(&cover)).await.status, 403);
    let by_pupil = ApiRequest::get("/v1/behaviours").query("pupilId", pupil[0].as_str());
    assert_eq!(h.call(by_pupil.bearer(&teacher)).await.status, 403);
    let everything = ApiRequest::get("/v1/behaviours");
    assert_eq!(h.call(everything.bearer(&cover)).await.status, 403);
    let others = ApiRequest::get("/v1/behaviours").query("staffId", "staff-teacher");
    assert_eq!(h.call(others.bearer(&cover)).await.status, 403);

    // Pastoral staff read the whole school.
    let pastoral = h.token_for("staff-pastoral", Role::Pastoral);
    let by_pupil = ApiRequest::get("/v1/behaviours").query("pupilId", pupil[0].as_str());
    assert_eq!(h.call(by_pupil.bearer(&pastoral)).await.status, 200);
}
