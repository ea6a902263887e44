//! Points by hand: to a pupil (and so their house) or a whole house,
//! capped by role, audited, safe to retry and withdrawn exactly once.

mod common;

use common::Harness;
use domain::Role;
use serde_json::json;
use store::AuditQuery;
use testkit::ApiRequest;

fn to_pupil(pupil: &domain::PupilId, points: i64) -> serde_json::Value {
    json!({ "pupilId": pupil, "points": points, "reason": "ran the charity bake sale" })
}

#[tokio::test]
async fn a_hand_award_counts_to_the_pupil_and_their_house_once_per_key() {
    let h = Harness::new().await;
    let pupil = h.pupils(1)[0].clone();
    let tutor = h.token_for("staff-tutor", Role::Tutor);

    let first = h.award(&tutor, to_pupil(&pupil, 4), "bake-sale").await;
    let again = h.award(&tutor, to_pupil(&pupil, 4), "bake-sale").await;
    let changed = h.award(&tutor, to_pupil(&pupil, 5), "bake-sale").await;

    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["points"], 4);
    assert_eq!(first.body["house"], "Ash");
    assert_eq!(first.body["awardedBy"], "staff-tutor");
    assert_eq!(again.status, 201);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(changed.status, 422);
    let points = h.get(&format!("/v1/points/pupils/{pupil}"), &[]).await;
    assert_eq!(points["thisCycle"], 4);
    assert_eq!(points["allTime"], 4);
    let houses = h.get("/v1/points/leaderboards/houses", &[]).await;
    assert_eq!(
        houses["items"][0],
        json!({ "rank": 1, "house": "Ash", "points": 4 })
    );
    let classes = h
        .get("/v1/points/leaderboards/classes", &[("yearGroup", "7")])
        .await;
    assert_eq!(classes["items"], json!([]), "a hand award is no class's");

    let (audit, _) = h
        .table
        .store
        .audit(
            &h.school.id,
            &AuditQuery {
                action: Some("points.".into()),
                limit: 10,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "points.awarded");
    assert_eq!(audit[0].actor, "staff-tutor");
    assert!(
        audit[0]
            .target_ids
            .contains(&first.body["id"].as_str().unwrap().to_owned())
    );
}

#[tokio::test]
async fn a_house_award_counts_to_the_house_alone() {
    let h = Harness::new().await;
    let hoy = h.token_for("staff-hoy", Role::HeadOfYear);
    let body = json!({ "house": "Cedar", "points": 25, "reason": "won the quiz" });

    let answer = h.award(&hoy, body, "quiz").await;

    assert_eq!(answer.status, 201, "{}", answer.body);
    assert!(answer.body.get("pupilId").is_none());
    let houses = h.get("/v1/points/leaderboards/houses", &[]).await;
    assert_eq!(
        houses["items"][0],
        json!({ "rank": 1, "house": "Cedar", "points": 25 })
    );
    let pupils = h
        .get("/v1/points/leaderboards/pupils", &[("house", "Cedar")])
        .await;
    assert_eq!(pupils["items"], json!([]));
}

#[tokio::test]
async fn roles_and_caps_limit_who_awards_what() {
    let h = Harness::new().await;
    let pupil = h.pupils(1)[0].clone();
    let tutor = h.token_for("staff-tutor", Role::Tutor);
    let house = json!({ "house": "Oak", "points": 5, "reason": "tidy form room" });
    let cases = [
        (h.teacher(), to_pupil(&pupil, 1), 403),
        (h.token(Role::Dsl), to_pupil(&pupil, 1), 403),
        (h.token(Role::Parent), to_pupil(&pupil, 1), 403),
        (tutor.clone(), to_pupil(&pupil, 6), 422),
        (tutor.clone(), to_pupil(&pupil, -6), 422),
        (tutor.clone(), house.clone(), 403),
        (h.token(Role::Pastoral), house, 403),
        (h.token(Role::Slt), to_pupil(&pupil, 26), 422),
        (h.token(Role::Slt), to_pupil(&pupil, 0), 400),
        (
            h.token(Role::Slt),
            json!({ "house": "Elm", "points": 5, "reason": "x" }),
            422,
        ),
        (
            h.token(Role::Slt),
            json!({ "pupilId": "pupil-999", "points": 5, "reason": "x" }),
            422,
        ),
        (
            h.token(Role::Slt),
            json!({ "pupilId": pupil, "house": "Oak", "points": 5, "reason": "x" }),
            400,
        ),
        (
            h.token(Role::Slt),
            json!({ "pupilId": pupil, "points": 5 }),
            400,
        ),
        (
            h.token(Role::Slt),
            json!({ "pupilId": pupil, "points": 5, "reason": "   " }),
            400,
        ),
        (
            h.token(Role::Slt),
            json!({ "pupilId": pupil, "points": 5, "reason": "x".repeat(501) }),
            400,
        ),
    ];
    for (i, (token, body, status)) in cases.into_iter().enumerate() {
        let answer = h.award(&token, body.clone(), &format!("case-{i}")).await;
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
    }
    assert!(
        h.facts().await.is_empty(),
        "no refused award wrote anything"
    );

    let deduction = h.award(&tutor, to_pupil(&pupil, -5), "deduct").await;
    assert_eq!(deduction.status, 201);
    let points = h.get(&format!("/v1/points/pupils/{pupil}"), &[]).await;
    assert_eq!(points["allTime"], -5);
}

#[tokio::test]
async fn an_award_is_withdrawn_once_by_its_maker_or_a_leader() {
    let h = Harness::new().await;
    let pupil = h.pupils(1)[0].clone();
    let tutor = h.token_for("staff-tutor", Role::Tutor);
    let other_tutor = h.token_for("staff-other", Role::Tutor);
    let award = h.award(&tutor, to_pupil(&pupil, 3), "choir").await;
    let id = award.body["id"].as_str().unwrap().to_owned();
    let withdraw = |token: String, key: &'static str| {
        h.call(
            ApiRequest::post(&format!("/v1/points/awards/{id}/withdraw"))
                .bearer(&token)
                .header("Idempotency-Key", key)
                .json(&json!({ "reason": "meant for another pupil" })),
        )
    };

    let not_theirs = withdraw(other_tutor, "w-0").await;
    let first = withdraw(tutor.clone(), "w-1").await;
    let retried = withdraw(tutor.clone(), "w-1").await;
    let second = withdraw(h.token(Role::Slt), "w-2").await;

    assert_eq!(not_theirs.status, 403);
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["withdrawal"]["withdrawnBy"], "staff-tutor");
    assert_eq!(retried.status, 200);
    assert_eq!(retried.body, first.body);
    assert_eq!(second.status, 409);
    let points = h.get(&format!("/v1/points/pupils/{pupil}"), &[]).await;
    assert_eq!(points["allTime"], 0);
    assert_eq!(points["thisCycle"], 0);
    let houses = h.get("/v1/points/leaderboards/houses", &[]).await;
    assert!(
        houses["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["points"] == 0)
    );

    let house = h
        .award(
            &h.token(Role::Slt),
            json!({ "house": "Oak", "points": 10, "reason": "x" }),
            "oak",
        )
        .await;
    let house_id = house.body["id"].as_str().unwrap();
    let by_tutor = h
        .call(
            ApiRequest::post(&format!("/v1/points/awards/{house_id}/withdraw"))
                .bearer(&tutor)
                .json(&json!({ "reason": "wrong house" })),
        )
        .await;
    assert_eq!(by_tutor.status, 403);
    let unknown = h
        .call(
            ApiRequest::post("/v1/points/awards/01ARZ3NDEKTSV4RRFFQ69G5FAV/withdraw")
                .bearer(&tutor)
                .json(&json!({ "reason": "x" })),
        )
        .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn points_awarded_by_hand_earn_the_certificate_they_reach_once() {
    let h = Harness::new().await;
    let pupil = h.pupils(1)[0].clone();
    let slt = h.token(Role::Slt);
    let bronze = |certificates: &[store::Certificate]| {
        certificates
            .iter()
            .filter(|c| c.rule_id.as_deref() == Some("bronze"))
            .count()
    };

    // Bronze is at 50 points; a leader awards at most 25 at a time.
    let first = h.award(&slt, to_pupil(&pupil, 25), "first-half").await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(bronze(&h.certificates_of(&pupil).await), 0);
    assert!(h.certificates.drain().await.is_empty());

    let second = h.award(&slt, to_pupil(&pupil, 25), "second-half").await;
    assert_eq!(second.status, 201, "{}", second.body);
    let earned = h.certificates_of(&pupil).await;
    assert_eq!(bronze(&earned), 1, "{earned:?}");
    let queued = h.certificates.drain().await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert!(queued[0].contains(&earned[0].id), "{queued:?}");

    // A retry of the award that earned it earns nothing more.
    let again = h.award(&slt, to_pupil(&pupil, 25), "second-half").await;
    assert_eq!(again.status, 201);
    assert_eq!(bronze(&h.certificates_of(&pupil).await), 1);
    assert!(h.certificates.drain().await.is_empty());

    // Points taken away earn nothing.
    let other = h.pupils(2)[1].clone();
    for key in ["take-1", "take-2", "take-3"] {
        let taken = h.award(&slt, to_pupil(&other, -25), key).await;
        assert_eq!(taken.status, 201, "{}", taken.body);
    }
    assert!(h.certificates_of(&other).await.is_empty());
}
