//! Sending events to an SQS queue.

use aws_sdk_sqs::Client;

use crate::config::{ConfigError, env_var};

/// Why a message did not reach the queue.
#[derive(Debug, thiserror::Error)]
#[error("could not send to the queue: {0}")]
pub struct SendError(String);

/// One queue that a function publishes to.
#[derive(Clone)]
pub struct EventQueue {
    client: Client,
    url: String,
}

impl EventQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    /// The queue whose URL is in the named environment variable.
    pub fn from_env(client: Client, variable: &'static str) -> Result<Self, ConfigError> {
        Ok(Self::new(client, env_var(variable)?))
    }

    /// Sends one message body.
    pub async fn send(&self, body: String) -> Result<(), SendError> {
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| SendError(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))
    }
}
