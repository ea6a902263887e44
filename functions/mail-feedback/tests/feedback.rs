//! The mail-feedback job against the emulator: a permanent bounce or a
//! complaint suppresses the address, a transient bounce only counts, the
//! same notification twice counts once, a malformed message fails alone
//! into the dead-letter queue, and lifting a suppression lets mail through
//! until the next bounce.

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use domain::Email;
use serde_json::{Value, json};
use testkit::{TestQueue, TestTable};

struct Harness {
    table: TestTable,
    app: mail_feedback::App,
    /// Distinguishes this test's addresses from every other test's.
    run: String,
}

impl Harness {
    async fn new() -> Self {
        let table = TestTable::create().await;
        let app = mail_feedback::App {
            store: table.store.clone(),
        };
        Self {
            table,
            app,
            run: ulid::Ulid::new().to_string().to_lowercase(),
        }
    }

    fn address(&self, who: &str) -> Email {
        Email::parse(&format!("{who}-{}@riverside.test", self.run)).unwrap()
    }

    async fn handle(&self, bodies: &[&str]) -> mail_feedback::Handled {
        mail_feedback::handle(&self.app, batch_of(bodies)).await
    }

    async fn suppressed(&self, addresses: &[Email]) -> Vec<String> {
        let mut found: Vec<String> = self
            .table
            .store
            .suppressed_addresses(addresses)
            .await
            .unwrap()
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect();
        found.sort();
        found
    }
}

fn batch_of(bodies: &[&str]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let mut message = SqsMessage::default();
            message.message_id = Some(format!("message-{i}"));
            message.body = Some((*body).to_owned());
            message
        })
        .collect();
    event
}

fn failed(handled: &mail_feedback::Handled) -> Vec<&str> {
    handled
        .response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

/// An SES event as SNS delivers it to the queue, raw message delivery off.
fn notification(event: Value) -> String {
    json!({
        "Type": "Notification",
        "MessageId": ulid::Ulid::new().to_string(),
        "TopicArn": "arn:aws:sns:eu-west-2:123456789012:classlights-mail-feedback",
        "Message": event.to_string(),
        "Timestamp": "2026-12-07T08:01:03.000Z"
    })
    .to_string()
}

fn mail(message_id: &str, to: &[&Email]) -> Value {
    json!({
        "timestamp": "2026-12-07T08:00:59.000Z",
        "source": "no-reply@classlights.test",
        "messageId": message_id,
        "destination": to.iter().map(|a| a.as_str()).collect::<Vec<_>>()
    })
}

fn bounce(kind: &str, message_id: &str, to: &[&Email]) -> String {
    notification(json!({
        "eventType": "Bounce",
        "bounce": {
            "bounceType": kind,
            "bounceSubType": "General",
            "bouncedRecipients": to.iter().map(|a| json!({"emailAddress": a.as_str()})).collect::<Vec<_>>(),
            "timestamp": "2026-12-07T08:01:02.000Z",
            "feedbackId": format!("feedback-{message_id}")
        },
        "mail": mail(message_id, to)
    }))
}

fn complaint(message_id: &str, to: &[&Email]) -> String {
    notification(json!({
        "eventType": "Complaint",
        "complaint": {
            "complainedRecipients": to.iter().map(|a| json!({"emailAddress": a.as_str()})).collect::<Vec<_>>(),
            "timestamp": "2026-12-07T09:00:00.000Z",
            "complaintFeedbackType": "abuse",
            "feedbackId": format!("complaint-{message_id}")
        },
        "mail": mail(message_id, to)
    }))
}

#[tokio::test]
async fn a_permanent_bounce_suppresses_every_address_it_names_and_no_other() {
    let h = Harness::new().await;
    let (gone, also_gone, fine) = (h.address("gone"), h.address("also"), h.address("fine"));

    let handled = h
        .handle(&[&bounce("Permanent", "ses-1", &[&gone, &also_gone])])
        .await;
    assert!(failed(&handled).is_empty());
    assert_eq!((handled.counted, handled.suppressed), (2, 2));

    let mut expected = vec![gone.as_str().to_owned(), also_gone.as_str().to_owned()];
    expected.sort();
    assert_eq!(
        h.suppressed(&[gone.clone(), fine.clone(), also_gone.clone()])
            .await,
        expected
    );
    // Asked in another case, the address is the same address.
    let shouted = Email::parse(&gone.as_str().to_uppercase()).unwrap();
    assert_eq!(h.suppressed(&[shouted]).await, [gone.as_str()]);

    let found = h.table.store.suppression(&gone).await.unwrap().unwrap();
    assert_eq!((found.bounces, found.count), (1, 1));
    assert_eq!(found.reason.as_deref(), Some("bounce"));
    assert_eq!(found.first_at, found.last_at);
    assert!(h.table.store.suppression(&fine).await.unwrap().is_none());
}

#[tokio::test]
async fn a_complaint_suppresses() {
    let h = Harness::new().await;
    let annoyed = h.address("annoyed");
    let handled = h.handle(&[&complaint("ses-2", &[&annoyed])]).await;
    assert!(failed(&handled).is_empty());
    assert_eq!(
        h.suppressed(std::slice::from_ref(&annoyed)).await,
        [annoyed.as_str()]
    );
    let found = h.table.store.suppression(&annoyed).await.unwrap().unwrap();
    assert_eq!(
        (found.complaints, found.reason.as_deref()),
        (1, Some("complaint"))
    );
}

#[tokio::test]
async fn a_transient_bounce_is_counted_but_does_not_suppress() {
    let h = Harness::new().await;
    let full = h.address("full-mailbox");
    for id in ["ses-3", "ses-4"] {
        let handled = h.handle(&[&bounce("Transient", id, &[&full])]).await;
        assert!(failed(&handled).is_empty());
        assert_eq!((handled.counted, handled.suppressed), (1, 0));
    }
    assert!(h.suppressed(std::slice::from_ref(&full)).await.is_empty());
    let found = h.table.store.suppression(&full).await.unwrap().unwrap();
    assert!(!found.suppressed);
    assert_eq!(
        (found.transient_bounces, found.bounces, found.count),
        (2, 0, 2)
    );
}

#[tokio::test]
async fn the_same_notification_twice_counts_once() {
    let h = Harness::new().await;
    let gone = h.address("gone");
    let body = bounce("Permanent", "ses-5", &[&gone]);

    // Twice in one batch, then once more in a later one.
    let first = h.handle(&[&body, &body]).await;
    assert!(failed(&first).is_empty());
    assert_eq!((first.counted, first.already_counted), (1, 1));
    let again = h.handle(&[&body]).await;
    assert_eq!((again.counted, again.already_counted), (0, 1));

    let found = h.table.store.suppression(&gone).await.unwrap().unwrap();
    assert_eq!((found.bounces, found.count), (1, 1));
}

#[tokio::test]
async fn a_malformed_message_fails_alone_and_ends_in_the_dead_letter_queue() {
    let h = Harness::new().await;
    let gone = h.address("gone");
    let (queue, dead_letters) = TestQueue::with_dead_letters(5).await;
    let good = bounce("Permanent", "ses-6", &[&gone]);
    let no_recipients = notification(json!({
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": []},
        "mail": mail("ses-7", &[])
    }));
    for body in ["not json", &no_recipients, &good] {
        queue.send(body).await;
    }

    // Deliver as Lambda's poller does until the queue is empty: delete
    // what the function did not name as failed.
    for _ in 0..10 {
        let messages = queue.receive().await;
        if messages.is_empty() {
            break;
        }
        let mut event = SqsEvent::default();
        event.records = messages
            .iter()
            .map(|m| {
                let mut record = SqsMessage::default();
                record.message_id = m.message_id.clone();
                record.body = m.body.clone();
                record
            })
            .collect();
        let handled = mail_feedback::handle(&h.app, event).await;
        for message in &messages {
            let failed = failed(&handled);
            if !failed.contains(&message.message_id.as_deref().unwrap_or_default()) {
                assert_eq!(message.body.as_deref(), Some(good.as_str()));
                queue.delete(message).await;
            }
        }
    }

    let mut dead = dead_letters.drain().await;
    dead.sort();
    let mut expected = vec!["not json".to_owned(), no_recipients];
    expected.sort();
    assert_eq!(dead, expected);
    assert_eq!(
        h.suppressed(std::slice::from_ref(&gone)).await,
        [gone.as_str()]
    );
}

#[tokio::test]
async fn a_lifted_suppression_lets_mail_through_until_the_next_bounce() {
    let h = Harness::new().await;
    let mended = h.address("mended");
    let old_bounce = bounce("Permanent", "ses-8", &[&mended]);
    h.handle(&[&old_bounce]).await;
    assert_eq!(
        h.suppressed(std::slice::from_ref(&mended)).await,
        [mended.as_str()]
    );

    let store = &h.table.store;
    assert!(
        store
            .lift_suppression(&mended, chrono::Utc::now())
            .await
            .unwrap()
    );
    assert!(
        !store
            .lift_suppression(&mended, chrono::Utc::now())
            .await
            .unwrap()
    );
    assert!(h.suppressed(std::slice::from_ref(&mended)).await.is_empty());
    assert!(
        !store
            .lift_suppression(&h.address("never"), chrono::Utc::now())
            .await
            .unwrap()
    );

    // The old bounce delivered late changes nothing; a new one suppresses again.
    h.handle(&[&old_bounce]).await;
    assert!(h.suppressed(std::slice::from_ref(&mended)).await.is_empty());
    h.handle(&[&bounce("Permanent", "ses-9", &[&mended])]).await;
    assert_eq!(
        h.suppressed(std::slice::from_ref(&mended)).await,
        [mended.as_str()]
    );
    let found = store.suppression(&mended).await.unwrap().unwrap();
    assert_eq!((found.bounces, found.count), (2, 2));
    assert!(found.lifted_at.is_some());
}
