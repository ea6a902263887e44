//! The sample event in `events/` is what the queue hands the function: an
//! SNS notification wrapping an SES permanent bounce. It parses, and the
//! function suppresses the address it names.

use domain::Email;
use mail_feedback::{Invocation, Parsed};
use store::FeedbackKind;
use testkit::TestTable;

const SAMPLE: &str = include_str!("../../../events/mail-feedback-bounce.json");

#[test]
fn the_sample_is_a_queue_batch_of_one_permanent_bounce() {
    let Invocation::Queue(batch) = serde_json::from_str(SAMPLE).unwrap();
    assert_eq!(batch.records.len(), 1);
    let body = batch.records[0].body.as_deref().unwrap();
    let Parsed::Report(report) = mail_feedback::parse(body).unwrap() else {
        panic!("the sample is a bounce");
    };
    assert_eq!(report.feedback.kind, FeedbackKind::PermanentBounce);
    assert_eq!(report.recipients.len(), 1);
    assert_eq!(
        report.recipients[0].as_str(),
        "tess.brown@riverside.example"
    );
}

#[tokio::test]
async fn the_sample_suppresses_its_recipient() {
    let table = TestTable::create().await;
    let app = mail_feedback::App {
        store: table.store.clone(),
    };
    let Invocation::Queue(batch) = serde_json::from_str(SAMPLE).unwrap();
    let handled = mail_feedback::handle(&app, batch).await;
    assert!(handled.response.batch_item_failures.is_empty());
    assert_eq!((handled.counted, handled.suppressed), (1, 1));

    let tess = Email::parse("tess.brown@riverside.example").unwrap();
    let found = table.store.suppression(&tess).await.unwrap().unwrap();
    assert!(found.suppressed);
    assert_eq!(found.reason.as_deref(), Some("bounce"));
}
