//! The charts job against the emulator: behaviours logged and withdrawn
//! through the behaviour function, their events delivered as SQS would
//! (twice, out of order, in batches that half fail, two consumers at
//! once), and the aggregates compared with a count made independently from
//! the behaviours in the table. The reconciliation finds and repairs drift
//! put there on purpose, and counts an event that never arrived.

use std::collections::{BTreeMap, HashMap};

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use compute_charts::reconcile::{ReconcileRequest, reconcile};
use domain::charts::{AggregateKey, week_of, weeks_between};
use domain::{Behaviour, PupilId, Role, SchoolId};
use platform::CursorSigner;
use platform::queue::EventQueue;
use serde_json::json;
use store::BehaviourQuery;
use testkit::{Answer, ApiRequest, DemoSchool, SigningKey, TestQueue, TestTable};

struct Harness {
    table: TestTable,
    key: SigningKey,
    school: DemoSchool,
    events: TestQueue,
    behaviour: behaviour::App,
    job: compute_charts::App,
    /// A small deterministic random source, so a failure can be replayed.
    seed: u64,
}

impl Harness {
    async fn new(name: &str) -> Self {
        let table = TestTable::create().await;
        let events = TestQueue::create().await;
        let certificates = TestQueue::create().await;
        let notifications = TestQueue::create().await;
        let key = SigningKey::generate();
        let school = testkit::seed_school(
            &table.store,
            &SchoolId::parse(name).unwrap(),
            "Riverside Academy",
        )
        .await;
        let behaviour = behaviour::App {
            store: table.store.clone(),
            events: EventQueue::new(events.client.clone(), events.url.clone()),
            certificates: EventQueue::new(certificates.client.clone(), certificates.url.clone()),
            gate: platform::Gate::new(key.verifier()),
            cursors: CursorSigner::new("cursor secret for the tests, 32+ chars").unwrap(),
        };
        let job = compute_charts::App {
            store: table.store.clone(),
            notifications: EventQueue::new(notifications.client.clone(), notifications.url.clone()),
        };
        Self {
            table,
            key,
            school,
            events,
            behaviour,
            job,
            seed: 0x5eed_c4a7,
        }
    }

    fn random(&mut self, below: usize) -> usize {
        self.seed = self
            .seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.seed >> 33) as usize) % below
    }

    fn teacher(&self) -> String {
        self.key
            .token(&self.school.id, &self.school.teacher, Role::Teacher)
    }

    /// Logs a behaviour type for some pupils of a class, some hours ago.
    async fn log(
        &self,
        class: usize,
        pupils: &[PupilId],
        kind: &str,
        hours_ago: i64,
    ) -> Vec<String> {
        let class = &self.school.classes[class];
        let request = ApiRequest::post("/v1/behaviours")
            .bearer(&self.teacher())
            .header("Idempotency-Key", &ulid::Ulid::new().to_string())
            .json(&json!({
                "classId": class.id,
                "pupilIds": pupils,
                "behaviourTypeId": kind,
                "occurredAt": Utc::now() - Duration::hours(hours_ago),
            }));
        let answer =
            Answer::from_response(behaviour::handle(&self.behaviour, request.build()).await);
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.body["behaviours"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn withdraw(&self, id: &str) {
        let request = ApiRequest::post(&format!("/v1/behaviours/{id}/withdraw"))
            .bearer(&self.teacher())
            .json(&json!({ "reason": "Logged for the wrong pupil" }));
        let answer =
            Answer::from_response(behaviour::handle(&self.behaviour, request.build()).await);
        assert_eq!(answer.status, 200, "{}", answer.body);
    }

    /// A random mix of whole-class and single-pupil logs, positive and
    /// negative, over the last three days, with some withdrawn.
    async fn random_mix(&mut self, operations: usize) {
        let kinds = [
            "on-task",
            "great-work",
            "kindness",
            "off-task",
            "disruption",
            "defiance",
        ];
        let mut logged: Vec<String> = Vec::new();
        for _ in 0..operations {
            let choice = self.random(10);
            if choice < 2 && !logged.is_empty() {
                let id = logged.swap_remove(self.random(logged.len()));
                self.withdraw(&id).await;
                continue;
            }
            let class = self.random(self.school.classes.len());
            let all = self.school.pupils(&self.school.classes[class]);
            let pupils = if choice < 4 {
                all
            } else {
                vec![all[self.random(all.len())].clone()]
            };
            let kind = kinds[self.random(kinds.len())];
            let hours = self.random(72) as i64;
            logged.extend(self.log(class, &pupils, kind, hours).await);
        }
    }

    async fn deliver(&self, bodies: &[String]) -> (usize, Vec<String>) {
        let event = sqs_event(bodies);
        let (response, report) = compute_charts::handle_batch(&self.job, event).await;
        let failed = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect();
        (report.counted, failed)
    }

    /// Every behaviour of the school, withdrawn ones too.
    async fn behaviours(&self) -> Vec<Behaviour> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let query = BehaviourQuery {
                limit: 200,
                after,
                ..BehaviourQuery::default()
            };
            let (page, next) = self
                .table
                .store
                .behaviours(&self.school.id, &query)
                .await
                .unwrap();
            all.extend(page);
            match next {
                Some(next) => after = Some(next),
                None => return all,
            }
        }
    }

    /// The aggregates as stored: positives, negatives and points by key,
    /// and the school's days by type.
    async fn stored(&self, from: NaiveDate, to: NaiveDate) -> (Counts, BTreeMap<String, i64>) {
        let store = &self.table.store;
        let mut counts = Counts::new();
        let mut types = BTreeMap::new();
        for day in store
            .school_day_tallies(&self.school.id, from, to)
            .await
            .unwrap()
        {
            let t = &day.tally;
            if let AggregateKey::SchoolDay(date) = day.key {
                for (kind, n) in &t.types {
                    types.insert(format!("{date} {kind}"), *n);
                }
                if (t.positives, t.negatives, t.points) != (0, 0, 0) {
                    counts.insert(format!("day {date}"), (t.positives, t.negatives, t.points));
                }
            }
        }
        for monday in weeks_between(from, to) {
            for aggregate in store
                .week_tallies(&self.school.id, monday, None)
                .await
                .unwrap()
            {
                let t = &aggregate.tally;
                if let AggregateKey::Week { dimension, id, .. } = &aggregate.key
                    && (t.positives, t.negatives, t.points) != (0, 0, 0)
                {
                    counts.insert(
                        format!("{dimension} {id} {monday}"),
                        (t.positives, t.negatives, t.points),
                    );
                }
            }
        }
        (counts, types)
    }

    /// The same, counted straight from the behaviours and the roster.
    async fn expected(&self) -> (Counts, BTreeMap<String, i64>) {
        // Each pupil's year and house as the roster holds them.
        let mut pupils: HashMap<PupilId, (String, Option<String>)> = HashMap::new();
        let store = &self.table.store;
        for class in &self.school.classes {
            for member in &class.members {
                let item = store
                    .client()
                    .get_item()
                    .table_name(store.table())
                    .key(
                        "pk",
                        AttributeValue::S(format!(
                            "S#{}#PUPIL#{}",
                            self.school.id, member.pupil_id
                        )),
                    )
                    .key("sk", AttributeValue::S("PUPIL".into()))
                    .send()
                    .await
                    .unwrap()
                    .item
                    .unwrap();
                let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
                pupils.insert(
                    member.pupil_id.clone(),
                    (text("yearGroup").unwrap(), text("house")),
                );
            }
        }
        let mut counts = Counts::new();
        let mut types = BTreeMap::new();
        for b in self.behaviours().await {
            if b.withdrawal.is_some() {
                continue;
            }
            let monday = week_of(b.lesson_date);
            let (year, house) = pupils[&b.pupil_id].clone();
            let mut keys = vec![
                format!("day {}", b.lesson_date),
                format!("pupil {} {monday}", b.pupil_id),
                format!("class {} {monday}", b.class_id),
                format!("staff {} {monday}", b.logged_by),
                format!("type {} {monday}", b.behaviour_type_id),
                format!("year {year} {monday}"),
            ];
            if let Some(house) = house {
                keys.push(format!("house {house} {monday}"));
            }
            for key in keys {
                let entry = counts.entry(key).or_default();
                if b.positive {
                    entry.0 += 1;
                } else {
                    entry.1 += 1;
                }
                entry.2 += i64::from(b.points);
            }
            *types
                .entry(format!("{} {}", b.lesson_date, b.behaviour_type_id))
                .or_insert(0) += 1;
        }
        counts.retain(|_, c| *c != (0, 0, 0));
        (counts, types)
    }

    async fn assert_counts_match(&self) {
        let today = Utc::now().date_naive();
        let (from, to) = (today - Duration::days(10), today + Duration::days(1));
        let (expected, expected_types) = self.expected().await;
        let (stored, stored_types) = self.stored(from, to).await;
        assert_eq!(stored.len(), expected.len(), "aggregates");
        for (key, value) in &expected {
            assert_eq!(stored.get(key), Some(value), "{key}");
        }
        assert_eq!(stored_types, expected_types);
    }

    fn range(&self) -> ReconcileRequest {
        let today = Utc::now().date_naive();
        ReconcileRequest {
            school_id: self.school.id.clone(),
            from: today - Duration::days(5),
            to: today + Duration::days(1),
        }
    }
}

type Counts = BTreeMap<String, (i64, i64, i64)>;

fn sqs_event(bodies: &[String]) -> SqsEvent {
    let records: Vec<_> = bodies
        .iter()
        .enumerate()
        .map(
            |(i, body)| json!({ "messageId": format!("m{i}-{}", ulid::Ulid::new()), "body": body }),
        )
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

#[tokio::test]
async fn aggregates_equal_a_count_of_the_behaviours_however_the_events_arrive() {
    let mut h = Harness::new("charts-mix").await;
    h.random_mix(40).await;
    let mut messages = h.events.drain().await;
    assert!(messages.len() >= 30, "{} events", messages.len());

    // A batch half fails: its first half was counted, then SQS hands the
    // whole batch back.
    let half = messages.len() / 2;
    let mut counted = 0;
    for chunk in messages[..half].chunks(10) {
        let (n, failed) = h.deliver(chunk).await;
        assert!(failed.is_empty());
        counted += n;
    }
    assert_eq!(counted, half);
    // Everything again, shuffled, and two consumers at once with batches
    // that overlap.
    for i in (1..messages.len()).rev() {
        let j = h.random(i + 1);
        messages.swap(i, j);
    }
    let (a, b) = messages.split_at(messages.len() * 2 / 3);
    let overlap: Vec<String> = b.iter().chain(&a[..a.len() / 2]).cloned().collect();
    let first: Vec<_> = a.chunks(10).collect();
    let second: Vec<_> = overlap.chunks(10).collect();
    for i in 0..first.len().max(second.len()) {
        let (x, y) = tokio::join!(
            async {
                match first.get(i) {
                    Some(chunk) => h.deliver(chunk).await,
                    None => (0, vec![]),
                }
            },
            async {
                match second.get(i) {
                    Some(chunk) => h.deliver(chunk).await,
                    None => (0, vec![]),
                }
            }
        );
        assert!(x.1.is_empty() && y.1.is_empty(), "{x:?} {y:?}");
        counted += x.0 + y.0;
    }
    // Each event counted once over all deliveries.
    assert_eq!(counted, messages.len());
    h.assert_counts_match().await;

    // Nothing to repair.
    let report = reconcile(&h.table.store, &h.range()).await.unwrap();
    assert_eq!(report.drifted, 0, "{:?}", report.examples);
    assert_eq!(report.claimed, 0);
    assert!(report.behaviours > 0);
}

#[tokio::test]
async fn the_reconciliation_finds_and_repairs_drift_and_counts_lost_events() {
    let mut h = Harness::new("charts-drift").await;
    h.random_mix(12).await;
    let messages = h.events.drain().await;
    for chunk in messages.chunks(10) {
        h.deliver(chunk).await;
    }
    h.assert_counts_match().await;

    // An event that never arrives, and a withdrawal whose event is lost.
    let pupils = h.school.pupils(h.school.class());
    let lost = h.log(0, &pupils[..3], "great-work", 1).await;
    let also_lost = h
        .log(
            1,
            &h.school.pupils(&h.school.classes[1])[..1],
            "disruption",
            2,
        )
        .await;
    let (lost_log, others): (Vec<String>, Vec<String>) = h
        .events
        .drain()
        .await
        .into_iter()
        .partition(|body| body.contains(&lost[0]));
    h.deliver(&others).await;
    h.withdraw(&also_lost[0]).await;
    let late = [lost_log[0].clone(), h.events.drain().await.remove(0)];

    // Drift put there by hand: a count too high, an item gone, an item that
    // should not exist.
    let store = &h.table.store;
    let school = &h.school.id;
    let today = Utc::now().date_naive();
    let (_, some_day) = store
        .school_day_tallies(
            school,
            today - Duration::days(10),
            today + Duration::days(1),
        )
        .await
        .unwrap()
        .into_iter()
        .map(|a| ((), a))
        .next()
        .unwrap();
    let AggregateKey::SchoolDay(day) = some_day.key else {
        unreachable!()
    };
    let client = store.client();
    client
        .update_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(format!("S#{school}#CHARTS")))
        .key("sk", AttributeValue::S(format!("DAY#{day}")))
        .update_expression("ADD pos :five")
        .expression_attribute_values(":five", AttributeValue::N("5".into()))
        .send()
        .await
        .unwrap();
    let monday = week_of(today);
    client
        .delete_item()
        .table_name(store.table())
        .key(
            "pk",
            AttributeValue::S(format!("S#{school}#CHARTS#{monday}")),
        )
        .key(
            "sk",
            AttributeValue::S(format!("class#{}", h.school.classes[2].id)),
        )
        .send()
        .await
        .unwrap();
    client
        .put_item()
        .table_name(store.table())
        .item(
            "pk",
            AttributeValue::S(format!("S#{school}#CHARTS#{monday}")),
        )
        .item("sk", AttributeValue::S("staff#ghost".into()))
        .item("week", AttributeValue::S(monday.to_string()))
        .item("dimension", AttributeValue::S("staff".into()))
        .item("id", AttributeValue::S("ghost".into()))
        .item("neg", AttributeValue::N("4".into()))
        .item("rev", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();

    let report = reconcile(store, &h.range()).await.unwrap();
    // The lost log and the lost withdrawal were claimed.
    assert_eq!(report.claimed, 2, "{report:?}");
    assert!(report.drifted >= 4, "{report:?}");
    let ghost = format!("staff ghost week of {monday}");
    assert!(report.examples.contains(&ghost), "{:?}", report.examples);
    h.assert_counts_match().await;

    // The lost events turn up after all: already counted, they change
    // nothing.
    let (counted, failed) = h.deliver(&late).await;
    assert_eq!((counted, failed.len()), (0, 0));
    h.assert_counts_match().await;
    let again = reconcile(store, &h.range()).await.unwrap();
    assert_eq!((again.drifted, again.claimed), (0, 0), "{again:?}");
}

#[tokio::test]
async fn a_message_that_is_not_an_event_fails_alone() {
    let h = Harness::new("charts-malformed").await;
    let pupils = h.school.pupils(h.school.class());
    h.log(0, &pupils[..2], "kindness", 0).await;
    let mut bodies = h.events.drain().await;
    bodies.insert(0, "{\"type\": \"behaviour.logged\"}".into());
    bodies.push("not json".into());
    let event = sqs_event(&bodies);
    let ids: Vec<String> = event
        .records
        .iter()
        .map(|r| r.message_id.clone().unwrap())
        .collect();
    let (response, report) = compute_charts::handle_batch(&h.job, event).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, [ids[0].clone(), ids[2].clone()]);
    assert_eq!(report.counted, 1);
    h.assert_counts_match().await;
}

#[tokio::test]
async fn group_analysis_counts_each_group_and_the_roll() {
    let h = Harness::new("charts-groups").await;
    let store = &h.table.store;
    let school = &h.school.id;
    store.set_group_analysis(school, true).await.unwrap();
    let pupils = h.school.pupils(h.school.class());
    for (i, pupil) in pupils.iter().enumerate() {
        let flags = HashMap::from([
            (
                "gender".to_owned(),
                AttributeValue::S(if i % 2 == 0 { "F" } else { "M" }.into()),
            ),
            (
                "senStatus".to_owned(),
                AttributeValue::S(if i % 5 == 0 { "K" } else { "N" }.into()),
            ),
            ("pupilPremium".to_owned(), AttributeValue::Bool(i % 3 == 0)),
            ("eal".to_owned(), AttributeValue::Bool(false)),
        ]);
        store
            .client()
            .update_item()
            .table_name(store.table())
            .key("pk", AttributeValue::S(format!("S#{school}#PUPIL#{pupil}")))
            .key("sk", AttributeValue::S("PUPIL".into()))
            .update_expression("SET groupFlags = :flags")
            .expression_attribute_values(":flags", AttributeValue::M(flags))
            .send()
            .await
            .unwrap();
    }
    // The whole class is disruptive; then the boys again.
    h.log(0, &pupils, "disruption", 0).await;
    let boys: Vec<_> = pupils.iter().skip(1).step_by(2).cloned().collect();
    h.log(0, &boys, "defiance", 0).await;
    let bodies = h.events.drain().await;
    h.deliver(&bodies).await;

    let monday = week_of(Utc::now().date_naive());
    let groups: BTreeMap<String, i64> = store
        .week_tallies(school, monday, Some(domain::charts::Dimension::Group))
        .await
        .unwrap()
        .into_iter()
        .filter_map(|a| match a.key {
            AggregateKey::Week { id, .. } => Some((id, a.tally.negatives)),
            _ => None,
        })
        .collect();
    assert_eq!(groups["gender:F"], 15);
    assert_eq!(groups["gender:M"], 30);
    assert_eq!(groups["sen:K"], 6 + 3);
    assert_eq!(groups["eal:no"], 45);

    let (roll, total) = store.group_roll(school).await.unwrap();
    assert_eq!(total, 98);
    assert_eq!(roll["gender:F"], 15);
    assert_eq!(roll["pp:yes"], 10);

    let report = reconcile(store, &h.range()).await.unwrap();
    assert_eq!(report.drifted, 0, "{:?}", report.examples);
    // Monday is day 1 of the week.
    assert!(monday.weekday().number_from_monday() == 1);
}

#[tokio::test]
async fn the_weekly_summary_reports_the_week_to_each_senior_leader() {
    let h = Harness::new("charts-summary").await;
    testkit::accounts::seed_demo_accounts(&h.table.store, &h.school.id, "2026-09").await;
    let pupils = h.school.pupils(h.school.class());
    h.log(0, &pupils, "great-work", 0).await;
    h.log(0, &pupils[..4], "disruption", 0).await;
    let bodies = h.events.drain().await;
    h.deliver(&bodies).await;

    let monday = week_of(Utc::now().date_naive());
    let summaries = compute_charts::summary::summaries_for(&h.table.store, &h.school.id, monday)
        .await
        .unwrap();
    // The demo staff room has one senior leader.
    assert_eq!(summaries.len(), 1);
    let domain::notification::Notification::WeeklySummary {
        id,
        staff_id,
        summary,
        ..
    } = &summaries[0];
    assert_eq!(staff_id.as_str(), "staff-head");
    assert_eq!(
        id,
        &format!("weekly-summary:{}:{monday}:staff-head", h.school.id)
    );
    assert_eq!(summary.school_name, "Riverside Academy");
    assert_eq!(
        (
            summary.this_week.positives,
            summary.this_week.negatives,
            summary.this_week.points
        ),
        (30, 4, 60 - 4)
    );
    assert_eq!(summary.days.len(), 5);
    let logged: u64 = summary.days.iter().map(|d| d.positives + d.negatives).sum();
    // Unless today is a weekend, every behaviour is on one of the five days.
    if Utc::now().weekday().number_from_monday() <= 5 {
        assert_eq!(logged, 34);
    }
    assert_eq!(summary.top_types[0].name, "Outstanding work");
    assert!(
        summary
            .top_types
            .iter()
            .any(|t| t.name == "Disrupting learning" && t.count == 4)
    );
    assert_eq!(summary.years.len(), 1);
    assert_eq!(summary.years[0].name, "7");
    assert_eq!(summary.houses.iter().map(|h| h.positives).sum::<u64>(), 30);
}
