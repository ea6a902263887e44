//! The tenant wall, route by route: a token of one school, given another
//! school's ids in every path and filter, gets 403 or 404, or an answer
//! about its own school that names nothing of the other's. Nothing of the
//! other school changes.

use domain::Role;
use platform::Access;
use routes::{PathIds, Stack, all_routes, request_for};

#[tokio::test]
async fn no_route_lets_one_school_reach_another() {
    let stack = Stack::new().await;
    let theirs = stack.school("northfield").await;
    let ours = stack.school("riverside").await;
    let their_ids = PathIds::of(&theirs);
    let markers = theirs.markers();
    let their_lesson = format!("/v1/lessons/{}/lights", theirs.class);
    let before = stack
        .call(
            routes::Function::Behaviour,
            testkit::ApiRequest::get(&their_lesson).bearer(&stack.token(&theirs, Role::Slt)),
        )
        .await;
    assert_eq!(before.status, 200, "{}", before.body);
    let mut wrong = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();

    for (function, route) in all_routes() {
        if route.access != Access::Public {
            for role in Role::ALL {
                let mut request = request_for(&route, &their_ids).bearer(&stack.token(&ours, role));
                if (route.method, route.path) == ("GET", "/v1/behaviours") {
                    request = request.query("pupilId", theirs.pupil.as_str());
                }
                let answer = stack.call(function, request).await;
                *statuses.entry(answer.status).or_default() += 1;
                let body = answer.body.to_string();
                let leaked: Vec<&String> = markers.iter().filter(|m| body.contains(*m)).collect();
                let fine = match answer.status {
                    403 | 404 => true,
                    // 412 and 428: a change of the policy without the version it was
                    // made from, refused before anything is read or written.
                    400 | 409 | 412 | 422 | 428 => leaked.is_empty(),
                    200..=299 => leaked.is_empty(),
                    _ => false,
                };
                if !fine {
                    wrong.push(format!(
                        "{} {} as {}: {} {body}",
                        route.method,
                        route.path,
                        role.name(),
                        answer.status
                    ));
                }
            }
        }
    }

    let after = stack
        .call(
            routes::Function::Behaviour,
            testkit::ApiRequest::get(&their_lesson).bearer(&stack.token(&theirs, Role::Slt)),
        )
        .await;
    assert_eq!(
        after.body, before.body,
        "the other school's lesson is as it was"
    );
    let grant = stack
        .table
        .store
        .grant(&theirs.school, &theirs.grant)
        .await
        .unwrap()
        .expect("their grant stands");
    assert!(
        grant.ended_at.is_none(),
        "their support grant was not ended"
    );
    // The walk reached the handlers: some callers were let in and found nothing.
    assert!(statuses.contains_key(&404), "{statuses:?}");
    assert!(
        statuses.keys().any(|s| (200..300).contains(s)),
        "{statuses:?}"
    );
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
