//! Reading requests and writing answers: JSON bodies with a size limit and no
//! unknown fields, query parameters, the `Idempotency-Key` header.

use lambda_http::{Body, Request, RequestExt, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::problem::{FieldError, Problem};

/// Reads a whole number the way JSON Schema counts one: `24` and `24.0`
/// alike, but not `24.5`. For `#[serde(deserialize_with = ...)]` on the
/// integer fields of request bodies, since serde's own `i64` refuses `24.0`.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    if let Some(whole) = number.as_i64() {
        return Ok(whole);
    }
    match number.as_f64() {
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Ok(x as i64),
        _ => Err(serde::de::Error::custom(format!(
            "must be a whole number, not {number}"
        ))),
    }
}

/// Parses a JSON body of at most `limit` bytes into `T`. Errors name the
/// field (as a JSON path) and say why.
pub fn json_body<T: DeserializeOwned>(request: &Request, limit: usize) -> Result<T, Problem> {
    let bytes: &[u8] = request.body().as_ref();
    if bytes.len() > limit {
        return Err(Problem::too_large(limit));
    }
    if let Some(kind) = request.headers().get(http::header::CONTENT_TYPE) {
        let kind = kind.to_str().unwrap_or_default().to_ascii_lowercase();
        if !kind.starts_with("application/json") {
            return Err(Problem::unsupported_media_type());
        }
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::malformed("the request needs a JSON body"));
    }
    // Every body is an object; serde would read a struct from an array of
    // its fields in order, which no client means.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(Problem::invalid(vec![FieldError::new(
            ".",
            "the body must be a JSON object, not an array",
        )]));
    }

    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut reader).map_err(|error| {
        let inner = error.inner();
        if !inner.is_data() {
            return Problem::malformed(format!(
                "the body is not valid JSON: {}",
                without_position(inner)
            ));
        }
        let message = without_position(inner);
        let path = error.path().to_string();
        let field = match unknown_field(&message) {
            Some(name) if path == "." => name.to_owned(),
            Some(name) if message.starts_with("missing") => format!("{path}.{name}"),
            _ => path,
        };
        Problem::invalid(vec![FieldError::new(field, message)])
    })?;
    reader.end().map_err(|e| {
        Problem::malformed(format!(
            "the body is not valid JSON: {}",
            without_position(&e)
        ))
    })?;
    Ok(value)
}

fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// The field an "unknown field" or "missing field" error is about, which
/// serde names in the message rather than the path.
fn unknown_field(message: &str) -> Option<&str> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))?;
    rest.split('`').next()
}

/// A query parameter, or none. An empty value counts as absent.
pub fn query(request: &Request, name: &str) -> Option<String> {
    request
        .query_string_parameters_ref()
        .and_then(|params| params.first(name))
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

/// Rejects query parameters the route does not know, so typos are not
/// silently ignored.
pub fn only_known_query(request: &Request, known: &[&str]) -> Result<(), Problem> {
    let Some(params) = request.query_string_parameters_ref() else {
        return Ok(());
    };
    let mut unknown: Vec<FieldError> = params
        .iter()
        .filter(|(name, _)| !known.contains(name))
        .map(|(name, _)| FieldError::new(name, "is not a parameter of this route"))
        .collect();
    unknown.dedup();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(Problem::invalid(unknown))
    }
}

/// The caller's `Idempotency-Key`: 1 to 255 visible ASCII characters.
pub fn idempotency_key(request: &Request) -> Result<Option<String>, Problem> {
    let Some(value) = request.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or_default();
    let valid = !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(Some(key.to_owned()))
    } else {
        Err(Problem::invalid_field(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        ))
    }
}

/// A JSON answer.
pub fn json<T: Serialize>(status: u16, value: &T) -> Response<Body> {
    match serde_json::to_string(value) {
        Ok(body) => Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Body::Text(body))
            .expect("a valid response"),
        Err(_) => Problem::internal().to_response(),
    }
}

/// A JSON answer already serialised, such as one replayed for a retry.
pub fn raw_json(status: u16, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(body))
        .expect("a valid response")
}

/// A digest of what a request asks for (method, path and body), so that a
/// reused idempotency key with a different request is recognised.
pub fn fingerprint(request: &Request) -> String {
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    context.update(request.method().as_str().as_bytes());
    context.update(b"\n");
    context.update(request.raw_http_path().as_bytes());
    context.update(b"\n");
    context.update(request.body().as_ref());
    hex(context.finish().as_ref())
}

/// The id under which a request is recorded: derived from the caller and
/// their idempotency key, so a retry finds the first attempt, or fresh when
/// there is no key.
pub fn request_id(user: &str, idempotency_key: Option<&str>) -> String {
    match idempotency_key {
        Some(key) => {
            let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
            context.update(user.as_bytes());
            context.update(b"\n");
            context.update(key.as_bytes());
            hex(&context.finish().as_ref()[..16])
        }
        None => random_id(),
    }
}

fn random_id() -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random source works");
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Sample {
        pupil_ids: Vec<u32>,
        note: Option<String>,
    }

    fn request(body: &str) -> Request {
        let mut request = Request::new(Body::Text(body.to_owned()));
        request
            .headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        request
    }

    #[derive(Debug, Deserialize)]
    struct Hours {
        #[serde(deserialize_with = "whole_number")]
        hours: i64,
    }

    #[test]
    fn whole_numbers_may_be_written_with_a_zero_fraction() {
        for (body, hours) in [
            (r#"{"hours":24}"#, 24),
            (r#"{"hours":24.0}"#, 24),
            (r#"{"hours":-3}"#, -3),
        ] {
            assert_eq!(
                json_body::<Hours>(&request(body), 1024).unwrap().hours,
                hours
            );
        }
        for body in [
            r#"{"hours":24.5}"#,
            r#"{"hours":"24"}"#,
            r#"{"hours":1e300}"#,
        ] {
            let problem = json_body::<Hours>(&request(body), 1024).unwrap_err();
            assert_eq!(problem.status, 400, "{body}");
            assert_eq!(problem.errors[0].field, "hours", "{body}");
        }
    }

    #[test]
    fn names_the_field_with_the_wrong_type() {
        let problem = json_body::<Sample>(&request(r#"{"pupilIds":[1,"x"]}"#), 1024).unwrap_err();
        assert_eq!(problem.status, 400);
        assert_eq!(problem.errors[0].field, "pupilIds[1]");
    }

    #[test]
    fn an_array_of_the_fields_is_not_a_body() {
        let problem = json_body::<Sample>(&request(r#" [[1, 2], "a note"]"#), 1024).unwrap_err();
        assert_eq!(problem.status, 400);
        assert_eq!(problem.errors[0].field, ".");
        assert!(json_body::<Sample>(&request(r#"{"pupilIds":[1],"note":null}"#), 1024).is_ok());
    }

    #[test]
    fn names_unknown_fields() {
        let problem =
            json_body::<Sample>(&request(r#"{"pupilIds":[],"colour":1}"#), 1024).unwrap_err();
        assert_eq!(problem.errors[0].field, "colour");
    }

    #[test]
    fn refuses_malformed_and_oversized_bodies() {
        assert_eq!(
            json_body::<Sample>(&request("{"), 1024).unwrap_err().kind,
            Problem::malformed("").kind
        );
        assert_eq!(
            json_body::<Sample>(&request(r#"{"pupilIds":[]} x"#), 1024)
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            json_body::<Sample>(&request(&" ".repeat(2000)), 1024)
                .unwrap_err()
                .status,
            413
        );
    }

    #[test]
    fn idempotency_keys_are_checked() {
        let mut req = request("");
        assert_eq!(idempotency_key(&req).unwrap(), None);
        req.headers_mut()
            .insert("idempotency-key", "abc-123".parse().unwrap());
        assert_eq!(idempotency_key(&req).unwrap().as_deref(), Some("abc-123"));
        req.headers_mut()
            .insert("idempotency-key", "a b".parse().unwrap());
        assert!(idempotency_key(&req).is_err());
    }
}
