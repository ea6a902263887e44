//! Certificates and the suppression list against the emulator: a member of
//! staff whose work address bounced for good gets no certificate email
//! while the others named on it still get theirs, and a certificate whose
//! every recipient is suppressed is recorded as such and never retried.

use chrono::Utc;
use domain::{CertificateTemplate, Email, PupilId, SchoolId, StaffId};
use platform::queue::EventQueue;
use store::{
    AwardedBy, Certificate, CertificateMessage, Earned, EmailStatus, Feedback, FeedbackKind,
    StaffMember,
};
use testkit::{TestQueue, TestTable};

struct Harness {
    table: TestTable,
    school: SchoolId,
    job: send_certificate::App,
    pupil: PupilId,
    teacher: StaffId,
    leader: StaffId,
    run: String,
}

impl Harness {
    async fn new() -> Self {
        let table = TestTable::create().await;
        let school = SchoolId::parse("riverside").unwrap();
        let seeded = testkit::seed_school(&table.store, &school, "Riverside Academy").await;
        let run = ulid::Ulid::new().to_string().to_lowercase();
        let queue = TestQueue::create().await;
        let job = send_certificate::App {
            store: table.store.clone(),
            ses: testkit::mail::ses_client().await,
            from: testkit::mail::SENDER.to_owned(),
            configuration_set: None,
            queue: EventQueue::new(queue.client.clone(), queue.url.clone()),
        };
        let h = Self {
            pupil: seeded.pupils(seeded.class())[0].clone(),
            teacher: seeded.teacher.clone(),
            leader: seeded.leader.clone(),
            table,
            school,
            job,
            run,
        };
        let members: Vec<StaffMember> = [&h.teacher, &h.leader]
            .into_iter()
            .map(|id| StaffMember {
                id: id.clone(),
                first_name: "Sam".into(),
                last_name: "Lee".into(),
                email: Some(h.address(id)),
            })
            .collect();
        h.table.store.put_staff(&h.school, &members).await.unwrap();
        h
    }

    fn address(&self, staff: &StaffId) -> Email {
        Email::parse(&format!("{staff}-{}@riverside.test", self.run)).unwrap()
    }

    async fn sent_to(&self, staff: &StaffId) -> usize {
        testkit::mail::sent_to(self.address(staff).as_str())
            .await
            .len()
    }

    async fn suppress(&self, staff: &StaffId) {
        let bounce = Feedback {
            kind: FeedbackKind::PermanentBounce,
            message_id: format!("ses-{staff}"),
            at: Utc::now(),
        };
        self.table
            .store
            .record_mail_feedback(&self.address(staff), &bounce)
            .await
            .unwrap();
    }

    /// A certificate earned under `rule`, emailed to `notify`.
    async fn earn(&self, rule: &str, notify: &[&StaffId]) -> CertificateMessage {
        let certificate = Certificate {
            id: ulid::Ulid::new().to_string(),
            pupil_id: self.pupil.clone(),
            pupil_name: "Amelia Smith".into(),
            year_group: "7".into(),
            rule_id: Some(rule.into()),
            name: "Bronze award".into(),
            cycle: "2026-27".into(),
            template: CertificateTemplate::Classic,
            awarded_at: Utc::now(),
            awarded_by: AwardedBy::Automatic,
            notify: notify.iter().map(|s| (*s).clone()).collect(),
            email_status: EmailStatus::Pending,
            emailed_at: None,
        };
        let id = certificate.id.clone();
        let earned = self
            .table
            .store
            .earn_certificate(&self.school, certificate)
            .await
            .unwrap();
        assert!(matches!(earned, Earned::New(_)));
        CertificateMessage {
            school_id: self.school.clone(),
            certificate_id: id,
        }
    }

    async fn status(&self, message: &CertificateMessage) -> EmailStatus {
        self.table
            .store
            .certificate(&self.school, &message.certificate_id)
            .await
            .unwrap()
            .unwrap()
            .email_status
    }
}

#[tokio::test]
async fn a_suppressed_member_of_staff_is_left_out_and_the_others_still_get_it() {
    let h = Harness::new().await;
    h.suppress(&h.teacher).await;
    let message = h.earn("bronze", &[&h.teacher, &h.leader]).await;

    let delivery = send_certificate::deliver(&h.job, &message, Utc::now())
        .await
        .unwrap();

    assert_eq!(delivery, send_certificate::Delivery::Sent);
    assert_eq!(h.sent_to(&h.teacher).await, 0);
    assert_eq!(h.sent_to(&h.leader).await, 1);
    assert_eq!(h.status(&message).await, EmailStatus::Sent);
    let item = h
        .table
        .client()
        .get_item()
        .table_name(&h.table.name)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!(
                "S#{}#CERTIFICATE#{}",
                h.school, message.certificate_id
            )),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("CERTIFICATE".into()),
        )
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        item["emailSuppressed"],
        aws_sdk_dynamodb::types::AttributeValue::N("1".into())
    );
}

#[tokio::test]
async fn a_certificate_whose_every_recipient_is_suppressed_is_recorded_and_not_retried() {
    let h = Harness::new().await;
    h.suppress(&h.teacher).await;
    let message = h.earn("bronze", &[&h.teacher]).await;

    let answer = send_certificate::handle(&h.job, batch_of(&message)).await;
    assert!(answer.batch_item_failures.is_empty());
    assert_eq!(h.sent_to(&h.teacher).await, 0);
    assert_eq!(h.status(&message).await, EmailStatus::Suppressed);

    // Lifting the suppression later does not send this one: it is done.
    assert!(
        h.table
            .store
            .lift_suppression(&h.address(&h.teacher), Utc::now())
            .await
            .unwrap()
    );
    let again = send_certificate::deliver(&h.job, &message, Utc::now())
        .await
        .unwrap();
    assert_eq!(again, send_certificate::Delivery::NothingToDo);
    assert_eq!(h.sent_to(&h.teacher).await, 0);

    // The next certificate goes out.
    let next = h.earn("silver", &[&h.teacher]).await;
    let delivered = send_certificate::deliver(&h.job, &next, Utc::now())
        .await
        .unwrap();
    assert_eq!(delivered, send_certificate::Delivery::Sent);
    assert_eq!(h.sent_to(&h.teacher).await, 1);
}

fn batch_of(message: &CertificateMessage) -> aws_lambda_events::event::sqs::SqsEvent {
    let mut record = aws_lambda_events::event::sqs::SqsMessage::default();
    record.message_id = Some("message-0".into());
    record.body = Some(message.body());
    let mut event = aws_lambda_events::event::sqs::SqsEvent::default();
    event.records = vec![record];
    event
}
