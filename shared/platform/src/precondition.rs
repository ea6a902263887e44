//! Versions on the wire: the `ETag` a read answers and the `If-Match` a
//! change must send back, so that nobody overwrites an edit they have not
//! seen. Each versioned thing names its tags with its own prefix
//! (`"policy-3"`, `"incident-3"`), so a tag of one is never taken for
//! another's.

use lambda_http::{Body, Request, Response};

use crate::Problem;

/// How one kind of versioned thing is tagged and named in answers.
#[derive(Debug, Clone, Copy)]
pub struct Versions {
    /// The tag's prefix: `policy` gives `"policy-3"`.
    pub prefix: &'static str,
    /// What the caller read, for the answers' details: "policy", "form".
    pub noun: &'static str,
}

impl Versions {
    /// The entity tag of a version, such as `"policy-3"`.
    pub fn etag(&self, version: u32) -> String {
        format!("\"{}-{version}\"", self.prefix)
    }

    /// Adds the version's `ETag` to an answer.
    pub fn tagged(&self, mut response: Response<Body>, version: u32) -> Response<Body> {
        response.headers_mut().insert(
            http::header::ETAG,
            self.etag(version).parse().expect("a valid header"),
        );
        response
    }

    /// The version the caller's `If-Match` names: 428 without one (or with
    /// `*`, which names no version), 412 when it names none of ours.
    pub fn if_match(&self, request: &Request) -> Result<u32, Problem> {
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
            return Err(Problem::precondition_required(format!(
                "send If-Match with the ETag of the {} you read",
                self.noun
            )));
        }
        values
            .iter()
            .find_map(|tag| {
                tag.strip_prefix('"')?
                    .strip_prefix(self.prefix)?
                    .strip_prefix('-')?
                    .strip_suffix('"')?
                    .parse()
                    .ok()
            })
            .ok_or_else(|| {
                Problem::precondition_failed(format!(
                    "If-Match names no version of this {}",
                    self.noun
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Versions = Versions {
        prefix: "policy",
        noun: "policy",
    };
    const FORM: Versions = Versions {
        prefix: "incident",
        noun: "form",
    };

    fn with(values: &[&str]) -> Request {
        let mut builder = http::Request::builder();
        for value in values {
            builder = builder.header("if-match", *value);
        }
        builder.body(Body::Empty).unwrap()
    }

    #[test]
    fn if_match_names_a_version_of_its_own_kind() {
        assert_eq!(POLICY.if_match(&with(&["\"policy-3\""])).unwrap(), 3);
        assert_eq!(
            POLICY.if_match(&with(&["\"x\", \"policy-12\""])).unwrap(),
            12
        );
        assert_eq!(POLICY.if_match(&with(&[])).unwrap_err().status, 428);
        assert_eq!(POLICY.if_match(&with(&["*"])).unwrap_err().status, 428);
        assert_eq!(
            POLICY.if_match(&with(&["policy-3"])).unwrap_err().status,
            412
        );
        assert_eq!(
            POLICY
                .if_match(&with(&["W/\"policy-3\""]))
                .unwrap_err()
                .status,
            412
        );
        assert_eq!(FORM.if_match(&with(&["\"incident-3\""])).unwrap(), 3);
        assert_eq!(
            FORM.if_match(&with(&["\"policy-3\""])).unwrap_err().status,
            412
        );
        assert_eq!(FORM.etag(7), "\"incident-7\"");
    }
}
