//! The operator's command: invitations that only the service's operators
//! may send, and the token signing keys. It runs with the operator's own
//! AWS credentials against one region's stack.
//!
//! ```text
//! classlights-operator invite-admin --school <id> --email <work email>
//! classlights-operator invite-support --email <address>
//! classlights-operator keys init|jwks|add|promote <kid>|retire <kid>
//! classlights-operator mail status|unsuppress <address>
//! ```
//!
//! `mail unsuppress` lifts an address's suppression once the person has
//! mended their mailbox (SES reported it bouncing for good, or them
//! complaining, and nothing has been sent to it since); `mail status` shows
//! where an address stands. It reads `TABLE_NAME`, `MAIL_FROM` and
//! `SIGNING_KEYS_SECRET_ARN` from the environment, as the auth function
//! does.

use std::process::ExitCode;

use auth::mail;
use auth::secrets::{digest, new_code};
use chrono::Utc;
use domain::{Email, Role, Roles, SchoolId};
use platform::SigningKeys;
use store::{CodePurpose, OneTimeCode, Store};

/// How long an invitation lasts.
const INVITATION_DAYS: i64 = 7;

struct Args(Vec<String>);

impl Args {
    fn flag(&self, name: &str) -> Result<String, String> {
        let at = self
            .0
            .iter()
            .position(|a| a == name)
            .ok_or(format!("{name} is required"))?;
        self.0
            .get(at + 1)
            .cloned()
            .ok_or(format!("{name} needs a value"))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args(std::env::args().skip(1).collect());
    let aws = platform::config::aws().await;
    let result = match args.0.first().map(String::as_str) {
        Some("invite-admin") => invite_admin(&aws, &args).await,
        Some("invite-support") => invite_support(&aws, &args).await,
        Some("keys") => keys(&aws, &args).await,
        Some("mail") => mail_suppression(&aws, &args).await,
        _ => Err(
            "usage: classlights-operator invite-admin --school <id> --email <address> | \
                  invite-support --email <address> | keys init|jwks|add|promote <kid>|retire <kid> | \
                  mail status|unsuppress <address>"
                .to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("classlights-operator: {message}");
            ExitCode::FAILURE
        }
    }
}

fn env(name: &'static str) -> Result<String, String> {
    platform::env_var(name).map_err(|e| e.to_string())
}

fn store(aws: &aws_config::SdkConfig) -> Result<Store, String> {
    Ok(Store::new(
        aws_sdk_dynamodb::Client::new(aws),
        env("TABLE_NAME")?,
    ))
}

fn mailer(aws: &aws_config::SdkConfig) -> Result<auth::Mailer, String> {
    Ok(auth::Mailer::new(
        aws_sdk_sesv2::Client::new(aws),
        env("MAIL_FROM")?,
    ))
}

async fn send_invitation(
    aws: &aws_config::SdkConfig,
    address: &Email,
    code: OneTimeCode,
    school_name: &str,
) -> Result<(), String> {
    let store = store(aws)?;
    if !store
        .suppressed_addresses(std::slice::from_ref(address))
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        return Err(
            "that address is on the suppression list (it bounced or complained); once the \
             mailbox is mended, run `classlights-operator mail unsuppress` and invite again"
                .into(),
        );
    }
    let plain = new_code();
    let code = OneTimeCode {
        code_hash: digest(&plain),
        ..code
    };
    store
        .put_code(address, &code)
        .await
        .map_err(|e| e.to_string())?;
    mailer(aws)?
        .send(
            address,
            mail::invitation(&plain, school_name, INVITATION_DAYS),
        )
        .await?;
    eprintln!("classlights-operator: invitation sent; it expires in {INVITATION_DAYS} days");
    Ok(())
}

async fn invite_admin(aws: &aws_config::SdkConfig, args: &Args) -> Result<(), String> {
    let school = SchoolId::parse(&args.flag("--school")?).map_err(|e| format!("--school {e}"))?;
    let address = Email::parse(&args.flag("--email")?).map_err(|e| format!("--email {e}"))?;
    let store = store(aws)?;
    let (settings, _) = store
        .school(&school)
        .await
        .map_err(|e| e.to_string())?
        .ok_or(format!("no school {school} is set up in this region"))?;
    let member = store
        .staff_by_email(&address)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|(s, _)| *s == school)
        .map(|(_, member)| member)
        .ok_or("the school's roster holds no member of staff with that work email")?;
    if store
        .account_by_email(&address)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Err(
            "that address already has an account; its school's admins can grant it the admin role"
                .into(),
        );
    }
    let code = OneTimeCode {
        purpose: CodePurpose::Invite,
        code_hash: String::new(),
        attempts_left: 5,
        expires_at: Utc::now().timestamp() + INVITATION_DAYS * 86_400,
        school_id: Some(school),
        user_id: Some(member.id.to_string()),
        roles: Some(Roles::new([Role::Teacher, Role::Admin])),
    };
    send_invitation(aws, &address, code, &settings.name).await
}

async fn invite_support(aws: &aws_config::SdkConfig, args: &Args) -> Result<(), String> {
    let address = Email::parse(&args.flag("--email")?).map_err(|e| format!("--email {e}"))?;
    let code = OneTimeCode {
        purpose: CodePurpose::Invite,
        code_hash: String::new(),
        attempts_left: 5,
        expires_at: Utc::now().timestamp() + INVITATION_DAYS * 86_400,
        school_id: None,
        user_id: Some(format!(
            "support-{}",
            ulid::Ulid::new().to_string().to_lowercase()
        )),
        roles: Some(Roles::new([Role::Support])),
    };
    send_invitation(aws, &address, code, "Classlights support").await
}

/// Where an address stands on the suppression list, and lifting it.
async fn mail_suppression(aws: &aws_config::SdkConfig, args: &Args) -> Result<(), String> {
    let usage = || "mail status|unsuppress <address>".to_owned();
    let step = args.0.get(1).map(String::as_str);
    let address = args.0.get(2).ok_or_else(usage)?;
    let address = Email::parse(address).map_err(|e| format!("<address> {e}"))?;
    let store = store(aws)?;
    match step {
        Some("status") => {
            match store
                .suppression(&address)
                .await
                .map_err(|e| e.to_string())?
            {
                None => println!("no bounce or complaint recorded"),
                Some(found) => println!(
                    "suppressed: {}; reason: {}; bounces: {}, transient bounces: {}, \
                     complaints: {}; first: {}; last: {}{}",
                    found.suppressed,
                    found.reason.as_deref().unwrap_or("none"),
                    found.bounces,
                    found.transient_bounces,
                    found.complaints,
                    found.first_at.to_rfc3339(),
                    found.last_at.to_rfc3339(),
                    found
                        .lifted_at
                        .map(|at| format!("; last lifted: {}", at.to_rfc3339()))
                        .unwrap_or_default(),
                ),
            }
            Ok(())
        }
        Some("unsuppress") => {
            let lifted = store
                .lift_suppression(&address, Utc::now())
                .await
                .map_err(|e| e.to_string())?;
            if lifted {
                eprintln!("classlights-operator: suppression lifted; mail to the address resumes");
            } else {
                eprintln!("classlights-operator: the address was not suppressed; nothing changed");
            }
            Ok(())
        }
        _ => Err(usage()),
    }
}

/// Keys are rotated in three steps, each followed by a deploy that passes
/// the printed JWKS to every function: `add` (verifiers learn the new key),
/// `promote` (the auth function signs with it), and, once the old key's last
/// tokens have expired, `retire`.
async fn keys(aws: &aws_config::SdkConfig, args: &Args) -> Result<(), String> {
    let client = aws_sdk_secretsmanager::Client::new(aws);
    let secret = env("SIGNING_KEYS_SECRET_ARN")?;
    let prefix = aws
        .region()
        .map_or_else(|| "key".to_owned(), ToString::to_string);
    let step = args.0.get(1).map(String::as_str);
    if step == Some("init") {
        let keys = SigningKeys::generate(&prefix);
        client
            .put_secret_value()
            .secret_id(&secret)
            .secret_string(keys.to_json())
            .send()
            .await
            .map_err(|e| aws_sdk_secretsmanager::error::DisplayErrorContext(&e).to_string())?;
        println!("{}", keys.jwks());
        return Ok(());
    }

    let current = client
        .get_secret_value()
        .secret_id(&secret)
        .send()
        .await
        .map_err(|e| aws_sdk_secretsmanager::error::DisplayErrorContext(&e).to_string())?;
    let mut keys = SigningKeys::from_json(current.secret_string().unwrap_or_default())
        .map_err(|e| e.to_string())?;
    let kid = || {
        args.0
            .get(2)
            .cloned()
            .ok_or_else(|| "name the key id".to_owned())
    };
    match step {
        Some("jwks") => {
            println!("{}", keys.jwks());
            return Ok(());
        }
        Some("add") => {
            let added = keys.add(&prefix);
            eprintln!(
                "classlights-operator: added {added}; deploy the JWKS below, then promote it"
            );
        }
        Some("promote") => keys.promote(&kid()?).map_err(|e| e.to_string())?,
        Some("retire") => keys.retire(&kid()?).map_err(|e| e.to_string())?,
        _ => return Err("keys init|jwks|add|promote <kid>|retire <kid>".into()),
    }
    client
        .put_secret_value()
        .secret_id(&secret)
        .secret_string(keys.to_json())
        .send()
        .await
        .map_err(|e| aws_sdk_secretsmanager::error::DisplayErrorContext(&e).to_string())?;
    println!("{}", keys.jwks());
    Ok(())
}
