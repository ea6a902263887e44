//! Notification preferences and deliveries against the emulator: a member
//! of staff who never chose has every default, a change sets only what it
//! names and only for its owner, and a delivery is claimed by one sender at
//! a time and, once sent, by none.

use chrono::{Duration, Utc};
use domain::{NotificationKind, SchoolId, StaffId};
use store::{NotificationClaim, NotificationPreferences, PreferencesChange};
use testkit::TestTable;

fn ids() -> (SchoolId, StaffId, StaffId) {
    (
        SchoolId::parse("riverside").unwrap(),
        StaffId::parse("staff-helen").unwrap(),
        StaffId::parse("staff-omar").unwrap(),
    )
}

#[tokio::test]
async fn preferences_default_on_and_change_for_their_owner_alone() {
    let table = TestTable::create().await;
    let store = &table.store;
    let (school, helen, omar) = ids();
    let other_school = SchoolId::parse("hillside").unwrap();

    let fresh = store
        .notification_preferences(&school, &helen)
        .await
        .unwrap();
    assert_eq!(fresh, NotificationPreferences::default());
    assert!(fresh.weekly_summary);

    let off = PreferencesChange {
        weekly_summary: Some(false),
    };
    let changed = store
        .set_notification_preferences(&school, &helen, &off, Utc::now(), vec![])
        .await
        .unwrap();
    assert!(!changed.weekly_summary);
    assert!(
        !store
            .notification_preferences(&school, &helen)
            .await
            .unwrap()
            .weekly_summary
    );
    // Nobody else's, and not the same id in another school.
    assert!(
        store
            .notification_preferences(&school, &omar)
            .await
            .unwrap()
            .weekly_summary
    );
    assert!(
        store
            .notification_preferences(&other_school, &helen)
            .await
            .unwrap()
            .weekly_summary
    );

    // A change that names nothing leaves what was chosen.
    let unchanged = store
        .set_notification_preferences(
            &school,
            &helen,
            &PreferencesChange::default(),
            Utc::now(),
            vec![],
        )
        .await
        .unwrap();
    assert!(!unchanged.weekly_summary);
}

#[tokio::test]
async fn a_delivery_is_claimed_by_one_sender_and_once_sent_by_none() {
    let table = TestTable::create().await;
    let store = &table.store;
    let (school, helen, omar) = ids();
    let id = "weekly-2026-11-30-staff-helen";
    let kind = NotificationKind::WeeklySummary;
    let now = Utc::now();
    let lease = Duration::minutes(2);
    let school = &school;
    let claim = |staff: &StaffId, at| {
        let staff = staff.clone();
        async move {
            store
                .claim_notification(school, &staff, id, kind, at, lease)
                .await
                .unwrap()
        }
    };

    assert_eq!(claim(&helen, now).await, NotificationClaim::Claimed);
    assert_eq!(claim(&helen, now).await, NotificationClaim::Busy);
    // The same id for someone else is another delivery.
    assert_eq!(claim(&omar, now).await, NotificationClaim::Claimed);
    // A sender that died leaves it to the next once its claim runs out.
    let later = now + Duration::minutes(3);
    assert_eq!(claim(&helen, later).await, NotificationClaim::Claimed);

    store
        .finish_notification(school, &helen, id, later)
        .await
        .unwrap();
    // Recording it twice, or giving up a claim after it was sent, is harmless.
    store
        .finish_notification(school, &helen, id, later)
        .await
        .unwrap();
    store
        .release_notification(school, &helen, id)
        .await
        .unwrap();
    let much_later = now + Duration::hours(5);
    assert_eq!(claim(&helen, much_later).await, NotificationClaim::Done);

    // A released claim may be taken again at once.
    store.release_notification(school, &omar, id).await.unwrap();
    assert_eq!(claim(&omar, now).await, NotificationClaim::Claimed);
}
