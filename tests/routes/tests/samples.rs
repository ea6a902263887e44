//! The sample events in `events/` and the routes: every HTTP sample names a
//! route of exactly one function, and every route of every function has a
//! sample, so `cargo lambda invoke` has an example for each. A route has
//! more than one only to show what it answers differently (a chart as JSON
//! and as SVG).
//! Each function's own tests check that its samples are answered.

use std::collections::BTreeSet;

use routes::{FUNCTIONS, all_routes};

/// The event `testkit::ApiRequest` builds every test request from; it names
/// a route only as a starting point.
const BASE_EVENT: &str = "http-request.json";

#[test]
fn every_http_sample_names_one_route_and_every_route_has_one() {
    // Routes whose samples show more than one way of asking.
    const VARIANTS: [(&str, &str); 1] = [("GET", "/v1/charts/{chart}")];
    let mut sampled = BTreeSet::new();
    let mut files: Vec<String> = std::fs::read_dir(testkit::api::events_dir())
        .expect("events/ can be read")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .into_string()
                .expect("a name")
        })
        .filter(|name| name.ends_with(".json") && name != BASE_EVENT)
        .collect();
    files.sort();

    for name in files {
        let event = testkit::api::sample_event(&name);
        let Some(method) = event["requestContext"]["http"]["method"].as_str() else {
            continue;
        };
        let path = event["rawPath"]
            .as_str()
            .expect("an HTTP sample has a path");
        assert_eq!(
            event["requestContext"]["http"]["path"], path,
            "{name}: rawPath and requestContext.http.path agree"
        );
        let answering: Vec<(&'static str, &'static str)> = FUNCTIONS
            .iter()
            .filter_map(|(_, routes)| {
                platform::route::find(routes, method, path)
                    .ok()
                    .map(|(route, _)| (route.method, route.path))
            })
            .collect();
        let [route] = answering.as_slice() else {
            panic!("{name}: {method} {path} must be a route of exactly one function");
        };
        assert!(
            sampled.insert(*route) || VARIANTS.contains(route),
            "{name}: a second sample for {} {}",
            route.0,
            route.1
        );
    }

    for (function, route) in all_routes() {
        assert!(
            sampled.contains(&(route.method, route.path)),
            "no sample event in events/ for {function:?} {} {}",
            route.method,
            route.path
        );
    }
}
