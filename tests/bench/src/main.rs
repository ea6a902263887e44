//! `make bench`: what logging behaviour costs, measured.
//!
//! 1. The DynamoDB and SQS requests one log sends, counted by an interceptor
//!    on the SDK clients, beside the fewest the table design allows.
//! 2. The latency of a log, in-process against the local emulator.
//! 3. The size of the release `bootstrap` of the behaviour function and of a
//!    hello-world function built the same way.
//! 4. Cold start: each `bootstrap` started as Lambda starts it, against a
//!    stand-in Runtime API, timed to its first answer.
//! 5. Signing in: the Argon2id hash alone, and whole logins in-process.
//! 6. The roster sync of a 2,000-pupil school: the `sync-wonde` bootstrap
//!    against the fake Wonde, its Wonde and DynamoDB requests beside the
//!    fewest, its time and its peak memory.
//! 7. Charts: the DynamoDB requests `compute-charts` sends per 1,000
//!    behaviours, and the requests and latency of reading a term's charts
//!    at 2,000, 20,000 and 200,000 behaviours.
//!
//! Needs `AWS_ENDPOINT_URL` (the emulator) and the bootstraps that
//! `infra/local/bench.sh` builds. Prints a report and writes it as JSON. It
//! asserts that every log succeeds, never how fast.

mod chart_costs;
mod cold_start;
mod emulator;
mod logging;
mod proxy;
mod roster_sync;
mod runtime_api;
mod signin;
mod sizes;
mod tally;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::cold_start::{Function, Run};
use crate::logging::{Measured, Stats, ms};
use crate::sizes::{Artifact, mib};

/// Where `cargo lambda build` put the bootstraps: `<dir>/<arch>/<function>/bootstrap`,
/// zips in `<dir>/<arch>-zip/<function>/bootstrap.zip`. `bench.sh` sets it.
const LAMBDA_DIR_VARIABLE: &str = "BENCH_LAMBDA_DIR";

/// Why the arm64 builds are missing, when `bench.sh` could not make them.
const ARM64_FAILURE_VARIABLE: &str = "BENCH_ARM64_FAILURE";

/// `roster-sync`, `charts` or `charts-job` measures that section (or the
/// charts job alone) by itself, for working on it.
const ONLY_VARIABLE: &str = "BENCH_ONLY";

/// The report, relative to the repository root.
const REPORT: &str = ".local/bench/report.json";

/// The report of `BENCH_ONLY=roster-sync`, which leaves the whole one be.
const ONLY_ROSTER_SYNC_REPORT: &str = ".local/bench/report-roster-sync.json";

/// The reports of `BENCH_ONLY=charts` and `BENCH_ONLY=charts-job`.
const ONLY_CHARTS_REPORT: &str = ".local/bench/report-charts.json";
const ONLY_CHARTS_JOB_REPORT: &str = ".local/bench/report-charts-job.json";

/// The functions whose size and cold start are compared.
const FUNCTIONS: [Function; 2] = [Function::Behaviour, Function::Hello];

/// The architectures `bench.sh` builds for; only x86_64 runs on this machine.
const ARCHES: [&str; 2] = ["x86_64", "arm64"];

/// The roster sync's function, built for x86_64 alone: it is measured
/// running, not compared across architectures.
const ROSTER_SYNC: &str = "sync-wonde";

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::main]
async fn main() {
    let root = repository();
    let lambda_dir = std::env::var_os(LAMBDA_DIR_VARIABLE)
        .map_or_else(|| root.join("target/lambda"), PathBuf::from);
    let report_path = root.join(REPORT);
    let report_dir = report_path
        .parent()
        .expect("the report has a folder")
        .to_owned();
    std::fs::create_dir_all(&report_dir).expect("the report folder can be created");

    match std::env::var(ONLY_VARIABLE).as_deref() {
        Ok("roster-sync") => return only_the_roster_sync(&lambda_dir, &report_dir).await,
        Ok("charts") => return only_the_charts(true).await,
        Ok("charts-job") => return only_the_charts(false).await,
        _ => {}
    }

    let bench = logging::Bench::new().await;
    eprintln!(
        "==> logging in-process against {}",
        std::env::var("AWS_ENDPOINT_URL").unwrap_or_default()
    );
    let logs = logging::measure(&bench).await;
    let emulator_peak = emulator::peak_rss_kib();
    eprintln!("==> signing in");
    let logins = signin::measure().await;

    let mut artifacts: Vec<Artifact> = ARCHES
        .iter()
        .flat_map(|arch| {
            let dir = lambda_dir.join(arch);
            let zips = lambda_dir.join(format!("{arch}-zip"));
            FUNCTIONS
                .iter()
                .map(move |f| Artifact::find(f.name(), arch, &dir, &zips))
        })
        .collect();
    let roster_sync = Artifact::find(
        ROSTER_SYNC,
        "x86_64",
        &lambda_dir.join("x86_64"),
        &lambda_dir.join("x86_64-zip"),
    );
    artifacts.push(roster_sync.clone());

    let mut cold_starts = Vec::new();
    for function in FUNCTIONS {
        let artifact = artifacts
            .iter()
            .find(|a| a.function == function.name() && a.arch == "x86_64");
        let result = match artifact {
            Some(a) if a.bytes.is_some() => {
                eprintln!("==> cold starts of {}", a.bootstrap.display());
                let log = report_dir.join(format!("cold-start-{}.log", function.name()));
                cold_start::measure(&bench, function, &a.bootstrap, &log).await
            }
            _ => Err(format!(
                "no x86_64 bootstrap for {} in {}",
                function.name(),
                lambda_dir.display()
            )),
        };
        cold_starts.push((function, result));
    }

    let sync_report = if roster_sync.bytes.is_some() {
        eprintln!("==> roster sync with {}", roster_sync.bootstrap.display());
        let log = report_dir.join("roster-sync.log");
        Some(roster_sync::measure(&roster_sync.bootstrap, &log).await)
    } else {
        None
    };

    eprintln!("==> charts");
    let chart_fold = chart_costs::measure_fold(&bench).await;
    let chart_reads = chart_costs::measure_reads(&bench).await;

    let arm64_failure = std::env::var(ARM64_FAILURE_VARIABLE)
        .ok()
        .filter(|s| !s.trim().is_empty());
    print_report(
        &logs,
        emulator_peak,
        &artifacts,
        &cold_starts,
        arm64_failure.as_deref(),
    );
    signin::print(&logins);
    match &sync_report {
        Some(report) => roster_sync::print(report),
        None => println!(
            "\n6. Roster sync not measured: no x86_64 bootstrap at {}",
            roster_sync.bootstrap.display()
        ),
    }
    chart_costs::print(&chart_fold, &chart_reads);

    let report = json!({
        "environment": environment(emulator_peak),
        "logging": logs.iter().map(logging::to_json).collect::<Vec<_>>(),
        "notes": NOTES,
        "binaries": artifacts.iter().map(Artifact::to_json).collect::<Vec<_>>(),
        "arm64Failure": arm64_failure,
        "signIn": signin::to_json(&logins),
        "coldStart": cold_starts.iter().map(|(f, r)| cold_start_json(*f, r)).collect::<Vec<_>>(),
        "rosterSync": sync_report.as_ref().map(roster_sync::to_json),
        "charts": chart_costs::to_json(&chart_fold, &chart_reads),
    });
    let text = serde_json::to_string_pretty(&report).expect("the report serialises");
    std::fs::write(&report_path, text + "\n").expect("the report can be written");
    println!("\nReport written to {}", REPORT);
}

/// `BENCH_ONLY=roster-sync`: section 6 alone, in a report of its own
/// beside the whole one.
async fn only_the_roster_sync(lambda_dir: &Path, report_dir: &Path) {
    let dir = lambda_dir.join("x86_64");
    let artifact = Artifact::find(ROSTER_SYNC, "x86_64", &dir, &lambda_dir.join("x86_64-zip"));
    if artifact.bytes.is_none() {
        panic!("no x86_64 bootstrap at {}", artifact.bootstrap.display());
    }
    let log = report_dir.join("roster-sync.log");
    let report = roster_sync::measure(&artifact.bootstrap, &log).await;
    roster_sync::print(&report);
    let report = json!({
        "environment": { "cores": cores(), "endpoint": std::env::var("AWS_ENDPOINT_URL").ok() },
        "binaries": [artifact.to_json()],
        "rosterSync": roster_sync::to_json(&report),
    });
    let text = serde_json::to_string_pretty(&report).expect("the report serialises");
    std::fs::write(repository().join(ONLY_ROSTER_SYNC_REPORT), text + "\n")
        .expect("the report can be written");
    println!("\nReport written to {ONLY_ROSTER_SYNC_REPORT}");
}

/// `BENCH_ONLY=charts`: section 7 alone, in a report of its own;
/// `BENCH_ONLY=charts-job`, its job's writes alone (seconds, where the reads
/// take a quarter of an hour on the emulator).
async fn only_the_charts(with_reads: bool) {
    let bench = logging::Bench::new().await;
    let fold = chart_costs::measure_fold(&bench).await;
    let reads = if with_reads {
        chart_costs::measure_reads(&bench).await
    } else {
        Vec::new()
    };
    chart_costs::print(&fold, &reads);
    let report = json!({
        "environment": { "cores": cores(), "endpoint": std::env::var("AWS_ENDPOINT_URL").ok() },
        "charts": chart_costs::to_json(&fold, &reads),
    });
    let text = serde_json::to_string_pretty(&report).expect("the report serialises");
    let path = if with_reads {
        ONLY_CHARTS_REPORT
    } else {
        ONLY_CHARTS_JOB_REPORT
    };
    std::fs::write(repository().join(path), text + "\n").expect("the report can be written");
    println!("\nReport written to {path}");
}

/// Why the implementation sends what it sends beyond the minimum.
const NOTES: [&str; 4] = [
    "Query: settings and policy share the school's partition, and a class's members share the \
     class's partition, so each is one Query of one page (2 items; 1 + pupils items).",
    "UpdateItem (outbox): the request record goes into the transaction with sparse outbox-index \
     attributes, so the event cannot be lost; once SendMessage succeeds the function removes \
     them, so the relay does not publish the event a second time. One extra write per request \
     buys no lost and, normally, no duplicate event. A DynamoDB stream feeding the queue would \
     take both this UpdateItem and the SendMessage off the request path, for stream latency.",
    "TransactWriteItems: a transaction holds at most 100 writes; a pupil needs three (behaviour, \
     light, points) and the request needs its record, so the function writes 33 pupils per \
     transaction: 34 to 40 pupils take two, each atomic, the record carrying the progress so \
     that a retry finishes a half-written class.",
    "BatchGetItem: lights and points are read per transaction batch, just before that batch is \
     written, so 40 pupils take two reads where one BatchGetItem of 80 keys would do; the extra \
     read keeps each batch's optimistic-concurrency retry self-contained.",
];

fn environment(emulator_peak: Option<u64>) -> Value {
    json!({
        "target": "in-process against the local moto server on this machine: \
                   our code plus the emulator, not DynamoDB",
        "cores": cores(),
        "endpoint": std::env::var("AWS_ENDPOINT_URL").ok(),
        "iterations": logging::ITERATIONS,
        "freshTablePerIteration": true,
        "emulatorResetBetweenIterations": emulator::may_reset(),
        "emulatorPeakRssKiB": emulator_peak,
        "emulatorNote": emulator::COST_NOTE,
    })
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0)
}

fn print_report(
    logs: &[Measured],
    emulator_peak: Option<u64>,
    artifacts: &[Artifact],
    cold: &[(Function, Result<Vec<Run>, String>)],
    arm64: Option<&str>,
) {
    println!("\nClasslights benchmark: logging behaviour (POST /v1/behaviours)");
    println!(
        "Against the local moto server on this machine ({} cores):",
        cores()
    );
    println!("our code plus the emulator, not DynamoDB.");

    println!("\n1. Requests per log request (counted by an SDK interceptor), beside the minimum");
    for measured in logs {
        println!(
            "\n  {} ({} of {} measured logs sent exactly these)",
            measured.scenario.name,
            measured.same_requests,
            measured.latencies.len()
        );
        println!(
            "  {:<9} {:<19} {:>5} {:>8}  why the minimum",
            "service", "operation", "sent", "minimum"
        );
        let mut total = (0, 0);
        for (service, operation, used, least, why) in logging::operations(measured) {
            let sent = if used.attempts > used.calls {
                format!("{}+{}r", used.calls, used.attempts - used.calls)
            } else {
                used.calls.to_string()
            };
            println!("  {service:<9} {operation:<19} {sent:>5} {least:>8}  {why}");
            total.0 += used.calls;
            total.1 += least;
        }
        println!("  {:<9} {:<19} {:>5} {:>8}", "", "total", total.0, total.1);
    }
    println!("\n  Beyond the minimum:");
    for note in NOTES {
        println!("  - {note}");
    }

    println!("\n2. Latency of one log request, in-process against moto (ms)");
    println!(
        "  {:<13} {:>7} {:>8} {:>8} {:>8} {:>8}",
        "scenario", "samples", "p50", "p95", "max", "mean"
    );
    for measured in logs {
        let stats = Stats::of(&measured.latencies);
        println!(
            "  {:<13} {:>7} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
            measured.scenario.name,
            stats.count,
            ms(stats.p50),
            ms(stats.p95),
            ms(stats.max),
            ms(stats.mean)
        );
    }
    let reset = if emulator::may_reset() {
        "emptied between iterations"
    } else {
        "not emptied (not ours)"
    };
    let peak = emulator_peak.map_or("unknown".to_owned(), |k| {
        format!("{:.0} MiB", k as f64 / 1024.0)
    });
    println!(
        "  each iteration: a fresh table and school, emulator {reset}; emulator peak RSS {peak}"
    );
    println!("  note: {}", emulator::COST_NOTE);
    for measured in logs {
        let parts: Vec<String> = measured
            .time_per_operation
            .iter()
            .map(|((_, op), t)| format!("{op} {:.2}", ms(*t)))
            .collect();
        println!(
            "  {} — mean ms per operation: {}",
            measured.scenario.name,
            parts.join(", ")
        );
    }

    println!("\n3. Release binary size (cargo lambda build --release)");
    println!(
        "  profile: opt-level s, thin LTO, 1 codegen unit, strip; behaviour and hello built in \
         one invocation, sync-wonde in its own"
    );
    println!(
        "  {:<10} {:<7} {:>11} {:>8} {:>11} {:>8}",
        "function", "arch", "bootstrap", "MiB", "zip", "MiB"
    );
    for a in artifacts {
        let (bytes, size) = a.bytes.map_or(("-".into(), "-".into()), |b| {
            (b.to_string(), format!("{:.2}", mib(b)))
        });
        let (zip, zip_mib) = a.zip_bytes.map_or(("-".into(), "-".into()), |b| {
            (b.to_string(), format!("{:.2}", mib(b)))
        });
        println!(
            "  {:<10} {:<7} {bytes:>11} {size:>8} {zip:>11} {zip_mib:>8}",
            a.function, a.arch
        );
    }
    if let Some(why) = arm64 {
        println!("  arm64 not built: {why}");
    }

    println!(
        "\n4. Cold start: spawn to first answer posted, stand-in Runtime API, x86_64 release (ms)"
    );
    println!(
        "  {:<10} {:>4} {:>12} {:>12} {:>10} {:>14}",
        "function", "runs", "init median", "answer med.", "answer max", "peak RSS MiB"
    );
    for (function, result) in cold {
        match result {
            Ok(runs) => {
                let init = median(runs.iter().map(|r| r.init).collect());
                let answered: Vec<Duration> = runs.iter().map(|r| r.answered).collect();
                let max = answered.iter().max().copied().unwrap_or_default();
                let rss = runs
                    .iter()
                    .filter_map(|r| r.peak_rss_kib)
                    .max()
                    .map_or("-".into(), |k| format!("{:.1}", k as f64 / 1024.0));
                println!(
                    "  {:<10} {:>4} {:>12.2} {:>12.2} {:>10.2} {rss:>14}",
                    function.name(),
                    runs.len(),
                    ms(init),
                    ms(median(answered)),
                    ms(max)
                );
            }
            Err(why) => println!("  {:<10} not measured: {why}", function.name()),
        }
    }
    println!("  init = spawn to the first `next` request; behaviour's answer logs a class of 30");
    println!("  against moto; peak RSS = the largest VmHWM of the runs.");
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples
        .get(samples.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or_default()
}

fn median_rss(runs: &[Run]) -> Option<u64> {
    let mut peaks: Vec<u64> = runs.iter().filter_map(|r| r.peak_rss_kib).collect();
    peaks.sort_unstable();
    peaks.get(peaks.len().saturating_sub(1) / 2).copied()
}

fn cold_start_json(function: Function, result: &Result<Vec<Run>, String>) -> Value {
    match result {
        Ok(runs) => {
            let answered: Vec<Duration> = runs.iter().map(|r| r.answered).collect();
            json!({
                "function": function.name(),
                "arch": "x86_64",
                "runs": runs.iter().map(Run::to_json).collect::<Vec<_>>(),
                "initMedianMs": ms(median(runs.iter().map(|r| r.init).collect())),
                "firstResponseMedianMs": ms(median(answered.clone())),
                "firstResponseMaxMs": ms(answered.iter().max().copied().unwrap_or_default()),
                "peakRssKiBMax": runs.iter().filter_map(|r| r.peak_rss_kib).max(),
                "peakRssKiBMedian": median_rss(runs),
            })
        }
        Err(why) => json!({ "function": function.name(), "arch": "x86_64", "error": why }),
    }
}
