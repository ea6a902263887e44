//! The fake's HTTP side: routes, the bearer token, paging with absolute
//! `next` links, `include`, `updated_after`, and the faults a test asks
//! for.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};
use reqwest::Url;
use serde_json::{Value, json};

use super::render::{self, Includes};
use super::school::SchoolData;

/// Wonde's largest page, and the size of a page when none is asked for.
const MAX_PER_PAGE: usize = 200;
const DEFAULT_PER_PAGE: usize = 50;

/// Something to go wrong with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 429 with `Retry-After` in seconds.
    TooManyRequests { retry_after_secs: u64 },
    /// 500.
    ServerError,
    /// The answer, after this long.
    Slow(Duration),
    /// The answer cut off half way.
    BrokenPage,
    /// A page with its `meta` but no `data`.
    PageWithoutData,
    /// A page whose pagination says there is more but has no `next`.
    MoreWithoutNext,
    /// A page whose `next` link points at another host (an API root such
    /// as `http://127.0.0.1:4000/v1.0/`), with the same path and query.
    ForeignNext { base_url: String },
}

/// A request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// 1 for the first request served.
    pub number: u64,
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub had_authorization: bool,
    /// Whether it carried the right bearer token.
    pub authorized: bool,
}

impl SeenRequest {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

pub(crate) struct State {
    pub token: String,
    pub authority: String,
    pub school: SchoolData,
    pub seen: Vec<SeenRequest>,
    pub faults: BTreeMap<u64, Fault>,
}

pub(crate) struct Shared {
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn new(state: State) -> Self {
        Self {
            state: Mutex::new(state),
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

type Answer = Response<Full<Bytes>>;

/// What to send back, and how long to wait first.
struct Prepared {
    delay: Option<Duration>,
    answer: Answer,
}

pub(crate) async fn answer(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Answer, Infallible> {
    let prepared = prepare(&shared, &request);
    if let Some(delay) = prepared.delay {
        tokio::time::sleep(delay).await;
    }
    Ok(prepared.answer)
}

fn prepare(shared: &Shared, request: &Request<Incoming>) -> Prepared {
    let mut state = shared.state();
    let number = state.seen.len() as u64 + 1;
    let authorization = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let authorized = authorization == Some(format!("Bearer {}", state.token).as_str());
    let query = query_pairs(request.uri().query());
    state.seen.push(SeenRequest {
        number,
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        query: query.clone(),
        had_authorization: authorization.is_some(),
        authorized,
    });

    let fault = state.faults.remove(&number);
    let now = |answer| Prepared {
        delay: None,
        answer,
    };
    match &fault {
        Some(Fault::TooManyRequests { retry_after_secs }) => {
            let mut answer = json_answer(
                StatusCode::TOO_MANY_REQUESTS,
                &json!({"error": "Too Many Attempts."}),
            );
            answer
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            return now(answer);
        }
        Some(Fault::ServerError) => {
            return now(json_answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"error": "Server Error"}),
            ));
        }
        _ => {}
    }
    let delay = match &fault {
        Some(Fault::Slow(delay)) => Some(*delay),
        _ => None,
    };
    if !authorized {
        let answer = json_answer(
            StatusCode::UNAUTHORIZED,
            &json!({"error": "invalid_token", "error_description": "The access token is invalid."}),
        );
        return Prepared { delay, answer };
    }
    if request.method() != Method::GET {
        let answer = json_answer(
            StatusCode::METHOD_NOT_ALLOWED,
            &json!({"error": "Method not allowed"}),
        );
        return Prepared { delay, answer };
    }

    let answer = match route(&state, request.uri().path(), &query) {
        Ok(mut body) => {
            spoil(
                &mut body,
                fault.as_ref(),
                &state.authority,
                request.uri().path(),
                &query,
            );
            let mut bytes = serde_json::to_vec(&body).expect("JSON values serialise");
            if fault == Some(Fault::BrokenPage) {
                bytes.truncate(bytes.len() / 2);
            }
            bytes_answer(StatusCode::OK, bytes)
        }
        Err((status, message)) => json_answer(status, &json!({ "error": message })),
    };
    Prepared { delay, answer }
}

fn route(
    state: &State,
    path: &str,
    query: &[(String, String)],
) -> Result<Value, (StatusCode, String)> {
    let not_found = || (StatusCode::NOT_FOUND, "Not found".to_owned());
    let rest = path.strip_prefix("/v1.0/").ok_or_else(not_found)?;
    let segments: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let school = &state.school;
    match segments.as_slice() {
        ["schools", id] if *id == school.id => Ok(render::school(school, &state.authority)),
        ["schools", id, name] if *id == school.id => {
            let request = ListRequest::read(query)?;
            let page = list(school, name, &request).ok_or_else(not_found)?;
            Ok(paged(page, &request, &state.authority, path, query))
        }
        _ => Err(not_found()),
    }
}

/// A list request's parameters.
struct ListRequest {
    includes: Includes,
    updated_after: Option<DateTime<Utc>>,
    per_page: Option<usize>,
    page: usize,
    kind: Option<String>,
}

impl ListRequest {
    fn read(query: &[(String, String)]) -> Result<Self, (StatusCode, String)> {
        let param = |name: &str| {
            query
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let invalid = |what: &str| {
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("The {what} is invalid."),
            )
        };
        let updated_after = param("updated_after")
            .map(|raw| parse_since(raw).ok_or_else(|| invalid("updated after")))
            .transpose()?;
        let per_page = param("per_page")
            .map(|raw| raw.parse::<usize>().map_err(|_| invalid("per page")))
            .transpose()?
            .map(|n| n.clamp(1, MAX_PER_PAGE));
        let page = param("page")
            .map(|raw| raw.parse::<usize>().map_err(|_| invalid("page")))
            .transpose()?
            .unwrap_or(1)
            .max(1);
        Ok(Self {
            includes: Includes::parse(param("include")),
            updated_after,
            per_page,
            page,
            kind: param("type").map(str::to_owned),
        })
    }

    fn changed(&self, at: DateTime<Utc>) -> bool {
        self.updated_after.is_none_or(|since| at > since)
    }
}

/// `updated_after` as Wonde takes it: `YYYY-MM-DD HH:MM:SS` or a date.
fn parse_since(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .map(|date| date.and_time(chrono::NaiveTime::MIN))
        })
        .map(|at| at.and_utc())
}

/// The matching records of a list, rendered lazily a page at a time.
struct Listed<'a> {
    total: usize,
    render: Box<dyn Fn(std::ops::Range<usize>) -> Vec<Value> + 'a>,
}

fn list<'a>(school: &'a SchoolData, name: &str, request: &'a ListRequest) -> Option<Listed<'a>> {
    fn listed<'a, T: 'a>(records: Vec<&'a T>, render: impl Fn(&T) -> Value + 'a) -> Listed<'a> {
        Listed {
            total: records.len(),
            render: Box::new(move |range| records[range].iter().map(|r| render(r)).collect()),
        }
    }

    let include = &request.includes;
    Some(match name {
        "students" => listed(
            school
                .pupils
                .values()
                .filter(|p| request.changed(p.updated_at))
                .collect(),
            move |p| render::pupil(school, p, include),
        ),
        "employees" => listed(
            school
                .staff
                .values()
                .filter(|e| request.changed(e.updated_at))
                .collect(),
            move |e| render::employee(e, include),
        ),
        "classes" => listed(
            school
                .classes
                .values()
                .filter(|c| request.changed(c.updated_at))
                .collect(),
            move |c| render::class(school, c, include),
        ),
        "groups" => listed(
            school
                .groups
                .values()
                .filter(|g| request.changed(g.updated_at))
                .filter(|g| {
                    request
                        .kind
                        .as_deref()
                        .is_none_or(|k| k.eq_ignore_ascii_case(&g.kind))
                })
                .collect(),
            move |g| render::listed_group(school, g, include),
        ),
        "deletions" => listed(
            school
                .deletions
                .iter()
                .filter(|d| request.changed(d.changed_at()))
                .filter(|d| {
                    request
                        .kind
                        .as_deref()
                        .is_none_or(|k| k.eq_ignore_ascii_case(&d.kind))
                })
                .collect(),
            render::deletion,
        ),
        _ => return None,
    })
}

/// One page of a list with Wonde's `meta`: pagination when a page size was
/// asked for or the list is longer than one default page, with `next` as
/// an absolute URL.
fn paged(
    listed: Listed<'_>,
    request: &ListRequest,
    authority: &str,
    path: &str,
    query: &[(String, String)],
) -> Value {
    let per_page = request.per_page.unwrap_or(DEFAULT_PER_PAGE);
    let start = ((request.page - 1) * per_page).min(listed.total);
    let end = (start + per_page).min(listed.total);
    let data = (listed.render)(start..end);
    let mut meta = json!({ "includes": request.includes.names() });
    if request.per_page.is_some() || listed.total > DEFAULT_PER_PAGE {
        let more = end < listed.total;
        let link = |page: usize| page_url(authority, path, query, page);
        meta["pagination"] = json!({
            "next": more.then(|| link(request.page + 1)),
            "previous": (request.page > 1).then(|| link(request.page - 1)),
            "more": more,
            "per_page": per_page,
            "current_page": request.page,
        });
    }
    json!({ "data": data, "meta": meta })
}

fn page_url(authority: &str, path: &str, query: &[(String, String)], page: usize) -> String {
    let mut url =
        Url::parse(&format!("http://{authority}{path}")).expect("the fake's own URL parses");
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("page", &page.to_string());
        for (key, value) in query.iter().filter(|(key, _)| key != "page") {
            pairs.append_pair(key, value);
        }
    }
    url.to_string()
}

/// Applies a fault that spoils an otherwise good page.
fn spoil(
    body: &mut Value,
    fault: Option<&Fault>,
    authority: &str,
    path: &str,
    query: &[(String, String)],
) {
    match fault {
        Some(Fault::PageWithoutData) => {
            if let Some(fields) = body.as_object_mut() {
                fields.remove("data");
            }
        }
        Some(Fault::MoreWithoutNext) => {
            body["meta"]["pagination"] = json!({"next": null, "previous": null, "more": true, "per_page": MAX_PER_PAGE, "current_page": 1});
        }
        Some(Fault::ForeignNext { base_url }) => {
            let ours = format!("http://{authority}/v1.0/");
            let next = match body["meta"]["pagination"]["next"].as_str() {
                Some(next) => next.to_owned(),
                None => page_url(authority, path, query, 2),
            };
            let foreign = format!("{}{}", base_url, next.trim_start_matches(&ours));
            body["meta"]["pagination"]["next"] = json!(foreign);
            body["meta"]["pagination"]["more"] = json!(true);
        }
        _ => {}
    }
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    let Some(query) = query else {
        return Vec::new();
    };
    Url::parse(&format!("http://fake/?{query}"))
        .map(|url| {
            url.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn json_answer(status: StatusCode, body: &Value) -> Answer {
    bytes_answer(
        status,
        serde_json::to_vec(body).expect("JSON values serialise"),
    )
}

fn bytes_answer(status: StatusCode, body: Vec<u8>) -> Answer {
    let mut answer = Response::new(Full::new(Bytes::from(body)));
    *answer.status_mut() = status;
    answer
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_wonde_s_format() {
        assert_eq!(
            parse_since("2024-09-02 07:01:00").unwrap().to_rfc3339(),
            "2024-09-02T07:01:00+00:00"
        );
        assert!(parse_since("2024-09-02").is_some());
        assert!(parse_since("yesterday").is_none());
    }

    #[test]
    fn next_links_keep_the_query_and_move_the_page() {
        let query = vec![
            ("include".to_owned(), "year,house".to_owned()),
            ("per_page".to_owned(), "2".to_owned()),
            ("page".to_owned(), "1".to_owned()),
        ];
        let link = page_url("127.0.0.1:9", "/v1.0/schools/A1/students", &query, 2);
        assert_eq!(
            link,
            "http://127.0.0.1:9/v1.0/schools/A1/students?page=2&include=year%2Chouse&per_page=2"
        );
    }
}
