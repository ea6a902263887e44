//! The client: one connection pool, the token, the hosts the token may go
//! to, and each request with its timeout, retries and size limit.

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{StatusCode, Url};

use crate::config::{Config, MAX_PER_PAGE, RetryPolicy};
use crate::error::Error;
use crate::pages::Pages;
use crate::records::{
    self, Class, Deletion, Employee, Group, PageReader, Pupil, RawSchool, School, WondeId,
};
use crate::wire::decode_single;

/// A Wonde API client. Cloning it is cheap and shares the connection pool
/// and the count of requests made.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    regions: Vec<Url>,
    authorization: HeaderValue,
    per_page: u32,
    request_timeout: Duration,
    retry: RetryPolicy,
    max_body_bytes: usize,
    requests: AtomicU64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.inner.base.as_str())
            .field("requests", &self.requests_made())
            .finish_non_exhaustive()
    }
}

/// Which records of a list to read: all of them, or those changed after a
/// time. Wonde compares to the second, so a record changed later in that
/// same second comes too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Query {
    updated_after: Option<DateTime<Utc>>,
}

impl Query {
    /// Every record: a full sync.
    pub fn all() -> Self {
        Self::default()
    }

    /// Records added or changed after `since`: a delta sync. Records deleted
    /// since come from [`SchoolApi::deletions`].
    pub fn updated_after(since: DateTime<Utc>) -> Self {
        Self {
            updated_after: Some(since),
        }
    }
}

impl Client {
    /// Checks the configuration and builds the client. The base URL and each
    /// region must be `https` (plain `http` only for a loopback host) and
    /// carry no credentials, query or fragment.
    pub fn new(config: Config) -> Result<Self, Error> {
        let base = api_root(&config.base_url, "the Wonde base URL")?;
        let regions = config
            .regions
            .iter()
            .map(|region| api_root(region, "a Wonde region URL"))
            .collect::<Result<Vec<_>, _>>()?;
        if !(1..=MAX_PER_PAGE).contains(&config.per_page) {
            return Err(Error::Config(format!(
                "per_page must be 1 to {MAX_PER_PAGE}"
            )));
        }
        if config.retry.max_attempts == 0 {
            return Err(Error::Config("max_attempts must be at least 1".to_owned()));
        }
        if config.request_timeout.is_zero() {
            return Err(Error::Config(
                "request_timeout must be above zero".to_owned(),
            ));
        }

        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", config.token.secret()))
            .map_err(|_| Error::Config("the Wonde token is not a valid header value".to_owned()))?;
        authorization.set_sensitive(true);

        let mut http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("classlights-wonde/", env!("CARGO_PKG_VERSION")));
        if is_loopback(&base) {
            http = http.no_proxy();
        }
        let http = http
            .build()
            .map_err(|_| Error::Config("could not set up the HTTP client".to_owned()))?;

        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base,
                regions,
                authorization,
                per_page: config.per_page,
                request_timeout: config.request_timeout,
                retry: config.retry,
                max_body_bytes: config.max_body_bytes,
                requests: AtomicU64::new(0),
            }),
        })
    }

    /// HTTP requests sent so far, retries included.
    pub fn requests_made(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The school as Wonde describes it, with the host that holds its data.
    pub async fn school(&self, id: &WondeId) -> Result<School, Error> {
        let url = endpoint(&self.inner.base, &["schools", id.as_str()]);
        let body = self.fetch(&url).await?;
        let school: RawSchool = decode_single(&body).map_err(|problem| Error::BrokenPage {
            path: url.path().to_owned(),
            at: problem.at,
            reason: problem.reason,
        })?;
        Ok(school.into())
    }

    /// The school's data, read from the host its region names: the
    /// configured host, or one of the allowed regions. Any other host is
    /// refused, so the token never goes to it.
    pub fn school_api(&self, school: &School) -> Result<SchoolApi, Error> {
        Ok(SchoolApi {
            client: self.clone(),
            school: school.id.clone(),
            base: self.base_for(school)?,
        })
    }

    /// Looks the school up, then opens its data on its region's host.
    pub async fn open_school(&self, id: &WondeId) -> Result<SchoolApi, Error> {
        let school = self.school(id).await?;
        self.school_api(&school)
    }

    fn base_for(&self, school: &School) -> Result<Url, Error> {
        let Some(domain) = school.region_domain.as_deref() else {
            return Ok(self.inner.base.clone());
        };
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        std::iter::once(&self.inner.base)
            .chain(&self.inner.regions)
            .find(|root| authority(root) == domain)
            .cloned()
            .ok_or_else(|| Error::RegionNotAllowed {
                school: school.id.to_string(),
                domain: domain.chars().take(100).collect(),
            })
    }

    /// GETs a URL on a trusted host, retrying what may pass, and returns the
    /// body. A URL on any other host is refused here too, whatever built it.
    pub(crate) async fn fetch(&self, url: &Url) -> Result<Vec<u8>, Error> {
        let trusted = std::iter::once(&self.inner.base)
            .chain(&self.inner.regions)
            .any(|root| same_origin(root, url));
        if !trusted {
            return Err(Error::ForeignHost {
                origin: url.origin().ascii_serialization(),
            });
        }

        let retry = self.inner.retry;
        let mut attempt = 1;
        loop {
            let (error, retry_after) = match self.attempt(url).await {
                Ok(body) => return Ok(body),
                Err(Failure::Final(error)) => return Err(error),
                Err(Failure::Transient { error, retry_after }) => (error, retry_after),
            };
            if retry_after.is_some_and(|wait| wait > retry.max_retry_after) {
                return Err(error);
            }
            if attempt >= retry.max_attempts {
                tracing::info!(path = url.path(), attempts = attempt, error = %error, "gave up on a Wonde request");
                return Err(Error::Exhausted {
                    attempts: attempt,
                    last: Box::new(error),
                });
            }

            let wait = retry_after.unwrap_or_else(|| backoff(&retry, attempt));
            tracing::debug!(
                path = url.path(),
                attempt,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = %error,
                "retrying a Wonde request"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, url: &Url) -> Result<Vec<u8>, Failure> {
        let path = url.path();
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let response = self
            .inner
            .http
            .get(url.clone())
            .header(AUTHORIZATION, self.inner.authorization.clone())
            .header(ACCEPT, "application/json")
            .timeout(self.inner.request_timeout)
            .send()
            .await
            .map_err(|error| self.transport_failure(path, error))?;

        let status = response.status();
        if !status.is_success() {
            return Err(status_failure(status, response.headers(), path));
        }
        self.read_body(path, response).await
    }

    async fn read_body(
        &self,
        path: &str,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, Failure> {
        let limit = self.inner.max_body_bytes;
        let too_large = || {
            Failure::Final(Error::TooLarge {
                path: path.to_owned(),
                limit,
            })
        };
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.transport_failure(path, error))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport_failure(&self, path: &str, error: reqwest::Error) -> Failure {
        let path = path.to_owned();
        if error.is_timeout() {
            return Failure::Transient {
                error: Error::Timeout {
                    path,
                    timeout: self.inner.request_timeout,
                },
                retry_after: None,
            };
        }
        let is_builder = error.is_builder();
        let error = Error::Transport {
            path,
            reason: reason(error),
        };
        if is_builder {
            return Failure::Final(error);
        }
        Failure::Transient {
            error,
            retry_after: None,
        }
    }
}

/// A school's data on the host that holds it. Each list comes a page at a
/// time, with what the service needs included.
#[derive(Debug, Clone)]
pub struct SchoolApi {
    client: Client,
    school: WondeId,
    base: Url,
}

impl SchoolApi {
    pub fn school_id(&self) -> &WondeId {
        &self.school
    }

    /// The API root this school's data is read from.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// Pupils with their year group, house and registration group.
    pub fn pupils(&self, query: &Query) -> Pages<Pupil> {
        let include = ["year", "house", "registration"];
        self.list("students", &include, query, records::read_pupils)
    }

    /// Pupils as [`SchoolApi::pupils`], with gender, SEN, pupil premium and
    /// EAL for group analysis. Only for schools that have agreed to it.
    pub fn pupils_with_group_flags(&self, query: &Query) -> Pages<Pupil> {
        let include = ["year", "house", "registration", "extended_details"];
        self.list("students", &include, query, records::read_pupils_with_flags)
    }

    /// Staff with their work email and teaching status.
    pub fn employees(&self, query: &Query) -> Pages<Employee> {
        let include = ["contact_details", "employment_details"];
        self.list("employees", &include, query, records::read_employees)
    }

    /// Classes with their pupils, teachers and subject.
    pub fn classes(&self, query: &Query) -> Pages<Class> {
        let include = ["students", "employees", "subject"];
        self.list("classes", &include, query, records::read_classes)
    }

    /// Year groups, houses, registration groups and the school's other
    /// groups, each with the ids of its staff (a form's tutors).
    pub fn groups(&self, query: &Query) -> Pages<Group> {
        self.list("groups", &["employees"], query, records::read_groups)
    }

    /// Records deleted after the query's time (all of them for
    /// [`Query::all`]), with `restored_at` where they came back.
    pub fn deletions(&self, query: &Query) -> Pages<Deletion> {
        self.list("deletions", &[], query, records::read_deletions)
    }

    fn list<T>(
        &self,
        name: &str,
        include: &[&str],
        query: &Query,
        read: PageReader<T>,
    ) -> Pages<T> {
        let mut url = endpoint(&self.base, &["schools", self.school.as_str(), name]);
        {
            let mut pairs = url.query_pairs_mut();
            if !include.is_empty() {
                pairs.append_pair("include", &include.join(","));
            }
            pairs.append_pair("per_page", &self.client.inner.per_page.to_string());
            if let Some(since) = query.updated_after {
                let since = since.format("%Y-%m-%d %H:%M:%S").to_string();
                pairs.append_pair("updated_after", &since);
            }
        }
        Pages::new(self.client.clone(), self.base.clone(), url, read)
    }
}

/// A request that failed, and whether another try may succeed.
enum Failure {
    Final(Error),
    Transient {
        error: Error,
        retry_after: Option<Duration>,
    },
}

fn status_failure(status: StatusCode, headers: &HeaderMap, path: &str) -> Failure {
    let path = path.to_owned();
    let code = status.as_u16();
    if status == StatusCode::TOO_MANY_REQUESTS {
        let retry_after = retry_after(headers);
        return Failure::Transient {
            error: Error::RateLimited { path, retry_after },
            retry_after,
        };
    }
    if status.is_server_error() {
        return Failure::Transient {
            error: Error::Server { status: code, path },
            retry_after: retry_after(headers),
        };
    }
    Failure::Final(match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            Error::Unauthorized { status: code, path }
        }
        StatusCode::NOT_FOUND => Error::NotFound { path },
        _ => Error::Status { status: code, path },
    })
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - Utc::now()).to_std().unwrap_or(Duration::ZERO))
}

/// Capped exponential backoff with jitter: half the doubled delay, plus a
/// random share of the other half, so retries from many syncs spread out.
fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let doubling = 1u32 << attempt.saturating_sub(1).min(20);
    let ceiling = policy
        .first_delay
        .saturating_mul(doubling)
        .min(policy.max_delay);
    let half = ceiling / 2;
    half + half.mul_f64(jitter())
}

/// A number in [0, 1) from the standard library's randomly keyed hasher.
fn jitter() -> f64 {
    let bits = RandomState::new().hash_one(0u8) >> 11;
    bits as f64 / (1u64 << 53) as f64
}

/// What went wrong in transport, with its causes but without the URL.
fn reason(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason
}

/// A URL under an API root, from path segments (each a checked id or a
/// fixed name).
fn endpoint(root: &Url, segments: &[&str]) -> Url {
    let mut url = root.clone();
    url.path_segments_mut()
        .expect("API roots are checked to take a path when the client is built")
        .pop_if_empty()
        .extend(segments);
    url
}

fn api_root(raw: &str, what: &str) -> Result<Url, Error> {
    let mut url =
        Url::parse(raw.trim()).map_err(|_| Error::Config(format!("{what} is not a URL")))?;
    if url.cannot_be_a_base() || url.host_str().is_none() {
        return Err(Error::Config(format!("{what} has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!("{what} must not carry credentials")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "{what} must not have a query or fragment"
        )));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        _ => {
            return Err(Error::Config(format!(
                "{what} must be https (http only for a loopback host)"
            )));
        }
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `host` or `host:port` as a school's `region.domain` names it.
pub(crate) fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

/// Whether the token may go to `candidate`: the same scheme, host and port
/// as `root`.
pub(crate) fn same_origin(root: &Url, candidate: &Url) -> bool {
    root.scheme() == candidate.scheme()
        && root.host_str().map(str::to_ascii_lowercase)
            == candidate.host_str().map(str::to_ascii_lowercase)
        && root.port_or_known_default() == candidate.port_or_known_default()
        && candidate.username().is_empty()
        && candidate.password().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Token;

    fn config(base: &str) -> Config {
        Config::new(base, Token::new("t0ken").unwrap())
    }

    #[test]
    fn the_base_must_be_https_unless_it_is_this_machine() {
        assert!(Client::new(config("https://api.wonde.com/v1.0/")).is_ok());
        assert!(Client::new(config("http://127.0.0.1:8080/v1.0/")).is_ok());
        assert!(Client::new(config("http://localhost:8080/v1.0")).is_ok());
        for bad in [
            "http://api.wonde.com/v1.0/",
            "ftp://api.wonde.com/",
            "https://user:pass@api.wonde.com/v1.0/",
            "https://api.wonde.com/v1.0/?token=x",
            "not a url",
        ] {
            assert!(
                matches!(Client::new(config(bad)), Err(Error::Config(_))),
                "{bad}"
            );
        }
        assert!(
            Client::new(config("https://api.wonde.com/").allow_region("http://evil.example/"))
                .is_err()
        );
    }

    #[test]
    fn a_base_without_a_trailing_slash_keeps_its_path() {
        let client = Client::new(config("http://127.0.0.1:9/v1.0")).unwrap();
        let url = endpoint(client.base_url(), &["schools", "A1", "students"]);
        assert_eq!(url.as_str(), "http://127.0.0.1:9/v1.0/schools/A1/students");
    }

    #[test]
    fn paging_and_retries_are_checked() {
        assert!(Client::new(config("https://api.wonde.com/").per_page(0)).is_err());
        assert!(Client::new(config("https://api.wonde.com/").per_page(201)).is_err());
        assert!(Client::new(config("https://api.wonde.com/").per_page(200)).is_ok());
        let never = RetryPolicy {
            max_attempts: 0,
            ..RetryPolicy::default()
        };
        assert!(Client::new(config("https://api.wonde.com/").retry(never)).is_err());
    }

    #[test]
    fn a_school_goes_to_its_region_only_if_allowed() {
        let client = Client::new(Config::wonde(Token::new("t").unwrap())).unwrap();
        let school = |domain: Option<&str>| School {
            id: WondeId::parse("A1").unwrap(),
            name: None,
            region_domain: domain.map(str::to_owned),
        };
        let base = |domain| {
            client
                .school_api(&school(domain))
                .map(|s| s.base_url().to_string())
        };
        assert_eq!(base(None).unwrap(), "https://api.wonde.com/v1.0/");
        assert_eq!(
            base(Some("api.wonde.com")).unwrap(),
            "https://api.wonde.com/v1.0/"
        );
        assert_eq!(
            base(Some("API-AP-SOUTHEAST-2.wonde.com")).unwrap(),
            "https://api-ap-southeast-2.wonde.com/v1.0/"
        );
        for foreign in [
            "evil.example",
            "api.wonde.com.evil.example",
            "api.wonde.com/../x",
            "api.wonde.com:8443",
        ] {
            assert!(
                matches!(base(Some(foreign)), Err(Error::RegionNotAllowed { .. })),
                "{foreign}"
            );
        }
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let root = Url::parse("https://api.wonde.com/v1.0/").unwrap();
        let same = |u: &str| same_origin(&root, &Url::parse(u).unwrap());
        assert!(same(
            "https://api.wonde.com/v1.0/schools/A1/students?page=2"
        ));
        assert!(same("https://API.wonde.com:443/v1.0/"));
        assert!(!same("http://api.wonde.com/v1.0/"));
        assert!(!same("https://api.wonde.com:8443/v1.0/"));
        assert!(!same("https://api.wonde.com.evil.example/v1.0/"));
        assert!(!same("https://user@api.wonde.com/v1.0/"));
    }

    #[tokio::test]
    async fn nothing_is_fetched_from_an_untrusted_host() {
        let client = Client::new(config("http://127.0.0.1:9/v1.0/")).unwrap();
        let foreign = Url::parse("http://127.0.0.2:9/v1.0/schools").unwrap();
        let error = client.fetch(&foreign).await.unwrap_err();
        assert!(matches!(error, Error::ForeignHost { .. }), "{error:?}");
        assert_eq!(client.requests_made(), 0);
    }

    #[test]
    fn backoff_doubles_within_its_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(5),
        };
        for (attempt, ceiling) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (30, 1000),
        ] {
            let wait = backoff(&policy, attempt);
            let ceiling = Duration::from_millis(ceiling);
            assert!(
                wait >= ceiling / 2 && wait <= ceiling,
                "attempt {attempt}: {wait:?}"
            );
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        let later = (Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }
}
