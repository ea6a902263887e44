//! Certificates against the emulator: earned once under concurrency,
//! queued, rendered, emailed once, listed and awarded by hand behind the
//! role table and the tenant wall.

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use base64::Engine;
use domain::{
    CertificateRule, CertificateTemplate, CertificateTrigger, Email, Role, SchoolId, StaffId,
};
use platform::CursorSigner;
use platform::queue::EventQueue;
use serde_json::{Value, json};
use store::{SchoolSettings, StaffMember};
use testkit::{Answer, ApiRequest, DemoSchool, SigningKey, TestQueue, TestTable};

struct Harness {
    table: TestTable,
    certificates_queue: TestQueue,
    key: SigningKey,
    school: DemoSchool,
    app: certificates::App,
    behaviour: behaviour::App,
    job: send_certificate::App,
    /// The teacher's work address, unique to this test.
    teacher_email: String,
}

const THRESHOLD: i32 = 3;

impl Harness {
    async fn new() -> Self {
        let table = TestTable::create().await;
        let events = TestQueue::create().await;
        let certificates_queue = TestQueue::create().await;
        let key = SigningKey::generate();
        let school = seed(&table, "riverside", "Riverside Academy").await;
        let teacher_email = format!(
            "teacher-{}@riverside.test",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        table
            .store
            .put_staff(
                &school.id,
                &[
                    StaffMember {
                        id: school.teacher.clone(),
                        first_name: "Tess".into(),
                        last_name: "Brown".into(),
                        email: Some(Email::parse(&teacher_email).unwrap()),
                    },
                    StaffMember {
                        id: school.leader.clone(),
                        first_name: "Helen".into(),
                        last_name: "Marsh".into(),
                        email: Some(Email::parse(&format!("head-{teacher_email}")).unwrap()),
                    },
                ],
            )
            .await
            .unwrap();
        let cursors = || CursorSigner::new("cursor secret for the tests, 32+ chars").unwrap();
        let app = certificates::App {
            store: table.store.clone(),
            certificates: EventQueue::new(
                certificates_queue.client.clone(),
                certificates_queue.url.clone(),
            ),
            gate: platform::Gate::new(key.verifier()),
            cursors: cursors(),
        };
        // The behaviour function's certificates queue is one that does not
        // exist: its send fails, as a real one may, and the certificate
        // waits on the outbox for the sweep.
        let missing_queue = format!("{}-missing", certificates_queue.url);
        let behaviour = behaviour::App {
            store: table.store.clone(),
            events: EventQueue::new(events.client.clone(), events.url.clone()),
            certificates: EventQueue::new(certificates_queue.client.clone(), missing_queue),
            gate: platform::Gate::new(key.verifier()),
            cursors: cursors(),
        };
        let job = send_certificate::App {
            store: table.store.clone(),
            ses: testkit::mail::ses_client().await,
            from: testkit::mail::SENDER.to_owned(),
            configuration_set: None,
            queue: EventQueue::new(
                certificates_queue.client.clone(),
                certificates_queue.url.clone(),
            ),
        };
        Self {
            table,
            certificates_queue,
            key,
            school,
            app,
            behaviour,
            job,
            teacher_email,
        }
    }

    fn token(&self, role: Role) -> String {
        let user = if role == Role::Teacher {
            &self.school.teacher
        } else {
            &self.school.leader
        };
        self.key.token(&self.school.id, user, role)
    }

    async fn call(&self, request: ApiRequest) -> Answer {
        Answer::from_response(certificates::handle(&self.app, request.build()).await)
    }

    async fn log_point(&self, pupil: &domain::PupilId, key: &str) -> Answer {
        let body = json!({
            "classId": self.school.class().id,
            "pupilIds": [pupil],
            "behaviourTypeId": "participation",
        });
        let request = ApiRequest::post("/v1/behaviours")
            .bearer(&self.token(Role::Teacher))
            .header("Idempotency-Key", key)
            .json(&body);
        Answer::from_response(behaviour::handle(&self.behaviour, request.build()).await)
    }

    async fn certificates_of(&self, pupil: &domain::PupilId) -> Vec<Value> {
        let answer = self
            .call(
                ApiRequest::get("/v1/certificates")
                    .query("pupilId", pupil.as_str())
                    .bearer(&self.token(Role::Slt)),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body["items"].as_array().unwrap().clone()
    }

    /// Every message on the certificates queue, as one batch for the job.
    async fn batch(&self) -> SqsEvent {
        let bodies = self.certificates_queue.drain().await;
        batch_of(bodies.iter().map(String::as_str).collect())
    }
}

fn batch_of(bodies: Vec<&str>) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let mut message = SqsMessage::default();
            message.message_id = Some(format!("message-{i}"));
            message.body = Some(body.to_owned());
            message
        })
        .collect();
    event
}

/// The demo school with one low points rule, so a few behaviours earn it.
async fn seed(table: &TestTable, id: &str, name: &str) -> DemoSchool {
    let school = SchoolId::parse(id).unwrap();
    let mut seeded = testkit::seed_school(&table.store, &school, name).await;
    seeded.policy.certificate_rules = vec![CertificateRule {
        id: "first-steps".into(),
        name: "First Steps Award".into(),
        trigger: CertificateTrigger::Points {
            threshold: THRESHOLD,
        },
        template: CertificateTemplate::Bright,
        archived: false,
    }];
    let settings = SchoolSettings {
        name: name.into(),
        time_zone: "Europe/London".into(),
    };
    table
        .store
        .put_school(&school, &settings, &seeded.policy)
        .await
        .unwrap();
    seeded
}

fn pdf_text(pdf: &[u8]) -> String {
    let document = lopdf::Document::load_mem(pdf).expect("a valid PDF");
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    document.extract_text(&pages).unwrap()
}

/// The PDF attached to a raw MIME message.
fn attached_pdf(raw: &str) -> Vec<u8> {
    let part = raw
        .find("Content-Type: application/pdf")
        .expect("a PDF part");
    let rest = &raw[part..];
    let body_at = rest.find("\r\n\r\n").expect("part headers end") + 4;
    let body = &rest[body_at..];
    let end = body.find("\r\n--").unwrap_or(body.len());
    let encoded: String = body[..end].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("a base64 attachment")
}

#[tokio::test]
async fn many_behaviours_at_once_earn_one_certificate_per_rule_and_cycle() {
    let h = Harness::new().await;
    let pupil = h.school.pupils(h.school.class())[0].clone();

    // GIVEN a rule at 3 points, WHEN twelve behaviours of a point each are
    // logged for one pupil at the same moment from different requests,
    let logs = (0..12).map(|i| {
        let h = &h;
        let pupil = &pupil;
        async move { h.log_point(pupil, &format!("point-{i}")).await }
    });
    for answer in futures_util::future::join_all(logs).await {
        assert_eq!(answer.status, 201, "{}", answer.body);
    }

    // THEN the pupil holds exactly one certificate for the rule this cycle.
    let held = h.certificates_of(&pupil).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["ruleId"], "first-steps");
    assert_eq!(held[0]["name"], "First Steps Award");
    assert_eq!(held[0]["awardedBy"]["kind"], "automatic");
    assert_eq!(held[0]["emailStatus"], "pending");

    // More points in the same cycle earn nothing more.
    assert_eq!(h.log_point(&pupil, "later").await.status, 201);
    assert_eq!(h.certificates_of(&pupil).await.len(), 1);
}

#[tokio::test]
async fn an_earned_certificate_is_emailed_once_with_its_pdf() {
    let h = Harness::new().await;
    let pupil = h.school.pupils(h.school.class())[1].clone();
    for i in 0..THRESHOLD {
        assert_eq!(h.log_point(&pupil, &format!("p{i}")).await.status, 201);
    }
    let held = h.certificates_of(&pupil).await;
    assert_eq!(held.len(), 1);
    let pupil_name = held[0]["pupilName"].as_str().unwrap().to_owned();

    // The behaviour function has no certificates queue in this test, so the
    // certificate waits on the outbox; the sweep queues it.
    let later = chrono::Utc::now() + chrono::Duration::minutes(5);
    let swept = send_certificate::sweep(&h.job, later).await.unwrap();
    assert_eq!(swept.queued, 1);
    assert_eq!(
        send_certificate::sweep(&h.job, later).await.unwrap().queued,
        0
    );

    let batch = h.batch().await;
    assert_eq!(batch.records.len(), 1);
    let answer = send_certificate::handle(&h.job, batch.clone()).await;
    assert!(answer.batch_item_failures.is_empty());

    let sent = testkit::mail::sent_to(&h.teacher_email).await;
    assert_eq!(sent.len(), 1);
    let raw = &sent[0].body;
    assert!(raw.contains("Content-Type: application/pdf"), "{raw}");
    let text = pdf_text(&attached_pdf(raw));
    assert!(text.contains(&pupil_name), "{text}");
    assert!(text.contains("First Steps Award"), "{text}");
    assert!(text.contains("Riverside Academy"), "{text}");

    // A redelivery of the same message sends nothing more.
    let again = send_certificate::handle(&h.job, batch).await;
    assert!(again.batch_item_failures.is_empty());
    assert_eq!(testkit::mail::sent_to(&h.teacher_email).await.len(), 1);
    assert_eq!(h.certificates_of(&pupil).await[0]["emailStatus"], "sent");
}

#[tokio::test]
async fn a_bad_message_is_reported_without_holding_up_its_batch() {
    let h = Harness::new().await;
    let award = h
        .call(
            ApiRequest::post("/v1/certificates")
                .bearer(&h.token(Role::Slt))
                .json(&json!({"pupilId": h.school.pupils(h.school.class())[2], "name": "Star of the Week"})),
        )
        .await;
    assert_eq!(award.status, 201, "{}", award.body);
    let good = h.certificates_queue.drain().await;
    assert_eq!(good.len(), 1, "a hand award is queued at once");
    let missing =
        json!({"schoolId": "riverside", "certificateId": "01JZZZZZZZZZZZZZZZZZZZZZZZ"}).to_string();

    let answer =
        send_certificate::handle(&h.job, batch_of(vec!["not json", &good[0], &missing])).await;
    let failed: Vec<&str> = answer
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["message-0", "message-2"]);
    // The good one went to the member of staff who awarded it.
    let sent = testkit::mail::sent_to(&format!("head-{}", h.teacher_email)).await;
    assert_eq!(sent.len(), 1);
}

#[tokio::test]
async fn a_message_that_keeps_failing_lands_in_the_dead_letter_queue_and_the_rest_are_sent() {
    let h = Harness::new().await;
    let award = h
        .call(
            ApiRequest::post("/v1/certificates")
                .bearer(&h.token(Role::Slt))
                .json(&json!({"pupilId": h.school.pupils(h.school.class())[4], "name": "Star of the Week"})),
        )
        .await;
    assert_eq!(award.status, 201, "{}", award.body);
    let good = h.certificates_queue.drain().await;
    assert_eq!(good.len(), 1);
    // The template's queue moves a message after five receives; two here.
    let (queue, dead_letters) = TestQueue::with_dead_letters(2).await;
    queue.send("not a certificate message").await;
    queue.send(&good[0]).await;

    // Lambda's poller: receive, invoke, delete what the function did not
    // name as failed; the failed stay for another try.
    for _ in 0..4 {
        let received = queue.receive().await;
        let bodies: Vec<&str> = received
            .iter()
            .map(|m| m.body.as_deref().unwrap_or_default())
            .collect();
        let answer = send_certificate::handle(&h.job, batch_of(bodies)).await;
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
    assert_eq!(dead, ["not a certificate message"]);
    let sent = testkit::mail::sent_to(&format!("head-{}", h.teacher_email)).await;
    assert_eq!(sent.len(), 1, "the good message was sent once");
}

#[tokio::test]
async fn a_hand_award_is_made_once_per_idempotency_key() {
    let h = Harness::new().await;
    let pupil = h.school.pupils(h.school.class())[3].clone();
    let award = |name: &str| {
        ApiRequest::post("/v1/certificates")
            .bearer(&h.token(Role::Tutor))
            .header("Idempotency-Key", "assembly-friday")
            .json(&json!({"pupilId": pupil, "name": name, "template": "formal"}))
    };
    let first = h.call(award("Kindness Champion")).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["awardedBy"]["kind"], "staff");
    assert_eq!(first.body["template"], "formal");
    let again = h.call(award("Kindness Champion")).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body["id"], first.body["id"]);
    let other = h.call(award("Something else")).await;
    assert_eq!(other.status, 422);
    assert_eq!(h.certificates_of(&pupil).await.len(), 1);

    // The PDF download is rendered from the record.
    let id = first.body["id"].as_str().unwrap();
    let response = certificates::handle(
        &h.app,
        ApiRequest::get(&format!("/v1/certificates/{id}/pdf"))
            .bearer(&h.token(Role::Teacher))
            .build(),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let text = pdf_text(response.body().as_ref());
    assert!(text.contains("Kindness Champion"), "{text}");
    assert!(
        text.contains(first.body["pupilName"].as_str().unwrap()),
        "{text}"
    );
}

#[tokio::test]
async fn roles_that_may_not_are_refused() {
    let h = Harness::new().await;
    let pupil = h.school.pupils(h.school.class())[4].clone();
    let award = |role| {
        ApiRequest::post("/v1/certificates")
            .bearer(&h.token(role))
            .json(&json!({"pupilId": pupil, "name": "Star"}))
    };
    assert_eq!(h.call(award(Role::Teacher)).await.status, 403);
    assert_eq!(h.call(award(Role::Parent)).await.status, 403);
    assert_eq!(h.call(award(Role::Support)).await.status, 403);
    let list = |role| ApiRequest::get("/v1/certificates").bearer(&h.token(role));
    assert_eq!(h.call(list(Role::Parent)).await.status, 403);
    assert_eq!(h.call(list(Role::Teacher)).await.status, 200);
    assert_eq!(
        h.call(ApiRequest::get("/v1/certificates")).await.status,
        401
    );
    assert!(h.certificates_of(&pupil).await.is_empty());
}

#[tokio::test]
async fn another_schools_certificates_are_not_found() {
    let h = Harness::new().await;
    let pupil = h.school.pupils(h.school.class())[5].clone();
    let award = h
        .call(
            ApiRequest::post("/v1/certificates")
                .bearer(&h.token(Role::Slt))
                .json(&json!({"pupilId": pupil, "name": "Star"})),
        )
        .await;
    let id = award.body["id"].as_str().unwrap().to_owned();

    let other = seed(&h.table, "hillside", "Hillside School").await;
    let outsider = h
        .key
        .token(&other.id, &StaffId::parse("staff-head").unwrap(), Role::Slt);
    for path in [
        format!("/v1/certificates/{id}"),
        format!("/v1/certificates/{id}/pdf"),
    ] {
        let answer = h.call(ApiRequest::get(&path).bearer(&outsider)).await;
        assert_eq!(answer.status, 404, "{path}");
    }
    let listed = h
        .call(
            ApiRequest::get("/v1/certificates")
                .query("pupilId", pupil.as_str())
                .bearer(&outsider),
        )
        .await;
    assert_eq!(listed.body["items"], json!([]));
    // Hillside has a pupil of the same id; awarding to it makes Hillside's.
    let theirs = h
        .call(
            ApiRequest::post("/v1/certificates")
                .bearer(&outsider)
                .json(&json!({"pupilId": pupil, "name": "Star"})),
        )
        .await;
    assert_eq!(theirs.status, 201);
    assert_eq!(h.certificates_of(&pupil).await.len(), 1);
}

#[tokio::test]
async fn lists_filter_by_class_and_year_and_page_with_a_cursor() {
    let h = Harness::new().await;
    let class = h.school.class().clone();
    for pupil in h.school.pupils(&class).iter().take(3) {
        let answer = h
            .call(
                ApiRequest::post("/v1/certificates")
                    .bearer(&h.token(Role::Slt))
                    .json(&json!({"pupilId": pupil, "name": "Star"})),
            )
            .await;
        assert_eq!(answer.status, 201);
    }
    let page = |query: Vec<(&str, &str)>| {
        let mut request = ApiRequest::get("/v1/certificates").bearer(&h.token(Role::Slt));
        for (name, value) in query {
            request = request.query(name, value);
        }
        request
    };
    let first = h
        .call(page(vec![("classId", class.id.as_str()), ("limit", "2")]))
        .await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let cursor = first.body["nextCursor"].as_str().unwrap().to_owned();
    let second = h
        .call(page(vec![
            ("classId", class.id.as_str()),
            ("limit", "2"),
            ("cursor", &cursor),
        ]))
        .await;
    assert_eq!(second.body["items"].as_array().unwrap().len(), 1);
    assert!(second.body["nextCursor"].is_null());
    let other_filters = h
        .call(page(vec![("yearGroup", "7"), ("cursor", &cursor)]))
        .await;
    assert_eq!(other_filters.status, 400);
    assert_eq!(
        h.call(page(vec![("yearGroup", "8")])).await.body["items"],
        json!([])
    );
    assert_eq!(
        h.call(page(vec![("yearGroup", "7")])).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(h.call(page(vec![("limit", "0")])).await.status, 400);
}

#[tokio::test]
async fn a_certificate_goes_to_the_pupil_s_form_tutor_as_well_as_to_who_awarded_it() {
    let h = Harness::new().await;
    // GIVEN a pupil of form 7A, whose tutor the roster sync brought in
    let tutor_email = format!("tutor-{}", h.teacher_email);
    let tutor = StaffId::parse("staff-form-tutor").unwrap();
    let pupil = domain::PupilId::parse("pupil-of-7a").unwrap();
    let update = store::RosterUpdate {
        pupils: vec![store::RosterPupil {
            id: pupil.clone(),
            wonde_id: "A9000000001".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            year_group: "7".into(),
            house: None,
            registration_group: Some("7A".into()),
            group_flags: None,
        }],
        staff: vec![store::RosterStaff {
            id: tutor.clone(),
            first_name: "Omar".into(),
            last_name: "Haddad".into(),
            email: Some(Email::parse(&tutor_email).unwrap()),
            teaching: true,
        }],
        groups: vec![store::RosterGroup {
            id: "A9000000002".into(),
            kind: store::GroupKind::Registration,
            name: "7A".into(),
            code: Some("7A".into()),
            tutors: vec![tutor],
        }],
        ..Default::default()
    };
    let writes =
        store::roster::plan_writes(&h.school.id, &store::RosterLedger::default(), &update).unwrap();
    h.table
        .store
        .write_roster(&h.school.id, writes, chrono::Utc::now())
        .await
        .unwrap();

    // WHEN a senior leader awards them a certificate and the job sends it
    let awarded = h
        .call(
            ApiRequest::post("/v1/certificates")
                .bearer(&h.token(Role::Slt))
                .header("Idempotency-Key", "ada-star")
                .json(
                    &json!({"pupilId": pupil, "name": "Star of the Week", "template": "classic"}),
                ),
        )
        .await;
    assert_eq!(awarded.status, 201, "{}", awarded.body);
    let answer = send_certificate::handle(&h.job, h.batch().await).await;
    assert!(answer.batch_item_failures.is_empty());

    // THEN the form tutor has it, and so does the leader who awarded it
    let to_tutor = testkit::mail::sent_to(&tutor_email).await;
    assert_eq!(to_tutor.len(), 1);
    assert!(to_tutor[0].body.contains("Content-Type: application/pdf"));
    let to_leader = testkit::mail::sent_to(&format!("head-{}", h.teacher_email)).await;
    assert_eq!(to_leader.len(), 1);
}
