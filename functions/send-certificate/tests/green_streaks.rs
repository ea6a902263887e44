//! The daily green-streak check against the emulator: five clean school
//! days earn one certificate, a negative starts the count again, a
//! withdrawn negative does not, and another school is untouched.

use chrono::{Duration, NaiveDate, Utc};
use chrono_tz::Europe::London;
use domain::calendar::{school_date, school_days};
use domain::{CertificateRule, CertificateTemplate, CertificateTrigger, PupilId, Role, SchoolId};
use platform::CursorSigner;
use platform::queue::EventQueue;
use serde_json::json;
use store::{Certificate, CertificateQuery, SchoolSettings};
use testkit::{Answer, ApiRequest, DemoSchool, SigningKey, TestQueue, TestTable};

struct Harness {
    table: TestTable,
    key: SigningKey,
    school: DemoSchool,
    other: DemoSchool,
    behaviour: behaviour::App,
    job: send_certificate::App,
}

impl Harness {
    async fn new() -> Self {
        let table = TestTable::create().await;
        let events = TestQueue::create().await;
        let certificates = TestQueue::create().await;
        let key = SigningKey::generate();
        let school = seed(&table, "riverside", "Riverside Academy").await;
        let other = seed(&table, "hillside", "Hillside School").await;
        let queue = || EventQueue::new(certificates.client.clone(), certificates.url.clone());
        let behaviour = behaviour::App {
            store: table.store.clone(),
            events: EventQueue::new(events.client.clone(), events.url.clone()),
            certificates: queue(),
            gate: platform::Gate::new(key.verifier()),
            cursors: CursorSigner::new("cursor secret for the tests, 32+ chars").unwrap(),
        };
        let job = send_certificate::App {
            store: table.store.clone(),
            ses: testkit::mail::ses_client().await,
            from: testkit::mail::SENDER.to_owned(),
            configuration_set: None,
            queue: queue(),
        };
        Self {
            table,
            key,
            school,
            other,
            behaviour,
            job,
        }
    }

    fn teacher(&self) -> String {
        self.key
            .token(&self.school.id, &self.school.teacher, Role::Teacher)
    }

    async fn call(&self, request: ApiRequest) -> Answer {
        Answer::from_response(behaviour::handle(&self.behaviour, request.build()).await)
    }

    /// Logs a disruption for the pupil two days ago and returns its id and
    /// lesson date.
    async fn log_negative(&self, pupil: &PupilId) -> (String, NaiveDate) {
        let at = Utc::now() - Duration::days(2);
        let request = ApiRequest::post("/v1/behaviours")
            .bearer(&self.teacher())
            .header("Idempotency-Key", &format!("negative-{pupil}"))
            .json(&json!({
                "classId": self.school.class().id,
                "pupilIds": [pupil],
                "behaviourTypeId": "disruption",
                "occurredAt": at,
            }));
        let answer = self.call(request).await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        let id = answer.body["behaviours"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        (id, school_date(at, London))
    }

    async fn withdraw(&self, id: &str) {
        let request = ApiRequest::post(&format!("/v1/behaviours/{id}/withdraw"))
            .bearer(&self.teacher())
            .json(&json!({ "reason": "Logged for the wrong pupil" }));
        let answer = self.call(request).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }

    async fn check(&self, school: &SchoolId, today: NaiveDate) -> Vec<Certificate> {
        send_certificate::streaks::school_green_streaks(&self.job, school, today, Utc::now())
            .await
            .unwrap()
    }

    async fn certificates_of(&self, school: &SchoolId, pupil: &PupilId) -> Vec<Certificate> {
        let query = CertificateQuery {
            pupil: Some(pupil.clone()),
            limit: 50,
            ..CertificateQuery::default()
        };
        self.table
            .store
            .certificates(school, &query)
            .await
            .unwrap()
            .0
    }
}

/// A school whose only certificate rule is "Green all week".
async fn seed(table: &TestTable, id: &str, name: &str) -> DemoSchool {
    let school = SchoolId::parse(id).unwrap();
    let mut seeded = testkit::seed_school(&table.store, &school, name).await;
    seeded.policy.certificate_rules = vec![CertificateRule {
        id: "green-week".into(),
        name: "Green all week".into(),
        trigger: CertificateTrigger::GreenStreak { school_days: 5 },
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

/// The `n`th school day after `date`.
fn school_days_after(date: NaiveDate, n: usize) -> NaiveDate {
    school_days(date + Duration::days(1), date + Duration::days(30))
        .nth(n - 1)
        .unwrap()
}

#[tokio::test]
async fn five_clean_school_days_earn_green_all_week_once() {
    let h = Harness::new().await;
    let pupils = h.school.pupils(h.school.class());
    let (clean, disrupted, forgiven) = (&pupils[0], &pupils[1], &pupils[2]);

    // GIVEN a negative for one pupil, and one for another that is withdrawn,
    let (_, negative_on) = h.log_negative(disrupted).await;
    let (withdrawn, _) = h.log_negative(forgiven).await;
    h.withdraw(&withdrawn).await;

    // WHEN the check runs four school days after the negative,
    let fourth = school_days_after(negative_on, 4);
    let earned = h.check(&h.school.id, fourth).await;

    // THEN the pupils with nothing standing against them earn it, the
    // disrupted pupil does not, and the certificate names the rule.
    let earned_by = |pupil: &PupilId| earned.iter().filter(|c| &c.pupil_id == pupil).count();
    assert_eq!(earned_by(clean), 1);
    assert_eq!(earned_by(forgiven), 1);
    assert_eq!(earned_by(disrupted), 0);
    let held = h.certificates_of(&h.school.id, clean).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].name, "Green all week");
    assert_eq!(held[0].rule_id.as_deref(), Some("green-week"));

    // Running the check again earns nothing more.
    assert!(h.check(&h.school.id, fourth).await.is_empty());
    assert_eq!(h.certificates_of(&h.school.id, clean).await.len(), 1);

    // The fifth school day after the negative completes the disrupted
    // pupil's streak, which started the school day after it.
    let fifth = school_days_after(negative_on, 5);
    let earned = h.check(&h.school.id, fifth).await;
    assert_eq!(
        earned.iter().filter(|c| &c.pupil_id == disrupted).count(),
        1
    );
    assert_eq!(h.certificates_of(&h.school.id, disrupted).await.len(), 1);
    assert!(h.check(&h.school.id, fifth).await.is_empty());

    // The other school's pupils are untouched.
    for pupil in h.other.pupils(h.other.class()) {
        assert!(h.certificates_of(&h.other.id, &pupil).await.is_empty());
    }
}

#[tokio::test]
async fn the_daily_check_runs_once_per_school_and_day() {
    let h = Harness::new().await;
    let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    let now = Utc::now();
    let store = &h.table.store;
    let lease = Duration::minutes(10);

    assert!(
        store
            .claim_streak_check(&h.school.id, today, now, lease)
            .await
            .unwrap()
    );
    assert!(
        !store
            .claim_streak_check(&h.school.id, today, now, lease)
            .await
            .unwrap()
    );
    // A run that died leaves it to the next once its lease runs out.
    let later = now + Duration::minutes(11);
    assert!(
        store
            .claim_streak_check(&h.school.id, today, later, lease)
            .await
            .unwrap()
    );
    store
        .finish_streak_check(&h.school.id, today, later)
        .await
        .unwrap();
    let much_later = now + Duration::hours(2);
    assert!(
        !store
            .claim_streak_check(&h.school.id, today, much_later, lease)
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_streak_check(&h.other.id, today, now, lease)
            .await
            .unwrap()
    );
}
