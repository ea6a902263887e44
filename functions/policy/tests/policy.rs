//! The policy function against the emulator: who reads and who changes the
//! policy, versions that keep two leaders from overwriting each other, the
//! rules a policy keeps, archiving, the default and the history.

mod common;

use common::*;
use domain::Role;
use serde_json::{Value, json};
use testkit::ApiRequest;

#[tokio::test]
async fn every_member_of_staff_reads_the_policy_with_its_version() {
    let h = Harness::new().await;

    for role in [Role::Teacher, Role::Tutor, Role::Dsl, Role::HeadOfYear] {
        let answer = h
            .call(ApiRequest::get("/v1/policy").bearer(&h.token("staff-someone", role)))
            .await;
        assert_eq!(answer.status, 200, "{role:?}: {}", answer.body);
    }
    let (policy, etag) = h.read(&h.teacher()).await;
    assert_eq!(etag, "\"policy-1\"");
    assert_eq!(policy["version"], 1);
    assert_eq!(policy["source"], "default");
    assert_eq!(policy["pointsCycle"], "year");
    assert_eq!(policy["certificateRules"].as_array().unwrap().len(), 4);
    assert_eq!(policy["behaviourTypes"][0]["icon"], "lightbulb");

    let parent = h
        .call(ApiRequest::get("/v1/policy").bearer(&h.token("parent-jo", Role::Parent)))
        .await;
    assert_eq!(parent.status, 403);
    let nobody = h.call(ApiRequest::get("/v1/policy")).await;
    assert_eq!(nobody.status, 401);
}

#[tokio::test]
async fn a_senior_leader_replaces_the_policy_and_the_behaviour_function_follows() {
    let h = Harness::new().await;
    let (mut policy, etag) = h.read(&h.slt()).await;
    let disruption = type_index(&policy, "disruption");
    policy["behaviourTypes"][disruption]["steps"] = json!(2);
    policy["behaviourTypes"][disruption]["triggers"] =
        json!({"alertRoles": ["tutor"], "incidentForm": false});
    policy["pointsCycle"] = json!("term");
    policy["colours"] = json!({"primary": "#003366", "accent": "#ffcc00"});

    let answer = h.put(&h.slt(), Some(&etag), &policy).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.headers["etag"], "\"policy-2\"");
    assert_eq!(answer.body["version"], 2);
    assert_eq!(answer.body["source"], "edited");
    assert_eq!(answer.body["changedBy"], SLT);

    let (read, etag) = h.read(&h.teacher()).await;
    assert_eq!(etag, "\"policy-2\"");
    assert_eq!(read["pointsCycle"], "term");
    assert_eq!(
        read["behaviourTypes"][disruption]["triggers"]["alertRoles"],
        json!(["tutor"])
    );

    let pupil = h.pupils(1);
    let logged = h.log(&pupil, "disruption").await;
    assert_eq!(logged.status, 201, "{}", logged.body);
    assert_eq!(
        h.light(&pupil[0]).await["stage"],
        "Amber",
        "disruption now climbs two stages"
    );
}

#[tokio::test]
async fn a_teacher_may_not_change_the_policy() {
    let h = Harness::new().await;
    let (policy, etag) = h.read(&h.teacher()).await;
    let before = h.item_count().await;

    let answer = h.put(&h.teacher(), Some(&etag), &policy).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    let adopt = h
        .call(
            ApiRequest::post("/v1/policy/adopt-default")
                .bearer(&h.teacher())
                .header("if-match", &etag),
        )
        .await;
    assert_eq!(adopt.status, 403);
    let history = h
        .call(ApiRequest::get("/v1/policy/history").bearer(&h.teacher()))
        .await;
    assert_eq!(history.status, 403);
    assert_eq!(h.item_count().await, before);
}

#[tokio::test]
async fn a_change_needs_the_version_it_was_made_from() {
    let h = Harness::new().await;
    let (policy, etag) = h.read(&h.admin()).await;
    let before = h.item_count().await;

    let missing = h.put(&h.admin(), None, &policy).await;
    assert_eq!(missing.status, 428, "{}", missing.body);
    assert_eq!(
        missing.problem_type(),
        "https://classlights.app/problems/precondition-required"
    );
    let any = h.put(&h.admin(), Some("*"), &policy).await;
    assert_eq!(any.status, 428);
    let wrong = h.put(&h.admin(), Some("\"policy-7\""), &policy).await;
    assert_eq!(wrong.status, 412, "{}", wrong.body);
    assert_eq!(h.item_count().await, before, "nothing changes on a refusal");

    assert_eq!(h.put(&h.admin(), Some(&etag), &policy).await.status, 200);
    let stale = h.put(&h.admin(), Some(&etag), &policy).await;
    assert_eq!(stale.status, 412);
    assert_eq!(
        stale.problem_type(),
        "https://classlights.app/problems/precondition-failed"
    );
}

#[tokio::test]
async fn of_two_leaders_changing_the_same_version_exactly_one_wins() {
    let h = Harness::new().await;
    let (policy, etag) = h.read(&h.slt()).await;
    let mut mine = policy.clone();
    mine["backdateDays"] = json!(3);
    let mut theirs = policy.clone();
    theirs["backdateDays"] = json!(10);

    let slt = h.slt();
    let admin = h.admin();
    let (a, b) = tokio::join!(
        h.put(&slt, Some(&etag), &mine),
        h.put(&admin, Some(&etag), &theirs)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 412], "{} / {}", a.body, b.body);

    let (read, etag) = h.read(&h.teacher()).await;
    assert_eq!(etag, "\"policy-2\"");
    let winner = if a.status == 200 { 3 } else { 10 };
    assert_eq!(read["backdateDays"], winner);
}

/// PUTs a change of the default policy and expects 422 naming `field`.
async fn refused(h: &Harness, change: impl FnOnce(&mut Value), field: &str) -> Answer {
    let (mut policy, etag) = h.read(&h.slt()).await;
    change(&mut policy);
    let before = h.item_count().await;
    let answer = h.put(&h.slt(), Some(&etag), &policy).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(
        answer.problem_type(),
        "https://classlights.app/problems/invalid-policy"
    );
    assert!(
        fields(&answer).iter().any(|f| f == field),
        "{field} in {}",
        answer.body
    );
    assert_eq!(h.item_count().await, before, "nothing changes on a refusal");
    answer
}

#[tokio::test]
async fn a_policy_needs_types_on_both_sides() {
    let h = Harness::new().await;
    refused(
        &h,
        |p| {
            for kind in p["behaviourTypes"].as_array_mut().unwrap() {
                if kind["positive"] == true {
                    kind["archived"] = json!(true);
                }
            }
        },
        "behaviourTypes",
    )
    .await;
}

#[tokio::test]
async fn points_certificates_rise_in_the_order_given() {
    let h = Harness::new().await;
    refused(
        &h,
        |p| p["certificateRules"][2]["trigger"] = json!({"kind": "points", "threshold": 80}),
        "certificateRules[2].trigger.threshold",
    )
    .await;
}

#[tokio::test]
async fn names_are_unique_whatever_their_case() {
    let h = Harness::new().await;
    let answer = refused(
        &h,
        |p| {
            p["behaviourTypes"][1]["name"] = json!("EXCELLENT FOCUS");
            p["certificateRules"][1]["name"] = json!("bronze award");
            p["ladder"]["stages"][2]["name"] = json!("green");
        },
        "behaviourTypes[1].name",
    )
    .await;
    let named = fields(&answer);
    assert!(
        named.contains(&"certificateRules[1].name".to_owned()),
        "{named:?}"
    );
    assert!(
        named.contains(&"ladder.stages[2].name".to_owned()),
        "{named:?}"
    );
}

#[tokio::test]
async fn a_type_the_policy_had_may_be_archived_but_not_removed() {
    let h = Harness::new().await;
    let answer = refused(
        &h,
        |p| {
            let kinds = p["behaviourTypes"].as_array_mut().unwrap();
            kinds.retain(|k| k["id"] != "kindness");
        },
        "behaviourTypes",
    )
    .await;
    assert!(
        answer.body["detail"]
            .as_str()
            .unwrap()
            .contains("'kindness'")
    );
}

#[tokio::test]
async fn a_body_that_is_not_a_policy_is_refused_with_its_field() {
    let h = Harness::new().await;
    let (mut policy, etag) = h.read(&h.slt()).await;
    policy["behaviourTypes"][0]["colour"] = json!("#fff");
    let answer = h.put(&h.slt(), Some(&etag), &policy).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(fields(&answer), ["behaviourTypes[0].colour"]);

    let answer = h
        .call(
            ApiRequest::new("PUT", "/v1/policy")
                .bearer(&h.slt())
                .header("if-match", &etag)
                .json(&json!({"lightScope": "lesson"})),
        )
        .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
}

#[tokio::test]
async fn archiving_a_type_keeps_what_was_logged_with_it() {
    let h = Harness::new().await;
    let pupil = h.pupils(1);
    assert_eq!(h.log(&pupil, "defiance").await.status, 201);
    let before = h.light(&pupil[0]).await;
    assert_eq!(before["stage"], "Amber");

    let (mut policy, etag) = h.read(&h.slt()).await;
    let defiance = type_index(&policy, "defiance");
    policy["behaviourTypes"][defiance]["archived"] = json!(true);
    policy["behaviourTypes"][defiance]["steps"] = json!(0);
    policy["behaviourTypes"][defiance]["points"] = json!(0);
    let answer = h.put(&h.slt(), Some(&etag), &policy).await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    assert_eq!(
        h.light(&pupil[0]).await,
        before,
        "the past keeps its meaning"
    );
    let again = h.log(&pupil, "defiance").await;
    assert_eq!(again.status, 422, "{}", again.body);
    let listed = h
        .behaviour_call(
            ApiRequest::get("/v1/behaviours")
                .bearer(&h.teacher())
                .query("classId", h.class().as_str())
                .query("pupilId", pupil[0].as_str()),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body["items"][0]["behaviourTypeId"], "defiance");
}

#[tokio::test]
async fn a_leader_adopts_the_default_as_it_is() {
    let h = Harness::new().await;
    let default = h
        .call(ApiRequest::get("/v1/policy/default").bearer(&h.teacher()))
        .await;
    assert_eq!(default.status, 200);
    assert_eq!(default.body["certificateRules"][0]["id"], "bronze");

    // The school edits its policy, with a type of its own, then goes back.
    let (mut policy, etag) = h.read(&h.slt()).await;
    let mut litter = policy["behaviourTypes"][6].clone();
    litter["id"] = json!("litter");
    litter["name"] = json!("Dropping litter");
    policy["behaviourTypes"]
        .as_array_mut()
        .unwrap()
        .push(litter);
    policy["backdateDays"] = json!(2);
    assert_eq!(h.put(&h.slt(), Some(&etag), &policy).await.status, 200);

    let missing = h
        .call(ApiRequest::post("/v1/policy/adopt-default").bearer(&h.admin()))
        .await;
    assert_eq!(missing.status, 428);
    let adopted = h
        .call(
            ApiRequest::post("/v1/policy/adopt-default")
                .bearer(&h.admin())
                .header("if-match", "\"policy-2\""),
        )
        .await;
    assert_eq!(adopted.status, 200, "{}", adopted.body);
    assert_eq!(adopted.headers["etag"], "\"policy-3\"");
    assert_eq!(adopted.body["source"], "adopted");
    assert_eq!(adopted.body["backdateDays"], default.body["backdateDays"]);
    let kinds = adopted.body["behaviourTypes"].as_array().unwrap();
    let kept = kinds.iter().find(|k| k["id"] == "litter").unwrap();
    assert_eq!(
        kept["archived"], true,
        "the school's own type stays, archived"
    );
}

#[tokio::test]
async fn the_history_shows_every_version_with_who_made_it() {
    let h = Harness::new().await;
    let (mut policy, mut etag) = h.read(&h.slt()).await;
    for days in [1, 2, 3] {
        policy["backdateDays"] = json!(days);
        let answer = h.put(&h.slt(), Some(&etag), &policy).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        etag = answer.headers["etag"].to_str().unwrap().to_owned();
    }

    let first = h
        .call(
            ApiRequest::get("/v1/policy/history")
                .bearer(&h.admin())
                .query("limit", "3"),
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let versions: Vec<&Value> = first.body["items"].as_array().unwrap().iter().collect();
    let numbers: Vec<i64> = versions
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [4, 3, 2]);
    assert_eq!(versions[0]["changedBy"], SLT);
    assert_eq!(versions[0]["source"], "edited");
    assert!(versions[0]["changedAt"].is_string());

    let cursor = first.body["nextCursor"].as_str().expect("one more version");
    let rest = h
        .call(
            ApiRequest::get("/v1/policy/history")
                .bearer(&h.admin())
                .query("limit", "3")
                .query("cursor", cursor),
        )
        .await;
    assert_eq!(rest.status, 200, "{}", rest.body);
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest.body["items"][0]["version"], 1);
    assert_eq!(rest.body["items"][0]["source"], "default");
    assert!(rest.body["nextCursor"].is_null());

    let audit = h
        .table
        .store
        .audit(
            &h.school.id,
            &store::AuditQuery {
                action: Some("policy.changed".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .0;
    assert_eq!(audit.len(), 3);
    assert_eq!(audit[0].actor, SLT);
    assert_eq!(audit[0].target_ids, ["v4"]);
}

#[tokio::test]
async fn a_new_school_starts_with_the_default_not_yet_adopted() {
    let h = Harness::new().await;
    let school = store::keys::school_from_wonde("B123");
    h.table
        .store
        .approve_school(&school, "B123", "Hillside", chrono::Utc::now())
        .await
        .unwrap();
    let token = h.key.token(
        &school,
        &domain::StaffId::parse("staff-head").unwrap(),
        Role::Admin,
    );
    let answer = h.call(ApiRequest::get("/v1/policy").bearer(&token)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["source"], "default");
    assert_eq!(answer.body["version"], 1);
    assert_eq!(answer.body["certificateRules"][3]["id"], "green-week");
}
