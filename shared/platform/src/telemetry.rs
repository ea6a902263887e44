//! Logs as one JSON object per line, filtered by `RUST_LOG`. Log fields carry
//! ids only: never names, emails or notes.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber once per process.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .try_init();
}
