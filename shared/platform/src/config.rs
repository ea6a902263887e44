//! Reading configuration from the environment, failing with the name of
//! whatever is missing rather than a panic.

/// A setting that is missing or unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {why}")]
    Invalid { name: &'static str, why: String },
}

/// A required environment variable.
pub fn env_var(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError::Missing(name)),
    }
}

/// The AWS configuration every function shares: region, credentials and,
/// locally, the emulator's endpoint from `AWS_ENDPOINT_URL`.
pub async fn aws() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}
