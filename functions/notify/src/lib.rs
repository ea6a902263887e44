//! The notify job: the one place where queued notifications become emails.
//! Each message on the `notifications` queue is one [`Notification`] for
//! one member of staff (today the weekly summary that `compute-charts`
//! queues for each senior leader on Monday mornings). This function finds
//! their work email on the roster, checks that they still want this kind
//! of email and may still receive mail from us, renders it and sends it
//! through SES.
//!
//! A notification is claimed before its email is sent and marked sent
//! after, each with a condition ([`store::notifications`]), so a message
//! queued twice or delivered twice sends one email. Someone who switched
//! the kind off, has no work email, has no active account, or whose school
//! revoked our access is skipped: the message succeeds and sends nothing.
//! So is someone whose work address is on the suppression list (SES
//! reported it bouncing for good, or them complaining; see
//! `functions/mail-feedback`): their notification is recorded as skipped,
//! so a redelivery does not try again.
//! A message that can never be sent (not JSON, an unknown kind, a bad id)
//! and one that failed for now are named in the batch's failures, so the
//! rest of the batch goes on; after five tries a message lands in the
//! dead-letter queue. Logs carry message, notification, school and staff
//! ids, never an address or what the email says.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Duration, Utc};
use domain::Notification;
use mail_builder::MessageBuilder;
use platform::ConfigError;
use serde::Deserialize;
use store::{AccountKey, AccountKind, AccountStatus, NotificationClaim, SchoolStatus, Store};

pub mod weekly;

/// How long one delivery holds a notification: longer than the function
/// may run (30 s), shorter than the queue's visibility timeout (180 s), so
/// a delivery that died is retried by the next one.
const CLAIM: Duration = Duration::minutes(2);

/// The longest notification id accepted: room for a kind, a school id, a
/// date and a staff id (64 characters each at most), well inside a key.
const MAX_ID_LEN: usize = 256;

/// What the function holds for its whole life: built once per cold start.
pub struct App {
    pub store: Store,
    pub ses: aws_sdk_sesv2::Client,
    /// The service's sending address.
    pub from: String,
    /// The SES configuration set the mail goes through, if any.
    pub configuration_set: Option<String>,
}

impl App {
    /// Reads `TABLE_NAME`, `MAIL_FROM` and, if set, `MAIL_CONFIGURATION_SET`.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let aws = platform::config::aws().await;
        Ok(Self {
            store: Store::new(
                aws_sdk_dynamodb::Client::new(&aws),
                platform::env_var("TABLE_NAME")?,
            ),
            ses: aws_sdk_sesv2::Client::new(&aws),
            from: platform::env_var("MAIL_FROM")?,
            configuration_set: std::env::var("MAIL_CONFIGURATION_SET")
                .ok()
                .filter(|s| !s.is_empty()),
        })
    }
}

/// What invokes the function: today only a batch from the queue.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Invocation {
    Queue(SqsEvent),
}

/// An email as written, before it is addressed.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Emails say what a school's week was: debug output shows none of it.
impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("text_bytes", &self.text.len())
            .field("html_bytes", &self.html.len())
            .finish_non_exhaustive()
    }
}

/// How one notification ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// An earlier delivery sent it.
    AlreadySent,
    /// Nothing was sent, on purpose.
    Skipped(Skip),
}

/// Why a notification was not sent. None of these is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// The member of staff switched this kind of email off.
    SwitchedOff,
    /// The roster holds no work email for them (or no longer lists them).
    NoEmail,
    /// They have no account, or have not proved their address yet.
    NoAccount,
    /// The school turned their account off.
    AccountDisabled,
    /// The school revoked our access.
    SchoolDisabled,
    /// Their work address bounced for good or complained: it is on the
    /// suppression list.
    Suppressed,
}

impl Skip {
    /// A short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Skip::SwitchedOff => "switched-off",
            Skip::NoEmail => "no-email",
            Skip::NoAccount => "no-account",
            Skip::AccountDisabled => "account-disabled",
            Skip::SchoolDisabled => "school-disabled",
            Skip::Suppressed => "suppressed",
        }
    }
}

/// Why a message must be tried again, or can never be sent.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("not a notification this function knows")]
    Malformed,
    #[error("another delivery is sending it")]
    Busy,
    #[error("the store failed: {0}")]
    Store(#[from] store::StoreError),
    #[error("the email could not be written: {0}")]
    Letter(#[from] std::io::Error),
    #[error("SES refused or failed the email")]
    Ses,
}

impl DeliveryError {
    /// A short name for logs and alarms.
    pub fn kind(&self) -> &'static str {
        match self {
            DeliveryError::Malformed => "malformed",
            DeliveryError::Busy => "busy",
            DeliveryError::Store(_) => "store",
            DeliveryError::Letter(_) => "letter",
            DeliveryError::Ses => "ses",
        }
    }
}

/// What one batch did: the answer for the queue, and the counts.
#[derive(Debug, Default)]
pub struct Handled {
    pub response: SqsBatchResponse,
    pub sent: usize,
    pub already_sent: usize,
    pub skipped: usize,
    pub failed: usize,
}

/// Delivers each message's notification, one after another, and names the
/// messages to try again.
pub async fn handle(app: &App, event: SqsEvent) -> Handled {
    let mut handled = Handled::default();
    for record in event.records {
        let message_id = record.message_id.clone().unwrap_or_default();
        match handle_message(app, &record).await {
            Ok(Delivery::Sent) => handled.sent += 1,
            Ok(Delivery::AlreadySent) => handled.already_sent += 1,
            Ok(Delivery::Skipped(_)) => handled.skipped += 1,
            Err(error) => {
                tracing::warn!(message_id = %message_id, error = error.kind(), "notification not sent; it will be tried again");
                handled.failed += 1;
                handled.response.add_failure(message_id);
            }
        }
    }
    tracing::info!(
        sent = handled.sent,
        already_sent = handled.already_sent,
        skipped = handled.skipped,
        failed = handled.failed,
        "notifications handled"
    );
    handled
}

async fn handle_message(app: &App, record: &SqsMessage) -> Result<Delivery, DeliveryError> {
    let notification = parse(record.body.as_deref().unwrap_or_default())?;
    // Boxed: the four reads at once make a future too deeply nested for the
    // compiler to lay out inline in the runtime's.
    Box::pin(deliver(app, &notification, Utc::now())).await
}

/// A message's notification, if it is one this function can send. The
/// body is never logged: it may say more than ids.
pub fn parse(body: &str) -> Result<Notification, DeliveryError> {
    let notification: Notification =
        serde_json::from_str(body).map_err(|_| DeliveryError::Malformed)?;
    let id = notification.id();
    let fits = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if fits {
        Ok(notification)
    } else {
        Err(DeliveryError::Malformed)
    }
}

/// Sends one notification's email, unless it was sent already or there is
/// a reason not to.
pub async fn deliver(
    app: &App,
    notification: &Notification,
    now: DateTime<Utc>,
) -> Result<Delivery, DeliveryError> {
    let school = notification.school_id();
    let staff = notification.staff_id();
    let id = notification.id();
    let kind = notification.kind();

    let to = match recipient(app, notification).await? {
        Ok(to) => to,
        Err(skip) => {
            tracing::info!(school = %school, staff = %staff, notification = id, kind = kind.name(), reason = skip.name(), "notification skipped");
            return Ok(Delivery::Skipped(skip));
        }
    };

    if !app
        .store
        .suppressed_addresses(std::slice::from_ref(&to))
        .await?
        .is_empty()
    {
        app.store
            .skip_notification(school, staff, id, kind, Skip::Suppressed.name(), now)
            .await?;
        tracing::info!(school = %school, staff = %staff, notification = id, kind = kind.name(), reason = Skip::Suppressed.name(), "notification skipped");
        return Ok(Delivery::Skipped(Skip::Suppressed));
    }

    match app
        .store
        .claim_notification(school, staff, id, kind, now, CLAIM)
        .await?
    {
        NotificationClaim::Claimed => {}
        NotificationClaim::Done => return Ok(Delivery::AlreadySent),
        NotificationClaim::Busy => return Err(DeliveryError::Busy),
    }

    if let Err(error) = send(app, to.as_str(), &render(notification)).await {
        if let Err(release) = app.store.release_notification(school, staff, id).await {
            tracing::warn!(error = %release, "claim left to run out");
        }
        return Err(error);
    }

    // SES has the email: failing the message now would only send it again.
    if let Err(error) = app
        .store
        .finish_notification(school, staff, id, Utc::now())
        .await
    {
        tracing::error!(school = %school, staff = %staff, notification = id, error = %error, "notification sent but not recorded as sent");
    }
    tracing::info!(school = %school, staff = %staff, notification = id, kind = kind.name(), "notification emailed");
    Ok(Delivery::Sent)
}

/// The work email to send to, or why there is none.
async fn recipient(
    app: &App,
    notification: &Notification,
) -> Result<Result<domain::Email, Skip>, DeliveryError> {
    let school = notification.school_id();
    let staff = notification.staff_id();
    let account_key = AccountKey::of(AccountKind::Staff, Some(school), staff.as_str());
    let (status, preferences, member, account) = tokio::try_join!(
        app.store.school_status(school),
        app.store.notification_preferences(school, staff),
        app.store.staff_member(school, staff),
        app.store.account(&account_key),
    )?;

    if status == SchoolStatus::Disabled {
        return Ok(Err(Skip::SchoolDisabled));
    }
    if !preferences.allows(notification.kind()) {
        return Ok(Err(Skip::SwitchedOff));
    }
    match account.map(|a| a.status) {
        None | Some(AccountStatus::Pending) => return Ok(Err(Skip::NoAccount)),
        Some(AccountStatus::Disabled) => return Ok(Err(Skip::AccountDisabled)),
        Some(AccountStatus::Active) => {}
    }
    Ok(member.and_then(|member| member.email).ok_or(Skip::NoEmail))
}

/// The email a notification asks for.
pub fn render(notification: &Notification) -> Email {
    match notification {
        Notification::WeeklySummary { summary, .. } => weekly::email(summary),
    }
}

/// The email as a MIME message with a plain-text and an HTML part.
pub fn message_bytes(from: &str, to: &str, email: &Email) -> Result<Vec<u8>, std::io::Error> {
    MessageBuilder::new()
        .from(from)
        .to(to)
        .subject(email.subject.as_str())
        // Tells mail servers and autoresponders that no one typed it.
        .header(
            "Auto-Submitted",
            mail_builder::headers::raw::Raw::new("auto-generated"),
        )
        .text_body(email.text.as_str())
        .html_body(email.html.as_str())
        .write_to_vec()
}

/// Hands the email to SES.
async fn send(app: &App, to: &str, email: &Email) -> Result<(), DeliveryError> {
    let raw = message_bytes(&app.from, to, email)?;
    platform::mail::send_raw(
        &app.ses,
        &app.from,
        app.configuration_set.as_deref(),
        raw,
        "a notification email",
    )
    .await
    .map_err(|_| DeliveryError::Ses)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(id: &str) -> String {
        let sample = include_str!("../../../events/notify-batch.json");
        let event: SqsEvent = serde_json::from_str(sample).unwrap();
        let mut value: serde_json::Value =
            serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
        value["id"] = serde_json::Value::String(id.to_owned());
        value.to_string()
    }

    #[test]
    fn ids_as_compute_charts_writes_them_are_accepted_and_odd_ones_are_not() {
        let longest = format!(
            "weekly-summary:{}:2026-11-30:{}",
            "s".repeat(64),
            "t".repeat(64)
        );
        for id in ["weekly-summary:riverside:2026-11-30:staff-head", &longest] {
            assert_eq!(parse(&body(id)).unwrap().id(), id);
        }
        for id in ["", "a b", "week#1", "x\n", &"x".repeat(MAX_ID_LEN + 1)] {
            assert!(
                matches!(parse(&body(id)), Err(DeliveryError::Malformed)),
                "{id:?}"
            );
        }
    }
}
