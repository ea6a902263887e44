//! The notify job against the emulator: a weekly summary goes out once
//! however often it is delivered, nobody who switched it off or cannot
//! receive it gets it, a bad message fails alone, and what the email shows
//! of the school's data is escaped.

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use chrono::{NaiveDate, Utc};
use domain::notification::{DayFigures, GroupFigures, TypeFigures, WeekFigures, WeeklySummary};
use domain::{Email, Notification, Role, Roles, SchoolId, StaffId};
use serde_json::json;
use store::{
    Account, AccountKind, AccountStatus, Feedback, FeedbackKind, PreferencesChange, StaffMember,
};
use testkit::TestTable;

/// The staff room of one test: each member with an address of their own.
struct Harness {
    table: TestTable,
    school: SchoolId,
    app: notify::App,
    /// Distinguishes this test's addresses from every other test's.
    run: String,
}

const LEADER: &str = "staff-helen";
const SWITCHED_OFF: &str = "staff-omar";
const DISABLED: &str = "staff-dan";
const NO_EMAIL: &str = "staff-nora";
const NO_ACCOUNT: &str = "staff-pip";

impl Harness {
    async fn new() -> Self {
        let table = TestTable::create().await;
        let school = SchoolId::parse("riverside").unwrap();
        let run = ulid::Ulid::new().to_string().to_lowercase();
        let app = notify::App {
            store: table.store.clone(),
            ses: testkit::mail::ses_client().await,
            from: testkit::mail::SENDER.to_owned(),
            configuration_set: None,
        };
        let h = Self {
            table,
            school,
            app,
            run,
        };
        let members: Vec<StaffMember> = [LEADER, SWITCHED_OFF, DISABLED, NO_EMAIL, NO_ACCOUNT]
            .into_iter()
            .map(|id| StaffMember {
                id: StaffId::parse(id).unwrap(),
                first_name: "Sam".into(),
                last_name: "Lee".into(),
                email: (id != NO_EMAIL).then(|| Email::parse(&h.address(id)).unwrap()),
            })
            .collect();
        h.table.store.put_staff(&h.school, &members).await.unwrap();
        for (id, status) in [
            (LEADER, AccountStatus::Active),
            (SWITCHED_OFF, AccountStatus::Active),
            (DISABLED, AccountStatus::Disabled),
            (NO_EMAIL, AccountStatus::Active),
        ] {
            h.open_account(id, status).await;
        }
        h
    }

    fn address(&self, staff: &str) -> String {
        format!("{staff}-{}@riverside.test", self.run)
    }

    async fn open_account(&self, user: &str, status: AccountStatus) {
        let now = Utc::now();
        let account = Account {
            user_id: user.to_owned(),
            kind: AccountKind::Staff,
            school_id: Some(self.school.clone()),
            // The sign-in address; the email goes to the roster's.
            email: Email::parse(&format!("login-{}", self.address(user))).unwrap(),
            name: Some("Sam Lee".to_owned()),
            password_hash: "not-a-real-hash".to_owned(),
            roles: Roles::new([Role::Slt]),
            status,
            sessions_not_before_ms: 0,
            terms: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        assert!(
            self.table
                .store
                .create_account(&account, vec![])
                .await
                .unwrap()
        );
    }

    async fn switch(&self, staff: &str, on: bool) {
        self.table
            .store
            .set_notification_preferences(
                &self.school,
                &StaffId::parse(staff).unwrap(),
                &PreferencesChange {
                    weekly_summary: Some(on),
                },
                Utc::now(),
                vec![],
            )
            .await
            .unwrap();
    }

    async fn sent_to(&self, staff: &str) -> Vec<String> {
        testkit::mail::sent_to(&self.address(staff))
            .await
            .into_iter()
            .map(|sent| sent.body)
            .collect()
    }

    async fn handle(&self, bodies: &[&str]) -> notify::Handled {
        notify::handle(&self.app, batch_of(bodies)).await
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

fn failed(handled: &notify::Handled) -> Vec<&str> {
    handled
        .response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

fn summary(school_name: &str, type_name: &str) -> WeeklySummary {
    let date = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    let day = |d, positives, negatives| DayFigures {
        date: date(d),
        positives,
        negatives,
    };
    WeeklySummary {
        school_name: school_name.into(),
        week_start: date(30),
        this_week: WeekFigures {
            positives: 120,
            negatives: 30,
            points: 210,
        },
        previous_week: WeekFigures {
            positives: 100,
            negatives: 40,
            points: 160,
        },
        days: vec![day(30, 30, 5), day(30, 25, 10), day(30, 20, 5)],
        top_types: vec![TypeFigures {
            name: type_name.into(),
            positive: true,
            count: 50,
        }],
        years: vec![GroupFigures {
            name: "Year 7".into(),
            positives: 60,
            negatives: 10,
        }],
        houses: vec![GroupFigures {
            name: "Ash".into(),
            positives: 40,
            negatives: 12,
        }],
    }
}

/// One weekly summary for a member of staff, as `compute-charts` queues it.
fn message(h: &Harness, staff: &str, summary: WeeklySummary) -> String {
    serde_json::to_string(&Notification::WeeklySummary {
        id: format!("weekly-2026-11-30-{staff}"),
        school_id: h.school.clone(),
        staff_id: StaffId::parse(staff).unwrap(),
        summary,
    })
    .unwrap()
}

/// The decoded body of the MIME part of one content type.
fn part(raw: &str, content_type: &str) -> String {
    let start = raw
        .find(&format!("Content-Type: {content_type}"))
        .unwrap_or_else(|| panic!("no {content_type} part in {raw}"));
    let rest = &raw[start..];
    let body_at = rest.find("\r\n\r\n").expect("part headers end") + 4;
    let headers = &rest[..body_at];
    let body = &rest[body_at..];
    let body = &body[..body.find("\r\n--").unwrap_or(body.len())];
    if headers.contains("Content-Transfer-Encoding: base64") {
        let encoded: String = body.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("base64");
        String::from_utf8(bytes).expect("UTF-8")
    } else if headers.contains("Content-Transfer-Encoding: quoted-printable") {
        quoted_printable(body)
    } else {
        body.to_owned()
    }
}

fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 3 <= bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("a QP escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

#[tokio::test]
async fn a_summary_is_sent_once_however_often_it_is_delivered() {
    let h = Harness::new().await;
    let body = message(&h, LEADER, summary("Riverside Academy", "Great work"));

    // Delivered twice in one batch, the second copy finds the first sent.
    let handled = h.handle(&[&body, &body]).await;
    assert!(failed(&handled).is_empty());
    assert_eq!((handled.sent, handled.already_sent), (1, 1));
    let sent = h.sent_to(LEADER).await;
    assert_eq!(sent.len(), 1);
    let raw = &sent[0];
    assert!(
        raw.contains("Subject: Riverside Academy: behaviour this week (w/c 30 Nov 2026)"),
        "{raw}"
    );
    assert!(raw.contains("multipart/alternative"), "{raw}");
    let text = part(raw, "text/plain");
    assert!(text.contains("▲ 20%"), "{text}");
    assert!(text.contains("Great work (positive): 50"), "{text}");
    let html = part(raw, "text/html");
    assert!(html.contains("▼ 25%"), "{html}");
    assert!(html.contains("Ash"), "{html}");
    assert!(!html.contains("<img") && !html.contains("<svg"));
    // The sign-in address is not where it goes.
    assert!(
        testkit::mail::sent_to(&format!("login-{}", h.address(LEADER)))
            .await
            .is_empty()
    );

    // Delivered again in a later batch, it sends nothing more.
    let again = h.handle(&[&body]).await;
    assert!(failed(&again).is_empty());
    assert_eq!((again.sent, again.already_sent), (0, 1));
    assert_eq!(h.sent_to(LEADER).await.len(), 1);
}

#[tokio::test]
async fn nobody_who_switched_it_off_or_cannot_receive_it_gets_it() {
    let h = Harness::new().await;
    h.switch(SWITCHED_OFF, false).await;
    let bodies: Vec<String> = [SWITCHED_OFF, DISABLED, NO_EMAIL, NO_ACCOUNT]
        .into_iter()
        .map(|staff| message(&h, staff, summary("Riverside Academy", "Great work")))
        .collect();
    let bodies: Vec<&str> = bodies.iter().map(String::as_str).collect();

    let handled = h.handle(&bodies).await;
    assert!(failed(&handled).is_empty(), "skipped messages succeed");
    assert_eq!((handled.sent, handled.skipped), (0, 4));
    for staff in [SWITCHED_OFF, DISABLED, NO_ACCOUNT] {
        assert!(h.sent_to(staff).await.is_empty(), "{staff}");
    }

    // Switched back on, the next week's summary reaches them.
    h.switch(SWITCHED_OFF, true).await;
    let next = serde_json::to_string(&Notification::WeeklySummary {
        id: "weekly-2026-12-07-staff-omar".into(),
        school_id: h.school.clone(),
        staff_id: StaffId::parse(SWITCHED_OFF).unwrap(),
        summary: summary("Riverside Academy", "Great work"),
    })
    .unwrap();
    let handled = h.handle(&[&next]).await;
    assert_eq!(handled.sent, 1);
    assert_eq!(h.sent_to(SWITCHED_OFF).await.len(), 1);
}

#[tokio::test]
async fn a_bad_message_fails_alone_and_the_rest_of_its_batch_is_sent() {
    let h = Harness::new().await;
    let good = message(&h, LEADER, summary("Riverside Academy", "Great work"));
    let mut unknown: serde_json::Value = serde_json::from_str(&good).unwrap();
    unknown["type"] = json!("parentNotice");
    let unknown = unknown.to_string();
    let mut bad_id: serde_json::Value = serde_json::from_str(&good).unwrap();
    bad_id["id"] = json!("week#1 to\nsomeone");
    let bad_id = bad_id.to_string();

    let handled = h.handle(&["not json", &unknown, &good, &bad_id, ""]).await;
    assert_eq!(
        failed(&handled),
        ["message-0", "message-1", "message-3", "message-4"]
    );
    assert_eq!(handled.sent, 1);
    assert_eq!(h.sent_to(LEADER).await.len(), 1);
}

#[tokio::test]
async fn a_summary_another_delivery_holds_is_tried_again_later() {
    let h = Harness::new().await;
    let body = message(&h, LEADER, summary("Riverside Academy", "Great work"));
    let staff = StaffId::parse(LEADER).unwrap();
    let id = "weekly-2026-11-30-staff-helen";
    let store = &h.table.store;
    let claim = store
        .claim_notification(
            &h.school,
            &staff,
            id,
            domain::NotificationKind::WeeklySummary,
            Utc::now(),
            chrono::Duration::minutes(2),
        )
        .await
        .unwrap();
    assert_eq!(claim, store::NotificationClaim::Claimed);

    let busy = h.handle(&[&body]).await;
    assert_eq!(failed(&busy), ["message-0"]);
    assert!(h.sent_to(LEADER).await.is_empty());

    // The other delivery gave up without sending: the retry sends it.
    store
        .release_notification(&h.school, &staff, id)
        .await
        .unwrap();
    let retried = h.handle(&[&body]).await;
    assert!(failed(&retried).is_empty());
    assert_eq!(h.sent_to(LEADER).await.len(), 1);
}

#[tokio::test]
async fn what_the_email_shows_of_the_school_s_data_is_escaped() {
    let h = Harness::new().await;
    let body = message(
        &h,
        LEADER,
        summary(
            "<script>alert('x')</script> & Sons",
            "\"><img src=x onerror=alert(1)>",
        ),
    );
    let handled = h.handle(&[&body]).await;
    assert_eq!(handled.sent, 1);

    let raw = &h.sent_to(LEADER).await[0];
    let html = part(raw, "text/html");
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Sons"),
        "{html}"
    );
    assert!(
        html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
}

#[test]
fn the_sample_event_carries_one_weekly_summary() {
    let event = testkit::api::sample_event("notify-batch.json");
    let batch: SqsEvent = serde_json::from_value(event).expect("an SQS event");
    assert_eq!(batch.records.len(), 1);
    let notification = notify::parse(batch.records[0].body.as_deref().unwrap()).unwrap();
    let Notification::WeeklySummary { summary, .. } = &notification;
    assert_eq!(summary.days.len(), 5);
    assert!(notify::weekly::subject(summary).contains("(w/c 30 Nov 2026)"));
}

#[tokio::test]
async fn a_summary_to_a_suppressed_address_is_skipped_for_good_and_others_still_go_out() {
    let h = Harness::new().await;
    // GIVEN the leader's work address bounced for good (as mail-feedback
    // records it), and another senior leader's did not.
    let leader = Email::parse(&h.address(LEADER)).unwrap();
    let bounce = Feedback {
        kind: FeedbackKind::PermanentBounce,
        message_id: "ses-message-1".into(),
        at: Utc::now(),
    };
    h.table
        .store
        .record_mail_feedback(&leader, &bounce)
        .await
        .unwrap();
    let to_leader = message(&h, LEADER, summary("Riverside Academy", "Great work"));
    let to_other = message(&h, SWITCHED_OFF, summary("Riverside Academy", "Great work"));

    // WHEN both summaries are delivered in one batch
    let handled = h.handle(&[&to_leader, &to_other]).await;

    // THEN nothing fails, the leader gets nothing, the other gets theirs,
    // and the skip is recorded on the leader's notification.
    assert!(failed(&handled).is_empty());
    assert_eq!((handled.sent, handled.skipped), (1, 1));
    assert!(h.sent_to(LEADER).await.is_empty());
    assert_eq!(h.sent_to(SWITCHED_OFF).await.len(), 1);
    let record = h
        .table
        .client()
        .get_item()
        .table_name(&h.table.name)
        .key(
            "pk",
            AttributeValue::S(format!("S#{}#STAFF#{LEADER}", h.school)),
        )
        .key(
            "sk",
            AttributeValue::S(format!("NOTIFICATION#weekly-2026-11-30-{LEADER}")),
        )
        .send()
        .await
        .unwrap()
        .item
        .expect("the skip is recorded");
    assert_eq!(record["status"], AttributeValue::S("skipped".into()));
    assert_eq!(record["skipReason"], AttributeValue::S("suppressed".into()));

    // Once the suppression is lifted, that week's summary stays skipped (a
    // redelivery finds it done) but the next one goes out.
    assert!(
        h.table
            .store
            .lift_suppression(&leader, Utc::now())
            .await
            .unwrap()
    );
    let again = h.handle(&[&to_leader]).await;
    assert_eq!((again.sent, again.already_sent), (0, 1));
    assert!(h.sent_to(LEADER).await.is_empty());
    let next_week = serde_json::to_string(&Notification::WeeklySummary {
        id: format!("weekly-2026-12-07-{LEADER}"),
        school_id: h.school.clone(),
        staff_id: StaffId::parse(LEADER).unwrap(),
        summary: summary("Riverside Academy", "Great work"),
    })
    .unwrap();
    assert_eq!(h.handle(&[&next_week]).await.sent, 1);
    assert_eq!(h.sent_to(LEADER).await.len(), 1);
}
