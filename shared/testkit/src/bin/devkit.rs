//! The dev stack's helper: makes a local signing key, seeds the demo school,
//! mints access tokens and signs sample events.
//!
//! ```text
//! devkit keygen --dir .local            # .local/signing-key, .local/jwks.json
//! devkit seed-demo [--school demo-school]   # also one account per role, see testkit::accounts
//! devkit token --role teacher [--school demo-school] [--user staff-teacher] [--key .local/signing-key] [--minutes 15]
//! devkit sign-event events/log-behaviour.json [--role teacher]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use domain::{Role, SchoolId, StaffId};
use store::Store;
use testkit::SigningKey;

const DEFAULT_SCHOOL: &str = "demo-school";

struct Args(Vec<String>);

impl Args {
    fn flag(&self, name: &str) -> Option<String> {
        let at = self.0.iter().position(|a| a == name)?;
        self.0.get(at + 1).cloned()
    }

    fn flag_or(&self, name: &str, default: &str) -> String {
        self.flag(name).unwrap_or_else(|| default.to_owned())
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args(std::env::args().skip(1).collect());
    let result = match args.0.first().map(String::as_str) {
        Some("keygen") => keygen(&args),
        Some("seed-demo") => seed_demo(&args).await,
        Some("token") => token(&args).map(|t| println!("{t}")),
        Some("sign-event") => sign_event(&args),
        _ => Err(
            "usage: devkit keygen|seed-demo|token|sign-event (see the source for flags)".to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("devkit: {message}");
            ExitCode::FAILURE
        }
    }
}

fn key_path(args: &Args) -> PathBuf {
    PathBuf::from(args.flag_or("--key", ".local/signing-key"))
}

fn keygen(args: &Args) -> Result<(), String> {
    let dir = PathBuf::from(args.flag_or("--dir", ".local"));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let key = SigningKey::generate();
    key.save(&dir.join("signing-key"))
        .map_err(|e| e.to_string())?;
    std::fs::write(dir.join("jwks.json"), key.jwks()).map_err(|e| e.to_string())?;
    eprintln!(
        "devkit: wrote {0}/signing-key and {0}/jwks.json",
        dir.display()
    );
    Ok(())
}

async fn seed_demo(args: &Args) -> Result<(), String> {
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set".to_owned())?;
    let school =
        SchoolId::parse(&args.flag_or("--school", DEFAULT_SCHOOL)).map_err(|e| e.to_string())?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let store = Store::new(aws_sdk_dynamodb::Client::new(&config), table);
    let terms = std::env::var("TERMS_VERSION")
        .map_err(|_| "TERMS_VERSION is not set (the parents' terms in force)".to_owned())?;
    let demo = testkit::seed_school(&store, &school, "Riverside Academy").await;
    testkit::accounts::seed_demo_accounts(&store, &school, &terms).await;
    let sizes: Vec<String> = demo
        .classes
        .iter()
        .map(|c| format!("{} ({} pupils)", c.id, c.members.len()))
        .collect();
    eprintln!(
        "devkit: seeded school {} with classes {}",
        demo.id,
        sizes.join(", ")
    );
    Ok(())
}

fn token(args: &Args) -> Result<String, String> {
    let key = SigningKey::load(&key_path(args))
        .map_err(|e| format!("cannot read the signing key: {e}"))?;
    let role: Role = serde_json::from_value(serde_json::json!(args.flag_or("--role", "teacher")))
        .map_err(|_| "unknown role".to_owned())?;
    let default_user = if role == Role::Teacher {
        "staff-teacher"
    } else {
        "staff-head"
    };
    let school =
        SchoolId::parse(&args.flag_or("--school", DEFAULT_SCHOOL)).map_err(|e| e.to_string())?;
    let user = StaffId::parse(&args.flag_or("--user", default_user)).map_err(|e| e.to_string())?;
    let minutes: i64 = args
        .flag_or("--minutes", "15")
        .parse()
        .ok()
        .filter(|m| (1..=24 * 60).contains(m))
        .ok_or("--minutes must be a whole number from 1 to 1440")?;
    Ok(key.sign(&testkit::tokens::claims(&school, &user, role, minutes * 60)))
}

fn sign_event(args: &Args) -> Result<(), String> {
    let path = args.0.get(1).ok_or("name the event file")?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let mut event: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let token = token(args)?;
    event["headers"]["authorization"] = serde_json::json!(format!("Bearer {token}"));
    println!("{event}");
    Ok(())
}
