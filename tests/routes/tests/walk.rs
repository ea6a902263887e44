//! Every route of every function, called with a token of every role, gets
//! the answer the permission table gives that role: a caller whose roles
//! do not carry the route's permission gets 403 and changes nothing; one
//! whose roles do is let through (whatever the empty request then earns).
//! The list of routes walked is the template's HTTP API, so a route cannot
//! be added without a rule.

use domain::Role;
use platform::Access;
use routes::{Function, PathIds, Stack, all_routes, request_for, template_routes};

/// Whether the rule lets a role in.
fn admitted(access: Access, role: Role) -> bool {
    match access {
        Access::Public => true,
        Access::Needs(permission) => role.allows(permission),
        Access::SupportAccount => role == Role::Support,
    }
}

#[test]
fn the_walk_covers_exactly_the_routes_of_the_http_api() {
    let walked: std::collections::BTreeSet<(String, String)> = all_routes()
        .iter()
        .map(|(_, route)| (route.method.to_owned(), route.path.to_owned()))
        .collect();
    let served = template_routes();

    let unwalked: Vec<_> = served.difference(&walked).collect();
    let unserved: Vec<_> = walked.difference(&served).collect();
    assert!(
        unwalked.is_empty(),
        "on the HTTP API but in no function's route table (so without a rule): {unwalked:?}"
    );
    assert!(
        unserved.is_empty(),
        "in a route table but not on the HTTP API: {unserved:?}"
    );
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_permission_table_says() {
    let stack = Stack::new().await;
    let school = stack.school("walk").await;
    let ids = PathIds::ghosts(&school);
    let mut wrong = Vec::new();

    for (function, route) in all_routes() {
        for role in Role::ALL {
            let token = match (route.access, role) {
                (Access::SupportAccount | Access::Public, Role::Support) => {
                    stack.support_account_token()
                }
                _ => stack.token(&school, role),
            };
            let expected_in = admitted(route.access, role);
            // Support's own requests are written to the audit log, even refused ones.
            let count_writes = !expected_in && role != Role::Support;
            let before = if count_writes {
                stack.item_count().await
            } else {
                0
            };
            let answer = stack
                .call(function, request_for(&route, &ids).bearer(&token))
                .await;

            let fine = if expected_in {
                !matches!(answer.status, 401 | 403) && answer.status < 500
            } else {
                answer.status == 403 && (!count_writes || stack.item_count().await == before)
            };
            if !fine {
                wrong.push(format!(
                    "{:?} {} {} as {}: {} (expected {}) {}",
                    function,
                    route.method,
                    route.path,
                    role.name(),
                    answer.status,
                    if expected_in { "to be let in" } else { "403" },
                    answer.body
                ));
            }
            if answer.status >= 400 {
                assert_eq!(
                    answer.content_type, "application/problem+json",
                    "{} {}: errors are problem+json",
                    route.method, route.path
                );
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test]
async fn without_a_token_only_the_public_routes_let_a_caller_in() {
    let stack = Stack::new().await;
    let school = stack.school("anonymous").await;
    let ids = PathIds::ghosts(&school);
    let mut wrong = Vec::new();

    for (function, route) in all_routes() {
        let answer = stack.call(function, request_for(&route, &ids)).await;
        let fine = match route.access {
            Access::Public => !matches!(answer.status, 401 | 403) && answer.status < 500,
            _ => answer.status == 401,
        };
        if !fine {
            wrong.push(format!(
                "{} {}: {} {}",
                route.method, route.path, answer.status, answer.body
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_function_the_walk_calls_is_listed() {
    // A new HTTP function joins `routes::FUNCTIONS`; this names the ones
    // there so that a reader of a failing walk sees which were covered.
    let names: Vec<Function> = routes::FUNCTIONS.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        names,
        [
            Function::Auth,
            Function::Admin,
            Function::Behaviour,
            Function::Roster,
            Function::WondeWebhook,
            Function::Policy,
            Function::Certificates,
            Function::Rewards,
            Function::Charts,
            Function::Sanctions,
        ]
    );
}
