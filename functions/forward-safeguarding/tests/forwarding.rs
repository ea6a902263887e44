//! Forwarding safeguarding concerns against the emulator and a webhook
//! receiver on 127.0.0.1: signed, retried until acknowledged, recorded,
//! never sent twice, and the DSL told once, also when it never succeeds.

#[path = "../../sanctions/tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use bytes::Bytes;
use common::*;
use forward_safeguarding::{App, Forwarded};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use platform::queue::EventQueue;
use serde_json::{Value, json};
use store::SafeguardingMessage;
use testkit::TestQueue;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    body: Vec<u8>,
    headers: HashMap<String, String>,
}

/// A school's safeguarding system: refuses the first `failures` requests
/// with 503, then acknowledges every one.
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(failures: usize) -> Self {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let url = format!(
            "http://{}/hooks/classlights",
            listener.local_addr().unwrap()
        );
        let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
        let shared = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let seen = shared.clone();
                tokio::spawn(async move {
                    let service =
                        service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                            let seen = seen.clone();
                            async move {
                                let headers = request
                                    .headers()
                                    .iter()
                                    .map(|(k, v)| {
                                        (k.to_string(), v.to_str().unwrap_or("").to_owned())
                                    })
                                    .collect();
                                let body = request.into_body().collect().await.unwrap().to_bytes();
                                let count = {
                                    let mut seen = seen.lock().unwrap();
                                    seen.push(Received {
                                        body: body.to_vec(),
                                        headers,
                                    });
                                    seen.len()
                                };
                                let status = if count <= failures { 503 } else { 200 };
                                Ok::<_, Infallible>(
                                    hyper::Response::builder()
                                        .status(status)
                                        .body(Full::new(Bytes::from_static(b"secret-free body")))
                                        .unwrap(),
                                )
                            }
                        });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { url, seen }
    }

    fn seen(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }
}

async fn job(h: &Harness, queue: &TestQueue, max_receives: u32) -> App {
    App {
        store: h.table.store.clone(),
        ses: testkit::mail::ses_client().await,
        from: testkit::mail::SENDER.to_owned(),
        configuration_set: None,
        queue: EventQueue::new(queue.client.clone(), queue.url.clone()),
        http: forward_safeguarding::webhook_client(),
        portal_url: "https://portal.classlights.test".to_owned(),
        allow_local_http: true,
        max_receives,
    }
}

/// Points the school's concerns at the receiver; answers the secret.
async fn configure(h: &Harness, url: &str) -> String {
    let answer = h
        .call(
            Call::new("PUT", "/v1/safeguarding/settings")
                .bearer(&h.token(DSL))
                .json(&json!({"webhookUrl": url})),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["secret"].as_str().unwrap().to_owned()
}

/// A submitted safeguarding concern; answers its id.
async fn submitted_concern(h: &Harness) -> String {
    let id = h.create(AUTHOR, &h.form(true)).await;
    assert_eq!(h.step(AUTHOR, &id, "submit", 1).await.status, 200);
    id
}

fn batch_of(messages: &[(String, u32)]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .enumerate()
        .map(|(i, (body, receives))| {
            let mut message = SqsMessage::default();
            message.message_id = Some(format!("message-{i}"));
            message.body = Some(body.clone());
            message
                .attributes
                .insert("ApproximateReceiveCount".into(), receives.to_string());
            message
        })
        .collect();
    event
}

fn assert_signed(received: &Received, secret: &str, delivery: &str) {
    assert_eq!(
        received.headers["x-classlights-signature"],
        forward_safeguarding::signature(secret, &received.body),
        "the body is signed with the school's secret"
    );
    assert_eq!(received.headers["x-classlights-delivery"], delivery);
    assert!(
        received.headers["x-classlights-timestamp"]
            .parse::<i64>()
            .is_ok()
    );
    let document: Value = serde_json::from_slice(&received.body).unwrap();
    assert_eq!(document["deliveryId"], delivery);
    assert_eq!(document["incident"]["safeguarding"], true);
}

#[tokio::test]
async fn a_concern_refused_twice_is_delivered_signed_once_and_the_dsl_told_once() {
    let h = Harness::new().await;
    let receiver = Receiver::start(2).await;
    let secret = configure(&h, &receiver.url).await;
    let id = submitted_concern(&h).await;
    let queued = h.queue.drain().await;
    assert_eq!(queued.len(), 1);
    let app = job(&h, &h.queue, 5).await;

    // SQS hands the message back after each refusal, as its poller would.
    for receives in 1..=3 {
        let answer =
            forward_safeguarding::handle(&app, batch_of(&[(queued[0].clone(), receives)])).await;
        assert_eq!(
            answer.batch_item_failures.len(),
            usize::from(receives < 3),
            "try {receives}"
        );
        if receives < 3 {
            let form = h.read(DSL, &id).await;
            assert_eq!(form.body["delivery"]["state"], "failed");
            assert_eq!(form.body["delivery"]["lastError"], "status-503");
            assert!(
                testkit::mail::sent_to(&h.email(DSL)).await.is_empty(),
                "not told before the end"
            );
        }
    }
    let form = h.read(AUTHOR, &id).await;
    assert_eq!(form.body["delivery"]["state"], "delivered", "{}", form.body);
    assert_eq!(form.body["delivery"]["attempts"], 3);
    assert!(form.body["delivery"]["deliveredAt"].is_string());
    assert!(
        !form.body.to_string().contains("secret-free body"),
        "no response body is kept"
    );

    // The same message again, as a redelivery: nothing more is sent.
    let message: SafeguardingMessage = serde_json::from_str(&queued[0]).unwrap();
    let again = forward_safeguarding::forward(&app, &message, false, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(again, Forwarded::AlreadyDelivered);
    let answer = forward_safeguarding::handle(&app, batch_of(&[(queued[0].clone(), 4)])).await;
    assert!(answer.batch_item_failures.is_empty());

    let seen = receiver.seen();
    assert_eq!(seen.len(), 3, "two refusals and one acknowledgement");
    for received in &seen {
        assert_signed(received, &secret, &format!("{id}-v2"));
    }
    let told = testkit::mail::sent_to(&h.email(DSL)).await;
    assert_eq!(told.len(), 1, "the DSL is told once");
    assert!(told[0].subject.contains("forwarded"), "{}", told[0].subject);
    assert!(told[0].body.contains(&format!("/incidents/{id}")));
    assert!(
        !told[0].body.contains("lockers"),
        "the narrative stays out of the email"
    );
    assert!(testkit::mail::sent_to(&h.email(PASTORAL)).await.is_empty());
}

#[tokio::test]
async fn a_concern_never_acknowledged_lands_in_the_dead_letter_queue_and_the_dsl_is_told() {
    let h = Harness::new().await;
    let receiver = Receiver::start(usize::MAX).await;
    configure(&h, &receiver.url).await;
    let id = submitted_concern(&h).await;
    let body = h.queue.drain().await.remove(0);
    // The template moves a message after five receives; three here.
    let (queue, dead_letters) = TestQueue::with_dead_letters(3).await;
    queue.send(&body).await;
    let app = job(&h, &queue, 3).await;

    // Lambda's poller: receive with the receive count, invoke, delete what
    // the function did not name as failed.
    for _ in 0..5 {
        let received = queue
            .client
            .receive_message()
            .queue_url(&queue.url)
            .max_number_of_messages(10)
            .message_system_attribute_names(
                aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount,
            )
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        let batch: Vec<(String, u32)> = received
            .iter()
            .map(|m| {
                let count = m
                    .attributes()
                    .and_then(|a| {
                        a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
                    })
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1);
                (m.body.clone().unwrap_or_default(), count)
            })
            .collect();
        let answer = forward_safeguarding::handle(&app, batch_of(&batch)).await;
        let failed: Vec<&str> = answer
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        for (i, message) in received.iter().enumerate() {
            if !failed.contains(&format!("message-{i}").as_str()) {
                queue.delete(message).await;
            }
        }
    }

    assert!(queue.receive().await.is_empty(), "nothing is left to retry");
    let dead: Vec<String> = dead_letters
        .receive()
        .await
        .into_iter()
        .filter_map(|m| m.body)
        .collect();
    assert_eq!(dead, [body]);
    assert_eq!(receiver.seen().len(), 3, "one try per receive");
    let form = h.read(DSL, &id).await;
    assert_eq!(form.body["delivery"]["state"], "failed");
    assert_eq!(form.body["delivery"]["attempts"], 3);
    assert_eq!(form.body["delivery"]["deliveredAt"], Value::Null);
    let told = testkit::mail::sent_to(&h.email(DSL)).await;
    assert_eq!(told.len(), 1, "the DSL is told once, on the last try");
    assert!(
        told[0].subject.contains("NOT forwarded"),
        "{}",
        told[0].subject
    );
}

#[tokio::test]
async fn a_delivery_whose_message_never_reached_the_queue_is_swept_onto_it() {
    let h = Harness::with_queue_url(Some("http://127.0.0.1:9/no-such-queue".into())).await;
    let id = submitted_concern(&h).await;
    let form = h.read(DSL, &id).await;
    assert_eq!(form.body["delivery"]["state"], "pending");
    assert!(h.queue.drain().await.is_empty());

    let app = job(&h, &h.queue, 5).await;
    let early = forward_safeguarding::sweep(&app, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        early.queued, 0,
        "a fresh delivery is left to its own send a while"
    );
    let later = chrono::Utc::now() + chrono::Duration::minutes(5);
    let report = forward_safeguarding::sweep(&app, later).await.unwrap();
    assert_eq!(report.queued, 1);
    let queued = h.queue.drain().await;
    assert_eq!(
        serde_json::from_str::<Value>(&queued[0]).unwrap(),
        json!({"schoolId": h.school.id, "incidentId": id, "version": 2})
    );
    assert_eq!(
        forward_safeguarding::sweep(&app, later)
            .await
            .unwrap()
            .queued,
        0
    );
}

#[tokio::test]
async fn a_school_without_a_webhook_fails_the_try_and_a_bad_message_is_retried() {
    let h = Harness::new().await;
    let id = submitted_concern(&h).await;
    let body = h.queue.drain().await.remove(0);
    let app = job(&h, &h.queue, 5).await;
    let answer = forward_safeguarding::handle(
        &app,
        batch_of(&[(body, 1), ("not a safeguarding message".into(), 1)]),
    )
    .await;
    assert_eq!(answer.batch_item_failures.len(), 2);
    let form = h.read(DSL, &id).await;
    assert_eq!(form.body["delivery"]["state"], "failed");
    assert_eq!(form.body["delivery"]["lastError"], "not-configured");
}

#[tokio::test]
async fn a_dsl_whose_address_bounced_for_good_is_not_emailed_and_the_form_is_still_forwarded() {
    let h = Harness::new().await;
    let receiver = Receiver::start(0).await;
    configure(&h, &receiver.url).await;
    let dsl = domain::Email::parse(&h.email(DSL)).unwrap();
    let bounce = store::suppression::Feedback {
        kind: store::suppression::FeedbackKind::PermanentBounce,
        message_id: "ses-message-1".into(),
        at: chrono::Utc::now(),
    };
    h.table
        .store
        .record_mail_feedback(&dsl, &bounce)
        .await
        .unwrap();
    let id = submitted_concern(&h).await;
    let queued = h.queue.drain().await;
    let app = job(&h, &h.queue, 5).await;

    let answer = forward_safeguarding::handle(&app, batch_of(&[(queued[0].clone(), 1)])).await;

    assert!(answer.batch_item_failures.is_empty());
    assert_eq!(receiver.seen().len(), 1);
    let form = h.read(DSL, &id).await;
    assert_eq!(form.body["delivery"]["state"], "delivered", "{}", form.body);
    assert!(testkit::mail::sent_to(&h.email(DSL)).await.is_empty());
}
