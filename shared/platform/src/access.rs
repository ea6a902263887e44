//! The tenant wall at every function's door: a verified token, of a school
//! that has not been disabled, not revoked since it was issued, and, for
//! vendor support, a live grant from the school. What was read of a
//! school's status, revocations and grants is kept for half a minute, so
//! this costs no store read on most requests.

use chrono::Utc;
use lambda_http::{Body, Request, RequestExt, Response};
use store::{AccessCache, AuditRecord, Store, StoreError};

use crate::auth::{Caller, TokenVerifier};
use crate::config::ConfigError;
use crate::problem::Problem;
use crate::route::{self, Access, Route};

/// Checks who is calling.
pub struct Gate {
    tokens: TokenVerifier,
    cache: AccessCache,
}

impl Gate {
    pub fn new(tokens: TokenVerifier) -> Self {
        Self {
            tokens,
            cache: AccessCache::default(),
        }
    }

    /// A gate configured from `ACCESS_TOKEN_*`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::new(TokenVerifier::from_env()?))
    }

    pub fn tokens(&self) -> &TokenVerifier {
        &self.tokens
    }

    /// The caller of a school's route: 401 for a missing, forged, expired or
    /// revoked token; 403 for a token that does not act in a school, of a
    /// school that has been disabled, or a support token whose grant has
    /// ended.
    pub async fn caller(&self, store: &Store, request: &Request) -> Result<Caller, Problem> {
        let caller = self.tokens.caller(request)?;
        let state = self
            .cache
            .state(store, &caller.school)
            .await
            .map_err(store_failed)?;
        if state.school_disabled() {
            return Err(school_disabled());
        }
        if state.is_revoked(caller.user.as_str(), caller.issued_at) {
            return Err(Problem::unauthenticated(
                "this session has ended; sign in again",
            ));
        }
        if let Some(grant) = &caller.grant
            && state.live_grant(grant, Utc::now()).is_none()
        {
            return Err(Problem::forbidden(
                "the school's grant of support access has ended",
            ));
        }
        Ok(caller)
    }

    /// The caller of a school's route, admitted by the route's rule: 401 as
    /// for [`Gate::caller`], 403 when no role of theirs carries the
    /// permission the route needs.
    pub async fn admit(
        &self,
        store: &Store,
        request: &Request,
        access: Access,
    ) -> Result<Caller, Problem> {
        let Access::Needs(permission) = access else {
            tracing::error!(
                ?access,
                "a school's route must name the permission it needs"
            );
            return Err(Problem::internal());
        };
        let caller = self.caller(store, request).await?;
        caller.require(permission)?;
        Ok(caller)
    }

    /// Answers one request to a function of a school's routes, the same
    /// way in each: finds its route (404 or 405), admits the caller (401 or
    /// 403), hands both to `dispatch`, turns any problem into its
    /// problem+json answer, and writes the request's one log line (and, for
    /// vendor support, its audit record) with [`answered`].
    pub async fn serve(
        &self,
        store: &Store,
        routes: &[Route],
        request: &Request,
        dispatch: impl AsyncFnOnce(&Route, &[&str], &Caller) -> Result<Response<Body>, Problem>,
    ) -> Response<Body> {
        let path = request.raw_http_path().to_owned();
        let mut caller = None;
        let answer = async {
            let (route, params) = route::find(routes, request.method().as_str(), &path)?;
            let admitted = caller.insert(self.admit(store, request, route.access).await?);
            dispatch(route, &params, admitted).await
        }
        .await;
        let response = answer.unwrap_or_else(|problem| problem.to_response());
        let status = response.status().as_u16();
        answered(
            store,
            request,
            route::name(routes, &path),
            caller.as_ref(),
            status,
        )
        .await;
        response
    }

    /// Drops what is held of the school's access state, after a change to
    /// it by this function.
    pub fn forget(&self, school: &domain::SchoolId) {
        self.cache.forget(school);
    }
}

/// The refusal for anyone of a school that has revoked our access through
/// Wonde, with its own type so that apps can say why.
pub fn school_disabled() -> Problem {
    Problem::forbidden_as(
        "school-disabled",
        "your school's access to Classlights has ended; ask the school to approve it again",
    )
}

/// A store failure as the caller sees it: retry later, or our fault. The
/// error is logged; it never reaches the answer.
pub fn store_failed(error: StoreError) -> Problem {
    if error.is_retryable() {
        tracing::warn!(error = %error, "store busy");
        Problem::unavailable(1)
    } else {
        tracing::error!(error = %error, "store failed");
        Problem::internal()
    }
}

/// An audit record of something the caller did.
pub fn audit_record(
    caller: &Caller,
    action: &str,
    target_type: &str,
    target_ids: Vec<String>,
    request_id: &str,
) -> AuditRecord {
    AuditRecord {
        id: request_id.to_owned(),
        at: Utc::now(),
        actor: caller.user.to_string(),
        actor_roles: caller.roles.clone(),
        action: action.to_owned(),
        target_type: target_type.to_owned(),
        target_ids,
        request_id: request_id.to_owned(),
        grant: caller.grant.clone(),
    }
}

/// What every school route does once its answer is known: a vendor
/// engineer's request goes to the school's audit log, and one log line
/// records the request by route template and ids, never by raw path.
pub async fn answered(
    store: &Store,
    request: &Request,
    route: &'static str,
    caller: Option<&Caller>,
    status: u16,
) {
    use lambda_http::RequestExt;

    let method = request.method().as_str();
    let request_id = request
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    if let Some(caller) = caller {
        audit_support_request(store, caller, method, route, status, &request_id).await;
    }
    tracing::info!(
        method,
        route,
        status,
        school = caller.map(|c| c.school.to_string()),
        user = caller.map(|c| c.user.to_string()),
        request_id,
        "request handled"
    );
}

/// Writes down a request a vendor engineer made, whatever it was, with the
/// grant it used. Called once the answer is known.
pub async fn audit_support_request(
    store: &Store,
    caller: &Caller,
    method: &str,
    route: &str,
    status: u16,
    request_id: &str,
) {
    if !caller.is_support() {
        return;
    }
    let id = if request_id.is_empty() {
        ulid::Ulid::new().to_string()
    } else {
        request_id.to_owned()
    };
    let mut record = audit_record(
        caller,
        "support.request",
        "route",
        vec![format!("{method} {route}"), status.to_string()],
        &id,
    );
    record.id = format!("support-{id}");
    if let Err(error) = store.write_audit(&caller.school, &record).await {
        tracing::error!(error = %error, "a support request could not be audited");
    }
}
