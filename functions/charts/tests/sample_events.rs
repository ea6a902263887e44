//! The charts function's sample events in `events/` are real: each one,
//! given a token of the demo school's teacher (who teaches 7A Maths), is
//! answered in the rendering it asks for.

use domain::{Role, SchoolId};
use serde_json::Value;

const SAMPLES: [(&str, &str); 2] = [
    ("charts-behaviour-over-time.json", "application/json"),
    ("charts-heatmap-svg.json", "image/svg+xml"),
];

#[tokio::test]
async fn each_sample_is_answered() {
    let table = testkit::TestTable::create().await;
    let school = SchoolId::parse("riverside").unwrap();
    let demo = testkit::seed_school(&table.store, &school, "Riverside Academy").await;
    let key = testkit::SigningKey::generate();
    let app = charts::App {
        store: table.store.clone(),
        gate: platform::Gate::new(key.verifier()),
    };
    let token = key.token(&school, &demo.teacher, Role::Teacher);

    for (name, kind) in SAMPLES {
        let mut event = testkit::api::sample_event(name);
        assert_eq!(
            event["headers"]["authorization"], "Bearer REPLACE-WITH-A-TOKEN",
            "{name} leaves the token to fill in"
        );
        event["headers"]["authorization"] = Value::String(format!("Bearer {token}"));
        let request = lambda_http::request::from_str(&event.to_string())
            .expect("the runtime parses the sample");
        let (route, _) = platform::route::find(
            &charts::ROUTES,
            request.method().as_str(),
            request.uri().path(),
        )
        .expect("the sample names a route");
        assert_eq!(route.path, "/v1/charts/{chart}");
        let response = charts::handle(&app, request).await;
        let body = String::from_utf8(response.body().as_ref().to_vec()).unwrap();
        assert_eq!(response.status(), 200, "{name}: {body}");
        assert_eq!(response.headers()["content-type"], kind, "{name}");
    }
}
