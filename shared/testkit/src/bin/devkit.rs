//! The dev stack's helper: makes a local signing key, seeds the demo school,
//! mints access tokens and signs sample events.
//!
//! ```text
//! devkit keygen --dir .local            # .local/signing-key, .local/jwks.json
//! devkit seed-demo [--school demo-school]   # also one account per role, see testkit::accounts
//! devkit token --role teacher [--school demo-school] [--user staff-teacher] [--key .local/signing-key] [--minutes 15]
//! devkit sign-event events/log-behaviour.json [--role teacher]
//! devkit fake-wonde --port 5006 --token-file .local/wonde-token [--school-id A1930499544 --pupils 600 --staff 60 --classes 360]
//! devkit wait-sync --school <id> [--seconds 600]   # until a roster sync of the school completes
//! devkit demo-accounts --school <id>   # the demo accounts on a roster synced from Wonde
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
        Some("fake-wonde") => fake_wonde(&args).await,
        Some("wait-sync") => wait_sync(&args).await,
        Some("demo-accounts") => demo_accounts(&args).await,
        _ => Err(
            "usage: devkit keygen|seed-demo|token|sign-event|fake-wonde|wait-sync|demo-accounts \
             (see the source for flags)"
                .to_owned(),
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

/// The table named by `TABLE_NAME`, through the SDK's usual configuration.
async fn store() -> Result<Store, String> {
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set".to_owned())?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    Ok(Store::new(aws_sdk_dynamodb::Client::new(&config), table))
}

fn terms_version() -> Result<String, String> {
    std::env::var("TERMS_VERSION")
        .map_err(|_| "TERMS_VERSION is not set (the parents' terms in force)".to_owned())
}

fn number(args: &Args, name: &str, default: usize) -> Result<usize, String> {
    args.flag_or(name, &default.to_string())
        .parse()
        .map_err(|_| format!("{name} must be a whole number"))
}

async fn seed_demo(args: &Args) -> Result<(), String> {
    let school =
        SchoolId::parse(&args.flag_or("--school", DEFAULT_SCHOOL)).map_err(|e| e.to_string())?;
    let store = store().await?;
    let terms = terms_version()?;
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

/// Serves the demo school as Wonde would, with the demo staff room on its
/// roster, until stopped.
async fn fake_wonde(args: &Args) -> Result<(), String> {
    let port: u16 = args
        .flag_or("--port", "5006")
        .parse()
        .map_err(|_| "--port must be a port number")?;
    let token_file = args.flag_or("--token-file", ".local/wonde-token");
    let token = std::fs::read_to_string(&token_file)
        .map_err(|e| format!("cannot read the Wonde token from {token_file}: {e}"))?;
    let defaults = testkit::wonde::SchoolSpec::default();
    let spec = testkit::wonde::SchoolSpec {
        id: args.flag_or("--school-id", &defaults.id),
        pupils: number(args, "--pupils", 600)?,
        staff: number(args, "--staff", 60)?,
        classes: number(args, "--classes", 360)?,
        staff_room: testkit::accounts::staff_room(),
        ..defaults
    };
    let (pupils, staff, classes) = (spec.pupils, spec.staff, spec.classes);
    let fake =
        testkit::wonde::FakeWonde::start_on(([127, 0, 0, 1], port).into(), token.trim(), spec)
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    eprintln!(
        "devkit: fake Wonde at {} serving school {} ({pupils} pupils, {staff} staff, {classes} classes)",
        fake.base_url(),
        fake.school_id()
    );
    // Serves until the process is stopped.
    std::future::pending::<()>().await;
    drop(fake);
    Ok(())
}

/// Waits until a roster sync of the school has completed, and says what it
/// wrote; fails on timeout or if the last run failed after the wait began.
async fn wait_sync(args: &Args) -> Result<(), String> {
    let school = SchoolId::parse(&args.flag("--school").ok_or("name the --school")?)
        .map_err(|e| e.to_string())?;
    let seconds = number(args, "--seconds", 600)?;
    let store = store().await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds as u64);
    loop {
        let runs = store
            .sync_runs(&school)
            .await
            .map_err(|e| format!("reading the sync runs: {e}"))?;
        if let Some(run) = runs
            .iter()
            .find(|run| run.outcome == store::RunOutcome::Completed)
        {
            eprintln!(
                "devkit: {:?} sync of {school} completed in {} ms: {} pupils, {} staff, {} classes read; {} Wonde requests, {} table writes",
                run.kind,
                run.duration_ms,
                run.pupils_read,
                run.staff_read,
                run.classes_read,
                run.wonde_requests,
                run.table_writes
            );
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            let last = runs
                .last()
                .and_then(|run| run.error.clone())
                .unwrap_or_else(|| "no run recorded".to_owned());
            return Err(format!(
                "no sync of {school} completed within {seconds} s (last: {last})"
            ));
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// Opens the demo accounts on the roster the sync wrote, and prints each
/// account's role and user id as `role=user` lines for scripts.
async fn demo_accounts(args: &Args) -> Result<(), String> {
    let school = SchoolId::parse(&args.flag("--school").ok_or("name the --school")?)
        .map_err(|e| e.to_string())?;
    let store = store().await?;
    let opened =
        testkit::accounts::open_demo_accounts_on_roster(&store, &school, &terms_version()?).await?;
    for (demo, user) in opened {
        let role = serde_json::to_value(demo.role).map_err(|e| e.to_string())?;
        println!("{}={user}", role.as_str().unwrap_or_default());
    }
    Ok(())
}
