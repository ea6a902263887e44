//! Detentions against the emulator: sessions added and listed, detentions
//! placed under the school's notice and never beyond a session's places,
//! registers marked once, a missed detention placed again for longer,
//! refusals by role, the tenant wall, and bad input named field by field.

mod common;

use chrono::{Duration, NaiveDate, Utc};
use chrono_tz::Europe::London;
use common::*;
use domain::{Role, SchoolId, StaffId, calendar};
use serde_json::{Value, json};

/// The `n`th school day after today, in the school's zone.
fn school_day(n: u32) -> NaiveDate {
    let mut date = calendar::school_date(Utc::now(), London);
    let mut left = n;
    while left > 0 {
        date += Duration::days(1);
        if calendar::is_school_day(date) {
            left -= 1;
        }
    }
    date
}

/// A GET of a path with its query string, as API Gateway splits it.
fn get(url: &str) -> Call {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .fold(Call::get(path), |call, (name, value)| {
            call.query(name, value)
        })
}

fn session_body(date: NaiveDate, supervisor: &str, places: u32) -> Value {
    json!({
        "kind": "after school",
        "date": date.to_string(),
        "startTime": "15:30",
        "minutes": 60,
        "room": "B12",
        "supervisorId": supervisor,
        "places": places,
    })
}

impl Harness {
    /// Adds a session as a senior leader; answers its id.
    async fn session(&self, date: NaiveDate, supervisor: &str, places: u32) -> String {
        let answer = self
            .call(
                Call::post("/v1/detentions/sessions")
                    .bearer(&self.token(SLT))
                    .json(&session_body(date, supervisor, places)),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.body["id"].as_str().unwrap().to_owned()
    }

    fn pupil(&self, n: usize) -> String {
        self.school.pupils(self.school.class())[n].to_string()
    }

    async fn detain(&self, staff: &str, body: Value) -> Reply {
        self.call(
            Call::post("/v1/detentions")
                .bearer(&self.token(staff))
                .json(&body),
        )
        .await
    }

    async fn register(&self, session: &str) -> Value {
        let answer = self
            .call(get(&format!("/v1/detentions/sessions/{session}")).bearer(&self.token(AUTHOR)))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body
    }

    async fn mark(&self, staff: &str, id: &str, status: &str) -> Reply {
        self.call(
            Call::post(&format!("/v1/detentions/{id}/attendance"))
                .bearer(&self.token(staff))
                .json(&json!({ "status": status })),
        )
        .await
    }
}

fn fields(answer: &Reply) -> Vec<String> {
    answer.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_detention_is_placed_in_the_next_session_and_shows_on_the_register() {
    let h = Harness::new().await;
    let session = h.session(school_day(1), OTHER_TEACHER, 10).await;
    let listed = h
        .call(
            get(&format!(
                "/v1/detentions/sessions?from={}&to={}",
                school_day(0),
                school_day(5)
            ))
            .bearer(&h.token(AUTHOR)),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body["items"][0]["id"], session.as_str());

    let body = json!({
        "pupilId": h.pupil(0),
        "reason": "Refused to follow instructions  twice",
        "minutes": 30,
        "behaviourIds": ["01KB3X5N9Q2W7E4R6T8Y0V1Z2A"],
    });
    let set = h
        .call(
            Call::post("/v1/detentions")
                .bearer(&h.token(AUTHOR))
                .header("Idempotency-Key", "hall-1")
                .json(&body),
        )
        .await;
    assert_eq!(set.status, 201, "{}", set.body);
    assert_eq!(set.body["sessionId"], session.as_str());
    assert_eq!(set.body["status"], "set");
    assert_eq!(set.body["reason"], "Refused to follow instructions twice");
    let id = set.body["id"].as_str().unwrap().to_owned();

    // The same request again sets nothing new.
    let again = h
        .call(
            Call::post("/v1/detentions")
                .bearer(&h.token(AUTHOR))
                .header("Idempotency-Key", "hall-1")
                .json(&body),
        )
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body["id"], id.as_str());
    assert_eq!(again.headers["idempotent-replayed"], "true");

    let register = h.register(&session).await;
    assert_eq!(register["placed"], 1);
    assert_eq!(register["pupils"].as_array().unwrap().len(), 1);
    assert_eq!(register["pupils"][0]["id"], id.as_str());

    for query in [
        format!("pupilId={}", h.pupil(0)),
        format!("date={}&status=set", school_day(1)),
    ] {
        let list = h
            .call(get(&format!("/v1/detentions?{query}")).bearer(&h.token(PASTORAL)))
            .await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert_eq!(list.body["items"].as_array().unwrap().len(), 1, "{query}");
    }
    let none = h
        .call(get(&format!("/v1/detentions?pupilId={}", h.pupil(1))).bearer(&h.token(SLT)))
        .await;
    assert_eq!(none.body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn concurrent_placements_never_overfill_a_session() {
    let h = Harness::new().await;
    let small = h.session(school_day(1), OTHER_TEACHER, 3).await;
    let next = h.session(school_day(2), OTHER_TEACHER, 10).await;

    // Eight teachers name the small session at once: three get in.
    let named = (0..8).map(|i| {
        h.detain(
            AUTHOR,
            json!({"pupilId": h.pupil(i), "reason": "Late", "minutes": 20, "sessionId": small}),
        )
    });
    let answers = futures_util::future::join_all(named).await;
    let placed = answers.iter().filter(|a| a.status == 201).count();
    let full = answers
        .iter()
        .filter(|a| a.status == 409 && a.body["type"].as_str().unwrap().ends_with("session-full"))
        .count();
    assert_eq!(
        (placed, full),
        (3, 5),
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert_eq!(
        h.register(&small).await["pupils"].as_array().unwrap().len(),
        3
    );

    // Six more without a session all find a place: the next session.
    let open = (8..14).map(|i| {
        h.detain(
            AUTHOR,
            json!({"pupilId": h.pupil(i), "reason": "Late", "minutes": 20}),
        )
    });
    for answer in futures_util::future::join_all(open).await {
        assert_eq!(answer.status, 201, "{}", answer.body);
        assert_eq!(answer.body["sessionId"], next.as_str());
    }
    let register = h.register(&next).await;
    assert_eq!(register["placed"], 6);
    assert_eq!(register["pupils"].as_array().unwrap().len(), 6);
    assert_eq!(h.register(&small).await["placed"], 3);
}

#[tokio::test]
async fn the_notice_is_respected_and_full_sessions_are_passed_over() {
    let h = Harness::new().await;
    let audit = platform::audit_record(
        &platform::Caller {
            school: h.school.id.clone(),
            user: StaffId::parse(SLT).unwrap(),
            roles: domain::Roles::new([Role::Slt]),
            issued_at: 0,
            grant: None,
        },
        "detention.settings.changed",
        "settings",
        vec!["noticeDays:2".into()],
        "notice-2",
    );
    h.table
        .store
        .set_detention_notice_days(&h.school.id, 2, &audit)
        .await
        .unwrap();
    let too_soon = h.session(school_day(1), OTHER_TEACHER, 10).await;
    let first = h.session(school_day(2), OTHER_TEACHER, 1).await;
    let then = h.session(school_day(3), OTHER_TEACHER, 10).await;

    let body = |n| json!({"pupilId": h.pupil(n), "reason": "Phone out", "minutes": 30});
    let one = h.detain(AUTHOR, body(0)).await;
    assert_eq!(one.status, 201, "{}", one.body);
    assert_eq!(one.body["sessionId"], first.as_str());
    let two = h.detain(AUTHOR, body(1)).await;
    assert_eq!(two.status, 201, "{}", two.body);
    assert_eq!(two.body["sessionId"], then.as_str());
    assert_eq!(h.register(&too_soon).await["placed"], 0);
}

#[tokio::test]
async fn no_session_with_room_is_a_conflict() {
    let h = Harness::new().await;
    let answer = h
        .detain(
            AUTHOR,
            json!({"pupilId": h.pupil(0), "reason": "Late", "minutes": 20}),
        )
        .await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(
        answer.body["type"]
            .as_str()
            .unwrap()
            .ends_with("no-session-available")
    );
}

#[tokio::test]
async fn a_detention_is_marked_once_except_by_leaders() {
    let h = Harness::new().await;
    let session = h.session(school_day(1), OTHER_TEACHER, 10).await;
    let set = h
        .detain(
            AUTHOR,
            json!({"pupilId": h.pupil(0), "reason": "Late", "minutes": 20}),
        )
        .await;
    let id = set.body["id"].as_str().unwrap().to_owned();

    // The teacher who set it does not supervise the session.
    assert_eq!(h.mark(AUTHOR, &id, "attended").await.status, 403);
    let marked = h.mark(OTHER_TEACHER, &id, "attended").await;
    assert_eq!(marked.status, 200, "{}", marked.body);
    assert_eq!(marked.body["status"], "attended");
    assert_eq!(marked.body["markedBy"], OTHER_TEACHER);
    assert_eq!(marked.body["escalation"], Value::Null);
    let again = h.mark(OTHER_TEACHER, &id, "missed").await;
    assert_eq!(again.status, 409, "{}", again.body);
    // A leader puts a wrong mark right, and a cancelled one gives its place back.
    let cancelled = h.mark(PASTORAL, &id, "cancelled").await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(h.register(&session).await["placed"], 0);
    assert_eq!(h.mark(PASTORAL, &id, "cancelled").await.status, 409);
    let bad = h.mark(SLT, &id, "set").await;
    assert_eq!((bad.status, fields(&bad)), (400, vec!["status".to_owned()]));
}

#[tokio::test]
async fn a_missed_detention_is_placed_again_for_twice_as_long() {
    let h = Harness::new().await;
    let first = h.session(school_day(1), OTHER_TEACHER, 10).await;
    let later = h.session(school_day(2), OTHER_TEACHER, 10).await;
    let set = h
        .detain(
            AUTHOR,
            json!({"pupilId": h.pupil(0), "reason": "Rude", "minutes": 45}),
        )
        .await;
    assert_eq!(set.body["sessionId"], first.as_str());
    let id = set.body["id"].as_str().unwrap().to_owned();

    let missed = h.mark(OTHER_TEACHER, &id, "missed").await;
    assert_eq!(missed.status, 200, "{}", missed.body);
    let escalation = &missed.body["escalation"];
    assert_eq!(escalation["sessionId"], later.as_str());
    assert_eq!(escalation["minutes"], 90);
    assert_eq!(escalation["escalatedFrom"], id.as_str());
    assert_eq!(escalation["status"], "set");
    assert_eq!(missed.body["escalatedTo"], escalation["id"]);

    let register = h.register(&later).await;
    assert_eq!(register["pupils"][0]["id"], escalation["id"]);
    let pupil = h
        .call(get(&format!("/v1/detentions?pupilId={}", h.pupil(0))).bearer(&h.token(AUTHOR)))
        .await;
    assert_eq!(pupil.body["items"].as_array().unwrap().len(), 2);
    // A leader marking it missed again sets no second escalation.
    let excused = h.mark(SLT, &id, "excused").await;
    assert_eq!(excused.status, 200, "{}", excused.body);
    let missed_again = h.mark(SLT, &id, "missed").await;
    assert_eq!(missed_again.status, 200, "{}", missed_again.body);
    assert_eq!(missed_again.body["escalation"], Value::Null);
    assert_eq!(h.register(&later).await["placed"], 1);
}

#[tokio::test]
async fn roles_are_refused_what_their_permissions_do_not_allow() {
    let h = Harness::new().await;
    let as_teacher = h
        .call(
            Call::post("/v1/detentions/sessions")
                .bearer(&h.token(AUTHOR))
                .json(&session_body(school_day(1), AUTHOR, 5)),
        )
        .await;
    assert_eq!(as_teacher.status, 403);
    let as_dsl = h
        .call(
            Call::post("/v1/detentions/sessions")
                .bearer(&h.token(DSL))
                .json(&session_body(school_day(1), AUTHOR, 5)),
        )
        .await;
    assert_eq!(as_dsl.status, 403);
    let as_pastoral = h
        .call(
            Call::post("/v1/detentions/sessions")
                .bearer(&h.token(PASTORAL))
                .json(&session_body(school_day(1), AUTHOR, 5)),
        )
        .await;
    assert_eq!(as_pastoral.status, 201, "{}", as_pastoral.body);
    let parent = h.key.token(
        &h.school.id,
        &StaffId::parse("parent-1").unwrap(),
        Role::Parent,
    );
    let listed = h
        .call(get(&format!("/v1/detentions?pupilId={}", h.pupil(0))).bearer(&parent))
        .await;
    assert_eq!(listed.status, 403);
}

#[tokio::test]
async fn another_schools_sessions_and_detentions_are_not_found() {
    let h = Harness::new().await;
    let session = h.session(school_day(1), OTHER_TEACHER, 10).await;
    let set = h
        .detain(
            AUTHOR,
            json!({"pupilId": h.pupil(0), "reason": "Late", "minutes": 20}),
        )
        .await;
    let id = set.body["id"].as_str().unwrap().to_owned();

    let other = SchoolId::parse(&format!("hillside-{}", h.tag)).unwrap();
    testkit::seed_school(&h.table.store, &other, "Hillside School").await;
    let leader = h
        .key
        .token(&other, &StaffId::parse(SLT).unwrap(), Role::Slt);
    let register = h
        .call(get(&format!("/v1/detentions/sessions/{session}")).bearer(&leader))
        .await;
    assert_eq!(register.status, 404);
    let mark = h
        .call(
            Call::post(&format!("/v1/detentions/{id}/attendance"))
                .bearer(&leader)
                .json(&json!({"status": "cancelled"})),
        )
        .await;
    assert_eq!(mark.status, 404);
    let place = h
        .call(Call::post("/v1/detentions").bearer(&leader).json(&json!({
            "pupilId": h.pupil(0), "reason": "Late", "minutes": 20, "sessionId": session,
        })))
        .await;
    assert_eq!(place.status, 422, "{}", place.body);
    let listed = h
        .call(get(&format!("/v1/detentions?date={}", school_day(1))).bearer(&leader))
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 0);
    assert_eq!(h.register(&session).await["placed"], 1);
}

#[tokio::test]
async fn bad_input_is_refused_naming_each_field() {
    let h = Harness::new().await;
    let saturday = (0..7)
        .map(|d| calendar::school_date(Utc::now(), London) + Duration::days(d + 1))
        .find(|d| !calendar::is_school_day(*d))
        .unwrap();
    let session = h
        .call(
            Call::post("/v1/detentions/sessions")
                .bearer(&h.token(SLT))
                .json(&json!({
                    "kind": " ",
                    "date": saturday.to_string(),
                    "startTime": "25:00",
                    "minutes": 0,
                    "room": "B12",
                    "supervisorId": OTHER_TEACHER,
                    "places": 0,
                })),
        )
        .await;
    assert_eq!(session.status, 400, "{}", session.body);
    assert_eq!(
        fields(&session),
        ["kind", "minutes", "places", "startTime", "date"]
    );
    let unknown_supervisor = h
        .call(
            Call::post("/v1/detentions/sessions")
                .bearer(&h.token(SLT))
                .json(&session_body(school_day(1), "nobody", 5)),
        )
        .await;
    assert_eq!(unknown_supervisor.status, 422);
    assert_eq!(fields(&unknown_supervisor), ["supervisorId"]);

    let detention = h
        .detain(
            AUTHOR,
            json!({"pupilId": h.pupil(0), "reason": "", "minutes": 500, "behaviourIds": ["x"]}),
        )
        .await;
    assert_eq!(detention.status, 400, "{}", detention.body);
    assert_eq!(fields(&detention), ["reason", "minutes", "behaviourIds[0]"]);
    let unknown_pupil = h
        .detain(
            AUTHOR,
            json!({"pupilId": "nobody", "reason": "Late", "minutes": 20}),
        )
        .await;
    assert_eq!(unknown_pupil.status, 422);
    assert_eq!(fields(&unknown_pupil), ["pupilId"]);
    let extra = h
        .detain(
            AUTHOR,
            json!({"pupilId": h.pupil(0), "reason": "Late", "minutes": 20, "x": 1}),
        )
        .await;
    assert_eq!(extra.status, 400);

    let unfiltered = h.call(get("/v1/detentions").bearer(&h.token(AUTHOR))).await;
    assert_eq!(unfiltered.status, 400);
    let bad_status = h
        .call(
            get(&format!(
                "/v1/detentions?date={}&status=gone",
                school_day(1)
            ))
            .bearer(&h.token(AUTHOR)),
        )
        .await;
    assert_eq!(
        (bad_status.status, fields(&bad_status)),
        (400, vec!["status".to_owned()])
    );
    let bad_range = h
        .call(get("/v1/detentions/sessions?from=2026-12-10&to=2026-12-01").bearer(&h.token(AUTHOR)))
        .await;
    assert_eq!(
        (bad_range.status, fields(&bad_range)),
        (400, vec!["to".to_owned()])
    );
    let empty_date = h
        .call(get("/v1/detentions/sessions?to=").bearer(&h.token(AUTHOR)))
        .await;
    assert_eq!(
        (empty_date.status, fields(&empty_date)),
        (400, vec!["to".to_owned()])
    );
    let missing = h
        .call(get("/v1/detentions/sessions/01KB3X5N9Q2W7E4R6T8Y0U1I2O").bearer(&h.token(AUTHOR)))
        .await;
    assert_eq!(missing.status, 404);
}
