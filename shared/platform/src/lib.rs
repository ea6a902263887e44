//! What every function needs at its edge: configuration from the
//! environment, JSON logs, access-token verification, problem+json errors,
//! request parsing with limits, opaque cursors and the event queue.

pub mod auth;
pub mod config;
pub mod cursor;
pub mod http;
pub mod problem;
pub mod queue;
pub mod telemetry;

pub use auth::{Caller, TokenVerifier};
pub use config::{ConfigError, env_var};
pub use cursor::CursorSigner;
pub use problem::{FieldError, Problem};
