//! A form's versions on the wire: `"incident-3"` in `ETag` and `If-Match`,
//! so nobody overwrites an edit unseen.

use lambda_http::{Body, Request, Response};
use platform::Problem;
use platform::precondition::Versions;

const VERSIONS: Versions = Versions {
    prefix: "incident",
    noun: "form",
};

/// Adds the version's `ETag` to an answer.
pub fn tagged(response: Response<Body>, version: u32) -> Response<Body> {
    VERSIONS.tagged(response, version)
}

/// The form version the caller's `If-Match` names (428 or 412 if none).
pub fn if_match(request: &Request) -> Result<u32, Problem> {
    VERSIONS.if_match(request)
}

/// 412: the form is not (or no longer) the version the caller read.
pub fn failed(detail: &str) -> Problem {
    Problem::precondition_failed(detail)
}
