//! The school's staff as the roster knows them, beside their accounts. Each
//! member with a work email is findable by it (index `email`, keyed by a
//! digest of the address), which is how staff sign-up proves that an
//! address belongs to the school.

use domain::{Email, SchoolId, StaffId};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::dynamo::{Item, s, text};
use crate::error::StoreError;
use crate::identity::{Account, email_key};
use crate::keys;

/// A member of staff from the roster.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffMember {
    pub id: StaffId,
    pub first_name: String,
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
}

impl std::fmt::Debug for StaffMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffMember")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StaffItem {
    pk: String,
    sk: String,
    school_id: SchoolId,
    #[serde(flatten)]
    member: StaffMember,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email_key: Option<String>,
}

/// A member of staff with their account, if they have one.
#[derive(Debug, Clone)]
pub struct StaffEntry {
    pub member: StaffMember,
    pub account: Option<Account>,
}

fn staff_sk(id: &StaffId) -> String {
    format!("STAFF#{id}")
}

impl Store {
    /// Writes staff (seeding, and the roster sync).
    pub async fn put_staff(
        &self,
        school: &SchoolId,
        staff: &[StaffMember],
    ) -> Result<(), StoreError> {
        let items: Vec<Item> = staff
            .iter()
            .map(|member| {
                serde_dynamo::to_item(StaffItem {
                    pk: keys::staff_directory(school),
                    sk: staff_sk(&member.id),
                    school_id: school.clone(),
                    member: member.clone(),
                    email_key: member.email.as_ref().map(email_key),
                })
            })
            .collect::<Result<_, _>>()?;
        self.put_many(items).await
    }

    pub async fn staff_member(
        &self,
        school: &SchoolId,
        id: &StaffId,
    ) -> Result<Option<StaffMember>, StoreError> {
        Ok(self
            .get_item(crate::dynamo::key(
                keys::staff_directory(school),
                staff_sk(id),
            ))
            .await?
            .map(serde_dynamo::from_item::<_, StaffItem>)
            .transpose()?
            .map(|item| item.member))
    }

    /// The roster entries, in any school, that hold this work email.
    pub async fn staff_by_email(
        &self,
        email: &Email,
    ) -> Result<Vec<(SchoolId, StaffMember)>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("email")
            .key_condition_expression("emailKey = :key")
            .expression_attribute_values(":key", s(email_key(email)))
            .send()
            .await?;
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .filter(|item| text(item, keys::SK).is_some_and(|sk| sk.starts_with("STAFF#")))
            .map(|item| {
                let item: StaffItem = serde_dynamo::from_item(item)?;
                Ok((item.school_id, item.member))
            })
            .collect()
    }

    /// Every member of the school's staff with their account, by roster id.
    pub async fn staff_directory(&self, school: &SchoolId) -> Result<Vec<StaffEntry>, StoreError> {
        let mut members = Vec::new();
        let mut accounts = std::collections::HashMap::new();
        for item in self.partition(&keys::staff_directory(school)).await? {
            match text(&item, keys::SK) {
                Some(sk) if sk.starts_with("STAFF#") => {
                    members.push(serde_dynamo::from_item::<_, StaffItem>(item)?.member);
                }
                Some(sk) if sk.starts_with("ACCOUNT#") => {
                    let account: Account = crate::identity::account_from_item(item)?;
                    accounts.insert(account.user_id.clone(), account);
                }
                _ => {}
            }
        }
        Ok(members
            .into_iter()
            .map(|member| {
                let account = accounts.remove(member.id.as_str());
                StaffEntry { member, account }
            })
            .collect())
    }
}
