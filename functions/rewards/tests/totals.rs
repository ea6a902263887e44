//! Every total equals the sum of its facts, whatever was logged, withdrawn
//! and awarded at the same time.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::{Harness, number, text};
use domain::{PupilId, Role};
use serde_json::{Value, json};

/// The totals the facts add up to: per pupil, class and house.
async fn folded(
    h: &Harness,
) -> (
    HashMap<String, i64>,
    HashMap<String, i64>,
    HashMap<String, i64>,
) {
    let (mut pupils, mut classes, mut houses) = (HashMap::new(), HashMap::new(), HashMap::new());
    for fact in h.facts().await {
        if fact.contains_key("withdrawal") {
            continue;
        }
        let points = number(&fact, "points");
        let house = text(&fact, "pointsHouse").or(text(&fact, "house"));
        if let Some(pupil) = text(&fact, "pupilId") {
            *pupils.entry(pupil.to_owned()).or_default() += points;
        }
        if let Some(class) = text(&fact, "classId") {
            *classes.entry(class.to_owned()).or_default() += points;
        }
        if let Some(house) = house {
            *houses.entry(house.to_owned()).or_default() += points;
        }
    }
    (pupils, classes, houses)
}

/// Checks every pupil's, class's and house's points against the facts.
async fn assert_totals_match_facts(h: &Harness) {
    let (pupils, classes, houses) = folded(h).await;
    for class in &h.school.classes {
        for pupil in h.school.pupils(class) {
            let points = h.get(&format!("/v1/points/pupils/{pupil}"), &[]).await;
            let expected = pupils.get(pupil.as_str()).copied().unwrap_or(0);
            assert_eq!(points["allTime"], expected, "{pupil}");
            assert_eq!(points["thisCycle"], expected, "{pupil}");
        }
        let board = h
            .get(
                "/v1/points/leaderboards/classes",
                &[("yearGroup", &class.year_group)],
            )
            .await;
        let listed = board["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["classId"] == class.id.as_str())
            .map_or(0, |c| c["points"].as_i64().unwrap());
        assert_eq!(listed, classes.get(class.id.as_str()).copied().unwrap_or(0));
    }
    let board = h.get("/v1/points/leaderboards/houses", &[]).await;
    for entry in board["items"].as_array().unwrap() {
        let house = entry["house"].as_str().unwrap();
        assert_eq!(
            entry["points"],
            houses.get(house).copied().unwrap_or(0),
            "{house}"
        );
    }
}

fn ids(answer: &Value) -> Vec<String> {
    answer["behaviours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn totals_equal_the_sum_of_the_records_after_concurrent_logs_withdrawals_and_awards() {
    let h = Arc::new(Harness::new().await);
    let class = h.class();
    let big = h.school.big_class().id.clone();
    let all: Vec<PupilId> = h.pupils(30);
    let seeded = h.log(&class, &all[..10], "disruption", "seed").await;
    assert_eq!(seeded.status, 201, "{}", seeded.body);
    let to_withdraw = ids(&seeded.body);

    let mut tasks = Vec::new();
    for (i, kind) in ["participation", "kindness", "great-work", "unkind"]
        .iter()
        .enumerate()
    {
        let (h, class, pupils) = (h.clone(), class.clone(), all.clone());
        tasks.push(tokio::spawn(async move {
            h.log(&class, &pupils, kind, &format!("class-{i}"))
                .await
                .status
        }));
    }
    for (i, range) in [0..12, 5..20, 18..30].into_iter().enumerate() {
        let (h, class, pupils) = (h.clone(), class.clone(), all[range].to_vec());
        tasks.push(tokio::spawn(async move {
            h.log(&class, &pupils, "defiance", &format!("some-{i}"))
                .await
                .status
        }));
    }
    for (i, kind) in ["on-task", "disruption"].iter().enumerate() {
        let (h, big) = (h.clone(), big.clone());
        let pupils = h.school.pupils(h.school.big_class());
        tasks.push(tokio::spawn(async move {
            h.log(&big, &pupils, kind, &format!("big-{i}")).await.status
        }));
    }
    for (i, id) in to_withdraw.iter().take(5).enumerate() {
        // The first withdrawal is sent three times at once under one key.
        let copies = if i == 0 { 3 } else { 1 };
        for _ in 0..copies {
            let (h, id) = (h.clone(), id.clone());
            tasks.push(tokio::spawn(async move {
                let status = h.withdraw(&id, &format!("withdraw-{i}")).await.status;
                if status == 200 { 201 } else { status }
            }));
        }
    }
    for (i, (pupil, points)) in [(&all[0], 5), (&all[1], -3), (&all[0], 7)]
        .into_iter()
        .enumerate()
    {
        let (h, pupil) = (h.clone(), pupil.clone());
        tasks.push(tokio::spawn(async move {
            let body =
                json!({ "pupilId": pupil, "points": points, "reason": "helped at open evening" });
            h.award(&h.token(Role::Slt), body, &format!("award-{i}"))
                .await
                .status
        }));
    }
    {
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({ "house": "Ash", "points": 20, "reason": "won sports day" });
            h.award(&h.token(Role::Slt), body, "house-award")
                .await
                .status
        }));
    }

    for task in tasks {
        assert_eq!(task.await.unwrap(), 201);
    }

    assert_totals_match_facts(&h).await;
    let withdrawn = h
        .facts()
        .await
        .iter()
        .filter(|f| f.contains_key("withdrawal"))
        .count();
    assert_eq!(
        withdrawn, 5,
        "the copies of one withdrawal withdrew it once"
    );
}

#[tokio::test]
async fn a_withdrawal_takes_back_exactly_what_its_behaviour_added_once() {
    let h = Harness::new().await;
    let pupil = h.pupils(1);
    let logged = h.log(&h.class(), &pupil, "great-work", "praise").await;
    let id = ids(&logged.body)[0].clone();
    let points = h.get(&format!("/v1/points/pupils/{}", pupil[0]), &[]).await;
    assert_eq!(points["thisCycle"], 2);

    let first = h.withdraw(&id, "oops").await;
    let again = h.withdraw(&id, "oops").await;
    let other_key = h.withdraw(&id, "oops-2").await;

    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(again.status, 200);
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(other_key.status, 409);
    let points = h.get(&format!("/v1/points/pupils/{}", pupil[0]), &[]).await;
    assert_eq!(points["thisCycle"], 0);
    assert_eq!(points["allTime"], 0);
    let houses = h.get("/v1/points/leaderboards/houses", &[]).await;
    assert!(
        houses["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["points"] == 0)
    );
    let classes = h
        .get("/v1/points/leaderboards/classes", &[("yearGroup", "7")])
        .await;
    assert_eq!(classes["items"][0]["points"], 0);
}

#[tokio::test]
async fn cycles_are_counted_apart_and_all_time_spans_them() {
    let h = Harness::new().await;
    let pupil = h.pupils(1);
    h.log(&h.class(), &pupil, "great-work", "this-year").await;
    let this_year = h.get(&format!("/v1/points/pupils/{}", pupil[0]), &[]).await;
    let year_cycle = this_year["cycle"].as_str().unwrap().to_owned();

    // The school's leaders stop resetting points: from now on one cycle.
    let (settings, mut policy) = h.table.store.school(&h.school.id).await.unwrap().unwrap();
    policy.points_cycle = domain::policy::PointsCycle::Never;
    h.table
        .store
        .put_school(&h.school.id, &settings, &policy)
        .await
        .unwrap();
    h.log(&h.class(), &pupil, "kindness", "for-ever").await;
    h.log(&h.class(), &pupil, "kindness", "for-ever-2").await;

    let points = h.get(&format!("/v1/points/pupils/{}", pupil[0]), &[]).await;
    assert_eq!(points["cycle"], "all");
    assert_eq!(points["thisCycle"], 2);
    assert_eq!(points["allTime"], 4);
    let cycles = points["cycles"].as_array().unwrap();
    assert!(cycles.contains(&json!({ "cycle": year_cycle, "points": 2 })));
    assert!(cycles.contains(&json!({ "cycle": "all", "points": 2 })));

    let before = h
        .get(
            "/v1/points/leaderboards/pupils",
            &[("classId", h.class().as_str()), ("cycle", &year_cycle)],
        )
        .await;
    assert_eq!(before["cycle"], year_cycle);
    assert_eq!(before["items"][0]["points"], 2);
    let now = h
        .get("/v1/points/leaderboards/pupils", &[("yearGroup", "7")])
        .await;
    assert_eq!(now["cycle"], "all");
    assert_eq!(now["items"][0]["points"], 2);
    let houses = h
        .get("/v1/points/leaderboards/houses", &[("cycle", &year_cycle)])
        .await;
    assert_eq!(
        houses["items"][0],
        json!({ "rank": 1, "house": "Ash", "points": 2 })
    );
}
