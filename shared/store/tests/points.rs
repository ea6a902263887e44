//! Points against the emulator: a hand award moves the pupil's cycle and
//! all-time points and their house's, concurrent awards all count, and a
//! withdrawal sent again and again takes the points back once.

use chrono::Utc;
use domain::{BehaviourId, PupilId, Reason, Roles, SchoolId, StaffId, Withdrawal};
use store::{
    AuditRecord, HandAward, HandAwardCommand, HandAwardResult, PupilPlace,
    WithdrawHandAwardCommand, WithdrawHandAwardResult,
};
use testkit::TestTable;

fn audit(id: &str) -> AuditRecord {
    AuditRecord {
        id: id.to_owned(),
        at: Utc::now(),
        actor: "staff-head".to_owned(),
        actor_roles: Roles::new([domain::Role::Slt]),
        action: "points.awarded".to_owned(),
        target_type: "award".to_owned(),
        target_ids: vec![],
        request_id: id.to_owned(),
        grant: None,
    }
}

fn command(school: &SchoolId, pupil: &PupilId, request: &str, points: i32) -> HandAwardCommand {
    HandAwardCommand {
        school: school.clone(),
        request_id: request.to_owned(),
        fingerprint: format!("print-{request}"),
        award: HandAward {
            id: BehaviourId::new(ulid::Ulid::new()),
            pupil_id: Some(pupil.clone()),
            house: Some("Ash".to_owned()),
            points,
            reason: Reason::parse("helped at parents' evening").unwrap(),
            cycle: "2026-27".to_owned(),
            awarded_at: Utc::now(),
            awarded_by: StaffId::parse("staff-head").unwrap(),
            withdrawal: None,
        },
        place: PupilPlace {
            year_group: Some("7".to_owned()),
            house: Some("Ash".to_owned()),
        },
        audit: audit(request),
    }
}

#[tokio::test]
async fn concurrent_awards_all_count_and_a_repeated_withdrawal_counts_once() {
    let table = TestTable::create().await;
    let store = &table.store;
    let school = SchoolId::parse("riverside").unwrap();
    let pupil = PupilId::parse("pupil-001").unwrap();

    let awards = (0..8).map(|i| store.award_points(command(&school, &pupil, &format!("r{i}"), 2)));
    let results = futures_util::future::join_all(awards).await;
    let first = match results.into_iter().next().unwrap().unwrap() {
        HandAwardResult::Applied(award) => award,
        other => panic!("{other:?}"),
    };
    let points = store
        .pupil_points(&school, &pupil, "2026-27")
        .await
        .unwrap();
    assert_eq!((points.this_cycle, points.all_time), (16, 16));

    let withdraw = |request: &str| WithdrawHandAwardCommand {
        school: school.clone(),
        request_id: request.to_owned(),
        fingerprint: "same".to_owned(),
        award_id: first.id,
        withdrawal: Withdrawal {
            id: BehaviourId::new(ulid::Ulid::new()),
            reason: Reason::parse("wrong pupil").unwrap(),
            withdrawn_at: Utc::now(),
            withdrawn_by: StaffId::parse("staff-head").unwrap(),
        },
        may_withdraw_any: true,
        may_award_houses: true,
        audit: audit(request),
    };
    let tries = futures_util::future::join_all([
        store.withdraw_award(withdraw("w1")),
        store.withdraw_award(withdraw("w1")),
        store.withdraw_award(withdraw("w2")),
    ])
    .await;
    let withdrawn = tries
        .iter()
        .filter(|t| matches!(t, Ok(WithdrawHandAwardResult::Withdrawn(_))))
        .count();
    assert_eq!(withdrawn, 1, "{tries:?}");

    let points = store
        .pupil_points(&school, &pupil, "2026-27")
        .await
        .unwrap();
    assert_eq!((points.this_cycle, points.all_time), (14, 14));
    let houses = store.house_standings(&school, "2026-27").await.unwrap();
    assert_eq!(houses.len(), 1);
    assert_eq!((houses[0].house.as_str(), houses[0].points), ("Ash", 14));
    let other_cycle = store
        .pupil_points(&school, &pupil, "2025-26")
        .await
        .unwrap();
    assert_eq!(other_cycle.this_cycle, 0);
}
