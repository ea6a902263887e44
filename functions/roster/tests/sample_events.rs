//! The roster function's sample events in `events/` are real: each one,
//! given a token of the demo school's teacher, is answered as the route it
//! names, over the school the dev stack seeds.

use domain::{Role, SchoolId};
use serde_json::Value;

const SAMPLES: [&str; 7] = [
    "roster-list-pupils.json",
    "roster-get-pupil.json",
    "roster-list-classes.json",
    "roster-get-class.json",
    "roster-list-staff.json",
    "roster-list-houses.json",
    "roster-list-year-groups.json",
];

#[tokio::test]
async fn each_route_sample_is_answered() {
    let table = testkit::TestTable::create().await;
    let school = SchoolId::parse("riverside").unwrap();
    let demo = testkit::seed_school(&table.store, &school, "Riverside Academy").await;
    let key = testkit::SigningKey::generate();
    let app = roster::App {
        store: table.store.clone(),
        gate: platform::Gate::new(key.verifier()),
        cursors: platform::CursorSigner::new("cursor secret for the tests, 32+ chars").unwrap(),
    };
    let token = key.token(&school, &demo.teacher, Role::Teacher);

    let mut answered = Vec::new();
    for name in SAMPLES {
        let mut event = testkit::api::sample_event(name);
        assert_eq!(
            event["headers"]["authorization"], "Bearer REPLACE-WITH-A-TOKEN",
            "{name} leaves the token to fill in"
        );
        event["headers"]["authorization"] = Value::String(format!("Bearer {token}"));
        let request = lambda_http::request::from_str(&event.to_string())
            .expect("the runtime parses the sample");
        let route = platform::route::find(
            &roster::ROUTES,
            request.method().as_str(),
            request.uri().path(),
        )
        .map(|(route, _)| route.path)
        .expect("the sample names a route");
        let response = roster::handle(&app, request).await;
        let body: Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        assert_eq!(response.status(), 200, "{name}: {body}");
        answered.push(route);
    }
    answered.sort();
    answered.dedup();
    assert_eq!(
        answered.len(),
        roster::ROUTES.len(),
        "a sample for every route"
    );

    let pupils = testkit::api::sample_event("roster-list-pupils.json");
    assert!(pupils["rawQueryString"].as_str().unwrap().contains("q="));
}
