//! Granting and removing roles: only up to one's own rank, never leaving
//! the school without an active admin, and always revoking the tokens that
//! carry the old roles and writing down who did it.

mod common;

use common::*;
use domain::{Role, Roles, SchoolId, StaffId};
use serde_json::json;
use store::AccountStatus;

#[tokio::test]
async fn an_admin_grants_any_staff_role_including_admin() {
    let h = Harness::new().await;

    let answer = h.call(put_role(&h.admin(), TEACHER, "admin")).await;

    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["roles"], json!(["teacher", "admin"]));
    assert_eq!(answer.body["staffId"], TEACHER);
    let account = h.account(TEACHER).await;
    assert!(account.roles.contains(Role::Admin));
    assert_eq!(account.version, 2);
}

#[tokio::test]
async fn senior_leaders_grant_up_to_slt_but_not_admin() {
    let h = Harness::new().await;

    let dsl = h.call(put_role(&h.slt(), TEACHER, "dsl")).await;
    assert_eq!(dsl.status, 200, "{}", dsl.body);
    let slt = h.call(put_role(&h.slt(), TEACHER, "slt")).await;
    assert_eq!(slt.status, 200, "{}", slt.body);

    let before = h.item_count().await;
    let admin = h.call(put_role(&h.slt(), TEACHER, "admin")).await;
    assert_eq!(admin.status, 403, "{}", admin.body);
    assert_eq!(h.item_count().await, before);
    assert!(!h.account(TEACHER).await.roles.contains(Role::Admin));
}

#[tokio::test]
async fn heads_of_year_and_teachers_grant_nothing() {
    let h = Harness::new().await;
    let before = h.item_count().await;

    for token in [
        h.token(HEAD_OF_YEAR, Role::HeadOfYear),
        h.token(TEACHER, Role::Teacher),
    ] {
        let answer = h.call(put_role(&token, TEACHER, "teacher")).await;
        assert_eq!(answer.status, 403);
        let answer = h.call(put_role(&token, PENDING, "tutor")).await;
        assert_eq!(answer.status, 403);
    }
    assert_eq!(h.item_count().await, before);
}

#[tokio::test]
async fn nobody_takes_a_role_from_someone_who_outranks_them() {
    let h = Harness::new().await;
    h.call(put_role(&h.admin(), ADMIN, "teacher")).await;

    let answer = h
        .call(delete_role(
            &h.later_token(SLT, Roles::new([Role::Slt])),
            ADMIN,
            "teacher",
        ))
        .await;

    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(h.account(ADMIN).await.roles.contains(Role::Teacher));
}

#[tokio::test]
async fn granting_a_held_role_or_removing_one_not_held_changes_nothing() {
    let h = Harness::new().await;
    let before = h.item_count().await;

    let held = h.call(put_role(&h.admin(), TEACHER, "teacher")).await;
    assert_eq!(held.status, 200);
    assert_eq!(held.body["roles"], json!(["teacher"]));
    let absent = h.call(delete_role(&h.admin(), TEACHER, "dsl")).await;
    assert_eq!(absent.status, 200);

    assert_eq!(h.item_count().await, before);
    assert_eq!(h.account(TEACHER).await.version, 1);
}

#[tokio::test]
async fn removing_a_role_takes_it_away() {
    let h = Harness::new().await;
    h.call(put_role(&h.admin(), TEACHER, "tutor")).await;

    let answer = h.call(delete_role(&h.admin(), TEACHER, "tutor")).await;

    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["roles"], json!(["teacher"]));
    assert_eq!(h.account(TEACHER).await.roles, Roles::new([Role::Teacher]));
}

#[tokio::test]
async fn the_last_active_admin_keeps_their_role() {
    let h = Harness::new().await;

    let answer = h.call(delete_role(&h.admin(), ADMIN, "admin")).await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert_eq!(
        answer.body["type"],
        "https://classlights.app/problems/last-admin"
    );

    // A disabled admin does not count as one the school keeps.
    open_account(
        &h.table.store,
        &h.school,
        "staff-old-admin",
        "Old Admin",
        Role::Admin,
        AccountStatus::Disabled,
    )
    .await;
    let answer = h.call(delete_role(&h.admin(), ADMIN, "admin")).await;
    assert_eq!(answer.status, 409);

    // With a second active admin, one may step down.
    h.call(put_role(&h.admin(), SLT, "admin")).await;
    let answer = h.call(delete_role(&h.admin(), ADMIN, "admin")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(!h.account(ADMIN).await.roles.contains(Role::Admin));
}

#[tokio::test]
async fn two_admins_removing_each_other_at_once_cannot_both_succeed() {
    let h = Harness::new().await;
    h.call(put_role(&h.admin(), SLT, "admin")).await;
    let ada = h.later_token(ADMIN, Roles::new([Role::Admin]));
    let sam = h.later_token(SLT, Roles::new([Role::Slt, Role::Admin]));

    let (first, second) = tokio::join!(
        h.call(delete_role(&ada, SLT, "admin")),
        h.call(delete_role(&sam, ADMIN, "admin")),
    );

    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    // The loser either saw the change (409 last-admin) or had its own token
    // revoked by the winner's change (401).
    assert_eq!(statuses[0], 200, "{} / {}", first.body, second.body);
    assert!(
        matches!(statuses[1], 401 | 409),
        "{} / {}",
        first.body,
        second.body
    );
    let admins = [h.account(ADMIN).await, h.account(SLT).await]
        .iter()
        .filter(|a| a.roles.contains(Role::Admin))
        .count();
    assert_eq!(admins, 1);
}

#[tokio::test]
async fn the_admin_a_change_relies_on_is_pinned_in_its_transaction() {
    let h = Harness::new().await;
    let ada_as_read = h.account(ADMIN).await;
    // Ada changes after she was read...
    h.call(put_role(&h.admin(), ADMIN, "teacher")).await;
    let mut tess = h.account(TEACHER).await;
    tess.version += 1;
    let pin = h.table.store.account_unchanged(&ada_as_read).unwrap();

    // ...so a change that relied on her as she was does not go through.
    let saved = h.table.store.save_account(&tess, vec![pin]).await.unwrap();

    assert!(!saved);
    assert_eq!(h.account(TEACHER).await.version, 1);
    let pin = h
        .table
        .store
        .account_unchanged(&h.account(ADMIN).await)
        .unwrap();
    assert!(h.table.store.save_account(&tess, vec![pin]).await.unwrap());
}

#[tokio::test]
async fn unknown_staff_staff_without_an_account_and_unknown_roles_are_refused() {
    let h = Harness::new().await;
    let before = h.item_count().await;

    let unknown = h.call(put_role(&h.admin(), "staff-nobody", "tutor")).await;
    assert_eq!(unknown.status, 404);
    let unsafe_id = h.call(put_role(&h.admin(), "staff%23x", "tutor")).await;
    assert_eq!(unsafe_id.status, 404);

    let no_account = h.call(put_role(&h.admin(), NO_ACCOUNT, "tutor")).await;
    assert_eq!(no_account.status, 409);
    assert_eq!(
        no_account.body["type"],
        "https://classlights.app/problems/no-account"
    );

    for role in ["wizard", "Admin", "parent", "support"] {
        let answer = h.call(put_role(&h.admin(), TEACHER, role)).await;
        assert_eq!(answer.status, 400, "{role}");
        assert_eq!(answer.body["errors"][0]["field"], "role");
    }
    assert_eq!(h.item_count().await, before);
}

#[tokio::test]
async fn a_role_change_revokes_the_tokens_that_carry_the_old_roles() {
    let h = Harness::new().await;
    let old = h.token(TEACHER, Role::Teacher);
    let stale = h.fresh_app();
    let staff = || testkit::ApiRequest::get("/v1/admin/staff");
    // Another instance reads the school's access state before the change...
    assert_eq!(h.call_with(&stale, staff().bearer(&old)).await.status, 403);

    let answer = h.call(put_role(&h.admin(), TEACHER, "slt")).await;
    assert_eq!(answer.status, 200);

    // ...and trusts it for up to half a minute; the instance that made the
    // change, and any that reads afresh, refuse the old token at once.
    assert_eq!(h.call_with(&stale, staff().bearer(&old)).await.status, 403);
    assert_eq!(h.call(staff().bearer(&old)).await.status, 401);
    assert_eq!(
        h.call_with(&h.fresh_app(), staff().bearer(&old))
            .await
            .status,
        401
    );
    let refreshed = h.later_token(TEACHER, Roles::new([Role::Teacher, Role::Slt]));
    assert_eq!(h.call(staff().bearer(&refreshed)).await.status, 200);
}

#[tokio::test]
async fn role_changes_are_audited_with_who_and_what() {
    let h = Harness::new().await;
    h.call(put_role(&h.admin(), TEACHER, "tutor")).await;
    h.call(delete_role(&h.admin(), TEACHER, "tutor")).await;

    let granted = h.audited("role.granted").await;
    assert_eq!(granted.len(), 1);
    assert_eq!(granted[0]["actor"], ADMIN);
    assert_eq!(granted[0]["actorRoles"], json!(["admin"]));
    assert_eq!(granted[0]["targetType"], "staff");
    assert_eq!(granted[0]["targetIds"], json!([TEACHER, "role:tutor"]));
    let removed = h.audited("role.removed").await;
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["targetIds"], json!([TEACHER, "role:tutor"]));
}

#[tokio::test]
async fn another_schools_admin_finds_none_of_this_schools_staff() {
    let h = Harness::new().await;
    let other = SchoolId::parse("hillside").unwrap();
    open_account(
        &h.table.store,
        &other,
        "staff-hilda",
        "Hilda Head",
        Role::Admin,
        AccountStatus::Active,
    )
    .await;
    let theirs = h
        .key
        .token(&other, &StaffId::parse("staff-hilda").unwrap(), Role::Admin);
    let before = h.item_count().await;

    assert_eq!(
        h.call(put_role(&theirs, TEACHER, "tutor")).await.status,
        404
    );
    assert_eq!(
        h.call(delete_role(&theirs, ADMIN, "admin")).await.status,
        404
    );
    assert_eq!(h.call(disable(&theirs, TEACHER)).await.status, 404);
    assert_eq!(h.call(enable(&theirs, DISABLED)).await.status, 404);
    assert_eq!(h.item_count().await, before);
}
