//! Disabling and enabling accounts: a disabled account's sessions and
//! tokens stop working at once, nobody disables themselves, someone more
//! senior or the last admin, and every change is audited.

mod common;

use common::*;
use domain::{Role, Roles};
use serde_json::json;
use store::AccountStatus;
use testkit::ApiRequest;

#[tokio::test]
async fn disabling_ends_sessions_and_refuses_tokens_already_issued() {
    let h = Harness::new().await;
    let teachers_token = h.token(TEACHER, Role::Teacher);
    let before = h.account(TEACHER).await;
    let started = chrono::Utc::now().timestamp_millis();

    let answer = h.call(disable(&h.admin(), TEACHER)).await;

    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["status"], "disabled");
    let after = h.account(TEACHER).await;
    assert_eq!(after.status, AccountStatus::Disabled);
    assert!(after.sessions_not_before_ms >= started);
    assert!(after.sessions_not_before_ms > before.sessions_not_before_ms);
    assert_eq!(after.version, before.version + 1);

    // An instance that never saw the school reads the revocation afresh.
    let fresh = h.fresh_app();
    let refused = h
        .call_with(
            &fresh,
            ApiRequest::get("/v1/admin/staff").bearer(&teachers_token),
        )
        .await;
    assert_eq!(refused.status, 401, "{}", refused.body);
}

#[tokio::test]
async fn enabling_lets_the_account_back_in_without_reviving_old_tokens() {
    let h = Harness::new().await;
    let old = h.token(TEACHER, Role::Slt);
    h.call(disable(&h.admin(), TEACHER)).await;

    let answer = h.call(enable(&h.admin(), TEACHER)).await;

    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["status"], "active");
    assert_eq!(h.account(TEACHER).await.status, AccountStatus::Active);
    let staff = || ApiRequest::get("/v1/admin/staff");
    assert_eq!(
        h.call_with(&h.fresh_app(), staff().bearer(&old))
            .await
            .status,
        401
    );
    let new = h.later_token(TEACHER, Roles::new([Role::Slt]));
    assert_eq!(h.call(staff().bearer(&new)).await.status, 200);
}

#[tokio::test]
async fn disabling_or_enabling_twice_changes_nothing_the_second_time() {
    let h = Harness::new().await;
    h.call(disable(&h.admin(), TEACHER)).await;
    let before = h.item_count().await;

    assert_eq!(h.call(disable(&h.admin(), TEACHER)).await.status, 200);
    assert_eq!(h.call(enable(&h.admin(), ADMIN)).await.status, 200);

    assert_eq!(h.item_count().await, before);
    assert_eq!(h.audited("account.disabled").await.len(), 1);
}

#[tokio::test]
async fn nobody_disables_themselves() {
    let h = Harness::new().await;
    h.call(put_role(&h.admin(), SLT, "admin")).await;

    let answer = h.call(disable(&h.admin(), ADMIN)).await;

    assert_eq!(answer.status, 409, "{}", answer.body);
    assert_eq!(
        answer.body["type"],
        "https://classlights.app/problems/cannot-disable-self"
    );
    assert_eq!(h.account(ADMIN).await.status, AccountStatus::Active);
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_disabled() {
    let h = Harness::new().await;
    // Dan holds admin, but his account is disabled: Ada is the only active
    // admin. His token still carries admin, as a stale one might.
    h.call(put_role(&h.admin(), DISABLED, "admin")).await;
    let dan = h.later_token(DISABLED, Roles::new([Role::Teacher, Role::Admin]));
    let before = h.item_count().await;

    let answer = h.call(disable(&dan, ADMIN)).await;

    assert_eq!(answer.status, 409, "{}", answer.body);
    assert_eq!(
        answer.body["type"],
        "https://classlights.app/problems/last-admin"
    );
    assert_eq!(h.account(ADMIN).await.status, AccountStatus::Active);
    assert_eq!(h.item_count().await, before);

    // Once Dan is active again there are two admins, and one may go.
    assert_eq!(h.call(enable(&h.admin(), DISABLED)).await.status, 200);
    let answer = h.call(disable(&dan, ADMIN)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn nobody_disables_or_enables_someone_more_senior() {
    let h = Harness::new().await;

    let answer = h.call(disable(&h.slt(), ADMIN)).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(h.account(ADMIN).await.status, AccountStatus::Active);

    // Senior leaders manage everyone up to their own rank.
    assert_eq!(h.call(disable(&h.slt(), TEACHER)).await.status, 200);
    assert_eq!(h.call(disable(&h.slt(), HEAD_OF_YEAR)).await.status, 200);

    h.call(put_role(&h.admin(), DISABLED, "admin")).await;
    assert_eq!(h.call(enable(&h.slt(), DISABLED)).await.status, 403);
}

#[tokio::test]
async fn pending_accounts_and_unknown_staff_are_refused() {
    let h = Harness::new().await;
    let before = h.item_count().await;

    let pending = h.call(disable(&h.admin(), PENDING)).await;
    assert_eq!(pending.status, 409);
    assert_eq!(
        pending.body["type"],
        "https://classlights.app/problems/account-pending"
    );
    assert_eq!(h.call(enable(&h.admin(), PENDING)).await.status, 409);
    assert_eq!(h.call(disable(&h.admin(), NO_ACCOUNT)).await.status, 409);
    assert_eq!(h.call(disable(&h.admin(), "staff-ghost")).await.status, 404);
    assert_eq!(
        h.call(disable(&h.token(HEAD_OF_YEAR, Role::HeadOfYear), TEACHER))
            .await
            .status,
        403
    );
    assert_eq!(h.item_count().await, before);
}

#[tokio::test]
async fn account_changes_are_audited() {
    let h = Harness::new().await;
    h.call(disable(&h.slt(), TEACHER)).await;
    h.call(enable(&h.admin(), TEACHER)).await;

    let disabled = h.audited("account.disabled").await;
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0]["actor"], SLT);
    assert_eq!(disabled[0]["targetIds"], json!([TEACHER]));
    let enabled = h.audited("account.").await;
    assert_eq!(enabled.len(), 2);
    assert_eq!(enabled[0]["action"], "account.enabled");
    assert_eq!(enabled[0]["actor"], ADMIN);
}
