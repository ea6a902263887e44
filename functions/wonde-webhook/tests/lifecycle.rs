//! A school's life through Wonde's webhooks: approved, approved again,
//! revoked, approved once more.

mod common;

use chrono::Duration;
use common::*;
use domain::Policy;
use store::{SchoolStatus, SyncKind};
use sync_wonde::{SyncMessage, SyncOutcome};

#[tokio::test]
async fn an_approval_creates_a_pending_school_and_queues_its_first_full_sync() {
    let h = Harness::new().await;

    let answer = h.approve().await;

    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["outcome"], "created");
    assert_eq!(answer.body["status"], "pending");
    assert_eq!(answer.body["fullSyncQueued"], true);
    let school = h.school();
    assert_eq!(answer.body["schoolId"], school.as_str());

    let (settings, policy) = h.table.store.school(&school).await.unwrap().unwrap();
    assert_eq!(settings.name, "Riverside Academy");
    assert_eq!(settings.time_zone, "Europe/London");
    assert_eq!(policy, Policy::default_for_new_school());
    let roster = h
        .table
        .store
        .roster_settings(&school)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(roster.wonde_id.as_deref(), Some(h.wonde_id.as_str()));
    assert_eq!(roster.status, SchoolStatus::Pending);

    assert_eq!(
        h.queued().await,
        vec![SyncMessage {
            school_id: school.clone(),
            kind: SyncKind::Full,
        }]
    );
    let to_sync = h.table.store.schools_to_sync().await.unwrap();
    assert!(to_sync.contains(&(school, "Europe/London".to_owned())));
}

#[tokio::test]
async fn a_repeated_approval_finds_the_same_school_and_adds_nothing() {
    let h = Harness::new().await;
    assert_eq!(h.approve().await.status, 200);
    let items = h.item_count().await;

    let again = h.approve().await;

    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["outcome"], "unchanged");
    assert_eq!(again.body["fullSyncQueued"], false);
    assert_eq!(again.body["schoolId"], h.school().as_str());
    assert_eq!(h.item_count().await, items, "nothing new in the table");
    assert_eq!(h.queued().await.len(), 1, "one full sync, not two");
    let listed = h.table.store.schools_to_sync().await.unwrap();
    assert_eq!(listed.iter().filter(|(id, _)| *id == h.school()).count(), 1);
}

#[tokio::test]
async fn a_revoked_school_is_shut_and_an_approval_opens_it_again() {
    let h = Harness::new().await;
    assert_eq!(h.approve().await.status, 200);
    let school = h.school();
    let email = h.admin_account().await;
    let signed_in = h.login(&email).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    let token = signed_in.body["accessToken"].as_str().unwrap().to_owned();
    let refresh = signed_in.body["refreshToken"].as_str().unwrap().to_owned();
    assert_eq!(h.gate_refuses(&token).await, None);
    h.queued().await;

    let revoked = h.revoke().await;

    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(revoked.body["outcome"], "disabled");
    assert_eq!(revoked.body["status"], "disabled");
    let entry = h.table.store.school_entry(&school).await.unwrap().unwrap();
    assert_eq!(entry.status, SchoolStatus::Disabled);
    let disabled_at = entry.disabled_at.expect("when it was disabled");
    assert_eq!(
        entry.delete_after,
        Some(disabled_at + Duration::days(store::lifecycle::RETENTION_GRACE_DAYS))
    );

    let login = h.login(&email).await;
    assert_eq!(login.status, 403, "{}", login.body);
    assert!(login.problem_type().ends_with("/school-disabled"));
    let refreshed = h.refresh(&refresh).await;
    assert_eq!(refreshed.status, 403, "{}", refreshed.body);
    assert!(refreshed.problem_type().ends_with("/school-disabled"));
    let (status, kind) = h.gate_refuses(&token).await.expect("the token is refused");
    assert_eq!(status, 403);
    assert!(kind.ends_with("/school-disabled"));
    let sync = sync_wonde::sync_school(&h.sync_app(), &school, SyncKind::Full)
        .await
        .expect("a disabled school is skipped, not failed");
    assert!(matches!(sync, SyncOutcome::Disabled), "{sync:?}");
    assert!(h.table.store.sync_runs(&school).await.unwrap().is_empty());
    let to_sync = h.table.store.schools_to_sync().await.unwrap();
    assert!(!to_sync.iter().any(|(id, _)| *id == school));

    let again = h.revoke().await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["outcome"], "unchanged");
    assert_eq!(
        h.table
            .store
            .school_entry(&school)
            .await
            .unwrap()
            .unwrap()
            .disabled_at,
        Some(disabled_at),
        "a repeated revocation keeps the first date"
    );

    let reapproved = h.approve().await;

    assert_eq!(reapproved.status, 200, "{}", reapproved.body);
    assert_eq!(reapproved.body["outcome"], "reenabled");
    assert_eq!(reapproved.body["status"], "pending", "back to what it was");
    assert_eq!(reapproved.body["fullSyncQueued"], true);
    assert_eq!(h.queued().await.len(), 1);
    let entry = h.table.store.school_entry(&school).await.unwrap().unwrap();
    assert_eq!((entry.disabled_at, entry.delete_after), (None, None));
    assert_eq!(h.login(&email).await.status, 200);
    assert_eq!(
        h.refresh(&refresh).await.status,
        200,
        "the session carries on"
    );
    assert_eq!(h.gate_refuses(&token).await, None);
    let to_sync = h.table.store.schools_to_sync().await.unwrap();
    assert!(to_sync.iter().any(|(id, _)| *id == school));
}

#[tokio::test]
async fn revoking_a_school_we_never_had_changes_nothing() {
    let h = Harness::new().await;

    for payload_type in ["accessRevoked", "accessDeclined"] {
        let answer = h
            .deliver(serde_json::json!({
                "payload_type": payload_type,
                "school_id": h.wonde_id,
                "decline_reason": "not for us",
            }))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["outcome"], "unknownSchool");
    }
    assert_eq!(h.item_count().await, 0);
}

#[tokio::test]
async fn events_we_do_not_act_on_are_acknowledged_and_change_nothing() {
    let h = Harness::new().await;

    let answer = h
        .deliver(serde_json::json!({
            "payload_type": "schoolMigration",
            "school_id": h.wonde_id,
            "migrate_from": "SIMS",
            "migrate_to": "Arbor",
        }))
        .await;

    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["outcome"], "ignored");
    assert_eq!(answer.body["event"], "schoolMigration");
    assert_eq!(h.item_count().await, 0);
    assert!(h.queued().await.is_empty());
}

#[tokio::test]
async fn an_approval_whose_sync_did_not_reach_the_queue_sends_it_when_wonde_delivers_again() {
    let mut h = Harness::new().await;
    let working = std::mem::replace(
        &mut h.app.syncs,
        platform::queue::EventQueue::new(
            h.queue.client.clone(),
            format!("{}-that-does-not-exist", h.queue.url),
        ),
    );

    let failed = h.approve().await;
    assert_eq!(failed.status, 503, "{}", failed.body);
    assert!(failed.headers.contains_key("retry-after"));

    h.app.syncs = working;
    let delivered_again = h.approve().await;
    assert_eq!(delivered_again.status, 200, "{}", delivered_again.body);
    assert_eq!(delivered_again.body["outcome"], "unchanged");
    assert_eq!(delivered_again.body["fullSyncQueued"], true);
    assert_eq!(h.queued().await.len(), 1);
    assert_eq!(h.approve().await.body["fullSyncQueued"], false);
    assert!(h.queued().await.is_empty());
}
