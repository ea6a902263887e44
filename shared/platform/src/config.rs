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
