//! The client against the fake Wonde: paging, includes, deltas, deletions,
//! every shape a field arrives in, retries, timeouts, broken pages, and the
//! token kept to trusted hosts.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use testkit::wonde::{FakeWonde, Fault, SchoolSpec};
use wonde::{
    Client, Config, DeletionKind, Error, Gender, GroupKind, Pages, Query, RetryPolicy, SchoolApi,
    SenStatus, Token, WondeId,
};

const TOKEN: &str = "test-token-7e76896f9aca62569048";

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        max_retry_after: Duration::from_secs(5),
    }
}

fn config(fake: &FakeWonde) -> Config {
    Config::new(fake.base_url(), Token::new(TOKEN).unwrap())
        .per_page(10)
        .request_timeout(Duration::from_millis(300))
        .retry(quick_retries())
}

fn school_id(fake: &FakeWonde) -> WondeId {
    WondeId::parse(&fake.school_id()).unwrap()
}

async fn open(fake: &FakeWonde, config: Config) -> (Client, SchoolApi) {
    let client = Client::new(config).unwrap();
    let school = client.open_school(&school_id(fake)).await.unwrap();
    (client, school)
}

async fn read_all<T>(mut pages: Pages<T>) -> Result<Vec<T>, Error> {
    let mut records = Vec::new();
    while let Some(page) = pages.next_page().await? {
        records.extend(page.records);
    }
    Ok(records)
}

fn ids<'a>(ids: impl IntoIterator<Item = &'a WondeId>) -> BTreeSet<String> {
    ids.into_iter().map(|id| id.to_string()).collect()
}

/// An error may go to the logs: it must never hold the token.
fn assert_no_token(error: &Error) {
    let text = format!("{error} {error:?}");
    assert!(
        !text.contains(TOKEN),
        "the token leaked into an error: {text}"
    );
}

fn medium() -> SchoolSpec {
    SchoolSpec {
        pupils: 45,
        staff: 9,
        classes: 14,
        ..SchoolSpec::small()
    }
}

#[tokio::test]
async fn a_full_sync_reads_every_page_of_every_list() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let (client, school) = open(&fake, config(&fake)).await;

    let mut pages = school.pupils(&Query::all());
    let mut numbers = Vec::new();
    let mut pupils = Vec::new();
    while let Some(page) = pages.next_page().await.unwrap() {
        assert!(page.records.len() <= 10);
        numbers.push(page.number);
        pupils.extend(page.records);
    }
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
    assert_eq!(pages.pages_read(), 5);
    assert!(
        pages.next_page().await.unwrap().is_none(),
        "a finished list stays finished"
    );
    let expected: BTreeSet<String> = fake.pupils().into_iter().map(|p| p.id).collect();
    assert_eq!(pupils.len(), 45);
    assert_eq!(ids(pupils.iter().map(|p| &p.id)), expected);

    let staff = read_all(school.employees(&Query::all())).await.unwrap();
    let classes = read_all(school.classes(&Query::all())).await.unwrap();
    let groups = read_all(school.groups(&Query::all())).await.unwrap();
    let deletions = read_all(school.deletions(&Query::all())).await.unwrap();
    assert_eq!(staff.len(), 9);
    assert_eq!(classes.len(), 14);
    assert_eq!(groups.len(), fake.groups().len());
    assert!(deletions.is_empty());

    // The lookup, then 5 + 1 + 2 + 2 + 1 pages.
    assert_eq!(client.requests_made(), 12);
    assert_eq!(fake.requests_served(), 12);
    let seen = fake.requests();
    assert!(seen.iter().all(|r| r.authorized));
    assert!(seen[1..].iter().all(|r| r.param("per_page") == Some("10")));
    assert_eq!(
        seen[5].param("page"),
        Some("5"),
        "the fifth page came from its next link"
    );
}

#[tokio::test]
async fn pages_also_come_as_a_stream() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let (_, school) = open(&fake, config(&fake)).await;

    let pages: Vec<_> = school.pupils(&Query::all()).into_stream().collect().await;
    let numbers: Vec<u32> = pages.iter().map(|p| p.as_ref().unwrap().number).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn included_groups_staff_details_and_class_members_are_decoded() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let (_, school) = open(&fake, config(&fake)).await;

    let pupils = read_all(school.pupils(&Query::all())).await.unwrap();
    for pupil in &pupils {
        let expected = fake.pupil(pupil.id.as_str()).unwrap();
        let year = pupil.year.as_ref().unwrap();
        assert_eq!(
            year.name.as_deref(),
            Some(format!("Year {}", expected.year).as_str())
        );
        assert_eq!(year.kind, GroupKind::Year);
        let form = pupil.registration.as_ref().unwrap();
        assert_eq!(form.name.as_deref(), Some(expected.form.as_str()));
        assert_eq!(
            pupil.house.as_ref().and_then(|h| h.name.clone()),
            expected.house
        );
        assert_eq!(pupil.upi.as_deref(), Some(expected.upi.as_str()));
    }
    let request = &fake.requests()[1];
    assert_eq!(request.param("include"), Some("year,house,registration"));

    let staff = read_all(school.employees(&Query::all())).await.unwrap();
    for member in fake.staff() {
        let read = staff.iter().find(|e| e.id.as_str() == member.id).unwrap();
        assert_eq!(read.work_email, member.work_email.or(member.main_email));
        assert_eq!(read.teaching_staff, Some(member.teaching_staff));
        assert_eq!(read.current, Some(member.current));
        assert_eq!(read.title, member.title);
        assert_eq!(read.forename, member.forename);
    }

    let subjects: BTreeMap<String, String> = fake
        .subjects()
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let classes = read_all(school.classes(&Query::all())).await.unwrap();
    for class in fake.classes() {
        let read = classes.iter().find(|c| c.id.as_str() == class.id).unwrap();
        assert_eq!(read.name.as_deref(), Some(class.name.as_str()));
        let subject = read.subject.as_ref().unwrap();
        assert_eq!(subject.name.as_ref(), subjects.get(&class.subject_id));
        assert_eq!(
            subject.id.as_ref().map(WondeId::to_string),
            Some(class.subject_id.clone())
        );
        assert_eq!(read.year_group, class.year_group);
        let pupil_ids: Vec<String> = read.pupil_ids.iter().map(WondeId::to_string).collect();
        assert_eq!(pupil_ids, class.pupil_ids);
        let teachers: Vec<(String, bool)> = read
            .teachers
            .iter()
            .map(|t| (t.employee_id.to_string(), t.main))
            .collect();
        assert_eq!(teachers, class.teachers);
    }
    assert!(
        classes.iter().any(|c| c.teachers.len() == 2),
        "some classes have a second teacher"
    );
}

#[tokio::test]
async fn group_flags_are_read_only_when_asked_for() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let (_, school) = open(&fake, config(&fake)).await;

    let plain = read_all(school.pupils(&Query::all())).await.unwrap();
    assert!(plain.iter().all(|p| p.group_flags.is_none()));
    let asked = fake.requests().len();

    let flagged = read_all(school.pupils_with_group_flags(&Query::all()))
        .await
        .unwrap();
    assert_eq!(
        fake.requests()[asked].param("include"),
        Some("year,house,registration,extended_details")
    );
    assert!(
        fake.requests()[1..asked]
            .iter()
            .all(|r| !r.param("include").unwrap().contains("extended"))
    );
    let mut sen_seen = BTreeSet::new();
    for pupil in &flagged {
        let expected = fake.pupil(pupil.id.as_str()).unwrap();
        let flags = pupil.group_flags.unwrap();
        let gender = match expected.gender.as_str() {
            "FEMALE" => Gender::Female,
            "MALE" => Gender::Male,
            _ => Gender::Other,
        };
        let sen = match expected.sen_status.as_str() {
            "N" => SenStatus::NoNeed,
            "K" => SenStatus::Support,
            _ => SenStatus::EhcPlan,
        };
        assert_eq!(flags.gender, Some(gender));
        assert_eq!(flags.sen, Some(sen));
        assert_eq!(flags.pupil_premium, Some(expected.pupil_premium));
        assert_eq!(flags.eal, Some(expected.eal));
        sen_seen.insert(expected.sen_status);
    }
    assert!(
        sen_seen.len() > 1,
        "the school has pupils with and without SEN"
    );
}

#[tokio::test]
async fn a_delta_sync_sees_only_what_changed_since() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let (_, school) = open(&fake, config(&fake)).await;
    let mark = fake.now();
    let since = Query::updated_after(mark);

    assert!(read_all(school.pupils(&since)).await.unwrap().is_empty());
    assert!(read_all(school.classes(&since)).await.unwrap().is_empty());
    let sent = fake
        .requests()
        .last()
        .unwrap()
        .param("updated_after")
        .map(str::to_owned);
    assert_eq!(
        sent.as_deref(),
        Some(mark.format("%Y-%m-%d %H:%M:%S").to_string().as_str())
    );

    let pupils = fake.pupils();
    let (renamed, moved) = (&pupils[0], &pupils[1]);
    let new_form = if moved.form == "8A" { "9A" } else { "8A" };
    fake.rename_pupil(&renamed.id, "Nadia", "Okonkwo");
    fake.move_pupil(&moved.id, new_form);
    let newcomer = fake.add_staff("Nina", "Shah");

    let changed = read_all(school.pupils(&since)).await.unwrap();
    assert_eq!(
        ids(changed.iter().map(|p| &p.id)),
        BTreeSet::from([renamed.id.clone(), moved.id.clone()])
    );
    let read_renamed = changed
        .iter()
        .find(|p| p.id.as_str() == renamed.id)
        .unwrap();
    assert_eq!(read_renamed.forename.as_deref(), Some("Nadia"));
    assert_eq!(read_renamed.surname.as_deref(), Some("Okonkwo"));
    assert_eq!(
        read_renamed.legal_surname, renamed.legal_surname,
        "a new preferred name keeps the legal one"
    );
    let read_moved = changed.iter().find(|p| p.id.as_str() == moved.id).unwrap();
    assert_eq!(
        read_moved.registration.as_ref().unwrap().name.as_deref(),
        Some(new_form)
    );

    let staff = read_all(school.employees(&since)).await.unwrap();
    assert_eq!(ids(staff.iter().map(|e| &e.id)), BTreeSet::from([newcomer]));
    assert_eq!(
        staff[0].work_email.as_deref(),
        Some("nina.shah@riverside.example")
    );

    let classes = read_all(school.classes(&since)).await.unwrap();
    let expected: BTreeSet<String> = fake
        .classes()
        .into_iter()
        .filter(|c| c.form == moved.form || c.form == new_form)
        .map(|c| c.id)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(ids(classes.iter().map(|c| &c.id)), expected);
    for class in &classes {
        let now_in = class.pupil_ids.iter().any(|p| p.as_str() == moved.id);
        let form_of_class = fake
            .classes()
            .into_iter()
            .find(|c| c.id == class.id.as_str())
            .unwrap()
            .form;
        assert_eq!(now_in, form_of_class == new_form);
    }
}

#[tokio::test]
async fn deletions_restorations_and_re_enrolment() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let (_, school) = open(&fake, config(&fake)).await;
    let pupils = fake.pupils();
    let (leaver, returner) = (pupils[2].clone(), pupils[3].clone());
    let mark = fake.now();
    let since = Query::updated_after(mark);

    fake.delete(&leaver.id);
    let listed = read_all(school.pupils(&Query::all())).await.unwrap();
    assert!(!listed.iter().any(|p| p.id.as_str() == leaver.id));
    let deletions = read_all(school.deletions(&since)).await.unwrap();
    assert_eq!(deletions.len(), 1);
    assert_eq!(deletions[0].id.as_str(), leaver.id);
    assert_eq!(deletions[0].kind, DeletionKind::Student);
    assert!(deletions[0].deleted_at.unwrap() > mark);
    assert!(!deletions[0].is_restored());
    let classes = read_all(school.classes(&Query::all())).await.unwrap();
    assert!(
        classes
            .iter()
            .all(|c| c.pupil_ids.iter().all(|p| p.as_str() != leaver.id))
    );

    fake.restore(&leaver.id);
    let deletions = read_all(school.deletions(&since)).await.unwrap();
    assert!(deletions[0].is_restored());
    assert!(deletions[0].restored_at > deletions[0].deleted_at);
    let back = read_all(school.pupils(&since)).await.unwrap();
    assert_eq!(
        ids(back.iter().map(|p| &p.id)),
        BTreeSet::from([leaver.id.clone()])
    );

    let new_id = fake.reenrol_pupil(&returner.id);
    let listed = read_all(school.pupils(&Query::all())).await.unwrap();
    assert!(!listed.iter().any(|p| p.id.as_str() == returner.id));
    let again = listed.iter().find(|p| p.id.as_str() == new_id).unwrap();
    assert_eq!(
        again.upi.as_deref(),
        Some(returner.upi.as_str()),
        "the same person under a new id"
    );
    let deletions = read_all(school.deletions(&since)).await.unwrap();
    let gone = deletions
        .iter()
        .find(|d| d.id.as_str() == returner.id)
        .unwrap();
    assert!(!gone.is_restored());
    let classes = read_all(school.classes(&Query::all())).await.unwrap();
    assert!(
        classes
            .iter()
            .any(|c| c.pupil_ids.iter().any(|p| p.as_str() == new_id))
    );
    assert!(
        classes
            .iter()
            .all(|c| c.pupil_ids.iter().all(|p| p.as_str() != returner.id))
    );
}

#[tokio::test]
async fn every_shape_of_missing_fields_and_timestamps_reads() {
    let fake = FakeWonde::start(
        TOKEN,
        SchoolSpec {
            pupils: 120,
            ..SchoolSpec::small()
        },
    )
    .await;
    let (_, school) = open(&fake, config(&fake).per_page(200)).await;

    // What the fake sends, to be sure each shape is really there.
    let url = format!(
        "{}schools/{}/students?include=year,house,registration&per_page=200",
        fake.base_url(),
        fake.school_id()
    );
    let raw: serde_json::Value = reqwest::Client::new()
        .get(url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let records = raw["data"].as_array().unwrap();
    let shape = |check: &dyn Fn(&serde_json::Value) -> bool| records.iter().any(check);
    assert!(shape(&|r| r["updated_at"]["date"]
        .as_str()
        .is_some_and(|d| d.len() == 26)));
    assert!(shape(&|r| r["updated_at"]["date"]
        .as_str()
        .is_some_and(|d| d.len() == 19)));
    assert!(shape(&|r| r["date_of_birth"].is_object()));
    assert!(shape(&|r| r["date_of_birth"].is_string()));
    assert!(shape(&|r| r["date_of_birth"].is_null()));
    assert!(shape(&|r| r["house"]["data"].is_null()));
    assert!(shape(&|r| r["house"]["data"]
        .as_array()
        .is_some_and(Vec::is_empty)));
    assert!(shape(&|r| r["forename"].is_null()));
    assert!(shape(&|r| r["legal_forename"].is_null()));
    assert!(shape(&|r| r["middle_names"].is_null()));

    let pupils = read_all(school.pupils(&Query::all())).await.unwrap();
    assert_eq!(pupils.len(), 120);
    for pupil in &pupils {
        let expected = fake.pupil(pupil.id.as_str()).unwrap();
        assert_eq!(
            pupil.updated_at,
            Some(expected.updated_at),
            "exact to the microsecond"
        );
        assert_eq!(pupil.forename, expected.forename);
        assert_eq!(pupil.surname, expected.surname);
        assert_eq!(pupil.legal_forename, expected.legal_forename);
        assert_eq!(pupil.legal_surname, expected.legal_surname);
        assert_eq!(pupil.house.is_none(), expected.house.is_none());
    }
    assert!(pupils.iter().any(|p| p.forename.is_none()));
    assert!(pupils.iter().any(|p| p.house.is_none()));
    assert!(pupils.iter().any(|p| p.forename != p.legal_forename
        && p.forename.is_some()
        && p.legal_forename.is_some()));

    let staff = read_all(school.employees(&Query::all())).await.unwrap();
    for member in fake.staff() {
        let read = staff.iter().find(|e| e.id.as_str() == member.id).unwrap();
        assert_eq!(read.updated_at, Some(member.updated_at));
    }
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_as_retry_after_says() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let (client, school) = open(&fake, config(&fake)).await;

    fake.inject_next(Fault::TooManyRequests {
        retry_after_secs: 1,
    });
    let started = Instant::now();
    let page = school
        .pupils(&Query::all())
        .next_page()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.records.len(), 10);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(client.requests_made(), 3);
    let seen = fake.requests();
    assert_eq!(seen[1].path, seen[2].path);
    assert_eq!(seen[1].query, seen[2].query);
}

#[tokio::test]
async fn a_rate_limit_longer_than_allowed_ends_the_request() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let (client, school) = open(&fake, config(&fake)).await;

    fake.inject_next(Fault::TooManyRequests {
        retry_after_secs: 600,
    });
    let started = Instant::now();
    let error = school.pupils(&Query::all()).next_page().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(wait), .. } if wait == Duration::from_secs(600)),
        "{error:?}"
    );
    assert_eq!(client.requests_made(), 2);
    assert_no_token(&error);
}

#[tokio::test]
async fn server_errors_are_retried() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let (client, school) = open(&fake, config(&fake)).await;

    fake.inject_next_n(2, Fault::ServerError);
    let page = school
        .employees(&Query::all())
        .next_page()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.records.len(), 9);
    assert_eq!(client.requests_made(), 4);
}

#[tokio::test]
async fn server_errors_past_the_attempts_give_up() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let (client, school) = open(&fake, config(&fake)).await;

    fake.inject_next_n(3, Fault::ServerError);
    let error = school
        .employees(&Query::all())
        .next_page()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Exhausted { attempts: 3, .. }),
        "{error:?}"
    );
    assert!(matches!(
        error.last_attempt(),
        Error::Server { status: 500, .. }
    ));
    assert_eq!(client.requests_made(), 4);
    assert_no_token(&error);
}

#[tokio::test]
async fn a_slow_answer_times_out_and_the_retry_succeeds() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let (client, school) = open(&fake, config(&fake)).await;

    fake.inject_next(Fault::Slow(Duration::from_secs(3)));
    let started = Instant::now();
    let page = school
        .classes(&Query::all())
        .next_page()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.records.len(), 10);
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "waited for the slow answer"
    );
    assert_eq!(client.requests_made(), 3);
}

#[tokio::test]
async fn a_request_that_keeps_timing_out_gives_up_with_an_error() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let (client, school) = open(&fake, config(&fake)).await;

    fake.inject_next_n(3, Fault::Slow(Duration::from_secs(3)));
    let started = Instant::now();
    let mut pages = school.pupils(&Query::all());
    let error = pages.next_page().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(error, Error::Exhausted { attempts: 3, .. }),
        "{error:?}"
    );
    assert!(
        matches!(error.last_attempt(), Error::Timeout { .. }),
        "{error:?}"
    );
    assert_eq!(client.requests_made(), 4);
    assert!(
        pages.next_page().await.unwrap().is_none(),
        "a failed list yields nothing more"
    );
    assert_no_token(&error);
}

#[tokio::test]
async fn a_broken_page_is_an_error_not_an_empty_page() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let (client, school) = open(&fake, config(&fake)).await;

    let mut pages = school.pupils(&Query::all());
    assert_eq!(pages.next_page().await.unwrap().unwrap().records.len(), 10);
    fake.inject_next(Fault::BrokenPage);
    let error = pages.next_page().await.unwrap_err();
    assert!(matches!(error, Error::BrokenPage { .. }), "{error:?}");
    assert_eq!(client.requests_made(), 3, "a broken page is not retried");
    assert_no_token(&error);

    fake.inject_next(Fault::PageWithoutData);
    let error = school.classes(&Query::all()).next_page().await.unwrap_err();
    assert!(
        matches!(&error, Error::BrokenPage { reason, .. } if reason.contains("data")),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_answer_over_the_size_limit_is_refused() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let mut config = config(&fake);
    config.max_body_bytes = 8 * 1024;
    let (client, school) = open(&fake, config).await;

    let error = school.classes(&Query::all()).next_page().await.unwrap_err();
    assert!(
        matches!(error, Error::TooLarge { limit: 8192, .. }),
        "{error:?}"
    );
    assert_eq!(client.requests_made(), 2, "a size refusal is not retried");
}

#[tokio::test]
async fn more_without_a_next_link_is_an_error_not_the_end() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let (_, school) = open(&fake, config(&fake)).await;

    fake.inject_next(Fault::MoreWithoutNext);
    let mut pages = school.pupils(&Query::all());
    let page = pages.next_page().await.unwrap().unwrap();
    assert_eq!(page.records.len(), 10, "the page itself is good");
    let error = pages.next_page().await.unwrap_err();
    assert!(matches!(error, Error::MissingNext { .. }), "{error:?}");
    assert!(pages.next_page().await.unwrap().is_none());
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused_and_gets_no_token() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let elsewhere = FakeWonde::start(TOKEN, medium()).await;
    // Even a host allowed as a region may not take over a school's paging.
    let config = config(&fake).allow_region(elsewhere.base_url());
    let (client, school) = open(&fake, config).await;

    fake.inject_next(Fault::ForeignNext {
        base_url: elsewhere.base_url(),
    });
    let mut pages = school.pupils(&Query::all());
    assert!(pages.next_page().await.unwrap().is_some());
    let error = pages.next_page().await.unwrap_err();
    assert!(
        matches!(&error, Error::ForeignHost { origin } if origin.ends_with(&elsewhere.domain())),
        "{error:?}"
    );
    assert_no_token(&error);
    assert!(pages.next_page().await.unwrap().is_none());
    assert_eq!(client.requests_made(), 2);
    assert!(elsewhere.requests().iter().all(|r| !r.had_authorization));
    assert_eq!(
        elsewhere.requests_served(),
        0,
        "nothing at all was sent to the other host"
    );

    // The other host does notice a token when one arrives.
    reqwest::Client::new()
        .get(format!("{}schools/x", elsewhere.base_url()))
        .bearer_auth("anything")
        .send()
        .await
        .unwrap();
    assert!(elsewhere.requests()[0].had_authorization);
}

#[tokio::test]
async fn a_next_link_on_another_port_or_scheme_is_foreign_too() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let (_, school) = open(&fake, config(&fake)).await;

    let other_port = fake.base_url().replace(&fake.domain(), "127.0.0.1:9");
    for base_url in [other_port, fake.base_url().replace("http://", "https://")] {
        fake.inject_next(Fault::ForeignNext { base_url });
        let mut pages = school.pupils(&Query::all());
        pages.next_page().await.unwrap();
        let error = pages.next_page().await.unwrap_err();
        assert!(matches!(error, Error::ForeignHost { .. }), "{error:?}");
    }
}

#[tokio::test]
async fn a_wrong_token_is_refused_and_not_retried() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let wrong =
        Config::new(fake.base_url(), Token::new("not-the-token").unwrap()).retry(quick_retries());
    let client = Client::new(wrong).unwrap();

    let error = client.open_school(&school_id(&fake)).await.unwrap_err();
    assert!(
        matches!(error, Error::Unauthorized { status: 401, .. }),
        "{error:?}"
    );
    assert_eq!(client.requests_made(), 1);
    assert!(!fake.requests()[0].authorized);
    assert!(!format!("{error} {error:?}").contains("not-the-token"));
}

#[tokio::test]
async fn an_unknown_school_is_not_found() {
    let fake = FakeWonde::start(TOKEN, medium()).await;
    let client = Client::new(config(&fake)).unwrap();

    let error = client
        .school(&WondeId::parse("A0000000001").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
}

#[tokio::test]
async fn a_school_is_read_from_its_region_when_that_host_is_allowed() {
    let home = FakeWonde::start(TOKEN, medium()).await;
    let region = FakeWonde::start(TOKEN, medium()).await;
    home.set_region_domain(&region.domain());
    let client = Client::new(config(&home).allow_region(region.base_url())).unwrap();

    let school = client.school(&school_id(&home)).await.unwrap();
    assert_eq!(
        school.region_domain.as_deref(),
        Some(region.domain().as_str())
    );
    assert_eq!(school.name.as_deref(), Some("Riverside Academy"));
    let school = client.school_api(&school).unwrap();
    assert_eq!(school.base_url().as_str(), region.base_url());
    let pupils = read_all(school.pupils(&Query::all())).await.unwrap();

    assert_eq!(pupils.len(), 45);
    assert_eq!(
        home.requests_served(),
        1,
        "only the school lookup went home"
    );
    assert_eq!(region.requests_served(), 5);
    assert!(region.requests().iter().all(|r| r.authorized));
}

#[tokio::test]
async fn a_school_in_a_region_not_allowed_is_refused_before_anything_is_sent() {
    let home = FakeWonde::start(TOKEN, medium()).await;
    let region = FakeWonde::start(TOKEN, medium()).await;
    let client = Client::new(config(&home)).unwrap();

    for domain in [region.domain(), "api.wonde.com.evil.example".to_owned()] {
        home.set_region_domain(&domain);
        let error = client.open_school(&school_id(&home)).await.unwrap_err();
        assert!(
            matches!(&error, Error::RegionNotAllowed { domain: d, .. } if *d == domain),
            "{error:?}"
        );
        assert_no_token(&error);
    }
    assert_eq!(region.requests_served(), 0);
}

/// A full sync of the default school (1,500 pupils, 120 staff, 900
/// classes) at 200 a page: the request count the sync's benchmark starts
/// from.
#[tokio::test]
async fn a_full_sync_of_a_secondary_counts_its_requests() {
    let fake = FakeWonde::start(TOKEN, SchoolSpec::default()).await;
    let config = config(&fake)
        .per_page(200)
        .request_timeout(Duration::from_secs(20));
    let (client, school) = open(&fake, config).await;

    let mut counts = Vec::new();
    macro_rules! sync {
        ($name:literal, $pages:expr) => {{
            let mut pages = $pages;
            let mut records = 0;
            while let Some(page) = pages.next_page().await.unwrap() {
                records += page.records.len();
            }
            counts.push(($name, pages.pages_read(), records));
        }};
    }
    sync!("students", school.pupils(&Query::all()));
    sync!("employees", school.employees(&Query::all()));
    sync!("classes", school.classes(&Query::all()));
    sync!("groups", school.groups(&Query::all()));
    sync!("deletions", school.deletions(&Query::all()));
    println!(
        "full sync of the default school: {counts:?}, {} requests",
        client.requests_made()
    );

    assert_eq!(
        counts,
        [
            ("students", 8, 1500),
            ("employees", 1, 120),
            ("classes", 5, 900),
            ("groups", 1, 59),
            ("deletions", 1, 15),
        ]
    );
    assert_eq!(client.requests_made(), 17);
    assert_eq!(fake.requests_served(), 17);
}
