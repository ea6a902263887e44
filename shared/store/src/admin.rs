//! What managing a school's staff needs beyond [`crate::staff`]: every
//! staff account the school holds, whether or not the roster still lists
//! its owner, and a transaction condition that pins an account as it was
//! read, so that a change relying on it (the school keeps an admin) fails
//! if it changed meanwhile.

use aws_sdk_dynamodb::types::{ConditionCheck, TransactWriteItem};
use domain::SchoolId;

use crate::Store;
use crate::dynamo::{key, n, s};
use crate::error::StoreError;
use crate::identity::{Account, account_from_item};
use crate::keys;

impl Store {
    /// Every staff account of the school, by key order.
    pub async fn staff_accounts(&self, school: &SchoolId) -> Result<Vec<Account>, StoreError> {
        let mut accounts = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :accounts)")
                .expression_attribute_values(":pk", s(keys::staff_directory(school)))
                .expression_attribute_values(":accounts", s("ACCOUNT#"))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                accounts.push(account_from_item(item)?);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(accounts);
            }
        }
    }

    /// A transaction condition that the account still has the version it
    /// was read at.
    pub fn account_unchanged(&self, account: &Account) -> Result<TransactWriteItem, StoreError> {
        let at = account.key();
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(at.account_pk, at.account_sk)))
            .condition_expression("version = :seen")
            .expression_attribute_values(":seen", n(account.version))
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }
}
