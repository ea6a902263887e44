//! Handing a finished email to SES. Each job builds its own MIME message
//! (text, HTML, attachments); this sends it from the service's address
//! through the configuration set that reports bounces and complaints.

use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{EmailContent, RawMessage};

/// SES did not take the message; the details are in the log line.
#[derive(Debug, thiserror::Error)]
#[error("SES did not take the email")]
pub struct NotSent;

/// Sends a raw MIME message. `what` names the email in the log line of a
/// failure ("a certificate email"); the message itself is never logged.
pub async fn send_raw(
    ses: &aws_sdk_sesv2::Client,
    from: &str,
    configuration_set: Option<&str>,
    raw: Vec<u8>,
    what: &str,
) -> Result<(), NotSent> {
    let message = RawMessage::builder()
        .data(Blob::new(raw))
        .build()
        .map_err(|_| NotSent)?;
    ses.send_email()
        .from_email_address(from)
        .set_configuration_set_name(configuration_set.map(str::to_owned))
        .content(EmailContent::builder().raw(message).build())
        .send()
        .await
        .map_err(|error| {
            tracing::error!(
                error = %aws_sdk_sesv2::error::DisplayErrorContext(&error),
                "SES did not take {what}"
            );
            NotSent
        })?;
    Ok(())
}
