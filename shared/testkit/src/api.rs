//! API Gateway (HTTP API, payload 2.0) requests, built from the sample
//! events in `events/` and parsed the way the Lambda runtime parses them.

use std::path::PathBuf;

use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};

/// A request to build.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<String>,
    source_ip: Option<String>,
}

impl ApiRequest {
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: vec![],
            headers: vec![],
            body: None,
            source_ip: None,
        }
    }

    /// The address API Gateway reports the request came from.
    pub fn from_ip(mut self, ip: &str) -> Self {
        self.source_ip = Some(ip.to_owned());
        self
    }

    pub fn get(path: &str) -> Self {
        Self::new("GET", path)
    }

    pub fn post(path: &str) -> Self {
        Self::new("POST", path)
    }

    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn json(self, body: &Value) -> Self {
        self.raw_body(&body.to_string())
            .header("content-type", "application/json")
    }

    pub fn raw_body(mut self, body: &str) -> Self {
        self.body = Some(body.to_owned());
        self
    }

    /// The API Gateway event, starting from `events/http-request.json`.
    pub fn event(&self) -> Value {
        let mut event = sample_event("http-request.json");
        let raw_query = self
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        event["rawPath"] = json!(self.path);
        event["rawQueryString"] = json!(raw_query);
        event["routeKey"] = json!("$default");
        event["requestContext"]["http"]["method"] = json!(self.method);
        event["requestContext"]["http"]["path"] = json!(self.path);
        if let Some(ip) = &self.source_ip {
            event["requestContext"]["http"]["sourceIp"] = json!(ip);
        }
        let mut params = serde_json::Map::new();
        for (k, v) in &self.query {
            let joined = match params.get(k).and_then(Value::as_str) {
                Some(before) => format!("{before},{v}"),
                None => v.clone(),
            };
            params.insert(k.clone(), json!(joined));
        }
        event["queryStringParameters"] = if params.is_empty() {
            Value::Null
        } else {
            Value::Object(params)
        };
        let headers = event["headers"]
            .as_object_mut()
            .expect("the sample has headers");
        headers.remove("authorization");
        for (name, value) in &self.headers {
            headers.insert(name.clone(), json!(value));
        }
        event["body"] = self.body.as_ref().map_or(Value::Null, |b| json!(b));
        event["isBase64Encoded"] = json!(false);
        event
    }

    /// The request as the function receives it.
    pub fn build(&self) -> Request {
        lambda_http::request::from_str(&self.event().to_string())
            .expect("the runtime parses the event")
    }
}

/// A function's answer as a test reads it.
pub struct Answer {
    pub status: u16,
    /// The JSON body; `null` for an empty one.
    pub body: Value,
    pub headers: http::HeaderMap,
}

impl Answer {
    /// Reads a handler's response. Every error must be problem+json, and
    /// every body JSON: a test that meets anything else fails here.
    pub fn from_response(response: Response<Body>) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes: &[u8] = response.body().as_ref();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(bytes).expect("answers are JSON")
        };
        if status >= 400 {
            assert_eq!(
                headers["content-type"], "application/problem+json",
                "errors are problem+json: {body}"
            );
        }
        Self {
            status,
            body,
            headers,
        }
    }

    /// The problem's `type`, empty when the answer is not a problem.
    pub fn problem_type(&self) -> &str {
        self.body["type"].as_str().unwrap_or_default()
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The folder of sample events.
pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

/// One sample event, parsed.
pub fn sample_event(name: &str) -> Value {
    let path = events_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("sample events are JSON")
}
