//! Charts through the running stack: behaviours logged over HTTP reach
//! `compute-charts` through the outbox and the `behaviour-events` queue, and
//! the charts API shows them, withdrawals included, as JSON, CSV and SVG.

use std::time::{Duration, Instant};

use domain::Role;
use e2e::Stack;
use serde_json::{Value, json};

/// How long the aggregates may lag the behaviours here: the local pump
/// polls the queue, and the relay sweeps the outbox.
const PATIENCE: Duration = Duration::from_secs(90);

async fn chart(stack: &Stack, token: &str, class: &str, accept: &str) -> reqwest::Response {
    stack
        .http
        .get(stack.url("/v1/charts/behaviour-over-time"))
        .query(&[("scope", "class"), ("id", class), ("interval", "week")])
        .bearer_auth(token)
        .header("accept", accept)
        .send()
        .await
        .expect("the stack answers")
}

fn total(chart: &Value, series: &str) -> f64 {
    chart["series"]
        .as_array()
        .expect("a list of series")
        .iter()
        .find(|s| s["name"] == series)
        .unwrap_or_else(|| panic!("no series {series} in {chart}"))["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(Value::as_f64)
        .sum()
}

/// Reads the class's chart until its positives and negatives are those
/// expected, and returns it.
async fn until_counted(
    stack: &Stack,
    token: &str,
    class: &str,
    positives: f64,
    negatives: f64,
) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let answer = chart(stack, token, class, "application/json").await;
        assert_eq!(answer.status(), 200);
        let body: Value = answer.json().await.expect("JSON");
        if total(&body, "Positives") == positives && total(&body, "Negatives") == negatives {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "the chart did not reach {positives} positives and {negatives} negatives: {body}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn a_lesson_s_behaviour_reaches_the_class_chart_and_a_withdrawal_leaves_it() {
    let stack = Stack::connect().await;
    let token = stack.token(Role::Teacher);
    let class = stack.school.class().clone();
    let pupils = stack.school.pupils(&class);

    let before = until_counted(&stack, &token, class.id.as_str(), 0.0, 0.0).await;
    assert_eq!(before["title"], "Behaviour over time");

    let logged = stack
        .http
        .post(stack.url("/v1/behaviours"))
        .bearer_auth(&token)
        .header("idempotency-key", "e2e-charts-whole-class")
        .json(
            &json!({ "classId": class.id, "pupilIds": pupils, "behaviourTypeId": "participation" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(logged.status(), 201);
    let defiance = stack
        .http
        .post(stack.url("/v1/behaviours"))
        .bearer_auth(&token)
        .json(
            &json!({ "classId": class.id, "pupilIds": [pupils[0]], "behaviourTypeId": "defiance" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(defiance.status(), 201);
    let defiance: Value = defiance.json().await.unwrap();
    let pupil_count = pupils.len() as f64;
    until_counted(&stack, &token, class.id.as_str(), pupil_count, 1.0).await;

    let id = defiance["behaviours"][0]["id"].as_str().unwrap();
    let withdrawn = stack
        .http
        .post(stack.url(&format!("/v1/behaviours/{id}/withdraw")))
        .bearer_auth(&token)
        .json(&json!({ "reason": "logged for the wrong pupil" }))
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), 200);
    until_counted(&stack, &token, class.id.as_str(), pupil_count, 0.0).await;

    let csv = chart(&stack, &token, class.id.as_str(), "text/csv").await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    assert!(csv.lines().count() >= 2, "{csv}");

    let svg = chart(&stack, &token, class.id.as_str(), "image/svg+xml").await;
    assert_eq!(svg.status(), 200);
    assert!(
        svg.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml")
    );
    let svg = svg.text().await.unwrap();
    assert!(
        svg.contains("<svg") && svg.contains("Behaviour over time"),
        "{svg}"
    );
}
