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

/// SQS takes at most this many messages in one `SendMessageBatch`.
pub const SEND_BATCH_LIMIT: usize = 10;

impl EventQueue {
    /// Sends the bodies in batches of ten, and returns how many did not
    /// reach the queue: a batch that fails as a whole counts all of its
    /// messages, a batch that partly fails only those SQS names.
    pub async fn send_all(&self, bodies: &[String]) -> usize {
        let mut failed = 0;
        for chunk in bodies.chunks(SEND_BATCH_LIMIT) {
            let entries = chunk.iter().enumerate().map(|(index, body)| {
                aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .message_body(body)
                    .build()
                    .expect("an id and a body are set")
            });
            match self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries.collect()))
                .send()
                .await
            {
                Ok(output) => failed += output.failed.len(),
                Err(error) => {
                    tracing::warn!(
                        error = %aws_sdk_sqs::error::DisplayErrorContext(error),
                        messages = chunk.len(),
                        "a batch did not reach the queue"
                    );
                    failed += chunk.len();
                }
            }
        }
        failed
    }
}
