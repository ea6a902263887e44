//! The auth function's sample events in `events/` are real: each one is
//! answered by the function as the route it names, in the order a person
//! goes through them (sign up, prove the address, sign in, refresh, log out,
//! reset the password), and every route of the function has one. The samples
//! name the demo school's people (`make dev`); here each is pointed at this
//! test's own school, and codes and tokens are filled in from what the
//! function sent and answered.

mod common;

use std::collections::BTreeSet;

use chrono::{Duration, SubsecRound, Utc};
use common::*;
use domain::{Role, StaffId};
use serde_json::{Value, json};
use store::SupportGrant;

/// The samples, in the order the test takes them.
const SAMPLES: [&str; 9] = [
    "auth-staff-signup.json",
    "auth-verify.json",
    "auth-login.json",
    "auth-refresh.json",
    "auth-logout.json",
    "auth-forgot-password.json",
    "auth-reset-password.json",
    "auth-parent-signup.json",
    "auth-support-session.json",
];

/// The body of a sample, parsed.
fn body(event: &Value) -> Value {
    serde_json::from_str(event["body"].as_str().expect("the sample has a body"))
        .expect("the body is JSON")
}

/// A sample with some fields of its body replaced.
fn with(mut event: Value, fields: &[(&str, Value)]) -> Value {
    let mut content = body(&event);
    for (name, value) in fields {
        assert!(
            content.get(*name).is_some(),
            "the sample's body has `{name}` to fill in"
        );
        content[*name] = value.clone();
    }
    event["body"] = Value::String(content.to_string());
    event
}

fn sample(name: &str) -> Value {
    let event = testkit::api::sample_event(name);
    if name == "auth-support-session.json" {
        assert_eq!(
            event["headers"]["authorization"], "Bearer REPLACE-WITH-A-TOKEN",
            "{name} leaves the token to fill in"
        );
    } else {
        assert!(
            event["headers"].get("authorization").is_none(),
            "{name} is for a public route: it carries no token"
        );
    }
    event
}

struct Reply {
    status: u16,
    body: Value,
}

impl Reply {
    fn keys(&self) -> BTreeSet<&str> {
        self.body
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect()
    }

    fn text(&self, field: &str) -> Value {
        assert!(self.body[field].is_string(), "{field} in {}", self.body);
        self.body[field].clone()
    }
}

async fn invoke(h: &Harness, event: &Value) -> Reply {
    let request =
        lambda_http::request::from_str(&event.to_string()).expect("the runtime parses the sample");
    let response = auth::handle(&h.app, request).await;
    let bytes: &[u8] = response.body().as_ref();
    Reply {
        status: response.status().as_u16(),
        body: if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(bytes).expect("answers are JSON")
        },
    }
}

const SIGNED_IN: [&str; 5] = [
    "accessToken",
    "expiresIn",
    "refreshToken",
    "tokenType",
    "user",
];

#[tokio::test]
async fn each_route_sample_is_answered() {
    let [
        staff_signup,
        verify,
        login,
        refresh,
        logout,
        forgot,
        reset,
        parent_signup,
        support,
    ] = SAMPLES.map(sample);
    // The terms the parent's sample accepts are the ones in force.
    let terms = body(&parent_signup)["acceptTerms"]
        .as_str()
        .expect("a terms version")
        .to_owned();
    let h = Harness::with_terms(&terms).await;
    let address = json!(h.staff_email("staff-tess").as_str());

    let asked = invoke(&h, &with(staff_signup, &[("email", address.clone())])).await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    assert_eq!(asked.keys(), BTreeSet::from(["detail"]));

    let code = h.code_sent_to(&h.staff_email("staff-tess")).await;
    let chosen = body(&verify)["password"].clone();
    let verified = invoke(
        &h,
        &with(verify, &[("email", address.clone()), ("code", json!(code))]),
    )
    .await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(verified.keys(), BTreeSet::from(SIGNED_IN));

    // The login sample signs the demo teacher in; here, the one just signed up.
    let signed_in = invoke(
        &h,
        &with(
            login.clone(),
            &[("email", address.clone()), ("password", chosen)],
        ),
    )
    .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    assert_eq!(signed_in.body["user"]["id"], "staff-tess");

    let refreshed = invoke(
        &h,
        &with(refresh, &[("refreshToken", signed_in.text("refreshToken"))]),
    )
    .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert_eq!(refreshed.keys(), BTreeSet::from(SIGNED_IN));

    let logged_out = invoke(
        &h,
        &with(logout, &[("refreshToken", refreshed.text("refreshToken"))]),
    )
    .await;
    assert_eq!(logged_out.status, 204, "{}", logged_out.body);
    assert_eq!(logged_out.body, Value::Null);

    let forgotten = invoke(&h, &with(forgot, &[("email", address.clone())])).await;
    assert_eq!(forgotten.status, 202, "{}", forgotten.body);
    assert_eq!(forgotten.keys(), BTreeSet::from(["detail"]));
    let code = h.code_sent_to(&h.staff_email("staff-tess")).await;
    let new_password = body(&reset)["password"].clone();
    let was_reset = invoke(
        &h,
        &with(reset, &[("email", address.clone()), ("code", json!(code))]),
    )
    .await;
    assert_eq!(was_reset.status, 204, "{}", was_reset.body);
    let with_new = invoke(
        &h,
        &with(login, &[("email", address), ("password", new_password)]),
    )
    .await;
    assert_eq!(with_new.status, 200, "{}", with_new.body);

    let parent = json!(h.parent_email("priya").as_str());
    let parent_asked = invoke(&h, &with(parent_signup, &[("email", parent)])).await;
    assert_eq!(parent_asked.status, 202, "{}", parent_asked.body);
    assert_eq!(parent_asked.keys(), BTreeSet::from(["detail"]));

    // Vendor support, signed in as themselves, with a live grant from the school.
    let now = Utc::now().trunc_subsecs(3);
    let grant = SupportGrant {
        id: "grant-sample".into(),
        granted_by: "staff-ada".into(),
        reason: "Ticket 4821".into(),
        starts_at: now,
        ends_at: now + Duration::hours(4),
        ended_by: None,
        ended_at: None,
    };
    let write = h.table.store.grant_write(&h.school, &grant).unwrap();
    assert!(h.table.store.transact(vec![write]).await.unwrap());
    let mut claims = testkit::tokens::claims(
        &h.school,
        &StaffId::parse("support-eve").unwrap(),
        Role::Support,
        600,
    );
    claims.school = None;
    claims.grant = None;
    let mut support = with(support, &[("schoolId", json!(h.school.as_str()))]);
    support["headers"]["authorization"] = Value::String(format!("Bearer {}", h.key.sign(&claims)));
    let session = invoke(&h, &support).await;
    assert_eq!(session.status, 200, "{}", session.body);
    assert_eq!(
        session.keys(),
        BTreeSet::from([
            "accessToken",
            "expiresIn",
            "grantEndsAt",
            "grantId",
            "schoolId",
            "tokenType"
        ])
    );
    assert_eq!(session.body["grantId"], "grant-sample");
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
        assert_eq!(
            event["headers"]["content-type"], "application/json",
            "{name} sends JSON"
        );
        let (route, _) = platform::route::find(&auth::ROUTES, method, path)
            .unwrap_or_else(|problem| panic!("{name} names no route: {}", problem.detail));
        assert!(
            covered.insert((route.method, route.path)),
            "{name}: a second sample for {} {}",
            route.method,
            route.path
        );
    }
    for route in auth::ROUTES {
        assert!(
            covered.contains(&(route.method, route.path)),
            "no sample event for {} {}",
            route.method,
            route.path
        );
    }
}
