//! Accounts, one-time codes, refresh-token sessions and login throttles.
//!
//! | item | pk | sk |
//! | --- | --- | --- |
//! | a staff account | `S#<school>#STAFF` | `ACCOUNT#<staff>` |
//! | a parent's account | `PARENT#<id>` | `ACCOUNT` |
//! | a support engineer's account | `SUPPORT#<id>` | `ACCOUNT` |
//! | the address an account signs in with | `LOGIN#<email key>` | `LOGIN` |
//! | a one-time code sent to an address | `CODE#<email key>` | `<purpose>` |
//! | a refresh-token family | `SESSION#<family>` | `SESSION` |
//! | failed logins of an address or a source | `THROTTLE#<what>` | `LOGIN` |
//!
//! Staff accounts live under their school, so the tenant wall holds for
//! them as for everything else. An address is unique across the service:
//! the `LOGIN` item is written in the same transaction as its account, on
//! condition that it does not exist. Keys carry a digest of the address,
//! never the address itself.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use domain::{Email, Roles, SchoolId};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::dynamo::{Item, key, n, s};
use crate::error::StoreError;
use crate::keys;

/// Who an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AccountKind {
    Staff,
    Parent,
    Support,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AccountStatus {
    /// Signed up, address not yet proved.
    Pending,
    Active,
    /// Turned off by the school; nothing it holds works.
    Disabled,
}

/// Which version of the terms a parent accepted, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TermsAcceptance {
    pub version: String,
    pub accepted_at: DateTime<Utc>,
}

/// A person who signs in.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// The staff member's roster id, or the parent's or engineer's own id.
    pub user_id: String,
    pub kind: AccountKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school_id: Option<SchoolId>,
    pub email: Email,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An Argon2id PHC string.
    pub password_hash: String,
    pub roles: Roles,
    pub status: AccountStatus,
    /// Refresh-token sessions begun at or before this instant (milliseconds
    /// since the epoch) are dead: a session begun in the same second as a
    /// password reset must die with the rest.
    pub sessions_not_before_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<TermsAcceptance>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every change; writes are conditional on it.
    pub version: u64,
}

/// Accounts hold personal data and a password hash: debug output shows
/// neither.
impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("user_id", &self.user_id)
            .field("kind", &self.kind)
            .field("school_id", &self.school_id)
            .field("roles", &self.roles)
            .field("status", &self.status)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Account {
    /// Where the account is stored.
    pub fn key(&self) -> AccountKey {
        AccountKey::of(self.kind, self.school_id.as_ref(), &self.user_id)
    }
}

/// The table key of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountKey {
    pub account_pk: String,
    pub account_sk: String,
}

impl AccountKey {
    pub fn of(kind: AccountKind, school: Option<&SchoolId>, user: &str) -> Self {
        let (account_pk, account_sk) = match (kind, school) {
            (AccountKind::Staff, Some(school)) => {
                (keys::staff_directory(school), format!("ACCOUNT#{user}"))
            }
            (AccountKind::Staff, None) => (format!("STAFF#{user}"), "ACCOUNT".to_owned()),
            (AccountKind::Parent, _) => (format!("PARENT#{user}"), "ACCOUNT".to_owned()),
            (AccountKind::Support, _) => (format!("SUPPORT#{user}"), "ACCOUNT".to_owned()),
        };
        Self {
            account_pk,
            account_sk,
        }
    }

    fn item_key(&self) -> Item {
        key(self.account_pk.clone(), self.account_sk.clone())
    }
}

/// What a one-time code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CodePurpose {
    /// Proving an address at sign-up.
    Verify,
    /// Resetting a forgotten password.
    Reset,
    /// Accepting an operator's invitation to be a school's first admin.
    Invite,
}

impl CodePurpose {
    fn sk(self) -> &'static str {
        match self {
            CodePurpose::Verify => "VERIFY",
            CodePurpose::Reset => "RESET",
            CodePurpose::Invite => "INVITE",
        }
    }
}

/// A code emailed to an address, stored as a digest.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OneTimeCode {
    pub purpose: CodePurpose,
    pub code_hash: String,
    pub attempts_left: u32,
    /// Seconds since the epoch; also the item's TTL.
    pub expires_at: i64,
    /// For staff sign-up and invitations: the school and roster id the
    /// code lets its holder claim, and the roles they get.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school_id: Option<SchoolId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Roles>,
}

impl std::fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneTimeCode")
            .field("purpose", &self.purpose)
            .field("attempts_left", &self.attempts_left)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What checking a code found.
#[derive(Debug, Clone, PartialEq)]
pub enum CodeCheck {
    /// The code was right; it is used up.
    Accepted(OneTimeCode),
    /// Wrong, missing, expired or out of attempts.
    Refused,
}

/// A family of refresh tokens: one login and every rotation after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub family: String,
    #[serde(flatten)]
    pub account: AccountKey,
    /// Digest of the one refresh token that may be used next.
    pub current_hash: String,
    /// Digests of tokens already used: presenting one again is theft.
    #[serde(default)]
    pub used_hashes: Vec<String>,
    /// When the session began, in milliseconds since the epoch.
    pub created_at_ms: i64,
    pub rotated_at: i64,
    #[serde(default)]
    pub revoked: bool,
    /// Seconds since the epoch; also the item's TTL.
    pub expires_at: i64,
}

/// How many used token digests a session remembers.
const USED_HASHES_KEPT: usize = 64;

/// Failed logins counted for one address or one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Throttle {
    pub failures: u32,
    pub window_start: i64,
    #[serde(default)]
    pub locked_until: i64,
}

#[derive(Serialize, Deserialize)]
struct Keyed<T> {
    pk: String,
    sk: String,
    #[serde(flatten)]
    value: T,
    /// Written for the table's TTL; never read back, so that a value that
    /// carries its own `expiresAt` still finds it.
    #[serde(
        default,
        rename = "expiresAt",
        skip_serializing_if = "Option::is_none",
        skip_deserializing
    )]
    ttl: Option<i64>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginItem {
    #[serde(flatten)]
    account: AccountKey,
}

/// A keyed digest of an address, for keys and indexes.
pub fn email_key(email: &Email) -> String {
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    context.update(b"classlights-email\n");
    context.update(email.as_str().as_bytes());
    hex(context.finish().as_ref())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn login_pk(email: &Email) -> String {
    format!("LOGIN#{}", email_key(email))
}

fn code_pk(email: &Email) -> String {
    format!("CODE#{}", email_key(email))
}

fn session_pk(family: &str) -> String {
    format!("SESSION#{family}")
}

fn throttle_pk(what: &str) -> String {
    format!("THROTTLE#{what}")
}

fn item<T: Serialize>(
    pk: String,
    sk: &str,
    value: T,
    ttl: Option<i64>,
) -> Result<Item, StoreError> {
    Ok(serde_dynamo::to_item(Keyed {
        pk,
        sk: sk.to_owned(),
        value,
        ttl,
    })?)
}

fn unkeyed<T: for<'de> Deserialize<'de>>(item: Item) -> Result<T, StoreError> {
    Ok(serde_dynamo::from_item::<_, Keyed<T>>(item)?.value)
}

pub(crate) fn account_from_item(item: Item) -> Result<Account, StoreError> {
    unkeyed(item)
}

fn built<T, E: std::fmt::Display>(result: Result<T, E>) -> Result<T, StoreError> {
    result.map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn conditional_put(
    table: &str,
    item: Item,
    condition: &str,
    values: Vec<(&str, aws_sdk_dynamodb::types::AttributeValue)>,
) -> Result<TransactWriteItem, StoreError> {
    let mut put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition);
    for (name, value) in values {
        put = put.expression_attribute_values(name, value);
    }
    Ok(TransactWriteItem::builder()
        .put(built(put.build())?)
        .build())
}

pub(crate) fn plain_put(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder().table_name(table).set_item(Some(item));
    Ok(TransactWriteItem::builder()
        .put(built(put.build())?)
        .build())
}

impl Store {
    /// The account that signs in with this address.
    pub async fn account_by_email(&self, email: &Email) -> Result<Option<Account>, StoreError> {
        let Some(login) = self.get_item(key(login_pk(email), "LOGIN")).await? else {
            return Ok(None);
        };
        let login: LoginItem = unkeyed(login)?;
        self.account(&login.account).await
    }

    pub async fn account(&self, at: &AccountKey) -> Result<Option<Account>, StoreError> {
        self.get_item(at.item_key()).await?.map(unkeyed).transpose()
    }

    /// Creates an account and claims its address, with any other writes
    /// that must go with it (an audit record). False if the address already
    /// belongs to an account, or the account exists.
    pub async fn create_account(
        &self,
        account: &Account,
        with: Vec<TransactWriteItem>,
    ) -> Result<bool, StoreError> {
        let at = account.key();
        let mut writes = vec![
            conditional_put(
                &self.table,
                item(
                    login_pk(&account.email),
                    "LOGIN",
                    LoginItem {
                        account: at.clone(),
                    },
                    None,
                )?,
                "attribute_not_exists(pk)",
                vec![],
            )?,
            conditional_put(
                &self.table,
                item(at.account_pk, &at.account_sk, account, None)?,
                "attribute_not_exists(pk)",
                vec![],
            )?,
        ];
        writes.extend(with);
        self.transact(writes).await
    }

    /// Saves a changed account if nobody changed it since `account.version
    /// - 1`, with any writes that go with it. False if someone did.
    pub async fn save_account(
        &self,
        account: &Account,
        with: Vec<TransactWriteItem>,
    ) -> Result<bool, StoreError> {
        let at = account.key();
        let mut writes = vec![conditional_put(
            &self.table,
            item(at.account_pk, &at.account_sk, account, None)?,
            "version = :previous",
            vec![(":previous", n(account.version.saturating_sub(1)))],
        )?];
        writes.extend(with);
        self.transact(writes).await
    }

    /// Stores a code for an address, replacing any earlier one with the same
    /// purpose.
    pub async fn put_code(&self, email: &Email, code: &OneTimeCode) -> Result<(), StoreError> {
        let item = item(
            code_pk(email),
            code.purpose.sk(),
            code,
            Some(code.expires_at),
        )?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await?;
        Ok(())
    }

    /// The code waiting for an address, without using it.
    pub async fn code(
        &self,
        email: &Email,
        purpose: CodePurpose,
    ) -> Result<Option<OneTimeCode>, StoreError> {
        self.get_item(key(code_pk(email), purpose.sk()))
            .await?
            .map(unkeyed)
            .transpose()
    }

    /// Checks a code. The right code is used up at once; a wrong one costs
    /// an attempt, and the last attempt destroys the code.
    pub async fn check_code(
        &self,
        email: &Email,
        purpose: CodePurpose,
        candidate_hash: &str,
        now: i64,
    ) -> Result<CodeCheck, StoreError> {
        let at = key(code_pk(email), purpose.sk());
        let Some(found) = self.get_item(at.clone()).await? else {
            return Ok(CodeCheck::Refused);
        };
        let code: OneTimeCode = unkeyed(found)?;
        if code.expires_at <= now || code.attempts_left == 0 {
            return Ok(CodeCheck::Refused);
        }
        let right = aws_lc_rs::constant_time::verify_slices_are_equal(
            code.code_hash.as_bytes(),
            candidate_hash.as_bytes(),
        )
        .is_ok();
        let left = code.attempts_left - 1;
        let outcome = if right || left == 0 {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(at))
                .condition_expression("attemptsLeft = :seen AND codeHash = :hash")
                .expression_attribute_values(":seen", n(code.attempts_left))
                .expression_attribute_values(":hash", s(code.code_hash.clone()))
                .send()
                .await
                .map(|_| ())
                .map_err(StoreError::from)
        } else {
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(at))
                .update_expression("SET attemptsLeft = :left")
                .condition_expression("attemptsLeft = :seen AND codeHash = :hash")
                .expression_attribute_values(":seen", n(code.attempts_left))
                .expression_attribute_values(":left", n(left))
                .expression_attribute_values(":hash", s(code.code_hash.clone()))
                .send()
                .await
                .map(|_| ())
                .map_err(StoreError::from)
        };
        match outcome {
            Ok(()) if right => Ok(CodeCheck::Accepted(code)),
            Ok(()) => Ok(CodeCheck::Refused),
            // Someone else used or tried the code at the same moment: this
            // attempt counts as refused, and can be made again.
            Err(error) if is_condition_failure(&error) => Ok(CodeCheck::Refused),
            Err(error) => Err(error),
        }
    }

    pub async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        let item = item(
            session_pk(&session.family),
            "SESSION",
            session,
            Some(session.expires_at),
        )?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await?;
        Ok(())
    }

    pub async fn session(&self, family: &str) -> Result<Option<Session>, StoreError> {
        self.get_item(key(session_pk(family), "SESSION"))
            .await?
            .map(unkeyed)
            .transpose()
    }

    /// Moves a session on to a new token, if `previous` is still its
    /// current one and it is not revoked. False if another refresh won.
    pub async fn rotate_session(
        &self,
        session: &Session,
        next_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let mut rotated = session.clone();
        rotated.used_hashes.push(session.current_hash.clone());
        let excess = rotated.used_hashes.len().saturating_sub(USED_HASHES_KEPT);
        rotated.used_hashes.drain(..excess);
        rotated.current_hash = next_hash.to_owned();
        rotated.rotated_at = now;
        rotated.expires_at = expires_at;
        let write = conditional_put(
            &self.table,
            item(
                session_pk(&session.family),
                "SESSION",
                &rotated,
                Some(expires_at),
            )?,
            "currentHash = :previous AND revoked = :no",
            vec![
                (":previous", s(session.current_hash.clone())),
                (":no", aws_sdk_dynamodb::types::AttributeValue::Bool(false)),
            ],
        )?;
        self.transact(vec![write]).await
    }

    /// Ends a session: none of its tokens works again.
    pub async fn revoke_session(&self, family: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(session_pk(family), "SESSION")))
            .update_expression("SET revoked = :yes")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(
                ":yes",
                aws_sdk_dynamodb::types::AttributeValue::Bool(true),
            )
            .send()
            .await
            .map_err(StoreError::from);
        match result {
            Err(error) if is_condition_failure(&error) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// The throttles of several addresses or sources, absent ones as zero.
    pub async fn throttles(&self, what: &[String]) -> Result<Vec<Throttle>, StoreError> {
        let keys: Vec<Item> = what.iter().map(|w| key(throttle_pk(w), "LOGIN")).collect();
        let found = self.get_many(keys).await?;
        let mut throttles = vec![Throttle::default(); what.len()];
        for item in found {
            let pk = crate::dynamo::text(&item, keys::PK).unwrap_or_default();
            if let Some(index) = what.iter().position(|w| throttle_pk(w) == pk) {
                throttles[index] = unkeyed(item)?;
            }
        }
        Ok(throttles)
    }

    /// Counts one failed login against `what` in a window starting no
    /// earlier than `window_start`; returns the count after it.
    pub async fn count_failure(
        &self,
        what: &str,
        now: i64,
        window_seconds: i64,
    ) -> Result<Throttle, StoreError> {
        let at = key(throttle_pk(what), "LOGIN");
        let within = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(at.clone()))
            .update_expression("ADD failures :one SET expiresAt = :ttl")
            .condition_expression("windowStart > :cutoff")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":cutoff", n(now - window_seconds))
            .expression_attribute_values(":ttl", n(now + 2 * window_seconds + 3600))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await
            .map_err(StoreError::from);
        match within {
            Ok(output) => Ok(serde_dynamo::from_item(
                output.attributes.unwrap_or_default(),
            )?),
            Err(error) if is_condition_failure(&error) => {
                // No window open: start one, keeping any lock still running.
                let output = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(at))
                    .update_expression(
                        "SET failures = :one, windowStart = :now, expiresAt = :ttl, \
                         lockedUntil = if_not_exists(lockedUntil, :zero)",
                    )
                    .expression_attribute_values(":one", n(1))
                    .expression_attribute_values(":now", n(now))
                    .expression_attribute_values(":zero", n(0))
                    .expression_attribute_values(":ttl", n(now + 2 * window_seconds + 3600))
                    .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
                    .send()
                    .await?;
                Ok(serde_dynamo::from_item(
                    output.attributes.unwrap_or_default(),
                )?)
            }
            Err(error) => Err(error),
        }
    }

    /// Locks `what` until the given instant.
    pub async fn lock(&self, what: &str, until: i64) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(throttle_pk(what), "LOGIN")))
            .update_expression("SET lockedUntil = :until")
            .expression_attribute_values(":until", n(until))
            .send()
            .await?;
        Ok(())
    }

    /// Forgets the failures of `what` (after a successful login).
    pub async fn clear_throttle(&self, what: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(throttle_pk(what), "LOGIN")))
            .send()
            .await?;
        Ok(())
    }

    /// Runs writes as one transaction. False if a condition failed.
    pub async fn transact(&self, writes: Vec<TransactWriteItem>) -> Result<bool, StoreError> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) => {
                let cancelled_by_condition = error
                    .as_service_error()
                    .and_then(|e| match e {
                        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => Some(c),
                        _ => None,
                    })
                    .is_some_and(|c| {
                        c.cancellation_reasons().iter().any(|r| {
                            r.code() == Some("ConditionalCheckFailed")
                        }) && c.cancellation_reasons().iter().all(|r| {
                            matches!(r.code(), Some("ConditionalCheckFailed" | "None") | None)
                        })
                    });
                if cancelled_by_condition {
                    Ok(false)
                } else {
                    Err(error.into())
                }
            }
        }
    }

    pub(crate) async fn get_item(&self, at: Item) -> Result<Option<Item>, StoreError> {
        Ok(self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(at))
            .consistent_read(true)
            .send()
            .await?
            .item)
    }
}

pub(crate) fn is_condition_failure(error: &StoreError) -> bool {
    matches!(error, StoreError::ConditionFailed)
}
