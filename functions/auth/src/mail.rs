//! The emails the auth function sends, through SES. Codes appear in the
//! email and nowhere else: never in a log. An address on the suppression
//! list (it bounced for good or complained; see `functions/mail-feedback`)
//! is not mailed, and the caller's answer does not change, so nothing tells
//! them whether an address is known or suppressed.

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use domain::Email;
use store::Store;

/// Sends email from the service's address.
pub struct Mailer {
    client: aws_sdk_sesv2::Client,
    from: String,
}

/// What an email says.
pub struct Letter {
    pub subject: String,
    pub text: String,
}

impl Mailer {
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> Self {
        Self {
            client,
            from: from.into(),
        }
    }

    /// Whether the address is on the suppression list; logged (by its
    /// digest's prefix) when it is. If the list cannot be read the answer
    /// is no: a code that never arrives costs the person more than one
    /// more bounce costs us.
    pub async fn suppressed(&self, store: &Store, to: &Email) -> bool {
        match store.suppressed_addresses(std::slice::from_ref(to)).await {
            Ok(suppressed) if !suppressed.is_empty() => {
                tracing::info!(
                    suppressed = suppressed.len(),
                    address = %store::suppression::log_id(to),
                    "email to a suppressed address not sent"
                );
                true
            }
            Ok(_) => false,
            Err(error) => {
                tracing::warn!(error = %error, "suppression list unread; sending anyway");
                false
            }
        }
    }

    /// Sends a letter unless the address is on the suppression list; `Ok`
    /// either way, so callers answer alike.
    pub async fn send_unless_suppressed(
        &self,
        store: &Store,
        to: &Email,
        letter: Letter,
    ) -> Result<(), String> {
        if self.suppressed(store, to).await {
            return Ok(());
        }
        self.send(to, letter).await
    }

    /// Sends a letter. A failure is logged and reported; the caller decides
    /// whether it matters.
    pub async fn send(&self, to: &Email, letter: Letter) -> Result<(), String> {
        let content = |text: String| Content::builder().data(text).charset("UTF-8").build();
        let message = Message::builder()
            .subject(content(letter.subject).map_err(|e| e.to_string())?)
            .body(
                Body::builder()
                    .text(content(letter.text).map_err(|e| e.to_string())?)
                    .build(),
            )
            .build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to.as_str()).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|error| {
                let error = aws_sdk_sesv2::error::DisplayErrorContext(&error).to_string();
                tracing::error!(error, "an email could not be sent");
                error
            })
    }
}

/// The code that proves an address at sign-up.
pub fn verify_code(code: &str, minutes: i64) -> Letter {
    Letter {
        subject: "Your Classlights sign-up code".into(),
        text: format!(
            "Your code is {code}.\n\nEnter it in Classlights within {minutes} minutes to \
             finish signing up. If you did not ask for this, ignore this email."
        ),
    }
}

/// The code that resets a forgotten password.
pub fn reset_code(code: &str, minutes: i64) -> Letter {
    Letter {
        subject: "Reset your Classlights password".into(),
        text: format!(
            "Your code is {code}.\n\nEnter it in Classlights within {minutes} minutes to \
             choose a new password. Every device signed in to your account will be signed \
             out. If you did not ask for this, ignore this email: your password stays as it is."
        ),
    }
}

/// Someone tried to sign up with an address that already has an account.
pub fn already_registered() -> Letter {
    Letter {
        subject: "You already have a Classlights account".into(),
        text: "Someone, probably you, tried to sign up to Classlights with this address, \
               which already has an account. Sign in, or use 'Forgot password' to choose \
               a new password. If it was not you, you need do nothing."
            .into(),
    }
}

/// An operator's invitation to a school's first admin, or to vendor support.
pub fn invitation(code: &str, school_name: &str, days: i64) -> Letter {
    Letter {
        subject: format!("You are invited to run Classlights for {school_name}"),
        text: format!(
            "You have been invited to be an administrator of Classlights for {school_name}.\n\n\
             Your invitation code is {code}. Use it with this email address to choose your \
             password within {days} days; you can then give your colleagues their roles."
        ),
    }
}
