//! How the client is set up: where Wonde is, the token, which region hosts
//! the token may go to, page size, timeouts and retries.

use std::fmt;
use std::time::Duration;

use crate::error::Error;

/// Wonde's API for UK schools (and, by default, the rest of the world).
pub const WONDE_BASE_URL: &str = "https://api.wonde.com/v1.0/";

/// Wonde's other regional APIs, as its documentation lists them. A school
/// says which one holds its data (`region.domain`).
pub const WONDE_REGION_BASE_URLS: [&str; 3] = [
    "https://api-ap-southeast-2.wonde.com/v1.0/",
    "https://api-af-south-1.wonde.com/v1.0/",
    "https://api-us-west-2.wonde.com/v1.0/",
];

/// The most records Wonde gives in one page.
pub const MAX_PER_PAGE: u32 = 200;

/// A Wonde access token. It prints as `Token(redacted)` and is sent only as
/// an `Authorization` header to hosts the client trusts.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Wraps a token; it must be non-empty visible ASCII, as an HTTP header
    /// value needs.
    pub fn new(secret: impl Into<String>) -> Result<Self, Error> {
        let secret = secret.into();
        if secret.is_empty() || !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Config(
                "the Wonde token must be non-empty visible ASCII".to_owned(),
            ));
        }
        Ok(Self(secret))
    }

    pub(crate) fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(redacted)")
    }
}

/// When and how often a failed request is tried again. Rate limits (429),
/// server errors (5xx), timeouts and dropped connections are retried; any
/// other answer is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries per request, the first included.
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles on each retry, with
    /// jitter, up to `max_delay`.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// The longest `Retry-After` the client waits for; a longer one ends the
    /// request with [`Error::RateLimited`] so the caller can come back later.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// Everything the client needs; checked by [`crate::Client::new`].
#[derive(Debug, Clone)]
pub struct Config {
    /// The API root the token belongs to, such as [`WONDE_BASE_URL`]. Plain
    /// `http` is accepted only for a loopback host (tests, the dev stack).
    pub base_url: String,
    pub token: Token,
    /// Other API roots a school's `region.domain` may send the client to.
    /// The token goes to no host outside `base_url` and these.
    pub regions: Vec<String>,
    /// Records per page, 1 to 200.
    pub per_page: u32,
    /// The longest one request may take, body included.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
    /// The largest answer read; a larger one is refused, to keep a sync
    /// within its memory.
    pub max_body_bytes: usize,
}

impl Config {
    /// A client of the API at `base_url`, with default paging, timeouts and
    /// retries, and no other regions.
    pub fn new(base_url: impl Into<String>, token: Token) -> Self {
        Self {
            base_url: base_url.into(),
            token,
            regions: Vec::new(),
            per_page: MAX_PER_PAGE,
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            max_body_bytes: 32 * 1024 * 1024,
        }
    }

    /// Wonde itself: the UK API, with its other regions allowed.
    pub fn wonde(token: Token) -> Self {
        let mut config = Self::new(WONDE_BASE_URL, token);
        config.regions = WONDE_REGION_BASE_URLS.map(str::to_owned).to_vec();
        config
    }

    /// Allows one more API root for schools whose region names its host.
    pub fn allow_region(mut self, base_url: impl Into<String>) -> Self {
        self.regions.push(base_url.into());
        self
    }

    pub fn per_page(mut self, per_page: u32) -> Self {
        self.per_page = per_page;
        self
    }

    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_never_prints() {
        let token = Token::new("s3cr3t-token").unwrap();
        let config = Config::new(WONDE_BASE_URL, token.clone());
        assert_eq!(format!("{token:?}"), "Token(redacted)");
        assert!(!format!("{config:?}").contains("s3cr3t"));
    }

    #[test]
    fn a_token_must_fit_a_header() {
        assert!(Token::new("").is_err());
        assert!(Token::new("two words").is_err());
        assert!(Token::new("line\nbreak").is_err());
        assert!(Token::new("7e76896f9aca62569048c667db292d72dd84f224").is_ok());
    }
}
