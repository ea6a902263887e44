//! Changing a member of staff's account safely. The account is read, the
//! route decides what it should become, and it is saved on condition that
//! nobody changed it meanwhile, in one transaction with the revocation of
//! the tokens it holds and the audit record. A change that would leave the
//! school without an active admin is refused, and the admin it leaves in
//! place is pinned in the same transaction, so two admins removing each
//! other at the same moment cannot both succeed.

use std::time::Duration;

use chrono::{SubsecRound, Utc};
use domain::{Role, SchoolId, StaffId};
use lambda_http::Request;
use platform::http::{idempotency_key, only_known_query, request_id};
use platform::{Caller, Problem, audit_record, store_failed};
use store::{Account, AccountKey, AccountKind, AccountStatus, StaffMember};

use crate::{App, StaffView, no_body};

/// How many times a change is tried when someone else changes the same
/// account, or the admin it relies on, first.
const ATTEMPTS: u32 = 4;

/// The member of staff a change is about, with their account.
pub struct Target {
    pub member: StaffMember,
    pub account: Account,
}

/// What a route asks of an account.
pub struct Change {
    /// The account as it should be; its version and time are set on saving.
    pub account: Account,
    /// The audit action, such as `role.granted`.
    pub action: &'static str,
    /// Ids the audit record names after the staff id.
    pub detail: Vec<String>,
    /// Whether the tokens the user holds must stop working: their roles or
    /// status no longer match what the tokens say.
    pub revoke: bool,
}

/// Checks what every account change takes (no query, no body, a valid
/// `Idempotency-Key` if any) and names the request for the audit log.
pub fn change_request(caller: &Caller, request: &Request) -> Result<String, Problem> {
    only_known_query(request, &[])?;
    no_body(request)?;
    let key = idempotency_key(request)?;
    Ok(request_id(caller.user.as_str(), key.as_deref()))
}

/// 403 when the target outranks the caller: nobody turns off, or takes a
/// role from, someone more senior than themselves.
pub fn within_rank(caller: &Caller, target: &Target) -> Result<(), Problem> {
    if target.account.roles.rank() > caller.roles.rank() {
        Err(Problem::forbidden(
            "this member of staff holds a more senior role than yours",
        ))
    } else {
        Ok(())
    }
}

/// Applies the change `decide` asks for to a member of staff's account and
/// answers with how they stand afterwards. `decide` answers `None` when the
/// account already is as asked, which changes nothing.
pub async fn apply(
    app: &App,
    caller: &Caller,
    staff: &str,
    request_id: &str,
    decide: impl Fn(&Target) -> Result<Option<Change>, Problem>,
) -> Result<StaffView, Problem> {
    let staff = StaffId::parse(staff).map_err(|_| Problem::not_found("no such member of staff"))?;

    for attempt in 0..ATTEMPTS {
        let target = load(app, &caller.school, &staff).await?;
        let Some(change) = decide(&target)? else {
            return Ok(StaffView::new(&target.member, Some(&target.account)));
        };

        let now = Utc::now().trunc_subsecs(3);
        let mut account = change.account;
        account.version = target.account.version + 1;
        account.updated_at = now;

        let mut writes = Vec::new();
        if is_active_admin(&target.account) && !is_active_admin(&account) {
            writes.push(remaining_admin(app, &caller.school, &target.account).await?);
        }
        if change.revoke {
            // Tokens carry whole seconds: refusing those issued up to and
            // including this second also catches one minted a moment ago.
            let revoke = app
                .store
                .revocation(&caller.school, staff.as_str(), now.timestamp() + 1);
            writes.push(revoke.map_err(store_failed)?);
        }
        let mut ids = vec![staff.to_string()];
        ids.extend(change.detail);
        let record = audit_record(caller, change.action, "staff", ids, request_id);
        writes.push(
            app.store
                .audit_write(&caller.school, &record)
                .map_err(store_failed)?,
        );

        let saved = app
            .store
            .save_account(&account, writes)
            .await
            .map_err(store_failed)?;
        if saved {
            if change.revoke {
                app.gate.forget(&caller.school);
            }
            tracing::info!(
                school = %caller.school,
                staff = %staff,
                action = change.action,
                "account changed"
            );
            return Ok(StaffView::new(&target.member, Some(&account)));
        }
        tracing::debug!(staff = %staff, attempt, "account changed meanwhile; reading it again");
        tokio::time::sleep(backoff(attempt)).await;
    }
    tracing::warn!(school = %caller.school, staff = %staff, "account change gave up after repeated conflicts");
    Err(Problem::unavailable(1))
}

/// The roster entry and the account: 404 if the roster does not list them
/// in the caller's school, 409 if they have not signed up.
async fn load(app: &App, school: &SchoolId, staff: &StaffId) -> Result<Target, Problem> {
    let at = AccountKey::of(AccountKind::Staff, Some(school), staff.as_str());
    let (member, account) = tokio::join!(
        app.store.staff_member(school, staff),
        app.store.account(&at)
    );
    let member = member
        .map_err(store_failed)?
        .ok_or_else(|| Problem::not_found("no such member of staff in your school"))?;
    let account = account.map_err(store_failed)?.ok_or_else(|| {
        Problem::conflict(
            "no-account",
            "this member of staff has not signed up yet; roles and status come with an account",
        )
    })?;
    Ok(Target { member, account })
}

fn is_active_admin(account: &Account) -> bool {
    account.status == AccountStatus::Active && account.roles.contains(Role::Admin)
}

/// A condition that another active admin stays as they are; 409 if there is
/// none.
async fn remaining_admin(
    app: &App,
    school: &SchoolId,
    leaving: &Account,
) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, Problem> {
    let accounts = app
        .store
        .staff_accounts(school)
        .await
        .map_err(store_failed)?;
    let other = accounts
        .iter()
        .find(|a| a.user_id != leaving.user_id && is_active_admin(a))
        .ok_or_else(|| {
            Problem::conflict(
                "last-admin",
                "the school must keep at least one active admin; make someone else admin first",
            )
        })?;
    app.store.account_unchanged(other).map_err(store_failed)
}

/// How long to wait before trying again: short, growing, and jittered so
/// that colliding writers fall apart.
fn backoff(attempt: u32) -> Duration {
    let base = 20u64 << attempt.min(4);
    let jitter = (ulid::Ulid::new().random() as u64) % base;
    Duration::from_millis(base + jitter)
}
