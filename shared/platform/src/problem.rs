//! RFC 9457 problem details: every error a caller sees, with a stable `type`,
//! a human `detail`, and per-field `errors` when input is refused.

use lambda_http::{Body, Response};
use serde::Serialize;

const TYPE_BASE: &str = "https://classlights.app/problems/";

/// One refused field: where it is (a JSON path such as `pupilIds[3]`) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(skip)]
    pub retry_after_seconds: Option<u32>,
}

impl Problem {
    fn new(status: u16, slug: &str, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("{TYPE_BASE}{slug}"),
            title,
            status,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_seconds: None,
        }
    }

    /// 412: what the caller changes is not (or no longer) the version they
    /// read.
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(412, "precondition-failed", "Precondition failed", detail)
    }

    /// 428: a change needs the version it was made from.
    pub fn precondition_required(detail: impl Into<String>) -> Self {
        Self::new(
            428,
            "precondition-required",
            "Precondition required",
            detail,
        )
    }

    /// 400: the request could not be read at all.
    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(400, "malformed-request", "Malformed request", detail)
    }

    /// 400: readable, but some fields are not acceptable.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields are not valid", errors.len()),
        };
        Self {
            errors,
            ..Self::new(400, "validation", "Invalid request", detail)
        }
    }

    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(401, "unauthenticated", "Not signed in", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, "forbidden", "Not allowed", detail)
    }

    /// 403 with its own type, for refusals a client acts on (terms to
    /// accept, an account disabled).
    pub fn forbidden_as(slug: &str, detail: impl Into<String>) -> Self {
        Self::new(403, slug, "Not allowed", detail)
    }

    /// 404, also for ids that belong to another school.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, "not-found", "Not found", detail)
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "method-not-allowed",
            "Method not allowed",
            "this route does not take that method",
        )
    }

    pub fn conflict(slug: &str, detail: impl Into<String>) -> Self {
        Self::new(409, slug, "Conflict", detail)
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            413,
            "too-large",
            "Request too large",
            format!("the body must be at most {limit} bytes"),
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "send application/json",
        )
    }

    /// 422: well-formed, but it contradicts the school's data or rules.
    pub fn unprocessable(slug: &str, errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields cannot be accepted", errors.len()),
        };
        Self {
            errors,
            ..Self::new(422, slug, "Cannot be accepted", detail)
        }
    }

    /// 503: a dependency is briefly unavailable; the caller may retry.
    pub fn unavailable(retry_after_seconds: u32) -> Self {
        Self {
            retry_after_seconds: Some(retry_after_seconds),
            ..Self::new(
                503,
                "unavailable",
                "Try again shortly",
                "the service is busy; retry with the same Idempotency-Key",
            )
        }
    }

    /// 429: too many attempts; the caller waits `retry_after_seconds`.
    pub fn too_many_requests(retry_after_seconds: u32, detail: impl Into<String>) -> Self {
        Self {
            retry_after_seconds: Some(retry_after_seconds.max(1)),
            ..Self::new(429, "too-many-requests", "Too many attempts", detail)
        }
    }

    /// 500: our fault. The detail never carries internal error text.
    pub fn internal() -> Self {
        Self::new(
            500,
            "internal",
            "Internal error",
            "something went wrong on our side; it has been logged",
        )
    }

    pub fn to_response(&self) -> Response<Body> {
        let body = serde_json::to_string(self).expect("problems always serialise");
        let mut builder = Response::builder()
            .status(self.status)
            .header("content-type", "application/problem+json");
        if let Some(seconds) = self.retry_after_seconds {
            builder = builder.header("retry-after", seconds.to_string());
        }
        builder.body(Body::Text(body)).expect("a valid response")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_problems_list_each_field() {
        let problem = Problem::invalid(vec![FieldError::new("pupilIds", "must not be empty")]);
        let json: serde_json::Value = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["type"], "https://classlights.app/problems/validation");
        assert_eq!(json["status"], 400);
        assert_eq!(json["detail"], "pupilIds: must not be empty");
        assert_eq!(json["errors"][0]["field"], "pupilIds");
    }

    #[test]
    fn responses_use_the_problem_media_type() {
        let response = Problem::unavailable(2).to_response();
        assert_eq!(response.status(), 503);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert_eq!(response.headers()["retry-after"], "2");
    }
}
