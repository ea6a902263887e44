//! The admin function: a school's leaders see their staff, grant and remove
//! roles, disable and re-enable accounts, let vendor support in for a while,
//! switch group analysis on or off, and read the audit log of who did what.
//! Every member of staff also chooses here which emails the service sends
//! them.
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
//! | `GET /v1/admin/me/notifications` | which emails the caller gets |
//! | `PUT /v1/admin/me/notifications` | switch the caller's emails on or off |
//! | `GET /v1/admin/settings` | the school's settings: group analysis, name, time zone |
//! | `PUT /v1/admin/settings` | switch group analysis on or off; queues a full roster sync |

mod accounts;
mod audit;
mod change;
mod notifications;
mod roles;
mod settings;
mod staff;
mod support;

use domain::Permission;
use lambda_http::{Body, Request, Response};
use platform::queue::EventQueue;
use platform::{Access, Caller, ConfigError, CursorSigner, Gate, Problem, Route};
use store::Store;

pub use notifications::NotificationsView;
pub use settings::SettingsView;
pub use staff::{StaffStatus, StaffView};
pub use support::GrantView;

/// Every route this function answers, with who may call it.
pub const ROUTES: [Route; 13] = [
    Route::new(
        "GET",
        "/v1/admin/staff",
        Access::Needs(Permission::ReadStaff),
    ),
    Route::new(
        "PUT",
        "/v1/admin/staff/{staffId}/roles/{role}",
        Access::Needs(Permission::ManageRoles),
    ),
    Route::new(
        "DELETE",
        "/v1/admin/staff/{staffId}/roles/{role}",
        Access::Needs(Permission::ManageRoles),
    ),
    Route::new(
        "POST",
        "/v1/admin/staff/{staffId}/disable",
        Access::Needs(Permission::ManageAccounts),
    ),
    Route::new(
        "POST",
        "/v1/admin/staff/{staffId}/enable",
        Access::Needs(Permission::ManageAccounts),
    ),
    Route::new(
        "POST",
        "/v1/admin/support-grants",
        Access::Needs(Permission::ManageSupportAccess),
    ),
    Route::new(
        "GET",
        "/v1/admin/support-grants",
        Access::Needs(Permission::ManageSupportAccess),
    ),
    Route::new(
        "POST",
        "/v1/admin/support-grants/{id}/end",
        Access::Needs(Permission::ManageSupportAccess),
    ),
    Route::new(
        "GET",
        "/v1/admin/audit",
        Access::Needs(Permission::ReadAudit),
    ),
    Route::new(
        "GET",
        "/v1/admin/me/notifications",
        Access::Needs(Permission::ManageOwnNotifications),
    ),
    Route::new(
        "PUT",
        "/v1/admin/me/notifications",
        Access::Needs(Permission::ManageOwnNotifications),
    ),
    // The settings shape the whole school as the policy does, so the
    // policy's readers read them and its editors (SLT, admin) change them.
    Route::new(
        "GET",
        "/v1/admin/settings",
        Access::Needs(Permission::ReadPolicy),
    ),
    Route::new(
        "PUT",
        "/v1/admin/settings",
        Access::Needs(Permission::ManagePolicy),
    ),
];

/// Largest body any route of this function accepts.
const BODY_LIMIT: usize = 16 * 1024;

/// What the function holds for its whole life: built once per cold start.
pub struct App {
    pub store: Store,
    pub gate: Gate,
    pub cursors: CursorSigner,
    /// The `roster-sync` queue, where switching group analysis puts a full
    /// sync of the school.
    pub syncs: EventQueue,
}

impl App {
    /// Reads the configuration every route needs (`TABLE_NAME`,
    /// `ROSTER_SYNC_QUEUE_URL`, the token and cursor keys), naming what is
    /// missing.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let aws = platform::config::aws().await;
        Ok(Self {
            store: Store::new(
                aws_sdk_dynamodb::Client::new(&aws),
                platform::env_var("TABLE_NAME")?,
            ),
            gate: Gate::from_env()?,
            cursors: CursorSigner::from_env()?,
            syncs: EventQueue::from_env(aws_sdk_sqs::Client::new(&aws), "ROSTER_SYNC_QUEUE_URL")?,
        })
    }
}

/// Answers one request. Every failure becomes a problem+json answer.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    app.gate
        .serve(
            &app.store,
            &ROUTES,
            &request,
            async |route, params, caller| dispatch(app, &request, route, params, caller).await,
        )
        .await
}

async fn dispatch(
    app: &App,
    request: &Request,
    route: &Route,
    params: &[&str],
    caller: &Caller,
) -> Result<Response<Body>, Problem> {
    match (route.method, route.path, params) {
        (_, "/v1/admin/staff", []) => staff::list(app, caller, request).await,
        ("PUT", "/v1/admin/staff/{staffId}/roles/{role}", [staff, role]) => {
            roles::grant(app, caller, request, staff, role).await
        }
        ("DELETE", "/v1/admin/staff/{staffId}/roles/{role}", [staff, role]) => {
            roles::remove(app, caller, request, staff, role).await
        }
        (_, "/v1/admin/staff/{staffId}/disable", [staff]) => {
            accounts::disable(app, caller, request, staff).await
        }
        (_, "/v1/admin/staff/{staffId}/enable", [staff]) => {
            accounts::enable(app, caller, request, staff).await
        }
        ("POST", "/v1/admin/support-grants", []) => support::create(app, caller, request).await,
        ("GET", "/v1/admin/support-grants", []) => support::list(app, caller, request).await,
        (_, "/v1/admin/support-grants/{id}/end", [id]) => {
            support::end(app, caller, request, id).await
        }
        (_, "/v1/admin/audit", []) => audit::list(app, caller, request).await,
        ("GET", "/v1/admin/me/notifications", []) => {
            notifications::read(app, caller, request).await
        }
        ("PUT", "/v1/admin/me/notifications", []) => {
            notifications::change(app, caller, request).await
        }
        ("GET", "/v1/admin/settings", []) => settings::read(app, caller, request).await,
        ("PUT", "/v1/admin/settings", []) => settings::change(app, caller, request).await,
        _ => Err(Problem::not_found("no such route")),
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
