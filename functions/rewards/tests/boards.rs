//! Leaderboards rank houses, pupils and classes by this cycle's points,
//! filtered and cut to `limit`, and only ever from the caller's school.

mod common;

use common::Harness;
use domain::Role;
use serde_json::json;
use testkit::ApiRequest;

/// Gives the first pupils of the class of 30 `n`, `n - 1`, ... kindness
/// points, one behaviour at a time.
async fn staircase(h: &Harness, n: usize) {
    let pupils = h.pupils(n);
    for step in 0..n {
        h.log(
            &h.class(),
            &pupils[..n - step],
            "kindness",
            &format!("step-{step}"),
        )
        .await;
    }
}

#[tokio::test]
async fn pupils_are_ranked_by_points_within_a_year_a_class_or_a_house() {
    let h = Harness::new().await;
    staircase(&h, 5).await;
    let pupils = h.pupils(5);

    let year = h
        .get(
            "/v1/points/leaderboards/pupils",
            &[("yearGroup", "7"), ("limit", "3")],
        )
        .await;
    let items = year["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for (i, entry) in items.iter().enumerate() {
        assert_eq!(entry["pupilId"], pupils[i].as_str());
        assert_eq!(entry["points"], 5 - i);
        assert_eq!(entry["rank"], i + 1);
        assert!(!entry["displayName"].as_str().unwrap().is_empty());
    }

    let class = h
        .get(
            "/v1/points/leaderboards/pupils",
            &[("classId", h.class().as_str())],
        )
        .await;
    assert_eq!(class["items"].as_array().unwrap().len(), 5);
    assert_eq!(class["items"][0]["pupilId"], pupils[0].as_str());

    // Pupils 0 and 4 are in Ash.
    let ash = h
        .get("/v1/points/leaderboards/pupils", &[("house", "Ash")])
        .await;
    let ranked: Vec<_> = ash["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pupilId"].clone())
        .collect();
    assert_eq!(ranked, [json!(pupils[0]), json!(pupils[4])]);

    let other_year = h
        .get("/v1/points/leaderboards/pupils", &[("yearGroup", "8")])
        .await;
    assert!(other_year["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn equal_points_share_a_rank_and_houses_without_points_are_listed_at_nought() {
    let h = Harness::new().await;
    let pupils = h.pupils(2);
    // Pupil 0 is in Ash and pupil 1 in Beech.
    h.log(&h.class(), &pupils, "great-work", "both").await;

    let houses = h.get("/v1/points/leaderboards/houses", &[]).await;
    assert_eq!(
        houses["items"],
        json!([
            { "rank": 1, "house": "Ash", "points": 2 },
            { "rank": 1, "house": "Beech", "points": 2 },
            { "rank": 3, "house": "Cedar", "points": 0 },
            { "rank": 3, "house": "Oak", "points": 0 },
        ])
    );
    let top = h
        .get("/v1/points/leaderboards/houses", &[("limit", "1")])
        .await;
    assert_eq!(top["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn classes_of_a_year_are_ranked_by_points() {
    let h = Harness::new().await;
    let big = h.school.big_class();
    h.log(&big.id, &h.school.pupils(big)[..3], "great-work", "nine")
        .await;
    h.log(&h.class(), &h.pupils(1), "disruption", "seven").await;

    let nine = h
        .get("/v1/points/leaderboards/classes", &[("yearGroup", "9")])
        .await;
    assert_eq!(
        nine["items"],
        json!([{ "rank": 1, "classId": big.id, "name": "Year 9 Group", "points": 6 }])
    );
    assert_eq!(nine["yearGroup"], "9");
    let seven = h
        .get("/v1/points/leaderboards/classes", &[("yearGroup", "7")])
        .await;
    assert_eq!(seven["items"][0]["points"], -1);
}

#[tokio::test]
async fn a_leaderboard_needs_exactly_one_group_and_sane_parameters() {
    let h = Harness::new().await;
    for query in [
        vec![],
        vec![("yearGroup", "7"), ("house", "Ash")],
        vec![("yearGroup", "7"), ("limit", "0")],
        vec![("yearGroup", "7"), ("limit", "101")],
        vec![("yearGroup", "7"), ("colour", "red")],
    ] {
        let mut request = ApiRequest::get("/v1/points/leaderboards/pupils").bearer(&h.teacher());
        for (name, value) in &query {
            request = request.query(name, value);
        }
        let answer = h.call(request).await;
        assert_eq!(answer.status, 400, "{query:?}: {}", answer.body);
    }
    let answer = h
        .call(ApiRequest::get("/v1/points/leaderboards/classes").bearer(&h.teacher()))
        .await;
    assert_eq!(answer.status, 400);
}

#[tokio::test]
async fn every_member_of_staff_reads_points_and_parents_do_not() {
    let h = Harness::new().await;
    for role in [Role::Teacher, Role::Tutor, Role::Dsl, Role::Admin] {
        let answer = h
            .call(ApiRequest::get("/v1/points/leaderboards/houses").bearer(&h.token(role)))
            .await;
        assert_eq!(answer.status, 200, "{role:?}");
    }
    let parent = h
        .call(ApiRequest::get("/v1/points/leaderboards/houses").bearer(&h.token(Role::Parent)))
        .await;
    assert_eq!(parent.status, 403);
}

#[tokio::test]
async fn another_school_with_the_same_ids_reads_only_its_own_points() {
    let h = Harness::new().await;
    h.log(&h.class(), &h.pupils(1), "great-work", "ours").await;
    let other = domain::SchoolId::parse("elsewhere").unwrap();
    testkit::seed_school(&h.table.store, &other, "Elsewhere").await;
    h.seed_houses(&other).await;
    let elsewhere = h.key.token(&other, &h.school.leader, Role::Slt);
    let read = |path: String, query: Vec<(&'static str, String)>| {
        let mut request = ApiRequest::get(&path).bearer(&elsewhere);
        for (name, value) in &query {
            request = request.query(name, value);
        }
        h.call(request)
    };

    let pupil = read(format!("/v1/points/pupils/{}", h.pupils(1)[0]), vec![]).await;
    assert_eq!(pupil.status, 200);
    assert_eq!(pupil.body["allTime"], 0);
    let class = read(
        "/v1/points/leaderboards/pupils".into(),
        vec![("classId", h.class().to_string())],
    )
    .await;
    assert_eq!(class.body["items"], json!([]));
    let houses = read("/v1/points/leaderboards/houses".into(), vec![]).await;
    assert!(
        houses.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["points"] == 0)
    );
    let unknown = h
        .call(ApiRequest::get("/v1/points/pupils/pupil-999").bearer(&h.teacher()))
        .await;
    assert_eq!(unknown.status, 404);
}
