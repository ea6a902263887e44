//! A policy's versions on the wire: `"policy-3"` in `ETag` and `If-Match`,
//! so that a leader never overwrites an edit they have not seen.

use lambda_http::{Body, Request, Response};
use platform::Problem;
use platform::precondition::Versions;

const VERSIONS: Versions = Versions {
    prefix: "policy",
    noun: "policy",
};

/// The entity tag of a policy version, such as `"policy-3"`.
pub fn etag(version: u32) -> String {
    VERSIONS.etag(version)
}

/// Adds the version's `ETag` to an answer.
pub fn tagged(response: Response<Body>, version: u32) -> Response<Body> {
    VERSIONS.tagged(response, version)
}

/// The policy version the caller's `If-Match` names (428 or 412 if none).
pub fn if_match(request: &Request) -> Result<u32, Problem> {
    VERSIONS.if_match(request)
}

/// 412: the policy is not (or no longer) the version the caller read.
pub fn failed(detail: &str) -> Problem {
    Problem::precondition_failed(detail)
}
