//! The school's settings: group analysis is off until a senior leader or
//! admin switches it on; the switch is audited and queues a full roster
//! sync at once, asking again for what is already so changes and queues
//! nothing, other roles and bad bodies change nothing, and one school's
//! token neither sees nor changes another school's settings.

mod common;

use common::*;
use domain::{Policy, Role, SchoolId, StaffId};
use serde_json::{Value, json};
use store::SchoolSettings;
use testkit::ApiRequest;

const PATH: &str = "/v1/admin/settings";

/// Wonde's id of the harness's school.
const WONDE_ID: &str = "A1329183376";

fn read(token: &str) -> ApiRequest {
    ApiRequest::get(PATH).bearer(token)
}

fn change(token: &str, body: &Value) -> ApiRequest {
    ApiRequest::new("PUT", PATH).bearer(token).json(body)
}

/// What the sync reads: a full sync of the school.
fn full_sync_of(school: &SchoolId) -> Value {
    json!({ "schoolId": school.as_str(), "kind": "full" })
}

impl Harness {
    /// The harness's school, set up as Wonde's approval sets a school up:
    /// name, zone and policy, linked to Wonde.
    async fn with_school() -> Self {
        let h = Self::new().await;
        set_up(&h, &h.school, "Riverside Academy", Some(WONDE_ID)).await;
        h
    }

    fn teacher(&self) -> String {
        self.token(TEACHER, Role::Teacher)
    }

    /// Whether the store holds group analysis as on, whatever the routes say.
    async fn group_analysis(&self, school: &SchoolId) -> bool {
        self.table
            .store
            .roster_settings(school)
            .await
            .unwrap()
            .expect("the school is set up")
            .group_analysis
    }

    /// The messages on the roster-sync queue, taken off it, as JSON.
    async fn syncs_queued(&self) -> Vec<Value> {
        self.syncs
            .drain()
            .await
            .iter()
            .map(|body| serde_json::from_str(body).expect("a JSON message"))
            .collect()
    }
}

async fn set_up(h: &Harness, school: &SchoolId, name: &str, wonde_id: Option<&str>) {
    let settings = SchoolSettings {
        name: name.to_owned(),
        time_zone: "Europe/London".to_owned(),
    };
    let store = &h.table.store;
    store
        .put_school(school, &settings, &Policy::default_for_new_school())
        .await
        .unwrap();
    if let Some(wonde_id) = wonde_id {
        store.link_wonde(school, wonde_id).await.unwrap();
    }
}

#[tokio::test]
async fn group_analysis_is_off_until_a_leader_switches_it_on_and_a_full_sync_is_queued() {
    let h = Harness::with_school().await;

    // Every member of staff reads the settings, as they read the policy.
    let fresh = h.call(read(&h.teacher())).await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert_eq!(
        fresh.body,
        json!({
            "groupAnalysis": false,
            "name": "Riverside Academy",
            "timeZone": "Europe/London",
        })
    );

    let on = h
        .call(change(&h.slt(), &json!({ "groupAnalysis": true })))
        .await;
    assert_eq!(on.status, 200, "{}", on.body);
    assert_eq!(on.body["groupAnalysis"], true);
    assert_eq!(on.body["name"], "Riverside Academy");
    assert!(h.group_analysis(&h.school).await);
    let read_back = h.call(read(&h.teacher())).await;
    assert_eq!(read_back.body["groupAnalysis"], true);

    let audited = h.audited("settings.changed").await;
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0]["actor"], SLT);
    assert_eq!(audited[0]["targetType"], "school");
    assert_eq!(
        audited[0]["targetIds"],
        json!([h.school.as_str(), "groupAnalysis:true"])
    );
    assert_eq!(h.syncs_queued().await, [full_sync_of(&h.school)]);

    // Asking for what is already so writes, audits and queues nothing.
    let before = h.item_count().await;
    for token in [h.slt(), h.admin()] {
        let same = h
            .call(change(&token, &json!({ "groupAnalysis": true })))
            .await;
        assert_eq!(same.status, 200, "{}", same.body);
        assert_eq!(same.body["groupAnalysis"], true);
    }
    assert_eq!(h.item_count().await, before);
    assert!(h.syncs_queued().await.is_empty());

    // An admin switches it off again: the flags go with the next full sync.
    let off = h
        .call(change(&h.admin(), &json!({ "groupAnalysis": false })))
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert_eq!(off.body["groupAnalysis"], false);
    assert!(!h.group_analysis(&h.school).await);
    let audited = h.audited("settings.changed").await;
    assert_eq!(audited.len(), 2, "{audited:?}");
    assert_eq!(audited[0]["actor"], ADMIN);
    assert_eq!(
        audited[0]["targetIds"],
        json!([h.school.as_str(), "groupAnalysis:false"])
    );
    assert_eq!(h.syncs_queued().await, [full_sync_of(&h.school)]);
}

#[tokio::test]
async fn two_leaders_switching_at_once_change_it_once() {
    let h = Harness::with_school().await;
    let body = json!({ "groupAnalysis": true });
    let (slt, admin) = tokio::join!(
        h.call(change(&h.slt(), &body)),
        h.call(change(&h.admin(), &body))
    );
    for answer in [&slt, &admin] {
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["groupAnalysis"], true);
    }
    assert_eq!(h.audited("settings.changed").await.len(), 1);
    assert_eq!(h.syncs_queued().await, [full_sync_of(&h.school)]);
}

#[tokio::test]
async fn only_senior_leaders_and_admins_switch_it() {
    let h = Harness::with_school().await;
    let body = json!({ "groupAnalysis": true });
    let before = h.item_count().await;
    for (user, role) in [
        (TEACHER, Role::Teacher),
        (TEACHER, Role::Tutor),
        (HEAD_OF_YEAR, Role::HeadOfYear),
        (TEACHER, Role::Pastoral),
        (TEACHER, Role::Dsl),
        (TEACHER, Role::Parent),
    ] {
        let answer = h.call(change(&h.token(user, role), &body)).await;
        assert_eq!(answer.status, 403, "{role:?}: {}", answer.body);
    }
    assert_eq!(h.item_count().await, before, "a refused request wrote");

    // Vendor support may not switch it either; its refused request is
    // audited, as all its requests are, and nothing else changes.
    let support = h.token(TEACHER, Role::Support);
    assert_eq!(h.call(change(&support, &body)).await.status, 403);
    assert_eq!(h.call(ApiRequest::new("PUT", PATH)).await.status, 401);

    assert!(!h.group_analysis(&h.school).await);
    assert!(h.audited("settings.changed").await.is_empty());
    assert!(h.syncs_queued().await.is_empty());
    let settings = h.call(read(&h.teacher())).await;
    assert_eq!(settings.body["groupAnalysis"], false);
}

#[tokio::test]
async fn a_wrong_body_is_refused_naming_the_field_and_changes_nothing() {
    let h = Harness::with_school().await;
    let before = h.item_count().await;
    for (body, field) in [
        (json!({}), "groupAnalysis"),
        (json!({ "groupAnalysis": "yes" }), "groupAnalysis"),
        (json!({ "groupAnalysis": null }), "groupAnalysis"),
        (json!({ "groupAnalysis": 1 }), "groupAnalysis"),
        (
            json!({ "groupAnalysis": true, "name": "Renamed Academy" }),
            "name",
        ),
        (
            json!({ "groupAnalysis": true, "timeZone": "Europe/Paris" }),
            "timeZone",
        ),
        (
            json!({ "groupAnalysis": true, "schoolId": "northfield" }),
            "schoolId",
        ),
        (json!([true]), "."),
    ] {
        let answer = h.call(change(&h.slt(), &body)).await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.body);
        assert_eq!(answer.body["errors"][0]["field"], field, "{body}");
    }
    let not_json = h
        .call(
            ApiRequest::new("PUT", PATH)
                .bearer(&h.slt())
                .header("content-type", "application/json")
                .raw_body("{\"groupAnalysis\": tru"),
        )
        .await;
    assert_eq!(not_json.status, 400);
    let no_body = h.call(ApiRequest::new("PUT", PATH).bearer(&h.slt())).await;
    assert_eq!(no_body.status, 400);
    let query = h
        .call(change(&h.slt(), &json!({ "groupAnalysis": true })).query("school", "northfield"))
        .await;
    assert_eq!(query.status, 400);
    assert_eq!(query.body["errors"][0]["field"], "school");
    let read_query = h.call(read(&h.slt()).query("fields", "all")).await;
    assert_eq!(read_query.status, 400);

    assert_eq!(h.item_count().await, before, "a refused request wrote");
    assert!(!h.group_analysis(&h.school).await);
    assert!(h.syncs_queued().await.is_empty());
}

#[tokio::test]
async fn one_school_neither_sees_nor_changes_another_schools_settings() {
    let h = Harness::with_school().await;
    let other = SchoolId::parse("northfield").unwrap();
    set_up(&h, &other, "Northfield School", Some("A9876543210")).await;
    let theirs = h
        .key
        .token(&other, &StaffId::parse(SLT).unwrap(), Role::Slt);

    // Their leader sees their own school, whatever ours holds.
    let ours_on = h
        .call(change(&h.slt(), &json!({ "groupAnalysis": true })))
        .await;
    assert_eq!(ours_on.status, 200, "{}", ours_on.body);
    assert_eq!(h.syncs_queued().await, [full_sync_of(&h.school)]);
    let seen = h.call(read(&theirs)).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert_eq!(seen.body["name"], "Northfield School");
    assert_eq!(seen.body["groupAnalysis"], false);
    assert!(!seen.body.to_string().contains("Riverside"));

    // Their switch changes their school only, and queues their sync only.
    let off = h
        .call(change(&theirs, &json!({ "groupAnalysis": false })))
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert!(h.group_analysis(&h.school).await, "ours is still on");
    assert!(h.syncs_queued().await.is_empty());
    let on = h
        .call(change(&theirs, &json!({ "groupAnalysis": true })))
        .await;
    assert_eq!(on.status, 200, "{}", on.body);
    assert!(h.group_analysis(&other).await);
    assert_eq!(h.syncs_queued().await, [full_sync_of(&other)]);
    // Our audit log holds our change alone.
    let audited = h.audited("settings.changed").await;
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0]["targetIds"][0], h.school.as_str());

    // Ours goes off; theirs stays on.
    let ours_off = h
        .call(change(&h.admin(), &json!({ "groupAnalysis": false })))
        .await;
    assert_eq!(ours_off.status, 200, "{}", ours_off.body);
    assert!(h.group_analysis(&other).await, "theirs is still on");
    assert_eq!(h.syncs_queued().await, [full_sync_of(&h.school)]);
}

#[tokio::test]
async fn a_school_not_synced_from_wonde_switches_without_queueing_a_sync() {
    let h = Harness::new().await;

    // A school with no settings at all is not set up.
    let unset = h.call(read(&h.slt())).await;
    assert_eq!(unset.status, 403, "{}", unset.body);
    let unset = h
        .call(change(&h.slt(), &json!({ "groupAnalysis": true })))
        .await;
    assert_eq!(unset.status, 403, "{}", unset.body);

    // Set up by hand, without Wonde: the setting changes, there is nothing
    // to sync.
    set_up(&h, &h.school, "Riverside Academy", None).await;
    let on = h
        .call(change(&h.slt(), &json!({ "groupAnalysis": true })))
        .await;
    assert_eq!(on.status, 200, "{}", on.body);
    assert!(h.group_analysis(&h.school).await);
    assert_eq!(h.audited("settings.changed").await.len(), 1);
    assert!(h.syncs_queued().await.is_empty());
}
