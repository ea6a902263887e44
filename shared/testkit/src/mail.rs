//! Email as the emulator's SES received it: the sender is verified first,
//! as SES requires, and tests read what was sent to an address.

use serde_json::Value;

/// The address the functions send from in tests and the dev stack.
pub const SENDER: &str = "no-reply@classlights.test";

/// One email as sent.
#[derive(Debug, Clone)]
pub struct Sent {
    pub subject: String,
    pub body: String,
}

impl Sent {
    /// The six-digit code an email carries, if any.
    pub fn code(&self) -> Option<String> {
        let digits: Vec<char> = self.body.chars().collect();
        digits.windows(6).enumerate().find_map(|(at, window)| {
            let before = at.checked_sub(1).map(|i| digits[i]);
            let after = digits.get(at + 6);
            let whole = window.iter().all(char::is_ascii_digit)
                && !before.is_some_and(|c| c.is_ascii_digit())
                && !after.is_some_and(char::is_ascii_digit);
            whole.then(|| window.iter().collect())
        })
    }
}

/// Verifies the sending address with the emulator's SES.
pub async fn verify_sender(address: &str) {
    let config = crate::aws::config().await;
    let client = aws_sdk_sesv2::Client::new(&config);
    client
        .create_email_identity()
        .email_identity(address)
        .send()
        .await
        .ok();
}

/// A client for the functions' mail, sending from [`SENDER`], verified.
pub async fn ses_client() -> aws_sdk_sesv2::Client {
    verify_sender(SENDER).await;
    aws_sdk_sesv2::Client::new(&crate::aws::config().await)
}

/// Everything sent to `address`, oldest first, as the local emulator
/// (`infra/local/emulator.py`) lists it.
pub async fn sent_to(address: &str) -> Vec<Sent> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL is set");
    let sent: Vec<Value> = reqwest::Client::new()
        .get(format!(
            "{}/_local/sent-mail",
            endpoint.trim_end_matches('/')
        ))
        .query(&[("to", address)])
        .send()
        .await
        .expect("the emulator answers")
        .json()
        .await
        .expect("the emulator lists sent mail as JSON");
    sent.iter()
        .map(|m| Sent {
            subject: m["subject"].as_str().unwrap_or_default().to_owned(),
            body: m["body"]
                .as_str()
                .or_else(|| m["raw"].as_str())
                .unwrap_or_default()
                .to_owned(),
        })
        .collect()
}

/// The code in the latest email to `address`.
pub async fn latest_code(address: &str) -> Option<String> {
    sent_to(address).await.iter().rev().find_map(Sent::code)
}
