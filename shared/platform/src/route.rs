//! Route tables. Every function lists its routes once, each with the rule
//! that says who may call it; the function finds a request's route in that
//! list and the gate applies the rule before any handler runs. The same
//! lists feed the OpenAPI check and the tests that walk every route with
//! every role, so a route cannot be added without a rule.

use domain::Permission;

use crate::problem::Problem;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not: the doors into an account.
    Public,
    /// A caller acting in a school whose roles carry this permission. The
    /// handler narrows it further by the permission's scope.
    Needs(Permission),
    /// Vendor support signed in as themselves, before acting in a school.
    SupportAccount,
}

/// One route of the HTTP API: method, path template as API Gateway writes
/// it (`/v1/behaviours/{id}/withdraw`) and its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

impl Route {
    pub const fn new(method: &'static str, path: &'static str, access: Access) -> Self {
        Self {
            method,
            path,
            access,
        }
    }

    /// The values of the template's `{...}` segments if `path` fits it.
    pub fn params<'p>(&self, path: &'p str) -> Option<Vec<&'p str>> {
        let mut template = self.path.split('/');
        let mut given = path.trim_end_matches('/').split('/');
        let mut params = Vec::new();
        loop {
            match (template.next(), given.next()) {
                (None, None) => return Some(params),
                (Some(t), Some(g)) if t.starts_with('{') && t.ends_with('}') => {
                    if g.is_empty() {
                        return None;
                    }
                    params.push(g);
                }
                (Some(t), Some(g)) if t == g => {}
                _ => return None,
            }
        }
    }
}

/// The route a request names and the values of its path parameters: 404
/// when no route has the path, 405 when none has it with this method.
pub fn find<'r, 'p>(
    routes: &'r [Route],
    method: &str,
    path: &'p str,
) -> Result<(&'r Route, Vec<&'p str>), Problem> {
    let mut path_known = false;
    for route in routes {
        if let Some(params) = route.params(path) {
            if route.method == method {
                return Ok((route, params));
            }
            path_known = true;
        }
    }
    if path_known {
        Err(Problem::method_not_allowed())
    } else {
        Err(Problem::not_found("no such route"))
    }
}

/// The template of the route a path names, for logs: never the raw path,
/// which carries ids.
pub fn name(routes: &[Route], path: &str) -> &'static str {
    routes
        .iter()
        .find(|route| route.params(path).is_some())
        .map_or("unknown", |route| route.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTES: [Route; 3] = [
        Route::new("GET", "/v1/behaviours", Access::Public),
        Route::new(
            "POST",
            "/v1/behaviours/{id}/withdraw",
            Access::Needs(Permission::WithdrawOwnBehaviour),
        ),
        Route::new("POST", "/v1/behaviours", Access::SupportAccount),
    ];

    #[test]
    fn a_path_finds_its_route_and_parameters() {
        let (route, params) = find(&ROUTES, "POST", "/v1/behaviours/01J/withdraw").unwrap();
        assert_eq!(route.path, "/v1/behaviours/{id}/withdraw");
        assert_eq!(params, ["01J"]);
        let (route, params) = find(&ROUTES, "POST", "/v1/behaviours/").unwrap();
        assert_eq!(route.access, Access::SupportAccount);
        assert!(params.is_empty());
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405() {
        assert_eq!(
            find(&ROUTES, "GET", "/v1/behaviour").unwrap_err().status,
            404
        );
        assert_eq!(
            find(&ROUTES, "GET", "/v1/behaviours//withdraw")
                .unwrap_err()
                .status,
            404
        );
        assert_eq!(
            find(&ROUTES, "GET", "/v1/behaviours/01J/withdraw")
                .unwrap_err()
                .status,
            405
        );
        assert_eq!(
            find(&ROUTES, "DELETE", "/v1/behaviours")
                .unwrap_err()
                .status,
            405
        );
    }

    #[test]
    fn logs_name_the_template_not_the_ids() {
        assert_eq!(
            name(&ROUTES, "/v1/behaviours/01J/withdraw"),
            "/v1/behaviours/{id}/withdraw"
        );
        assert_eq!(name(&ROUTES, "/v1/pupils/p1"), "unknown");
    }
}
