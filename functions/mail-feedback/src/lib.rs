//! The mail-feedback job: SES publishes the bounces and complaints of the
//! service's mail (every email goes through the `MailConfigurationSet`) to
//! an SNS topic, the topic delivers each to the `mail-feedback` queue, and
//! this function records them on the suppression list
//! ([`store::suppression`]). A permanent bounce or a complaint suppresses
//! the address, so `notify`, `send-certificate` and `auth` stop mailing it
//! until an operator lifts it (`classlights-operator mail unsuppress`); a
//! transient bounce is counted and suppresses nothing.
//!
//! The subscription keeps SNS's envelope (raw message delivery is off), so
//! each message body is an SNS notification whose `Message` is the SES
//! event as JSON. A body that is the SES event itself (raw delivery on) is
//! read too, so switching the subscription over loses nothing.
//!
//! Each event is counted once however often it arrives. A message that is
//! not an SES event fails alone and lands in the dead-letter queue after
//! five tries; other event types (deliveries, sends) are acknowledged and
//! ignored. Logs carry the SES message id and the first characters of each
//! address's digest, never an address.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use domain::Email;
use platform::ConfigError;
use serde::Deserialize;
use store::suppression::log_id;
use store::{Feedback, FeedbackKind, FeedbackOutcome, Store};

/// The longest SES message id accepted; SES's are about 60 characters.
const MAX_MESSAGE_ID_LEN: usize = 256;

/// What the function holds for its whole life: built once per cold start.
pub struct App {
    pub store: Store,
}

impl App {
    /// Reads `TABLE_NAME`.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let aws = platform::config::aws().await;
        Ok(Self {
            store: Store::new(
                aws_sdk_dynamodb::Client::new(&aws),
                platform::env_var("TABLE_NAME")?,
            ),
        })
    }
}

/// What invokes the function: a batch from the queue.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Invocation {
    Queue(SqsEvent),
}

/// Why a message could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    #[error("not an SES event notification this function reads")]
    Malformed,
    #[error("the store failed: {0}")]
    Store(#[from] store::StoreError),
}

impl FeedbackError {
    /// A short name for logs and alarms.
    pub fn kind(&self) -> &'static str {
        match self {
            FeedbackError::Malformed => "malformed",
            FeedbackError::Store(_) => "store",
        }
    }
}

/// What one SES event says about its recipients.
#[derive(Clone, PartialEq, Eq)]
pub struct Report {
    pub feedback: Feedback,
    pub recipients: Vec<Email>,
}

/// Addresses are personal data: debug output shows only how many.
impl std::fmt::Debug for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Report")
            .field("feedback", &self.feedback)
            .field("recipients", &self.recipients.len())
            .finish()
    }
}

/// What a message held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A bounce or complaint to record.
    Report(Report),
    /// An SES event of another type, or an SNS message that is not a
    /// notification: nothing to record.
    Ignored,
}

/// What one batch did: the answer for the queue, and the counts.
#[derive(Debug, Default)]
pub struct Handled {
    pub response: SqsBatchResponse,
    /// Recipients' events counted now.
    pub counted: usize,
    /// Of those, the ones that left the address suppressed.
    pub suppressed: usize,
    /// Recipients' events counted before.
    pub already_counted: usize,
    pub ignored: usize,
    pub failed: usize,
}

/// Records each message's event, one after another, and names the
/// messages to try again.
pub async fn handle(app: &App, event: SqsEvent) -> Handled {
    let mut handled = Handled::default();
    for record in event.records {
        let message_id = record.message_id.clone().unwrap_or_default();
        if let Err(error) = handle_message(app, &record, &mut handled).await {
            tracing::warn!(message_id = %message_id, error = error.kind(), "mail feedback not recorded; it will be tried again");
            handled.failed += 1;
            handled.response.add_failure(message_id);
        }
    }
    tracing::info!(
        counted = handled.counted,
        suppressed = handled.suppressed,
        already_counted = handled.already_counted,
        ignored = handled.ignored,
        failed = handled.failed,
        "mail feedback handled"
    );
    handled
}

async fn handle_message(
    app: &App,
    record: &SqsMessage,
    handled: &mut Handled,
) -> Result<(), FeedbackError> {
    let report = match parse(record.body.as_deref().unwrap_or_default())? {
        Parsed::Report(report) => report,
        Parsed::Ignored => {
            handled.ignored += 1;
            return Ok(());
        }
    };
    for address in &report.recipients {
        match app
            .store
            .record_mail_feedback(address, &report.feedback)
            .await?
        {
            FeedbackOutcome::Counted { suppressed } => {
                handled.counted += 1;
                handled.suppressed += usize::from(suppressed);
                tracing::info!(
                    address = %log_id(address),
                    ses_message = %report.feedback.message_id,
                    kind = report.feedback.kind.name(),
                    suppressed,
                    "mail feedback recorded"
                );
            }
            FeedbackOutcome::AlreadyCounted => handled.already_counted += 1,
        }
    }
    Ok(())
}

/// SNS's envelope around the SES event, as the queue receives it when raw
/// message delivery is off.
#[derive(Deserialize)]
struct SnsEnvelope {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Message")]
    message: String,
}

/// The parts of an SES event this function reads. SES adds fields as it
/// pleases, so unknown ones are allowed.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesEvent {
    /// `notificationType` in SES's older identity notifications.
    #[serde(alias = "notificationType")]
    event_type: String,
    mail: Mail,
    bounce: Option<Bounce>,
    complaint: Option<Complaint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mail {
    message_id: String,
    timestamp: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    bounced_recipients: Vec<Recipient>,
    timestamp: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    complained_recipients: Vec<Recipient>,
    timestamp: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
}

/// A message's SES event, from SNS's envelope or bare. The body is never
/// logged: it holds addresses.
pub fn parse(body: &str) -> Result<Parsed, FeedbackError> {
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|_| FeedbackError::Malformed)?;
    let event = if value.get("Type").is_some() {
        let envelope: SnsEnvelope =
            serde_json::from_value(value).map_err(|_| FeedbackError::Malformed)?;
        if envelope.kind != "Notification" {
            // A subscription confirmation or the like: SNS's business, not mail.
            return Ok(Parsed::Ignored);
        }
        serde_json::from_str::<SesEvent>(&envelope.message)
    } else {
        serde_json::from_value::<SesEvent>(value)
    }
    .map_err(|_| FeedbackError::Malformed)?;

    let message_id = event.mail.message_id;
    if message_id.is_empty()
        || message_id.len() > MAX_MESSAGE_ID_LEN
        || message_id
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(FeedbackError::Malformed);
    }
    let (kind, recipients, at) = match event.event_type.as_str() {
        "Bounce" => {
            let bounce = event.bounce.ok_or(FeedbackError::Malformed)?;
            let kind = match bounce.bounce_type.as_str() {
                "Permanent" => FeedbackKind::PermanentBounce,
                // SES could not tell: counted, but no reason to stop mailing.
                "Transient" | "Undetermined" => FeedbackKind::TransientBounce,
                _ => return Err(FeedbackError::Malformed),
            };
            (kind, bounce.bounced_recipients, bounce.timestamp)
        }
        "Complaint" => {
            let complaint = event.complaint.ok_or(FeedbackError::Malformed)?;
            (
                FeedbackKind::Complaint,
                complaint.complained_recipients,
                complaint.timestamp,
            )
        }
        _ => return Ok(Parsed::Ignored),
    };
    let recipients = recipients
        .iter()
        .map(|r| Email::parse(&r.email_address).map_err(|_| FeedbackError::Malformed))
        .collect::<Result<Vec<_>, _>>()?;
    if recipients.is_empty() {
        return Err(FeedbackError::Malformed);
    }
    Ok(Parsed::Report(Report {
        feedback: Feedback {
            kind,
            message_id,
            at: at.unwrap_or(event.mail.timestamp),
        },
        recipients,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bounce(kind: &str) -> serde_json::Value {
        json!({
            "eventType": "Bounce",
            "bounce": {
                "bounceType": kind,
                "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": "Tess.Brown@Riverside.example", "status": "5.1.1"}],
                "timestamp": "2026-12-07T08:01:02.345Z",
                "feedbackId": "0102feedback"
            },
            "mail": {
                "timestamp": "2026-12-07T08:00:59.000Z",
                "source": "no-reply@classlights.app",
                "messageId": "0102ses-message-1",
                "destination": ["tess.brown@riverside.example"]
            }
        })
    }

    fn wrapped(event: &serde_json::Value) -> String {
        json!({
            "Type": "Notification",
            "MessageId": "sns-1",
            "TopicArn": "arn:aws:sns:eu-west-2:123456789012:mail-feedback",
            "Message": event.to_string(),
            "Timestamp": "2026-12-07T08:01:03.000Z"
        })
        .to_string()
    }

    fn report(parsed: Parsed) -> Report {
        match parsed {
            Parsed::Report(report) => report,
            Parsed::Ignored => panic!("ignored"),
        }
    }

    #[test]
    fn a_permanent_bounce_names_its_recipient_lowercased_in_either_wrapping() {
        for body in [
            wrapped(&bounce("Permanent")),
            bounce("Permanent").to_string(),
        ] {
            let report = report(parse(&body).unwrap());
            assert_eq!(report.feedback.kind, FeedbackKind::PermanentBounce);
            assert_eq!(report.feedback.message_id, "0102ses-message-1");
            assert_eq!(
                report.feedback.at.to_rfc3339(),
                "2026-12-07T08:01:02.345+00:00"
            );
            assert_eq!(report.recipients.len(), 1);
            assert_eq!(
                report.recipients[0].as_str(),
                "tess.brown@riverside.example"
            );
        }
    }

    #[test]
    fn transient_and_undetermined_bounces_do_not_suppress() {
        for kind in ["Transient", "Undetermined"] {
            let report = report(parse(&wrapped(&bounce(kind))).unwrap());
            assert_eq!(report.feedback.kind, FeedbackKind::TransientBounce);
        }
    }

    #[test]
    fn a_complaint_without_its_own_time_takes_the_mails() {
        let event = json!({
            "notificationType": "Complaint",
            "complaint": {"complainedRecipients": [{"emailAddress": "a@b.example"}]},
            "mail": {"timestamp": "2026-12-07T08:00:59Z", "messageId": "m-2"}
        });
        let report = report(parse(&wrapped(&event)).unwrap());
        assert_eq!(report.feedback.kind, FeedbackKind::Complaint);
        assert_eq!(report.feedback.at.to_rfc3339(), "2026-12-07T08:00:59+00:00");
    }

    #[test]
    fn other_events_are_ignored_and_broken_ones_are_malformed() {
        let mut delivery = bounce("Permanent");
        delivery["eventType"] = json!("Delivery");
        assert_eq!(parse(&wrapped(&delivery)).unwrap(), Parsed::Ignored);
        let confirmation = json!({"Type": "SubscriptionConfirmation", "Message": "confirm"});
        assert_eq!(parse(&confirmation.to_string()).unwrap(), Parsed::Ignored);

        let mut no_recipients = bounce("Permanent");
        no_recipients["bounce"]["bouncedRecipients"] = json!([]);
        let mut bad_address = bounce("Permanent");
        bad_address["bounce"]["bouncedRecipients"][0]["emailAddress"] = json!("nobody");
        let mut odd_type = bounce("Sideways");
        odd_type["bounce"]["bounceType"] = json!("Sideways");
        let mut no_bounce = bounce("Permanent");
        no_bounce.as_object_mut().unwrap().remove("bounce");
        let mut bad_id = bounce("Permanent");
        bad_id["mail"]["messageId"] = json!("a b");
        for body in [
            "not json".to_owned(),
            json!({"Type": "Notification", "Message": "not json"}).to_string(),
            wrapped(&no_recipients),
            wrapped(&bad_address),
            wrapped(&odd_type),
            wrapped(&no_bounce),
            wrapped(&bad_id),
        ] {
            assert!(
                matches!(parse(&body), Err(FeedbackError::Malformed)),
                "{body}"
            );
        }
    }

    #[test]
    fn debug_output_shows_no_address() {
        let report = report(parse(&wrapped(&bounce("Permanent"))).unwrap());
        assert!(!format!("{report:?}").contains("riverside"));
    }
}
