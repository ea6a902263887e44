//! The sample events in `events/` are what `cargo lambda invoke` sends the
//! function locally: each must be read as the invocation it stands for, and
//! the batch must fold against a seeded school.

use compute_charts::{Invocation, Job};
use domain::SchoolId;
use domain::charts::{AggregateKey, Dimension};
use platform::queue::EventQueue;
use testkit::{TestQueue, TestTable};

fn invocation(name: &str) -> Invocation {
    serde_json::from_value(testkit::api::sample_event(name)).unwrap()
}

#[test]
fn the_schedules_and_the_operator_request_are_read_as_such() {
    assert!(matches!(
        invocation("compute-charts-nightly.json"),
        Invocation::Job(j) if j.job == Job::Reconcile
    ));
    assert!(matches!(
        invocation("compute-charts-weekly-summary.json"),
        Invocation::Job(j) if j.job == Job::WeeklySummary
    ));
    let Invocation::Reconcile(input) = invocation("compute-charts-reconcile.json") else {
        panic!("not a reconciliation");
    };
    assert_eq!(input.reconcile.school_id.as_str(), "demo-school");
    assert!(input.reconcile.from <= input.reconcile.to);
}

#[tokio::test]
async fn the_sample_batch_logs_two_and_withdraws_one() {
    let table = TestTable::create().await;
    let queue = TestQueue::create().await;
    let school = SchoolId::parse("demo-school").unwrap();
    testkit::seed_school(&table.store, &school, "Demo School").await;
    let app = compute_charts::App {
        store: table.store.clone(),
        notifications: EventQueue::new(queue.client.clone(), queue.url.clone()),
    };
    let Invocation::Queue(batch) = invocation("compute-charts-batch.json") else {
        panic!("not a batch");
    };
    let (response, report) = compute_charts::handle_batch(&app, batch).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(report.counted, 2);

    let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
    let days = table
        .store
        .school_day_tallies(&school, date, date)
        .await
        .unwrap();
    assert_eq!(days.len(), 1);
    let tally = &days[0].tally;
    assert_eq!((tally.positives, tally.negatives, tally.points), (1, 0, 2));
    let houses = table
        .store
        .week_tallies(
            &school,
            domain::charts::week_of(date),
            Some(Dimension::House),
        )
        .await
        .unwrap();
    let ash = houses
        .iter()
        .find(|a| matches!(&a.key, AggregateKey::Week { id, .. } if id == "Ash"))
        .unwrap();
    assert_eq!(ash.tally.positives, 1);
}
