//! Each member of staff's choice of emails: on by default, switched off and
//! on again by its owner alone, refused when the body is wrong, and out of
//! reach of parents and vendor support.

mod common;

use common::*;
use domain::{Role, StaffId};
use serde_json::{Value, json};
use testkit::ApiRequest;

const PATH: &str = "/v1/admin/me/notifications";

fn read(token: &str) -> ApiRequest {
    ApiRequest::get(PATH).bearer(token)
}

fn change(token: &str, body: &Value) -> ApiRequest {
    ApiRequest::new("PUT", PATH).bearer(token).json(body)
}

impl Harness {
    fn teacher(&self) -> String {
        self.token(TEACHER, Role::Teacher)
    }

    /// What the store holds for a member of staff, whatever the routes say.
    async fn stored(&self, staff: &str) -> store::NotificationPreferences {
        self.table
            .store
            .notification_preferences(&self.school, &StaffId::parse(staff).unwrap())
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn the_weekly_summary_is_on_until_switched_off_and_the_change_is_audited() {
    let h = Harness::new().await;

    let fresh = h.call(read(&h.teacher())).await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert_eq!(fresh.body, json!({ "weeklySummary": true }));

    let off = h
        .call(change(&h.teacher(), &json!({ "weeklySummary": false })))
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert_eq!(off.body, json!({ "weeklySummary": false }));
    let read_back = h.call(read(&h.teacher())).await;
    assert_eq!(read_back.body, json!({ "weeklySummary": false }));
    assert!(!h.stored(TEACHER).await.weekly_summary);

    let audited = h.audited("notifications.changed").await;
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0]["actor"], TEACHER);
    assert_eq!(
        audited[0]["targetIds"],
        json!([TEACHER, "weeklySummary:false"])
    );

    // Asking for what is already so changes nothing and audits nothing;
    // an empty body changes nothing either.
    let before = h.item_count().await;
    for body in [json!({ "weeklySummary": false }), json!({})] {
        let same = h.call(change(&h.teacher(), &body)).await;
        assert_eq!(same.status, 200, "{}", same.body);
        assert_eq!(same.body, json!({ "weeklySummary": false }));
    }
    assert_eq!(h.item_count().await, before);

    let on = h
        .call(change(&h.teacher(), &json!({ "weeklySummary": true })))
        .await;
    assert_eq!(on.body, json!({ "weeklySummary": true }));
    assert_eq!(h.audited("notifications.changed").await.len(), 2);
}

#[tokio::test]
async fn a_wrong_body_is_refused_naming_the_field_and_changes_nothing() {
    let h = Harness::new().await;
    let before = h.item_count().await;
    for (body, field) in [
        (
            json!({ "weeklySummary": false, "staffId": ADMIN }),
            "staffId",
        ),
        (json!({ "weeklySummary": "no" }), "weeklySummary"),
        (json!({ "weeklySummary": null }), "weeklySummary"),
        (json!({ "weeklySummary": 0 }), "weeklySummary"),
    ] {
        let answer = h.call(change(&h.teacher(), &body)).await;
        assert!(
            matches!(answer.status, 400 | 422),
            "{body}: {} {}",
            answer.status,
            answer.body
        );
        assert_eq!(answer.body["errors"][0]["field"], field, "{body}");
    }
    let not_json = h
        .call(
            ApiRequest::new("PUT", PATH)
                .bearer(&h.teacher())
                .header("content-type", "application/json")
                .raw_body("{\"weeklySummary\": fal"),
        )
        .await;
    assert_eq!(not_json.status, 400);
    let no_body = h
        .call(ApiRequest::new("PUT", PATH).bearer(&h.teacher()))
        .await;
    assert_eq!(no_body.status, 400);
    let query = h.call(read(&h.teacher()).query("staffId", ADMIN)).await;
    assert_eq!(query.status, 400);

    assert_eq!(h.item_count().await, before, "a refused request wrote");
    assert!(h.stored(TEACHER).await.weekly_summary);
}

#[tokio::test]
async fn each_member_of_staff_reads_and_changes_only_their_own() {
    let h = Harness::new().await;
    let off = h
        .call(change(&h.teacher(), &json!({ "weeklySummary": false })))
        .await;
    assert_eq!(off.status, 200, "{}", off.body);

    // Another member of staff sees their own, untouched.
    let admin = h.call(read(&h.admin())).await;
    assert_eq!(admin.body, json!({ "weeklySummary": true }));

    // No path names anyone else's.
    for path in [
        format!("/v1/admin/staff/{ADMIN}/notifications"),
        format!("/v1/admin/me/notifications/{ADMIN}"),
        format!("/v1/admin/{ADMIN}/notifications"),
    ] {
        let answer = h
            .call(
                ApiRequest::new("PUT", &path)
                    .bearer(&h.teacher())
                    .json(&json!({ "weeklySummary": false })),
            )
            .await;
        assert_eq!(answer.status, 404, "{path}");
    }
    // Nor does the body.
    let named = h
        .call(change(
            &h.teacher(),
            &json!({ "weeklySummary": false, "staffId": ADMIN }),
        ))
        .await;
    assert_eq!(named.status, 400);

    assert!(h.stored(ADMIN).await.weekly_summary);
    assert!(!h.stored(TEACHER).await.weekly_summary);
    // A school's leaders change theirs the same way.
    let slt = h
        .call(change(&h.slt(), &json!({ "weeklySummary": false })))
        .await;
    assert_eq!(slt.status, 200);
    assert!(!h.stored(SLT).await.weekly_summary);
    assert!(h.stored(ADMIN).await.weekly_summary);
}

#[tokio::test]
async fn parents_support_and_strangers_are_refused() {
    let h = Harness::new().await;
    let before = h.item_count().await;
    let parent = h.token(TEACHER, Role::Parent);
    assert_eq!(h.call(read(&parent)).await.status, 403);
    let answer = h
        .call(change(&parent, &json!({ "weeklySummary": false })))
        .await;
    assert_eq!(answer.status, 403);
    assert_eq!(h.call(ApiRequest::get(PATH)).await.status, 401);
    let forged = testkit::SigningKey::generate().token(
        &h.school,
        &StaffId::parse(TEACHER).unwrap(),
        Role::Teacher,
    );
    let answer = h
        .call(change(&forged, &json!({ "weeklySummary": false })))
        .await;
    assert_eq!(answer.status, 401);
    assert_eq!(h.item_count().await, before);

    // Vendor support has no emails of its own here; its refused requests
    // are audited, as all its requests are.
    let support = h.token(TEACHER, Role::Support);
    assert_eq!(h.call(read(&support)).await.status, 403);
    let answer = h
        .call(change(&support, &json!({ "weeklySummary": false })))
        .await;
    assert_eq!(answer.status, 403);
    assert!(h.stored(TEACHER).await.weekly_summary);
}
