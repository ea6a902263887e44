//! Cold start: a release `bootstrap` started as Lambda starts it, against
//! the stand-in Runtime API, timed from spawn to its first answer posted.

use std::fs::File;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::process::Command;

use crate::logging::{Bench, CURSOR_KEY, Lesson, SCENARIOS, ms};
use crate::runtime_api::{FakeRuntimeApi, Signal};

/// Processes started per function; each is one cold start.
pub const RUNS: usize = 10;

/// How long one process may take to answer before the run counts as failed.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Which function a bootstrap is, since each needs its own event and setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// The behaviour function logging a class of 30 against the emulator.
    Behaviour,
    /// The echo function.
    Hello,
}

impl Function {
    pub fn name(self) -> &'static str {
        match self {
            Function::Behaviour => "behaviour",
            Function::Hello => "hello",
        }
    }
}

/// One cold start.
#[derive(Debug, Clone)]
pub struct Run {
    /// Spawn to the first `next` request: the function's own initialisation.
    pub init: Duration,
    /// Spawn to the answer posted.
    pub answered: Duration,
    /// Peak resident memory (VmHWM) just after answering, in KiB.
    pub peak_rss_kib: Option<u64>,
}

impl Run {
    pub fn to_json(&self) -> Value {
        json!({
            "initMs": ms(self.init),
            "firstResponseMs": ms(self.answered),
            "peakRssKiB": self.peak_rss_kib,
        })
    }
}

/// Starts `bootstrap` `RUNS` times, one event each, writing its output to
/// `log`.
pub async fn measure(
    bench: &Bench,
    function: Function,
    bootstrap: &Path,
    log: &Path,
) -> Result<Vec<Run>, String> {
    let mut runs = Vec::with_capacity(RUNS);
    for run in 0..RUNS {
        let request_id = format!("bench-{}-{run:03}", function.name());
        let measured = match function {
            Function::Hello => {
                let event = json!({ "greeting": "hello", "run": run });
                start_once(function, bootstrap, log, &request_id, event, Vec::new()).await
            }
            Function::Behaviour => {
                let lesson = bench.lesson(&format!("bench-cold-{run:03}")).await;
                let (event, env) = behaviour_event(bench, &lesson);
                let measured = start_once(function, bootstrap, log, &request_id, event, env).await;
                lesson.end().await;
                measured
            }
        };
        runs.push(measured?);
    }
    Ok(runs)
}

/// An API Gateway event that logs a class of 30 in the lesson's school, and
/// the configuration the function reads at start.
fn behaviour_event(bench: &Bench, lesson: &Lesson) -> (Value, Vec<(String, String)>) {
    let event = bench.log_request(&lesson.school, SCENARIOS[1]).event();
    let endpoint = crate::emulator::endpoint();
    let env = [
        ("TABLE_NAME", lesson.table.name.clone()),
        ("BEHAVIOUR_EVENTS_QUEUE_URL", lesson.queue.url.clone()),
        ("ACCESS_TOKEN_JWKS", bench.key.jwks()),
        ("ACCESS_TOKEN_ISSUER", testkit::tokens::ISSUER.to_owned()),
        (
            "ACCESS_TOKEN_AUDIENCE",
            testkit::tokens::AUDIENCE.to_owned(),
        ),
        ("CURSOR_KEY", CURSOR_KEY.to_owned()),
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_REGION", "eu-west-2".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    (
        event,
        env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    )
}

async fn start_once(
    function: Function,
    bootstrap: &Path,
    log: &Path,
    request_id: &str,
    event: Value,
    env: Vec<(String, String)>,
) -> Result<Run, String> {
    let invoked = invoke_once(&Launch {
        name: function.name(),
        bootstrap,
        log,
        request_id,
        event,
        env,
        timeout: TIMEOUT,
    })
    .await?;
    check_answer(function, &invoked.answer)?;
    Ok(invoked.run)
}

/// One process of a bootstrap, started as Lambda starts it, given one event.
pub struct Launch<'a> {
    /// The function's name, as Lambda would tell it.
    pub name: &'a str,
    pub bootstrap: &'a Path,
    /// Where the process's output goes (appended).
    pub log: &'a Path,
    pub request_id: &'a str,
    pub event: Value,
    /// The function's configuration, on top of what Lambda itself sets.
    pub env: Vec<(String, String)>,
    /// How long the process may take to answer before the run counts as
    /// failed.
    pub timeout: Duration,
}

/// What one process did with its event.
pub struct Invoked {
    pub run: Run,
    /// The body the function posted as its answer.
    pub answer: Vec<u8>,
}

/// Starts the bootstrap, hands it the event through a fresh stand-in
/// Runtime API, and ends the process once it has answered.
pub async fn invoke_once(launch: &Launch<'_>) -> Result<Invoked, String> {
    let name = launch.name;
    let mut api = FakeRuntimeApi::start(
        launch.event.to_string().into_bytes(),
        launch.request_id,
        name,
    )
    .await
    .map_err(|e| format!("the stand-in Runtime API could not listen: {e}"))?;
    let log = launch.log;
    let output = File::options()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let errors = output.try_clone().map_err(|e| e.to_string())?;

    // Only what Lambda itself sets, plus the function's configuration.
    let mut command = Command::new(launch.bootstrap);
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("TZ", ":UTC")
        .envs(launch.env.iter().cloned())
        .stdin(Stdio::null())
        .stdout(Stdio::from(output))
        .stderr(Stdio::from(errors))
        .kill_on_drop(true);

    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", launch.bootstrap.display()))?;
    let pid = child.id();
    let mut init = None;
    let outcome = loop {
        tokio::select! {
            signal = api.signals.recv() => match signal {
                Some(Signal::Polled(at)) => {
                    init.get_or_insert(at - started);
                }
                Some(Signal::Answered { at, body }) => break Ok((at - started, body)),
                Some(Signal::Failed { path, body }) => {
                    let body = String::from_utf8_lossy(&body);
                    break Err(format!("{name} reported an error to {path}: {body}"));
                }
                None => break Err("the stand-in Runtime API stopped".to_owned()),
            },
            status = child.wait() => {
                let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
                break Err(format!("{name} exited unanswered ({status}); see {}", log.display()));
            }
            () = tokio::time::sleep_until((started + launch.timeout).into()) => {
                let timeout = launch.timeout;
                break Err(format!("{name} silent for {timeout:?}; see {}", log.display()));
            }
        }
    };
    let peak_rss_kib = pid.and_then(peak_rss);

    // The process now waits for its next event; end it and reap it.
    let _ = child.start_kill();
    let _ = child.wait().await;

    let (answered, answer) = outcome?;
    Ok(Invoked {
        run: Run {
            init: init.unwrap_or(answered),
            answered,
            peak_rss_kib,
        },
        answer,
    })
}

/// The behaviour function must have logged the class (201); the echo must
/// have echoed.
fn check_answer(function: Function, body: &[u8]) -> Result<(), String> {
    let answer: Value =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
    match function {
        Function::Behaviour if answer["statusCode"] != 201 => Err(format!(
            "behaviour answered {} instead of 201: {}",
            answer["statusCode"], answer["body"]
        )),
        Function::Hello if answer["greeting"] != "hello" => Err(format!("hello answered {answer}")),
        _ => Ok(()),
    }
}

/// The process's peak resident set, from `/proc` (Linux only).
pub fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
