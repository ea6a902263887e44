//! The certificate job: each message on the `certificates` queue names one
//! certificate (`{"schoolId": "...", "certificateId": "..."}`); this
//! function renders it as a PDF and emails it through SES to the staff it
//! names. A certificate's email is claimed before it is sent and recorded
//! as sent after, each with a condition, so a message delivered twice sends
//! one email. A message that fails is named in the batch's failures, tried
//! again, and after five tries lands in the dead-letter queue; the rest of
//! its batch goes on.
//!
//! The same function runs every two minutes on a schedule and puts back on
//! the queue any certificate whose first send to it failed (its item stays
//! on the `outbox` index until its message is on the queue).
//!
//! A second schedule, every half hour, runs the daily green-streak check
//! ([`streaks`]).
//!
//! Who gets the email: the pupil's form tutors (from the roster), and the
//! member of staff who awarded it or, for one earned by points, whoever
//! logged the behaviour that earned it. Parents follow once they can link
//! to their children. Addresses on the suppression list (they bounced for
//! good or complained; see `functions/mail-feedback`) are left out and
//! counted on the certificate; with every one suppressed, the certificate's
//! email is marked `suppressed` and nothing is sent.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Duration, Utc};
use domain::{Email, SchoolId};
use platform::ConfigError;
use platform::queue::EventQueue;
use serde::{Deserialize, Serialize};
use store::{Certificate, CertificateMessage, EmailClaim, EmailStatus, Store};

pub mod streaks;

/// How long one delivery holds a certificate's email: longer than the
/// function may run.
const CLAIM: Duration = Duration::minutes(2);

/// Certificates younger than this are left to the function that awarded
/// them to queue.
const GRACE: Duration = Duration::seconds(60);

/// What the function holds for its whole life: built once per cold start.
pub struct App {
    pub store: Store,
    pub ses: aws_sdk_sesv2::Client,
    /// The service's sending address.
    pub from: String,
    /// The SES configuration set the mail goes through, if any.
    pub configuration_set: Option<String>,
    /// The `certificates` queue, for the sweep.
    pub queue: EventQueue,
}

impl App {
    /// Reads `TABLE_NAME`, `MAIL_FROM`, `CERTIFICATES_QUEUE_URL` and,
    /// if set, `MAIL_CONFIGURATION_SET`.
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
            queue: EventQueue::from_env(aws_sdk_sqs::Client::new(&aws), "CERTIFICATES_QUEUE_URL")?,
        })
    }
}

/// What invokes the function: a batch from the queue, a tick, or the
/// streak schedule.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Invocation {
    StreakCheck(streaks::StreakCheck),
    Tick(Tick),
    Queue(SqsEvent),
}

/// The part of a scheduled event the sweep reads.
#[derive(Debug, Deserialize)]
pub struct Tick {
    #[serde(rename = "detail-type")]
    pub detail_type: TickKind,
    pub time: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
pub enum TickKind {
    #[serde(rename = "Scheduled Event")]
    Scheduled,
}

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    pub queued: usize,
    pub failed: usize,
}

/// How one message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Sent before, or nobody to send it to.
    NothingToDo,
    /// Nobody named on it has a work email; recorded, not retried.
    NoRecipient,
    /// Everybody it goes to is on the suppression list; recorded, not
    /// retried.
    Suppressed,
}

/// Why a message must be tried again.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("not a certificate message")]
    Malformed,
    #[error("no such certificate")]
    Missing,
    #[error("another delivery is sending it")]
    Busy,
    #[error("the school is not set up")]
    NoSchool,
    #[error("the store failed: {0}")]
    Store(#[from] store::StoreError),
    #[error("the email could not be written: {0}")]
    Letter(#[from] certificate::MailError),
    #[error("SES refused or failed the email")]
    Ses,
}

impl DeliveryError {
    /// A short name for logs and alarms.
    pub fn kind(&self) -> &'static str {
        match self {
            DeliveryError::Malformed => "malformed",
            DeliveryError::Missing => "missing",
            DeliveryError::Busy => "busy",
            DeliveryError::NoSchool => "no-school",
            DeliveryError::Store(_) => "store",
            DeliveryError::Letter(_) => "letter",
            DeliveryError::Ses => "ses",
        }
    }
}

/// Sends each message's certificate, one after another, and names the
/// messages to try again.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        if let Err(error) = handle_message(app, &record).await {
            tracing::warn!(message_id = %id, error = error.kind(), "certificate not sent; it will be tried again");
            response.add_failure(id);
        }
    }
    response
}

async fn handle_message(app: &App, record: &SqsMessage) -> Result<Delivery, DeliveryError> {
    let message: CertificateMessage =
        serde_json::from_str(record.body.as_deref().unwrap_or_default())
            .map_err(|_| DeliveryError::Malformed)?;
    deliver(app, &message, Utc::now()).await
}

/// Renders and emails one certificate, unless it was sent already.
pub async fn deliver(
    app: &App,
    message: &CertificateMessage,
    now: DateTime<Utc>,
) -> Result<Delivery, DeliveryError> {
    let school = &message.school_id;
    let id = &message.certificate_id;
    let certificate = match app
        .store
        .claim_certificate_email(school, id, now, CLAIM)
        .await?
    {
        EmailClaim::Claimed(certificate) => *certificate,
        EmailClaim::Done => return Ok(Delivery::NothingToDo),
        EmailClaim::Busy => return Err(DeliveryError::Busy),
        EmailClaim::Missing => return Err(DeliveryError::Missing),
    };

    match send(app, school, &certificate).await {
        Ok(Sending { status, suppressed }) => {
            app.store
                .finish_certificate_email(school, id, status, suppressed, Utc::now())
                .await?;
            tracing::info!(school = %school, certificate = %id, status = ?status, suppressed, "certificate emailed");
            Ok(match status {
                EmailStatus::NoRecipient => Delivery::NoRecipient,
                EmailStatus::Suppressed => Delivery::Suppressed,
                _ => Delivery::Sent,
            })
        }
        Err(error) => {
            if let Err(release) = app.store.release_certificate_email(school, id).await {
                tracing::warn!(error = %release, "claim left to run out");
            }
            Err(error)
        }
    }
}

/// How one certificate's email ended, and how many of its recipients were
/// left out as suppressed.
struct Sending {
    status: EmailStatus,
    suppressed: usize,
}

/// Renders the certificate and hands the email to SES.
async fn send(
    app: &App,
    school: &SchoolId,
    certificate: &Certificate,
) -> Result<Sending, DeliveryError> {
    let (settings, policy) = app
        .store
        .school(school)
        .await?
        .ok_or(DeliveryError::NoSchool)?;
    let mut to: Vec<Email> = Vec::new();
    // The pupil's form tutors hand certificates over; whoever awarded it
    // (or logged the behaviour that earned it) gets it too.
    let form = app
        .store
        .directory_pupil(school, &certificate.pupil_id)
        .await?
        .and_then(|pupil| pupil.registration_group);
    if let Some(form) = form {
        for tutor in app.store.tutors_of(school, &form).await? {
            to.extend(tutor.email);
        }
    }
    for staff in &certificate.notify {
        if let Some(member) = app.store.staff_member(school, staff).await?
            && let Some(email) = member.email
        {
            to.push(email);
        }
    }
    to.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    to.dedup();
    if to.is_empty() {
        return Ok(Sending {
            status: EmailStatus::NoRecipient,
            suppressed: 0,
        });
    }
    let suppressed = app.store.suppressed_addresses(&to).await?;
    to.retain(|address| !suppressed.contains(address));
    if to.is_empty() {
        return Ok(Sending {
            status: EmailStatus::Suppressed,
            suppressed: suppressed.len(),
        });
    }

    let sheet = certificate::Sheet::of(
        certificate,
        &settings.name,
        settings.zone()?,
        &policy.colours,
    );
    let pdf = certificate::render(&sheet);
    let letter = certificate::Letter {
        from: app.from.clone(),
        to: to.iter().map(|email| email.as_str().to_owned()).collect(),
        subject: format!(
            "Certificate: {} for {}",
            certificate.name, certificate.pupil_name
        ),
        text: format!(
            "{} has been awarded the certificate \"{}\" at {}.\n\n\
             It is attached, ready to print and hand over.\n",
            certificate.pupil_name, certificate.name, settings.name
        ),
        file_name: certificate::file_name(&certificate.pupil_name, &certificate.name),
        pdf,
    };
    let raw = certificate::letter_bytes(&letter)?;
    platform::mail::send_raw(
        &app.ses,
        &app.from,
        app.configuration_set.as_deref(),
        raw,
        "a certificate email",
    )
    .await
    .map_err(|_| DeliveryError::Ses)?;
    Ok(Sending {
        status: EmailStatus::Sent,
        suppressed: suppressed.len(),
    })
}

/// Puts back on the queue the certificates awarded before `now` less a
/// grace period whose message never reached it.
pub async fn sweep(app: &App, now: DateTime<Utc>) -> Result<SweepReport, store::StoreError> {
    let waiting = app.store.unqueued_certificates(now - GRACE, 100).await?;
    let mut report = SweepReport::default();
    for message in waiting {
        match app.queue.send(message.body()).await {
            Ok(()) => {
                app.store
                    .mark_certificate_queued(&message.school_id, &message.certificate_id)
                    .await?;
                report.queued += 1;
            }
            Err(error) => {
                tracing::warn!(school = %message.school_id, error = %error, "certificate still not queued");
                report.failed += 1;
            }
        }
    }
    if report.queued + report.failed > 0 {
        tracing::info!(
            queued = report.queued,
            failed = report.failed,
            "unqueued certificates swept"
        );
    }
    Ok(report)
}
