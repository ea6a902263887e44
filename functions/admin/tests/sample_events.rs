//! The admin function's sample events in `events/` are real: each one, given
//! an admin's token, is answered by the function as the route it names, and
//! every route of the function has one.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

/// The samples, in an order that works one after the other: a role granted
/// then removed, an account turned off then on, a grant made then ended,
/// the caller's emails read then switched off, the school's settings read
/// then group analysis switched on.
const SAMPLES: [&str; 13] = [
    "admin-list-staff.json",
    "admin-grant-role.json",
    "admin-remove-role.json",
    "admin-disable-staff.json",
    "admin-enable-staff.json",
    "admin-create-support-grant.json",
    "admin-list-support-grants.json",
    "admin-end-support-grant.json",
    "admin-audit.json",
    "admin-get-notifications.json",
    "admin-set-notifications.json",
    "admin-get-settings.json",
    "admin-change-settings.json",
];

/// The member of staff the samples name: the demo school's teacher.
const SAMPLE_STAFF: &str = "staff-teacher";
/// The grant the sample that ends one names.
const SAMPLE_GRANT: &str = "5d1f0c9a7b3e42a68c0d9e1f2a3b4c5d";

fn set_path(event: &mut Value, path: &str) {
    event["rawPath"] = Value::String(path.to_owned());
    event["requestContext"]["http"]["path"] = Value::String(path.to_owned());
}

/// A sample as the function receives it from API Gateway: signed with the
/// school admin's token, and naming the harness's teacher.
fn signed(h: &Harness, name: &str) -> Value {
    let mut event = testkit::api::sample_event(name);
    assert_eq!(
        event["headers"]["authorization"], "Bearer REPLACE-WITH-A-TOKEN",
        "{name} leaves the token to fill in"
    );
    event["headers"]["authorization"] = Value::String(format!("Bearer {}", h.admin()));
    let path = event["rawPath"]
        .as_str()
        .expect("a path")
        .replace(SAMPLE_STAFF, TEACHER);
    set_path(&mut event, &path);
    event
}

struct Answer {
    status: u16,
    replayed: bool,
    body: Value,
}

impl Answer {
    fn keys(&self) -> BTreeSet<&str> {
        self.body
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect()
    }
}

async fn invoke(h: &Harness, event: &Value) -> Answer {
    let request =
        lambda_http::request::from_str(&event.to_string()).expect("the runtime parses the sample");
    let response = admin::handle(&h.app, request).await;
    let body: &[u8] = response.body().as_ref();
    Answer {
        status: response.status().as_u16(),
        replayed: response.headers().contains_key("idempotent-replayed"),
        body: serde_json::from_slice(body).expect("answers are JSON"),
    }
}

fn roles(staff: &Value) -> Vec<&str> {
    staff["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

#[tokio::test]
async fn each_route_sample_is_answered() {
    let h = Harness::new().await;
    let [
        list,
        grant,
        remove,
        disable,
        enable,
        create,
        grants,
        end,
        audit,
        notifications,
        switch_off,
        settings,
        switch_on,
    ] = SAMPLES.map(|name| signed(&h, name));

    let staff = invoke(&h, &list).await;
    assert_eq!(staff.status, 200, "{}", staff.body);
    assert_eq!(staff.keys(), BTreeSet::from(["items"]));
    assert!(!staff.body["items"].as_array().unwrap().is_empty());

    let granted = invoke(&h, &grant).await;
    assert_eq!(granted.status, 200, "{}", granted.body);
    assert_eq!(granted.body["staffId"], TEACHER);
    assert!(roles(&granted.body).contains(&"tutor"));
    let removed = invoke(&h, &remove).await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert!(!roles(&removed.body).contains(&"tutor"));

    let disabled = invoke(&h, &disable).await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    assert_eq!(disabled.body["status"], "disabled");
    let enabled = invoke(&h, &enable).await;
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    assert_eq!(enabled.body["status"], "active");

    let created = invoke(&h, &create).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["live"], true);
    assert!(!created.replayed);
    let again = invoke(&h, &create).await;
    assert_eq!(again.status, 201, "the sample's Idempotency-Key replays");
    assert!(again.replayed);
    assert_eq!(again.body["id"], created.body["id"]);

    let listed = invoke(&h, &grants).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.keys(), BTreeSet::from(["items"]));
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);

    let mut end = end;
    let id = created.body["id"].as_str().unwrap();
    let path = end["rawPath"].as_str().unwrap().replace(SAMPLE_GRANT, id);
    assert!(
        path.contains(id),
        "the sample names the grant {SAMPLE_GRANT}"
    );
    set_path(&mut end, &path);
    let ended = invoke(&h, &end).await;
    assert_eq!(ended.status, 200, "{}", ended.body);
    assert_eq!(ended.body["live"], false);

    let page = invoke(&h, &audit).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.keys(), BTreeSet::from(["items", "nextCursor"]));
    let actions: BTreeSet<&str> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|record| record["action"].as_str())
        .collect();
    assert_eq!(actions, BTreeSet::from(["role.granted", "role.removed"]));

    let mine = invoke(&h, &notifications).await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert_eq!(mine.body, serde_json::json!({ "weeklySummary": true }));
    let off = invoke(&h, &switch_off).await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert_eq!(off.body, serde_json::json!({ "weeklySummary": false }));

    // The settings are the school's: it is set up and linked to Wonde first.
    let school = store::SchoolSettings {
        name: "Riverside Academy".to_owned(),
        time_zone: "Europe/London".to_owned(),
    };
    let store = &h.table.store;
    let policy = domain::Policy::default_for_new_school();
    store.put_school(&h.school, &school, &policy).await.unwrap();
    store.link_wonde(&h.school, "A1329183376").await.unwrap();
    let read = invoke(&h, &settings).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(
        read.keys(),
        BTreeSet::from(["groupAnalysis", "name", "timeZone"])
    );
    assert_eq!(read.body["groupAnalysis"], false);
    let on = invoke(&h, &switch_on).await;
    assert_eq!(on.status, 200, "{}", on.body);
    assert_eq!(on.body["groupAnalysis"], true);
    assert_eq!(h.syncs.drain().await.len(), 1, "a full sync was queued");
}

#[test]
fn every_route_has_a_sample_that_names_it() {
    let mut covered = BTreeSet::new();
    for name in SAMPLES {
        let event = testkit::api::sample_event(name);
        let method = event["requestContext"]["http"]["method"]
            .as_str()
            .expect("a method");
        let path = event["rawPath"].as_str().expect("a path");
        assert_eq!(
            event["requestContext"]["http"]["path"], path,
            "{name}: rawPath and requestContext.http.path agree"
        );
        let (route, _) = platform::route::find(&admin::ROUTES, method, path)
            .unwrap_or_else(|problem| panic!("{name} names no route: {}", problem.detail));
        assert!(
            covered.insert((route.method, route.path)),
            "{name}: a second sample for {} {}",
            route.method,
            route.path
        );
    }
    for route in admin::ROUTES {
        assert!(
            covered.contains(&(route.method, route.path)),
            "no sample event for {} {}",
            route.method,
            route.path
        );
    }
}
