//! What the daily green-streak check reads and writes (the streak itself is
//! [`domain::streak`]): each pupil's latest standing negative behaviour, the
//! latest streak of each rule they were awarded for, and a mark that lets
//! the check run once per school and day.
//!
//! | item | pk | sk |
//! | --- | --- | --- |
//! | a pupil's latest awarded streak of a rule | `S#<school>#PUPIL#<pupil>` | `STREAK#<rule>` |
//! | the school's check of one day | `S#<school>#STREAKS` | `CHECK#<date>` |
//!
//! The latest negative comes from the pupil's `TOTALS`, which counts the
//! standing negatives of each of their latest lesson dates in the same
//! transaction as every behaviour and withdrawal: a withdrawn negative
//! uncovers the one before. Negatives logged before those dates were kept
//! (or dropped as old) are found on the pupil's timeline, one Query.
//!
//! A streak certificate is written in one transaction with its earned mark
//! (`EARNED#<rule>#<first day>`, only if absent) and the pupil's latest
//! streak of the rule (only if that ended before this one starts), so a
//! check run twice, or two at once, earns it once.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::{PupilId, SchoolId, Streak};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::behaviours::{LastNegative, TotalsItem};
use crate::certificates::{Certificate, Earned, earned_sk};
use crate::directory::DirectoryPupil;
use crate::dynamo::{key, n, s, text};
use crate::error::StoreError;
use crate::identity::conditional_put;
use crate::keys;

/// How long a finished check's mark is kept.
const CHECK_LIFETIME: Duration = Duration::days(7);

/// A pupil as the streak check sees them.
#[derive(Debug, Clone)]
pub struct StreakStanding {
    pub pupil: DirectoryPupil,
    /// The lesson date of their latest negative behaviour still standing.
    pub last_negative: Option<NaiveDate>,
    /// The last day of the latest streak awarded, by rule.
    pub awarded_ends: HashMap<String, NaiveDate>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StreakItem {
    pk: String,
    sk: String,
    rule_id: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    certificate_id: String,
}

fn streak_sk(rule: &str) -> String {
    format!("STREAK#{rule}")
}

fn check_key(school: &SchoolId, date: NaiveDate) -> crate::dynamo::Item {
    key(format!("S#{school}#STREAKS"), format!("CHECK#{date}"))
}

impl Store {
    /// Each pupil's latest standing negative and awarded streaks of
    /// `rules`, read in batches of items.
    pub async fn streak_standings(
        &self,
        school: &SchoolId,
        pupils: Vec<DirectoryPupil>,
        rules: &[&str],
    ) -> Result<Vec<StreakStanding>, StoreError> {
        let mut wanted = Vec::new();
        for pupil in &pupils {
            let pk = keys::pupil(school, &pupil.id);
            wanted.push(key(pk.clone(), keys::TOTALS));
            for rule in rules {
                wanted.push(key(pk.clone(), streak_sk(rule)));
            }
        }
        let mut totals: HashMap<String, LastNegative> = HashMap::new();
        let mut awarded: HashMap<String, HashMap<String, NaiveDate>> = HashMap::new();
        for item in self.get_many(wanted).await? {
            if text(&item, keys::SK).as_deref() == Some(keys::TOTALS) {
                let total: TotalsItem = serde_dynamo::from_item(item)?;
                totals.insert(total.pupil_id().to_owned(), total.last_negative());
            } else {
                let pk = text(&item, keys::PK).unwrap_or_default();
                let streak: StreakItem = serde_dynamo::from_item(item)?;
                awarded
                    .entry(pk)
                    .or_default()
                    .insert(streak.rule_id, streak.ends_on);
            }
        }

        let mut standings = Vec::with_capacity(pupils.len());
        for pupil in pupils {
            let last_negative = match totals.get(pupil.id.as_str()) {
                Some(LastNegative::On(date)) => Some(*date),
                Some(LastNegative::Undated) => {
                    self.last_negative_on_timeline(school, &pupil.id).await?
                }
                Some(LastNegative::None) | None => None,
            };
            let awarded_ends = awarded
                .remove(&keys::pupil(school, &pupil.id))
                .unwrap_or_default();
            standings.push(StreakStanding {
                pupil,
                last_negative,
                awarded_ends,
            });
        }
        Ok(standings)
    }

    /// The lesson date of the pupil's latest standing negative, from their
    /// timeline, newest first.
    async fn last_negative_on_timeline(
        &self,
        school: &SchoolId,
        pupil: &PupilId,
    ) -> Result<Option<NaiveDate>, StoreError> {
        let request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :pk AND gsi1sk BETWEEN :low AND :high")
            .filter_expression("positive = :no AND attribute_not_exists(withdrawal)")
            .projection_expression("lessonDate")
            .expression_attribute_values(":pk", s(keys::pupil(school, pupil)))
            .expression_attribute_values(":low", s("BEHAVIOUR#"))
            .expression_attribute_values(":high", s("BEHAVIOUR#~"))
            .expression_attribute_values(
                ":no",
                aws_sdk_dynamodb::types::AttributeValue::Bool(false),
            )
            .scan_index_forward(false);
        let mut start = None;
        loop {
            let output = request
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await?;
            let latest = output
                .items
                .unwrap_or_default()
                .iter()
                .filter_map(|item| text(item, "lessonDate")?.parse::<NaiveDate>().ok())
                .max();
            if latest.is_some() {
                return Ok(latest);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(None);
            }
        }
    }

    /// Records a certificate for `streak` of its rule, unless the pupil was
    /// already awarded this streak or a later one of the rule.
    pub async fn earn_streak_certificate(
        &self,
        school: &SchoolId,
        certificate: Certificate,
        streak: Streak,
    ) -> Result<Earned, StoreError> {
        let rule = certificate
            .rule_id
            .clone()
            .ok_or_else(|| StoreError::Corrupt("an earned certificate names its rule".into()))?;
        let latest = serde_dynamo::to_item(StreakItem {
            pk: keys::pupil(school, &certificate.pupil_id),
            sk: streak_sk(&rule),
            rule_id: rule.clone(),
            starts_on: streak.starts_on,
            ends_on: streak.ends_on,
            certificate_id: certificate.id.clone(),
        })?;
        let latest = conditional_put(
            &self.table,
            latest,
            "attribute_not_exists(pk) OR endsOn < :starts",
            vec![(":starts", s(streak.starts_on.to_string()))],
        )?;
        let mark = earned_sk(&rule, &streak.starts_on.to_string());
        self.earn_marked(school, certificate, mark, vec![latest])
            .await
    }

    /// Claims the school's streak check of `date` for `lease`: false if it
    /// is done, or another run holds it.
    pub async fn claim_streak_check(
        &self,
        school: &SchoolId,
        date: NaiveDate,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let mut item = check_key(school, date);
        item.insert("claimedUntil".into(), s(keys::instant(now + lease)));
        item.insert("expiresAt".into(), n((now + CHECK_LIFETIME).timestamp()));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(pk) OR \
                 (attribute_not_exists(doneAt) AND claimedUntil < :now)",
            )
            .expression_attribute_values(":now", s(keys::instant(now)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) => match StoreError::from(error) {
                StoreError::ConditionFailed => Ok(false),
                other => Err(other),
            },
        }
    }

    /// Marks the school's streak check of `date` as done.
    pub async fn finish_streak_check(
        &self,
        school: &SchoolId,
        date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(check_key(school, date)))
            .update_expression("SET doneAt = :now")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", s(keys::instant(now)))
            .send()
            .await?;
        Ok(())
    }
}
