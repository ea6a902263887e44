//! The admin function: a school's leaders see their staff, grant and remove
//! roles, disable and re-enable accounts, let vendor support in for a while,
//! and read the audit log of who did what.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /v1/admin/staff` | every member of staff with their roles and account status |
//! | `PUT /v1/admin/staff/{staffId}/roles/{role}` | grant a role |
//! | `DELETE /v1/admin/staff/{staffId}/roles/{role}` | remove a role |
//! | `POST /v1/admin/staff/{staffId}/disable` | turn an account off; its tokens stop working |
//! | `POST /v1/admin/staff/{staffId}/enable` | turn it back on |
//! | `POST /v1/admin/support-grants` | let vendor support reach the school for some hours |
//! | `GET /v1/admin/support-grants` | the school's grants, newest first |
//! | `POST /v1/admin/support-grants/{id}/end` | end a grant now |
//! | `GET /v1/admin/audit` | the audit log, newest first, filtered and paged |

mod accounts;
mod audit;
mod change;
mod roles;
mod staff;
mod support;

use lambda_http::{Body, Request, RequestExt, Response};
use platform::{Caller, ConfigError, CursorSigner, Gate, Problem};
use store::Store;

pub use staff::{StaffStatus, StaffView};
pub use support::GrantView;

/// Every route this function answers, as the HTTP API routes them.
pub const ROUTES: [(&str, &str); 9] = [
    ("GET", "/v1/admin/staff"),
    ("PUT", "/v1/admin/staff/{staffId}/roles/{role}"),
    ("DELETE", "/v1/admin/staff/{staffId}/roles/{role}"),
    ("POST", "/v1/admin/staff/{staffId}/disable"),
    ("POST", "/v1/admin/staff/{staffId}/enable"),
    ("POST", "/v1/admin/support-grants"),
    ("GET", "/v1/admin/support-grants"),
    ("POST", "/v1/admin/support-grants/{id}/end"),
    ("GET", "/v1/admin/audit"),
];

/// Largest body any route of this function accepts.
const BODY_LIMIT: usize = 16 * 1024;

/// What the function holds for its whole life: built once per cold start.
pub struct App {
    pub store: Store,
    pub gate: Gate,
    pub cursors: CursorSigner,
}

impl App {
    /// Reads the configuration every route needs, naming what is missing.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let aws = platform::config::aws().await;
        Ok(Self {
            store: Store::new(
                aws_sdk_dynamodb::Client::new(&aws),
                platform::env_var("TABLE_NAME")?,
            ),
            gate: Gate::from_env()?,
            cursors: CursorSigner::from_env()?,
        })
    }
}

enum Route<'a> {
    Staff,
    Role { staff: &'a str, role: &'a str },
    Disable(&'a str),
    Enable(&'a str),
    Grants,
    EndGrant(&'a str),
    Audit,
}

fn route(path: &str) -> Option<Route<'_>> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    match segments.as_slice() {
        ["v1", "admin", "staff"] => Some(Route::Staff),
        ["v1", "admin", "staff", staff, "roles", role] => Some(Route::Role { staff, role }),
        ["v1", "admin", "staff", staff, "disable"] => Some(Route::Disable(staff)),
        ["v1", "admin", "staff", staff, "enable"] => Some(Route::Enable(staff)),
        ["v1", "admin", "support-grants"] => Some(Route::Grants),
        ["v1", "admin", "support-grants", id, "end"] => Some(Route::EndGrant(id)),
        ["v1", "admin", "audit"] => Some(Route::Audit),
        _ => None,
    }
}

fn route_name(path: &str) -> &'static str {
    match route(path) {
        Some(Route::Staff) => "/v1/admin/staff",
        Some(Route::Role { .. }) => "/v1/admin/staff/{staffId}/roles/{role}",
        Some(Route::Disable(_)) => "/v1/admin/staff/{staffId}/disable",
        Some(Route::Enable(_)) => "/v1/admin/staff/{staffId}/enable",
        Some(Route::Grants) => "/v1/admin/support-grants",
        Some(Route::EndGrant(_)) => "/v1/admin/support-grants/{id}/end",
        Some(Route::Audit) => "/v1/admin/audit",
        None => "unknown",
    }
}

/// Answers one request. Every failure becomes a problem+json answer.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    let path = request.raw_http_path().to_owned();
    let method = request.method().as_str().to_owned();
    let mut caller = None;
    let answer = dispatch(app, &request, &path, &method, &mut caller).await;
    let response = answer.unwrap_or_else(|problem| problem.to_response());

    let request_id = request
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    if let Some(caller) = &caller {
        platform::access::audit_support_request(
            &app.store,
            caller,
            &method,
            route_name(&path),
            response.status().as_u16(),
            &request_id,
        )
        .await;
    }
    tracing::info!(
        method,
        route = route_name(&path),
        status = response.status().as_u16(),
        school = caller.as_ref().map(|c| c.school.to_string()),
        user = caller.as_ref().map(|c| c.user.to_string()),
        request_id,
        "request handled"
    );
    response
}

async fn dispatch(
    app: &App,
    request: &Request,
    path: &str,
    method: &str,
    who: &mut Option<Caller>,
) -> Result<Response<Body>, Problem> {
    let Some(route) = route(path) else {
        return Err(Problem::not_found("no such route"));
    };
    let allowed = matches!(
        (&route, method),
        (Route::Staff | Route::Audit, "GET")
            | (Route::Role { .. }, "PUT" | "DELETE")
            | (
                Route::Disable(_) | Route::Enable(_) | Route::EndGrant(_),
                "POST"
            )
            | (Route::Grants, "GET" | "POST")
    );
    if !allowed {
        return Err(Problem::method_not_allowed());
    }

    let caller = who.insert(app.gate.caller(&app.store, request).await?);
    match (route, method) {
        (Route::Staff, _) => staff::list(app, caller, request).await,
        (Route::Role { staff, role }, "PUT") => {
            roles::grant(app, caller, request, staff, role).await
        }
        (Route::Role { staff, role }, _) => roles::remove(app, caller, request, staff, role).await,
        (Route::Disable(staff), _) => accounts::disable(app, caller, request, staff).await,
        (Route::Enable(staff), _) => accounts::enable(app, caller, request, staff).await,
        (Route::Grants, "POST") => support::create(app, caller, request).await,
        (Route::Grants, _) => support::list(app, caller, request).await,
        (Route::EndGrant(id), _) => support::end(app, caller, request, id).await,
        (Route::Audit, _) => audit::list(app, caller, request).await,
    }
}

/// Refuses a body on a route that takes none, so that a client who thinks
/// it is sending something learns otherwise.
fn no_body(request: &Request) -> Result<(), Problem> {
    let bytes: &[u8] = request.body().as_ref();
    if bytes.len() > BODY_LIMIT {
        return Err(Problem::too_large(BODY_LIMIT));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(())
    } else {
        Err(Problem::malformed("this route takes no body"))
    }
}
