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

/// How long the SDK waits to connect to an AWS service.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
/// How long one attempt of a call may take before it is abandoned and tried
/// again on a fresh connection: a stuck connection never holds a request
/// until API Gateway gives up on it (29 s).
pub const ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(8);
/// How long a call may take with all its attempts.
pub const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(25);

/// The AWS configuration every function shares: region, credentials, the
/// timeouts above and, locally, the emulator's endpoint from
/// `AWS_ENDPOINT_URL`.
pub async fn aws() -> aws_config::SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(CALL_TIMEOUT)
        .build();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(timeouts)
        .load()
        .await
}

/// The value of the Secrets Manager secret whose id the environment variable
/// `name` holds, read once at cold start. The value never appears in an
/// error.
pub async fn secret(
    aws: &aws_config::SdkConfig,
    name: &'static str,
) -> Result<String, ConfigError> {
    let secret_id = env_var(name)?;
    let secret = aws_sdk_secretsmanager::Client::new(aws)
        .get_secret_value()
        .secret_id(&secret_id)
        .send()
        .await
        .map_err(|error| ConfigError::Invalid {
            name,
            why: format!(
                "the secret cannot be read: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(&error)
            ),
        })?;
    Ok(secret.secret_string().unwrap_or_default().to_owned())
}
