//! What every function needs at its edge: configuration from the
//! environment, JSON logs, access-token verification, problem+json errors,
//! request parsing with limits, route tables with their access rules, opaque
//! cursors and the event queue.

pub mod access;
pub mod auth;
pub mod certificates;
pub mod config;
pub mod cursor;
pub mod http;
pub mod mail;
pub mod passwords;
pub mod precondition;
pub mod problem;
pub mod queue;
pub mod route;
pub mod signing;
pub mod telemetry;

pub use access::{Gate, audit_record, school_disabled, store_failed};
pub use auth::{Caller, Claims, TokenVerifier};
pub use config::{ConfigError, env_var};
pub use cursor::CursorSigner;
pub use passwords::Passwords;
pub use problem::{FieldError, Problem};
pub use route::{Access, Route};
pub use signing::{SigningKeys, TokenSigner};
