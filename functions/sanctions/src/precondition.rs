//! Versions on the wire: the `ETag` a form is read with and the `If-Match`
//! every change must send back, so nobody overwrites an edit unseen.

use lambda_http::{Body, Request, Response};
use platform::Problem;

const TYPE_BASE: &str = "https://classlights.app/problems/";

/// The entity tag of a form's version, such as `"incident-3"`.
pub fn etag(version: u32) -> String {
    format!("\"incident-{version}\"")
}

/// Adds the version's `ETag` to an answer.
pub fn tagged(mut response: Response<Body>, version: u32) -> Response<Body> {
    response.headers_mut().insert(
        http::header::ETAG,
        etag(version).parse().expect("a valid header"),
    );
    response
}

/// The version the caller's `If-Match` names: 428 without one (or with
/// `*`, which names no version), 412 when it names none of ours.
pub fn if_match(request: &Request) -> Result<u32, Problem> {
    let values: Vec<&str> = request
        .headers()
        .get_all(http::header::IF_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() || values.contains(&"*") {
        return Err(problem(
            428,
            "precondition-required",
            "Precondition required",
            "send If-Match with the ETag of the form you read",
        ));
    }
    values
        .iter()
        .find_map(|tag| {
            tag.strip_prefix("\"incident-")?
                .strip_suffix('"')?
                .parse()
                .ok()
        })
        .ok_or_else(|| failed("If-Match names no version of this form"))
}

/// 412: the form is not (or no longer) the version the caller read.
pub fn failed(detail: &str) -> Problem {
    problem(412, "precondition-failed", "Precondition failed", detail)
}

fn problem(status: u16, slug: &str, title: &'static str, detail: &str) -> Problem {
    Problem {
        kind: format!("{TYPE_BASE}{slug}"),
        title,
        status,
        detail: detail.to_owned(),
        errors: Vec::new(),
        retry_after_seconds: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(values: &[&str]) -> Request {
        let mut builder = http::Request::builder();
        for value in values {
            builder = builder.header("if-match", *value);
        }
        builder.body(Body::Empty).unwrap()
    }

    #[test]
    fn if_match_names_a_version_of_the_form() {
        assert_eq!(if_match(&with(&["\"incident-3\""])).unwrap(), 3);
        assert_eq!(if_match(&with(&["\"x\", \"incident-12\""])).unwrap(), 12);
        assert_eq!(if_match(&with(&[])).unwrap_err().status, 428);
        assert_eq!(if_match(&with(&["*"])).unwrap_err().status, 428);
        assert_eq!(if_match(&with(&["\"policy-3\""])).unwrap_err().status, 412);
    }
}
