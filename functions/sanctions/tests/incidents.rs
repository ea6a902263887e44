//! Incident forms against the emulator: written, edited with every version
//! kept, moved through their statuses behind If-Match, seen only by those
//! who may, walled off from other schools, and refused field by field.

mod common;

use common::*;
use serde_json::json;
use store::AuditQuery;

#[tokio::test]
async fn a_form_goes_from_draft_to_closed_and_every_version_is_kept() {
    let h = Harness::new().await;
    let id = h.create(AUTHOR, &h.form(false)).await;
    let read = h.read(AUTHOR, &id).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.headers["etag"], "\"incident-1\"");
    assert_eq!(read.body["status"], "draft");
    assert_eq!(read.body["delivery"], serde_json::Value::Null);

    let mut changed = h.form(false);
    changed["whatHappened"] = json!("Pushed against the lockers, then tripped.");
    let edited = h.edit(AUTHOR, &id, 1, &changed).await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["version"], 2);
    assert_eq!(h.step(AUTHOR, &id, "submit", 2).await.status, 200);
    // A teacher may not review; pastoral staff may.
    assert_eq!(h.step(AUTHOR, &id, "review", 3).await.status, 403);
    let reviewed = h.step(PASTORAL, &id, "review", 3).await;
    assert_eq!(reviewed.status, 200, "{}", reviewed.body);
    assert_eq!(reviewed.body["status"], "reviewed");

    changed["actionTaken"] = json!("Parents called; restorative meeting booked.");
    let after_review = h.edit(PASTORAL, &id, 4, &changed).await;
    assert_eq!(after_review.status, 200, "{}", after_review.body);
    assert_eq!(after_review.body["status"], "reviewed");
    let closed = h.step(SLT, &id, "close", 5).await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    assert_eq!(closed.headers["etag"], "\"incident-6\"");
    assert_eq!(h.edit(AUTHOR, &id, 6, &changed).await.status, 409);
    assert_eq!(h.step(SLT, &id, "close", 6).await.status, 409);

    let history = h
        .call(Call::get(&format!("/v1/incidents/{id}/history")).bearer(&h.token(DSL)))
        .await;
    assert_eq!(history.status, 200, "{}", history.body);
    let items = history.body["items"].as_array().unwrap();
    let changes: Vec<&str> = items
        .iter()
        .map(|v| v["change"].as_str().unwrap())
        .collect();
    assert_eq!(
        changes,
        [
            "closed",
            "edited",
            "reviewed",
            "submitted",
            "edited",
            "created"
        ]
    );
    assert_eq!(
        items[5]["whatHappened"], "Pushed against the lockers at break.",
        "the first version is kept as it was written"
    );
    assert_eq!(items[0]["actionTaken"], changed["actionTaken"]);

    let (audit, _) = h
        .table
        .store
        .audit(
            &h.school.id,
            &AuditQuery {
                action: Some("incident.".into()),
                limit: 50,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(audit.len(), 6, "one audit record per change");
    assert!(audit.iter().all(|r| r.target_ids[0] == id));
}

#[tokio::test]
async fn changes_need_the_version_they_were_made_from() {
    let h = Harness::new().await;
    let id = h.create(AUTHOR, &h.form(false)).await;

    let without = h
        .call(
            Call::new("PUT", &format!("/v1/incidents/{id}"))
                .bearer(&h.token(AUTHOR))
                .json(&h.form(false)),
        )
        .await;
    assert_eq!(without.status, 428);
    let submit_without = h
        .call(Call::post(&format!("/v1/incidents/{id}/submit")).bearer(&h.token(AUTHOR)))
        .await;
    assert_eq!(submit_without.status, 428);
    assert_eq!(h.edit(AUTHOR, &id, 1, &h.form(false)).await.status, 200);
    assert_eq!(h.edit(AUTHOR, &id, 1, &h.form(false)).await.status, 412);
    assert_eq!(h.step(AUTHOR, &id, "submit", 1).await.status, 412);
    assert_eq!(h.read(AUTHOR, &id).await.body["version"], 2);
}

#[tokio::test]
async fn a_form_is_seen_by_its_author_pastoral_staff_the_dsl_and_leaders_only() {
    let h = Harness::new().await;
    let ordinary = h.create(AUTHOR, &h.form(false)).await;
    let concern = h.create(AUTHOR, &h.form(true)).await;
    assert_eq!(h.step(AUTHOR, &concern, "submit", 1).await.status, 200);

    for (staff, sees_ordinary, sees_concern) in [
        (AUTHOR, true, true),
        (OTHER_TEACHER, false, false),
        (PASTORAL, true, false),
        (DSL, true, true),
        (SLT, true, true),
    ] {
        let status = |seen: bool| if seen { 200 } else { 404 };
        assert_eq!(
            h.read(staff, &ordinary).await.status,
            status(sees_ordinary),
            "{staff}"
        );
        assert_eq!(
            h.read(staff, &concern).await.status,
            status(sees_concern),
            "{staff}"
        );
        let listed = h.listed(staff).await;
        assert_eq!(listed.contains(&ordinary), sees_ordinary, "{staff}");
        assert_eq!(listed.contains(&concern), sees_concern, "{staff}");
        let history = h
            .call(Call::get(&format!("/v1/incidents/{concern}/history")).bearer(&h.token(staff)))
            .await;
        assert_eq!(history.status, status(sees_concern), "{staff}");
    }
    // Nor can pastoral staff review or edit what they cannot see.
    assert_eq!(h.step(PASTORAL, &concern, "review", 2).await.status, 404);
    assert_eq!(h.step(DSL, &concern, "review", 2).await.status, 200);
    // A draft is its author's until submitted.
    assert_eq!(h.edit(SLT, &ordinary, 1, &h.form(false)).await.status, 403);
    assert_eq!(h.step(SLT, &ordinary, "submit", 1).await.status, 403);
}

#[tokio::test]
async fn lists_filter_by_pupil_status_and_time_a_page_at_a_time() {
    let h = Harness::new().await;
    let pupils = h.school.pupils(h.school.class());
    let mut ids = Vec::new();
    for hour in 9..12 {
        let mut body = h.form(false);
        body["occurredAt"] = json!(format!("2026-12-03T{hour}:00:00Z"));
        if hour == 11 {
            body["pupils"] = json!([{"pupilId": pupils[5], "role": "involved"}]);
        }
        ids.push(h.create(AUTHOR, &body).await);
    }
    assert_eq!(h.step(AUTHOR, &ids[0], "submit", 1).await.status, 200);
    let list = |query: Vec<(&str, String)>| {
        let mut request = Call::get("/v1/incidents").bearer(&h.token(DSL));
        for (name, value) in &query {
            request = request.query(name, value);
        }
        h.call(request)
    };

    let by_pupil = list(vec![("pupilId", pupils[5].to_string())]).await;
    assert_eq!(by_pupil.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_pupil.body["items"][0]["id"], ids[2].as_str());
    let submitted = list(vec![("status", "submitted".into())]).await;
    assert_eq!(submitted.body["items"][0]["id"], ids[0].as_str());
    assert_eq!(submitted.body["items"].as_array().unwrap().len(), 1);
    let morning = list(vec![("to", "2026-12-03T10:30:00Z".into())]).await;
    assert_eq!(morning.body["items"].as_array().unwrap().len(), 2);

    let first = list(vec![("limit", "2".into())]).await;
    assert_eq!(first.status, 200);
    let newest: Vec<&str> = first.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(newest, [ids[2].as_str(), ids[1].as_str()]);
    assert!(
        first.body["items"][0].get("whatHappened").is_none(),
        "lists carry no narrative"
    );
    let cursor = first.body["nextCursor"].as_str().unwrap().to_owned();
    let second = list(vec![("limit", "2".into()), ("cursor", cursor.clone())]).await;
    assert_eq!(second.body["items"][0]["id"], ids[0].as_str());
    assert_eq!(second.body["nextCursor"], serde_json::Value::Null);
    let other_filters = list(vec![("status", "draft".into()), ("cursor", cursor)]).await;
    assert_eq!(other_filters.status, 400);
}

#[tokio::test]
async fn another_schools_forms_are_not_found() {
    let h = Harness::new().await;
    let id = h.create(AUTHOR, &h.form(false)).await;
    let elsewhere = domain::SchoolId::parse(&format!("elsewhere-{}", h.tag)).unwrap();
    testkit::seed_school(&h.table.store, &elsewhere, "Elsewhere High").await;
    let their_leader = h.key.token(
        &elsewhere,
        &domain::StaffId::parse(SLT).unwrap(),
        domain::Role::Slt,
    );
    let get = h
        .call(Call::get(&format!("/v1/incidents/{id}")).bearer(&their_leader))
        .await;
    assert_eq!(get.status, 404);
    let close = h
        .call(
            Call::post(&format!("/v1/incidents/{id}/close"))
                .bearer(&their_leader)
                .header("If-Match", "\"incident-1\""),
        )
        .await;
    assert_eq!(close.status, 404);
    let list = h
        .call(Call::get("/v1/incidents").bearer(&their_leader))
        .await;
    assert_eq!(list.body["items"], json!([]));
    // Their pupils are not ours to name either.
    let mut body = h.form(false);
    body["staffIds"] = json!([]);
    let theirs = h
        .call(
            Call::post("/v1/incidents")
                .bearer(&their_leader)
                .json(&body),
        )
        .await;
    assert_eq!(theirs.status, 201, "the seeded pupils exist there too");
    assert_eq!(
        h.read(AUTHOR, theirs.body["id"].as_str().unwrap())
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn bad_forms_are_refused_naming_the_field_and_change_nothing() {
    let h = Harness::new().await;
    let post = |body: serde_json::Value| {
        h.call(
            Call::post("/v1/incidents")
                .bearer(&h.token(AUTHOR))
                .json(&body),
        )
    };
    let field = |answer: &Reply| {
        answer.body["errors"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    let mut unknown = h.form(false);
    unknown["severity"] = json!("high");
    let answer = post(unknown).await;
    assert_eq!((answer.status, field(&answer).as_str()), (400, "severity"));

    let mut role = h.form(false);
    role["pupils"][0]["role"] = json!("bystander");
    let answer = post(role).await;
    assert_eq!(
        (answer.status, field(&answer).as_str()),
        (400, "pupils[0].role")
    );

    let mut when = h.form(false);
    when["occurredAt"] = json!("yesterday");
    let answer = post(when).await;
    assert_eq!(
        (answer.status, field(&answer).as_str()),
        (400, "occurredAt")
    );

    let mut long = h.form(false);
    long["whatHappened"] = json!("x".repeat(8001));
    let answer = post(long).await;
    assert_eq!(
        (answer.status, field(&answer).as_str()),
        (400, "whatHappened")
    );

    let mut crowd = h.form(false);
    crowd["witnesses"] = json!(vec!["someone"; 21]);
    let answer = post(crowd).await;
    assert_eq!((answer.status, field(&answer).as_str()), (400, "witnesses"));

    let mut ghost = h.form(false);
    ghost["pupils"][1]["pupilId"] = json!("pupil-nobody");
    let answer = post(ghost).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(field(&answer), "pupils[1].pupilId");

    let mut stranger = h.form(false);
    stranger["staffIds"] = json!(["staff-nobody"]);
    let answer = post(stranger).await;
    assert_eq!(
        (answer.status, field(&answer).as_str()),
        (422, "staffIds[0]")
    );

    let answer = h
        .call(
            Call::post("/v1/incidents")
                .bearer(&h.token(AUTHOR))
                .raw_body("{\"pupils\": [")
                .header("content-type", "application/json"),
        )
        .await;
    assert_eq!(answer.status, 400);
    let answer = h
        .call(
            Call::get("/v1/incidents")
                .query("status", "open")
                .bearer(&h.token(DSL)),
        )
        .await;
    assert_eq!((answer.status, field(&answer).as_str()), (400, "status"));

    assert!(h.listed(DSL).await.is_empty());
}

#[tokio::test]
async fn a_form_is_written_once_per_idempotency_key() {
    let h = Harness::new().await;
    let create = |body: serde_json::Value| {
        h.call(
            Call::post("/v1/incidents")
                .bearer(&h.token(AUTHOR))
                .header("Idempotency-Key", "corridor-break-1")
                .json(&body),
        )
    };
    let first = create(h.form(false)).await;
    assert_eq!(first.status, 201);
    let again = create(h.form(false)).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(create(h.form(true)).await.status, 422);
    assert_eq!(h.listed(AUTHOR).await.len(), 1);
}

#[tokio::test]
async fn a_submitted_concern_and_each_later_edit_are_queued_for_forwarding() {
    let h = Harness::new().await;
    let id = h.create(AUTHOR, &h.form(true)).await;
    assert!(h.queue.drain().await.is_empty(), "a draft is not forwarded");

    let submitted = h.step(AUTHOR, &id, "submit", 1).await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    assert_eq!(submitted.body["delivery"]["state"], "pending");
    assert_eq!(submitted.body["delivery"]["id"], format!("{id}-v2"));
    let edited = h.edit(DSL, &id, 2, &h.form(true)).await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["delivery"]["version"], 3);
    assert_eq!(h.step(DSL, &id, "review", 3).await.status, 200);

    let messages: Vec<serde_json::Value> = h
        .queue
        .drain()
        .await
        .iter()
        .map(|body| serde_json::from_str(body).unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            json!({"schoolId": h.school.id, "incidentId": id, "version": 2}),
            json!({"schoolId": h.school.id, "incidentId": id, "version": 3}),
        ],
        "the review changes nothing to forward"
    );
    let waiting = h
        .table
        .store
        .unqueued_deliveries(chrono::Utc::now() + chrono::Duration::hours(1), 10)
        .await
        .unwrap();
    assert!(
        waiting.iter().all(|m| m.incident_id != id),
        "both were taken off the outbox"
    );
}

#[tokio::test]
async fn the_safeguarding_settings_show_their_secret_once() {
    let h = Harness::new().await;
    let put = |staff: &str, body: serde_json::Value| {
        h.call(
            Call::new("PUT", "/v1/safeguarding/settings")
                .bearer(&h.token(staff))
                .json(&body),
        )
    };
    let before = h
        .call(Call::get("/v1/safeguarding/settings").bearer(&h.token(DSL)))
        .await;
    assert_eq!(before.body["configured"], false);

    let first = put(DSL, json!({"webhookUrl": "https://cpoms.example/hooks/1"})).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let secret = first.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 64);
    let moved = put(SLT, json!({"webhookUrl": "https://cpoms.example/hooks/2"})).await;
    assert_eq!(moved.status, 200);
    assert!(
        moved.body.get("secret").is_none(),
        "the secret is shown once"
    );
    let rotated = put(
        DSL,
        json!({"webhookUrl": "https://cpoms.example/hooks/2", "rotateSecret": true}),
    )
    .await;
    assert_ne!(rotated.body["secret"].as_str().unwrap(), secret);

    let read = h
        .call(Call::get("/v1/safeguarding/settings").bearer(&h.token(SLT)))
        .await;
    assert_eq!(read.body["webhookUrl"], "https://cpoms.example/hooks/2");
    assert!(read.body.get("secret").is_none());
    assert!(
        !read
            .body
            .to_string()
            .contains(rotated.body["secret"].as_str().unwrap())
    );

    let plain = put(DSL, json!({"webhookUrl": "http://cpoms.example/hooks/1"})).await;
    assert_eq!(plain.status, 400);
    assert_eq!(plain.body["errors"][0]["field"], "webhookUrl");
    assert_eq!(
        put(PASTORAL, json!({"webhookUrl": "https://x.example/"}))
            .await
            .status,
        403
    );
    assert_eq!(
        put(AUTHOR, json!({"webhookUrl": "https://x.example/"}))
            .await
            .status,
        403
    );
}
