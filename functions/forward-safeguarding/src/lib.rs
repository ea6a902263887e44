//! The safeguarding job: each message on the `safeguarding` queue names one
//! delivery (`{"schoolId", "incidentId", "version"}`), a version of a
//! safeguarding concern that was submitted or edited after submission. This
//! function posts that version as JSON to the school's webhook, signed with
//! HMAC-SHA256 over the body under the school's secret:
//!
//! | header | value |
//! | --- | --- |
//! | `X-Classlights-Signature` | `sha256=<hex of the HMAC of the body>` |
//! | `X-Classlights-Delivery` | the delivery id, `<form>-v<version>`, the same on every try |
//! | `X-Classlights-Timestamp` | when this try was sent, in seconds since the epoch |
//!
//! Any 2xx answer acknowledges it: the delivery is recorded `delivered`
//! once, and a message delivered again sends nothing. Anything else (an
//! error status, no answer within the timeout, a school with no webhook)
//! records the try as `failed` with the kind of failure (never a response
//! body) and names the message as a batch failure: SQS hands it back after
//! the visibility timeout, and after five receives moves it to the
//! dead-letter queue.
//!
//! The school's DSLs get one email per delivery, claimed before it is sent
//! like the certificate emails: when it is acknowledged, or when its last
//! try fails. It says what happened and links to the form, never the
//! narrative.
//!
//! Every two minutes the same function runs on a schedule and queues any
//! delivery whose first send to the queue failed (it waits on the `outbox`
//! index until then).

use std::time::Duration as StdDuration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use domain::{Role, SchoolId, WebhookUrl};
use hmac::{Hmac, Mac};
use platform::ConfigError;
use platform::queue::EventQueue;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use store::{
    AccountStatus, Attempt, Delivery, DeliveryEmailClaim, DeliveryState, IncidentVersion,
    SafeguardingMessage, SafeguardingSettings, Store,
};

/// How long the school's system has to answer one try.
pub const WEBHOOK_TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// How long one try holds a delivery's email: longer than the function
/// may run.
const CLAIM: Duration = Duration::minutes(2);

/// Deliveries younger than this are left to the function that made them
/// to queue.
const GRACE: Duration = Duration::seconds(60);

/// What the function holds for its whole life: built once per cold start.
pub struct App {
    pub store: Store,
    pub ses: aws_sdk_sesv2::Client,
    /// The service's sending address.
    pub from: String,
    pub configuration_set: Option<String>,
    /// The `safeguarding` queue, for the sweep.
    pub queue: EventQueue,
    pub http: reqwest::Client,
    /// Where staff open a form: `<portal>/incidents/<id>`.
    pub portal_url: String,
    /// Whether `http://127.0.0.1` and `localhost` webhooks are allowed
    /// (`SAFEGUARDING_ALLOW_LOCAL_HTTP=true`, only on a developer's machine).
    pub allow_local_http: bool,
    /// How many receives the queue allows before the dead-letter queue; the
    /// try that fails on the last one tells the DSL.
    pub max_receives: u32,
}

/// The webhook client: a timeout on every try, and no redirects (a
/// redirect could lead a signed concern anywhere).
pub fn webhook_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(WEBHOOK_TIMEOUT)
        .connect_timeout(StdDuration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("the TLS backend initialises")
}

impl App {
    /// Reads `TABLE_NAME`, `MAIL_FROM`, `SAFEGUARDING_QUEUE_URL`,
    /// `PORTAL_URL` and, if set, `MAIL_CONFIGURATION_SET`,
    /// `SAFEGUARDING_ALLOW_LOCAL_HTTP` and `SAFEGUARDING_MAX_RECEIVES`.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let aws = platform::config::aws().await;
        let max_receives = match std::env::var("SAFEGUARDING_MAX_RECEIVES") {
            Ok(raw) if !raw.is_empty() => raw.parse().map_err(|_| ConfigError::Invalid {
                name: "SAFEGUARDING_MAX_RECEIVES",
                why: "must be a whole number".into(),
            })?,
            _ => 5,
        };
        let allow_local_http = match std::env::var("SAFEGUARDING_ALLOW_LOCAL_HTTP").as_deref() {
            Err(_) | Ok("") | Ok("false") => false,
            Ok("true") => true,
            Ok(_) => {
                return Err(ConfigError::Invalid {
                    name: "SAFEGUARDING_ALLOW_LOCAL_HTTP",
                    why: "must be true or false".into(),
                });
            }
        };
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
            queue: EventQueue::from_env(aws_sdk_sqs::Client::new(&aws), "SAFEGUARDING_QUEUE_URL")?,
            http: webhook_client(),
            portal_url: platform::env_var("PORTAL_URL")?
                .trim_end_matches('/')
                .to_owned(),
            allow_local_http,
            max_receives,
        })
    }
}

/// What invokes the function: a tick of the sweep, or a batch.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Invocation {
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
pub enum Forwarded {
    /// The school's system acknowledged it now.
    Delivered,
    /// It was acknowledged before: nothing was sent.
    AlreadyDelivered,
}

/// Why a message must be tried again.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error("not a safeguarding message")]
    Malformed,
    #[error("no such delivery or form version")]
    Missing,
    #[error("the school's system did not acknowledge it: {0}")]
    Refused(String),
    #[error("the store failed: {0}")]
    Store(#[from] store::StoreError),
    #[error("SES refused or failed the email")]
    Ses,
    #[error("another try is emailing the DSL")]
    Busy,
}

impl ForwardError {
    /// A short name for logs and alarms.
    pub fn kind(&self) -> &str {
        match self {
            ForwardError::Malformed => "malformed",
            ForwardError::Missing => "missing",
            ForwardError::Refused(kind) => kind,
            ForwardError::Store(_) => "store",
            ForwardError::Ses => "ses",
            ForwardError::Busy => "busy",
        }
    }
}

/// Forwards each message's delivery, one after another, and names the
/// messages to try again.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        if let Err(error) = handle_message(app, &record).await {
            tracing::warn!(message_id = %id, error = error.kind(), "safeguarding delivery not made; it will be tried again");
            response.add_failure(id);
        }
    }
    response
}

/// How many times SQS has handed this message out, this time included.
fn receive_count(record: &SqsMessage) -> u32 {
    record
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

async fn handle_message(app: &App, record: &SqsMessage) -> Result<Forwarded, ForwardError> {
    let message: SafeguardingMessage =
        serde_json::from_str(record.body.as_deref().unwrap_or_default())
            .map_err(|_| ForwardError::Malformed)?;
    let last_try = receive_count(record) >= app.max_receives;
    forward(app, &message, last_try, Utc::now()).await
}

/// Makes one delivery, unless it was acknowledged before. `last_try` says
/// that SQS will not hand the message out again if this try fails.
pub async fn forward(
    app: &App,
    message: &SafeguardingMessage,
    last_try: bool,
    now: DateTime<Utc>,
) -> Result<Forwarded, ForwardError> {
    let school = &message.school_id;
    let incident = &message.incident_id;
    let delivery = app
        .store
        .delivery(school, incident, message.version)
        .await?
        .ok_or(ForwardError::Missing)?;
    if delivery.state == DeliveryState::Delivered {
        tell_dsl(app, school, &delivery).await?;
        return Ok(Forwarded::AlreadyDelivered);
    }
    let version = app
        .store
        .incident_version(school, incident, message.version)
        .await?
        .ok_or(ForwardError::Missing)?;

    let settings = app.store.safeguarding_settings(school).await?;
    let attempt = match &settings {
        Some(settings) => post(app, school, settings, &version, &delivery.id, now).await?,
        None => Attempt::Failed("not-configured".to_owned()),
    };
    let recorded = app
        .store
        .record_delivery_attempt(school, incident, message.version, &attempt)
        .await?
        .ok_or(ForwardError::Missing)?;

    match attempt {
        Attempt::Acknowledged(_) => {
            tracing::info!(school = %school, delivery = %delivery.id, attempts = recorded.attempts, "safeguarding concern delivered");
            tell_dsl(app, school, &recorded).await?;
            Ok(Forwarded::Delivered)
        }
        Attempt::Failed(kind) => {
            tracing::warn!(school = %school, delivery = %delivery.id, attempts = recorded.attempts, error = %kind, last_try, "safeguarding concern not delivered");
            if last_try {
                tell_dsl(app, school, &recorded).await?;
            }
            Err(ForwardError::Refused(kind))
        }
    }
}

/// The document the school's system receives.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a> {
    delivery_id: &'a str,
    sent_at: String,
    school: SchoolPart,
    incident: &'a IncidentVersion,
    /// The pupils' names and year groups as the roster has them now.
    pupils: Vec<PupilPart>,
    /// The staff's names as the roster has them now.
    staff: Vec<StaffPart>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SchoolPart {
    id: String,
    name: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PupilPart {
    pupil_id: String,
    name: Option<String>,
    year_group: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StaffPart {
    staff_id: String,
    name: Option<String>,
}

/// The signature header's value for a body under a secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// One try: the signed POST, and how it ended. Store failures are the
/// only errors; whatever the school's system does is an [`Attempt`].
async fn post(
    app: &App,
    school: &SchoolId,
    settings: &SafeguardingSettings,
    version: &IncidentVersion,
    delivery: &str,
    now: DateTime<Utc>,
) -> Result<Attempt, ForwardError> {
    let Ok(url) = WebhookUrl::parse(&settings.webhook_url, app.allow_local_http) else {
        return Ok(Attempt::Failed("url-refused".to_owned()));
    };
    let name = app.store.school(school).await?.map(|(s, _)| s.name);
    let mut pupils = Vec::new();
    for pupil in &version.content.pupils {
        let found = app.store.directory_pupil(school, &pupil.pupil_id).await?;
        pupils.push(PupilPart {
            pupil_id: pupil.pupil_id.to_string(),
            name: found.as_ref().map(|p| p.display_name()),
            year_group: found.map(|p| p.year_group),
        });
    }
    let mut staff = Vec::new();
    for id in &version.content.staff_ids {
        let found = app.store.staff_member(school, id).await?;
        staff.push(StaffPart {
            staff_id: id.to_string(),
            name: found.map(|m| {
                format!("{} {}", m.first_name, m.last_name)
                    .trim()
                    .to_owned()
            }),
        });
    }
    let document = Document {
        delivery_id: delivery,
        sent_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        school: SchoolPart {
            id: school.to_string(),
            name,
        },
        incident: version,
        pupils,
        staff,
    };
    let body = serde_json::to_vec(&document).expect("a document is JSON");
    let sent = app
        .http
        .post(url.as_str())
        .header("content-type", "application/json")
        .header(
            "x-classlights-signature",
            signature(&settings.secret, &body),
        )
        .header("x-classlights-delivery", delivery)
        .header("x-classlights-timestamp", now.timestamp().to_string())
        .body(body)
        .send()
        .await;
    Ok(match sent {
        Ok(response) if response.status().is_success() => Attempt::Acknowledged(now),
        Ok(response) => Attempt::Failed(format!("status-{}", response.status().as_u16())),
        Err(error) if error.is_timeout() => Attempt::Failed("timeout".to_owned()),
        Err(error) if error.is_connect() => Attempt::Failed("connect".to_owned()),
        Err(_) => Attempt::Failed("request".to_owned()),
    })
}

/// Emails the school's DSLs about a delivery, once: claimed, sent, then
/// recorded as sent.
async fn tell_dsl(app: &App, school: &SchoolId, delivery: &Delivery) -> Result<(), ForwardError> {
    let incident = &delivery.incident_id;
    match app
        .store
        .claim_delivery_email(school, incident, delivery.version, Utc::now(), CLAIM)
        .await?
    {
        DeliveryEmailClaim::Claimed => {}
        DeliveryEmailClaim::Done => return Ok(()),
        DeliveryEmailClaim::Busy => return Err(ForwardError::Busy),
    }
    match email_dsl(app, school, delivery).await {
        Ok(sent) => {
            app.store
                .finish_delivery_email(school, incident, delivery.version, Utc::now())
                .await?;
            tracing::info!(school = %school, delivery = %delivery.id, recipients = sent, "DSL told of a safeguarding delivery");
            Ok(())
        }
        Err(error) => {
            if let Err(release) = app
                .store
                .release_delivery_email(school, incident, delivery.version)
                .await
            {
                tracing::warn!(error = %release, "claim left to run out");
            }
            Err(error)
        }
    }
}

/// Sends the email to every active DSL account; answers how many.
async fn email_dsl(
    app: &App,
    school: &SchoolId,
    delivery: &Delivery,
) -> Result<usize, ForwardError> {
    let dsls: Vec<domain::Email> = app
        .store
        .staff_accounts(school)
        .await?
        .into_iter()
        .filter(|a| a.status == AccountStatus::Active && a.roles.contains(Role::Dsl))
        .map(|a| a.email)
        .collect();
    // An address that bounced for good or complained is not mailed again;
    // the warning lets an operator see that a DSL cannot be reached.
    let suppressed = app.store.suppressed_addresses(&dsls).await?;
    if !suppressed.is_empty() {
        tracing::warn!(school = %school, delivery = %delivery.id, suppressed = suppressed.len(), "a DSL's address is on the suppression list and is not emailed");
    }
    let mut to: Vec<String> = dsls
        .iter()
        .filter(|a| !suppressed.contains(a))
        .map(|a| a.as_str().to_owned())
        .collect();
    to.sort();
    to.dedup();
    if to.is_empty() {
        tracing::warn!(school = %school, delivery = %delivery.id, "the school has no DSL account to tell");
        return Ok(0);
    }
    let version = app
        .store
        .incident_version(school, &delivery.incident_id, delivery.version)
        .await?
        .ok_or(ForwardError::Missing)?;
    let school_name = app
        .store
        .school(school)
        .await?
        .map(|(s, _)| s.name)
        .unwrap_or_default();
    let letter = letter(app, &school_name, delivery, &version);
    let content = |text: String| Content::builder().data(text).charset("UTF-8").build();
    let message = Message::builder()
        .subject(content(letter.0).map_err(|_| ForwardError::Ses)?)
        .body(
            Body::builder()
                .text(content(letter.1).map_err(|_| ForwardError::Ses)?)
                .build(),
        )
        .build();
    app.ses
        .send_email()
        .from_email_address(&app.from)
        .set_configuration_set_name(app.configuration_set.clone())
        .destination(
            Destination::builder()
                .set_to_addresses(Some(to.clone()))
                .build(),
        )
        .content(EmailContent::builder().simple(message).build())
        .send()
        .await
        .map_err(|error| {
            tracing::error!(
                error = %aws_sdk_sesv2::error::DisplayErrorContext(&error),
                "SES did not take a DSL email"
            );
            ForwardError::Ses
        })?;
    Ok(to.len())
}

/// The subject and text of the DSL's email: the facts and a link, never
/// the narrative or the pupils' names.
fn letter(
    app: &App,
    school_name: &str,
    delivery: &Delivery,
    version: &IncidentVersion,
) -> (String, String) {
    let link = format!("{}/incidents/{}", app.portal_url, delivery.incident_id);
    let when = version
        .content
        .occurred_at
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    let pupils = version.content.pupils.len();
    let facts = format!(
        "School: {school_name}\nForm: {} (version {})\nCategory: {}\nWhen: {when}\nPupils named: {pupils}\nDelivery: {}\nTries: {}\n\nOpen the form: {link}\n",
        delivery.incident_id,
        delivery.version,
        version.content.category,
        delivery.id,
        delivery.attempts,
    );
    match delivery.state {
        DeliveryState::Delivered => (
            "Safeguarding concern forwarded".to_owned(),
            format!(
                "A safeguarding concern was forwarded to your safeguarding system, which acknowledged it.\n\n{facts}"
            ),
        ),
        DeliveryState::Failed | DeliveryState::Pending => (
            "Safeguarding concern NOT forwarded".to_owned(),
            format!(
                "A safeguarding concern could not be forwarded to your safeguarding system after {} tries (last failure: {}). Please record it there by hand, and check the school's safeguarding settings.\n\n{facts}",
                delivery.attempts,
                delivery.last_error.as_deref().unwrap_or("unknown"),
            ),
        ),
    }
}

/// Puts back on the queue the deliveries made before `now` less a grace
/// period whose message never reached it.
pub async fn sweep(app: &App, now: DateTime<Utc>) -> Result<SweepReport, store::StoreError> {
    let waiting = app.store.unqueued_deliveries(now - GRACE, 100).await?;
    let mut report = SweepReport::default();
    for message in waiting {
        match app.queue.send(message.body()).await {
            Ok(()) => {
                app.store
                    .mark_delivery_queued(&message.school_id, &message.incident_id, message.version)
                    .await?;
                report.queued += 1;
            }
            Err(error) => {
                tracing::warn!(school = %message.school_id, error = %error, "delivery still not queued");
                report.failed += 1;
            }
        }
    }
    if report.queued + report.failed > 0 {
        tracing::info!(
            queued = report.queued,
            failed = report.failed,
            "unqueued safeguarding deliveries swept"
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn ticks_and_batches_are_told_apart() {
        let tick: Invocation = serde_json::from_value(serde_json::json!({
            "detail-type": "Scheduled Event",
            "time": "2026-12-03T09:00:00Z",
            "source": "aws.events",
        }))
        .unwrap();
        assert!(matches!(tick, Invocation::Tick(_)));
        let batch: Invocation = serde_json::from_value(serde_json::json!({"Records": []})).unwrap();
        assert!(matches!(batch, Invocation::Queue(_)));
    }
}
