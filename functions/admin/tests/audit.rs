//! The audit log: every change is written down, and leaders read it newest
//! first, filtered by who, what and when, a page at a time with cursors
//! that only work for the list and the school they were given for.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use domain::{Role, Roles, SchoolId, StaffId};
use serde_json::Value;
use store::AuditRecord;
use testkit::ApiRequest;

fn audit(token: &str) -> ApiRequest {
    ApiRequest::get("/v1/admin/audit").bearer(token)
}

/// Five changes by two people: Ada (admin) and Sam (SLT).
async fn make_changes(h: &Harness) {
    let steps = [
        put_role(&h.admin(), TEACHER, "tutor"),
        put_role(&h.slt(), HEAD_OF_YEAR, "dsl"),
        delete_role(&h.admin(), TEACHER, "tutor"),
        disable(&h.slt(), TEACHER),
        enable(&h.admin(), TEACHER),
    ];
    for step in steps {
        let answer = h.call(step).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
}

fn actions(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_change_is_listed_newest_first() {
    let h = Harness::new().await;
    make_changes(&h).await;

    let page = h.call(audit(&h.admin())).await;

    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        actions(&page.body),
        [
            "account.enabled",
            "account.disabled",
            "role.removed",
            "role.granted",
            "role.granted"
        ]
    );
    assert!(page.body["nextCursor"].is_null());
    let first = &page.body["items"][0];
    for field in [
        "id",
        "at",
        "actor",
        "actorRoles",
        "targetType",
        "targetIds",
        "requestId",
    ] {
        assert!(!first[field].is_null(), "{field}");
    }
}

#[tokio::test]
async fn the_log_filters_by_actor_and_by_action_or_prefix() {
    let h = Harness::new().await;
    make_changes(&h).await;

    let by_sam = h.call(audit(&h.admin()).query("actor", SLT)).await;
    assert_eq!(actions(&by_sam.body), ["account.disabled", "role.granted"]);

    let granted = h
        .call(audit(&h.admin()).query("action", "role.granted"))
        .await;
    assert_eq!(actions(&granted.body), ["role.granted", "role.granted"]);

    let roles = h.call(audit(&h.admin()).query("action", "role.")).await;
    assert_eq!(
        actions(&roles.body),
        ["role.removed", "role.granted", "role.granted"]
    );

    let both = h
        .call(
            audit(&h.admin())
                .query("actor", ADMIN)
                .query("action", "account."),
        )
        .await;
    assert_eq!(actions(&both.body), ["account.enabled"]);

    // "role" without the dot is an exact action, which nothing has.
    let exact = h.call(audit(&h.admin()).query("action", "role")).await;
    assert_eq!(actions(&exact.body), Vec::<String>::new());
}

#[tokio::test]
async fn the_log_filters_by_time_with_both_ends_included() {
    let h = Harness::new().await;
    let at = |raw: &str| DateTime::parse_from_rfc3339(raw).unwrap().to_utc();
    for (n, time) in [
        "2026-01-05T10:00:00Z",
        "2026-01-05T11:00:00Z",
        "2026-01-05T12:00:00Z",
    ]
    .into_iter()
    .enumerate()
    {
        let record = AuditRecord {
            id: format!("r{n}"),
            at: at(time),
            actor: ADMIN.into(),
            actor_roles: Roles::new([Role::Admin]),
            action: "test.tick".into(),
            target_type: "test".into(),
            target_ids: vec![n.to_string()],
            request_id: format!("r{n}"),
            grant: None,
        };
        h.table.store.write_audit(&h.school, &record).await.unwrap();
    }

    let page = h
        .call(
            audit(&h.admin())
                .query("from", "2026-01-05T10:30:00Z")
                .query("to", "2026-01-05T12:00:00Z"),
        )
        .await;
    let ids: Vec<&str> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["r2", "r1"]);

    let before_noon = h
        .call(audit(&h.admin()).query("to", "2026-01-05T11:00:00+00:00"))
        .await;
    assert_eq!(before_noon.body["items"].as_array().unwrap().len(), 2);
    let since = h
        .call(audit(&h.admin()).query("from", &Utc::now().to_rfc3339()))
        .await;
    assert_eq!(since.body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn pages_follow_each_other_with_cursors() {
    let h = Harness::new().await;
    make_changes(&h).await;
    let whole = h.call(audit(&h.admin())).await.body["items"].clone();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut request = audit(&h.admin()).query("limit", "2");
        if let Some(cursor) = &cursor {
            request = request.query("cursor", cursor);
        }
        let page = h.call(request).await;
        assert_eq!(page.status, 200, "{}", page.body);
        pages += 1;
        seen.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }

    assert_eq!(pages, 3);
    assert_eq!(Value::Array(seen), whole);
}

#[tokio::test]
async fn a_cursor_works_only_for_its_filters_and_its_school() {
    let h = Harness::new().await;
    make_changes(&h).await;
    let page = h
        .call(
            audit(&h.admin())
                .query("action", "role.")
                .query("limit", "1"),
        )
        .await;
    let cursor = page.body["nextCursor"].as_str().unwrap().to_owned();

    let same = h
        .call(
            audit(&h.admin())
                .query("action", "role.")
                .query("cursor", &cursor),
        )
        .await;
    assert_eq!(same.status, 200);
    assert_eq!(actions(&same.body), ["role.granted", "role.granted"]);

    let other_filter = h
        .call(
            audit(&h.admin())
                .query("action", "account.")
                .query("cursor", &cursor),
        )
        .await;
    assert_eq!(other_filter.status, 400);
    assert_eq!(other_filter.body["errors"][0]["field"], "cursor");

    let hillside = SchoolId::parse("hillside").unwrap();
    let theirs = h.key.token(
        &hillside,
        &StaffId::parse("staff-hilda").unwrap(),
        Role::Admin,
    );
    let elsewhere = h
        .call(
            audit(&theirs)
                .query("action", "role.")
                .query("cursor", &cursor),
        )
        .await;
    assert_eq!(elsewhere.status, 400);
    let forged = h
        .call(audit(&h.admin()).query("cursor", "bm90LWEtY3Vyc29y"))
        .await;
    assert_eq!(forged.status, 400);
}

#[tokio::test]
async fn another_school_reads_only_its_own_log() {
    let h = Harness::new().await;
    make_changes(&h).await;
    let theirs = h.key.token(
        &SchoolId::parse("hillside").unwrap(),
        &StaffId::parse("staff-hilda").unwrap(),
        Role::Admin,
    );

    let page = h.call(audit(&theirs)).await;

    assert_eq!(page.status, 200);
    assert_eq!(page.body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn bad_filters_are_refused_by_name() {
    let h = Harness::new().await;
    let cases = [
        ("limit", "0"),
        ("limit", "201"),
        ("limit", "ten"),
        ("from", "yesterday"),
        ("to", "2026-13-01T00:00:00Z"),
        ("actor", "a#b"),
        ("action", "role granted"),
        ("action", "role.."),
        ("colour", "red"),
    ];
    for (name, value) in cases {
        let answer = h.call(audit(&h.admin()).query(name, value)).await;
        assert_eq!(answer.status, 400, "{name}={value}");
        assert_eq!(answer.body["errors"][0]["field"], name, "{name}={value}");
    }
    let reversed = h
        .call(
            audit(&h.admin())
                .query("from", "2026-02-01T00:00:00Z")
                .query("to", "2026-01-01T00:00:00Z"),
        )
        .await;
    assert_eq!(reversed.status, 400);
    assert_eq!(
        h.call(audit(&h.admin()).query("limit", "200")).await.status,
        200
    );
}

#[tokio::test]
async fn leaders_read_the_log_and_teachers_do_not() {
    let h = Harness::new().await;
    assert_eq!(h.call(audit(&h.slt())).await.status, 200);
    for (user, role) in [(TEACHER, Role::Teacher), (HEAD_OF_YEAR, Role::HeadOfYear)] {
        assert_eq!(h.call(audit(&h.token(user, role))).await.status, 403);
    }
}
