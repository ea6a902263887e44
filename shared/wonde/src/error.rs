//! What can go wrong talking to Wonde. No variant holds the token, a
//! header, a query string or a value read from a record: paths and ids
//! only, so an error can go to the logs as it is.

use std::time::Duration;

/// A failed call to Wonde.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("invalid Wonde client configuration: {0}")]
    Config(String),

    #[error("not a Wonde id")]
    InvalidId,

    #[error("Wonde refused the token (HTTP {status}) at {path}")]
    Unauthorized { status: u16, path: String },

    #[error("Wonde has nothing at {path}")]
    NotFound { path: String },

    #[error("Wonde answered HTTP {status} at {path}")]
    Status { status: u16, path: String },

    #[error("Wonde is rate limiting at {path} (retry after {retry_after:?})")]
    RateLimited {
        path: String,
        retry_after: Option<Duration>,
    },

    #[error("Wonde failed with HTTP {status} at {path}")]
    Server { status: u16, path: String },

    #[error("no answer from Wonde within {timeout:?} at {path}")]
    Timeout { path: String, timeout: Duration },

    #[error("could not reach Wonde at {path}: {reason}")]
    Transport { path: String, reason: String },

    #[error("gave up after {attempts} attempts: {last}")]
    Exhausted {
        attempts: u32,
        #[source]
        last: Box<Error>,
    },

    #[error("broken page from {path} at {at}: {reason}")]
    BrokenPage {
        path: String,
        at: String,
        reason: String,
    },

    #[error("the answer from {path} is over {limit} bytes")]
    TooLarge { path: String, limit: usize },

    #[error("the page from {path} says there is more but gives no next page")]
    MissingNext { path: String },

    #[error("the next page from {path} is the same page again")]
    PageLoop { path: String },

    #[error(
        "the next page points at {origin}, not a Wonde host this client trusts; nothing was sent there"
    )]
    ForeignHost { origin: String },

    #[error("school {school} is served from {domain}, which is not an allowed Wonde host")]
    RegionNotAllowed { school: String, domain: String },
}

impl Error {
    /// The error behind retries, when the client gave up retrying.
    pub fn last_attempt(&self) -> &Error {
        match self {
            Error::Exhausted { last, .. } => last,
            other => other,
        }
    }
}
