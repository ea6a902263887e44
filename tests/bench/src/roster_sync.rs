//! The roster sync of a 2,000-pupil school: the release `sync-wonde`
//! bootstrap run as Lambda runs it, against the stand-in Runtime API, one
//! SQS message per process, its table on the emulator behind the counting
//! proxy and its roster on the fake Wonde.
//!
//! Three syncs of one school, in order: the first full sync, a second full
//! sync with nothing changed, and a delta after a pupil is renamed, one
//! moves form and one is deleted. Each is measured in Wonde requests beside
//! the fewest pages the lists could come in, DynamoDB write requests beside
//! the fewest batches the items could go in, time, and the peak resident
//! memory of the process.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use domain::{Policy, SchoolId};
use serde_json::{Value, json};
use store::{SchoolSettings, SyncKind, SyncRun, SyncState};
use testkit::wonde::{FakeWonde, SchoolSpec};
use testkit::{TestQueue, TestTable};

use crate::cold_start::{Invoked, Launch, Run, invoke_once};
use crate::emulator;
use crate::logging::ms;
use crate::proxy::{CountingProxy, Seen, split_target};

/// The school: 2,000 pupils, and the fake's default staff and classes
/// (120 and 900 for 1,500 pupils) scaled with it.
pub const PUPILS: usize = 2_000;
pub const STAFF: usize = 160;
pub const CLASSES: usize = 1_200;

/// The memory Lambda gives the smallest function, which the sync must fit.
pub const MEMORY_LIMIT_MIB: f64 = 128.0;

/// Items in one BatchWriteItem, DynamoDB's limit.
const ITEMS_PER_BATCH: usize = 25;

/// The page size when no request shows one: Wonde's largest, which the
/// function asks for.
const DEFAULT_PER_PAGE: usize = 200;

/// The function's own timeout in the template.
const TIMEOUT: Duration = Duration::from_secs(900);

const TOKEN: &str = "bench-wonde-token-for-the-roster-sync";
const SCHOOL: &str = "bench-roster";

/// Why the sync sends what it sends beyond the minimum, and what the
/// emulator adds.
pub const NOTES: [&str; 3] = [
    "Table writes: the roster's items go first, 25 to a BatchWriteItem, then the ledger \
     entries that describe them in batches of their own, so a run that stops half way leaves a \
     ledger behind the items, never ahead; that split costs at most one request more than \
     ceil(items / 25). A pupil who leaves is marked with an UpdateItem (SET leftAt), which keeps \
     the rest of the item; it counts here as one item.",
    "Reads: every sync reads the school's settings and sync state (two GetItem) and the whole \
     ledger, a Query of the school's roster partition that takes several 1 MB pages for a large \
     school, a delta as much as a full sync. Bookkeeping: the lease (PutItem, DeleteItem), the \
     watermark and the run record (two PutItem).",
    "Time: moto spends about 19 ms on each BatchWriteItem of 25 and seconds on each 1 MB page \
     of the ledger Query, so the times are mostly the emulator's (the proxy's per-operation \
     times show it); read them as our code plus moto, not as what DynamoDB would take.",
];

/// One of the three syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    FirstFull,
    SecondFull,
    Delta,
}

impl Step {
    const ALL: [Step; 3] = [Step::FirstFull, Step::SecondFull, Step::Delta];

    pub fn name(self) -> &'static str {
        match self {
            Step::FirstFull => "first full",
            Step::SecondFull => "second full",
            Step::Delta => "delta",
        }
    }

    fn kind(self) -> SyncKind {
        match self {
            Step::FirstFull | Step::SecondFull => SyncKind::Full,
            Step::Delta => SyncKind::Delta,
        }
    }

    fn message_kind(self) -> &'static str {
        match self.kind() {
            SyncKind::Full => "full",
            SyncKind::Delta => "delta",
        }
    }
}

/// One Wonde list a sync read: the records it holds for the query, the
/// pages asked for, and the fewest pages those records come in.
#[derive(Debug, Clone)]
pub struct ListRead {
    pub name: &'static str,
    pub records: usize,
    pub pages: u64,
    pub minimum: u64,
}

/// What one sync cost.
pub struct Measured {
    pub step: Step,
    pub run: SyncRun,
    pub process: Run,
    pub per_page: usize,
    /// The school record, then each list.
    pub lists: Vec<ListRead>,
    pub wonde_requests: u64,
    pub wonde_minimum: u64,
    pub aws: Seen,
    /// Write requests that touched the roster (pupils, staff, classes,
    /// members, groups, the ledger), by operation.
    pub roster_writes: Vec<(String, u32)>,
    /// Items those requests wrote (put, updated or deleted).
    pub roster_items: usize,
    /// Writes of the sync's own records: lease, watermark, run record.
    pub bookkeeping_writes: u32,
    /// Reads of the table, by operation.
    pub reads: Vec<(String, u32)>,
}

impl Measured {
    pub fn roster_write_requests(&self) -> u32 {
        self.roster_writes.iter().map(|(_, n)| n).sum()
    }

    pub fn minimum_writes(&self) -> usize {
        self.roster_items.div_ceil(ITEMS_PER_BATCH)
    }

    pub fn peak_mib(&self) -> Option<f64> {
        self.process.peak_rss_kib.map(|k| k as f64 / 1024.0)
    }
}

/// The school as the fake generated it.
pub struct School {
    pub pupils: usize,
    pub staff: usize,
    pub current_staff: usize,
    pub classes: usize,
    pub members: usize,
    pub groups: usize,
}

pub struct Report {
    pub school: School,
    pub steps: Vec<Measured>,
    /// Why the benchmark stopped early, if it did.
    pub failure: Option<String>,
}

/// Runs the three syncs with `bootstrap`, writing its output to `log`.
pub async fn measure(bootstrap: &Path, log: &Path) -> Report {
    if emulator::may_reset() {
        emulator::reset().await.expect("the emulator resets");
    }
    let spec = SchoolSpec {
        pupils: PUPILS,
        staff: STAFF,
        classes: CLASSES,
        ..SchoolSpec::default()
    };
    let fake = FakeWonde::start(TOKEN, spec).await;
    let school = School {
        pupils: fake.pupils().len(),
        staff: fake.staff().len(),
        current_staff: fake.staff().iter().filter(|s| s.current).count(),
        classes: fake.classes().len(),
        members: fake.classes().iter().map(|c| c.pupil_ids.len()).sum(),
        groups: fake.groups().len(),
    };
    let mut report = Report {
        school,
        steps: Vec::new(),
        failure: None,
    };
    let bench = match Setup::new(&fake).await {
        Ok(bench) => bench,
        Err(why) => {
            report.failure = Some(why);
            return report;
        }
    };
    for step in Step::ALL {
        if step == Step::Delta {
            change_the_roster(&fake);
        }
        eprintln!("==> roster sync: {}", step.name());
        match bench.sync(&fake, step, bootstrap, log).await {
            Ok(measured) => report.steps.push(measured),
            Err(why) => {
                report.failure = Some(format!("{}: {why}", step.name()));
                break;
            }
        }
    }
    report
}

/// A pupil renamed, one moved to another form, one deleted.
fn change_the_roster(fake: &FakeWonde) {
    let pupils = fake.pupils();
    let renamed = &pupils[0];
    let moved = &pupils[1];
    let to = pupils
        .iter()
        .map(|p| p.form.clone())
        .find(|form| *form != moved.form)
        .expect("the school has more than one form");
    fake.rename_pupil(&renamed.id, "Rowan", "Hart");
    fake.move_pupil(&moved.id, &to);
    fake.delete(&pupils[2].id);
}

/// The school set up and linked, the token in Secrets Manager, and the
/// proxy the function reaches the emulator through.
struct Setup {
    table: TestTable,
    queue: TestQueue,
    school: SchoolId,
    secret_arn: String,
    proxy: CountingProxy,
}

impl Setup {
    async fn new(fake: &FakeWonde) -> Result<Self, String> {
        let table = TestTable::create().await;
        let queue = TestQueue::create().await;
        let school = SchoolId::parse(SCHOOL).expect("the benchmark's school id is valid");
        let settings = SchoolSettings {
            name: "Riverside Academy".to_owned(),
            time_zone: "Europe/London".to_owned(),
        };
        table
            .store
            .put_school(&school, &settings, &Policy::default_for_new_school())
            .await
            .map_err(|e| format!("cannot set up the school: {e}"))?;
        table
            .store
            .link_wonde(&school, &fake.school_id())
            .await
            .map_err(|e| format!("cannot link the school to Wonde: {e}"))?;

        let secrets = aws_sdk_secretsmanager::Client::new(&testkit::aws::config().await);
        let secret = secrets
            .create_secret()
            .name(format!("bench/wonde-token/{}", table.name))
            .secret_string(TOKEN)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "cannot store the Wonde token: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
                )
            })?;
        let secret_arn = secret.arn.ok_or("the emulator gave the secret no ARN")?;

        let proxy = CountingProxy::start(&emulator::endpoint())
            .await
            .map_err(|e| format!("the counting proxy could not start: {e}"))?;
        Ok(Self {
            table,
            queue,
            school,
            secret_arn,
            proxy,
        })
    }

    fn env(&self, fake: &FakeWonde) -> Vec<(String, String)> {
        [
            ("TABLE_NAME", self.table.name.clone()),
            ("ROSTER_SYNC_QUEUE_URL", self.queue.url.clone()),
            ("WONDE_API_URL", fake.base_url()),
            ("WONDE_TOKEN_SECRET_ARN", self.secret_arn.clone()),
            ("AWS_ENDPOINT_URL", self.proxy.url()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            ("AWS_REGION", "eu-west-2".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
            ("RUST_LOG", "info".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// One sync in a fresh process, from spawn to its answer.
    async fn sync(
        &self,
        fake: &FakeWonde,
        step: Step,
        bootstrap: &Path,
        log: &Path,
    ) -> Result<Measured, String> {
        let state = self
            .table
            .store
            .sync_state(&self.school)
            .await
            .map_err(|e| format!("cannot read the sync state: {e}"))?;
        let runs_before = self.runs().await?.len();
        let served_before = fake.requests_served() as usize;
        self.proxy.take();

        let body = json!({ "schoolId": self.school, "kind": step.message_kind() }).to_string();
        let request_id = format!("bench-roster-{}", step.name().replace(' ', "-"));
        let Invoked {
            run: process,
            answer,
        } = invoke_once(&Launch {
            name: "sync-wonde",
            bootstrap,
            log,
            request_id: &request_id,
            event: sqs_event(&request_id, &body),
            env: self.env(fake),
            timeout: TIMEOUT,
        })
        .await?;
        check_answer(&answer)?;

        let aws = self.proxy.take();
        let runs = self.runs().await?;
        let run = match runs.get(runs_before..) {
            Some([run]) => run.clone(),
            _ => {
                return Err(format!(
                    "expected one new run record, found {:?}",
                    runs.get(runs_before..)
                ));
            }
        };
        if run.kind != step.kind() {
            return Err(format!(
                "asked for {:?}, the function ran {:?}",
                step.kind(),
                run.kind
            ));
        }

        let wonde = wonde_reads(fake, served_before, step.kind(), &state);
        let table = table_writes(&aws, &store::keys::roster_sync(&self.school));
        let reads = ["GetItem", "Query", "BatchGetItem", "Scan"]
            .into_iter()
            .map(|op| (op.to_owned(), aws.count("DynamoDB", op)))
            .filter(|(_, n)| *n > 0)
            .collect();

        Ok(Measured {
            step,
            wonde_requests: wonde.requests,
            wonde_minimum: wonde.lists.iter().map(|l| l.minimum).sum(),
            run,
            process,
            per_page: wonde.per_page,
            lists: wonde.lists,
            aws,
            roster_writes: table.by_operation,
            roster_items: table.items,
            bookkeeping_writes: table.bookkeeping,
            reads,
        })
    }

    async fn runs(&self) -> Result<Vec<SyncRun>, String> {
        self.table
            .store
            .sync_runs(&self.school)
            .await
            .map_err(|e| format!("cannot read the run records: {e}"))
    }
}

/// What the fake served one sync, list by list.
struct WondeReads {
    requests: u64,
    per_page: usize,
    lists: Vec<ListRead>,
}

/// The requests the fake served from number `served_before` on, beside the
/// fewest pages the records the sync had to read come in.
fn wonde_reads(
    fake: &FakeWonde,
    served_before: usize,
    kind: SyncKind,
    state: &SyncState,
) -> WondeReads {
    let served = fake.requests();
    let served = served.get(served_before..).unwrap_or_default();
    let per_page = served
        .iter()
        .filter_map(|r| r.param("per_page")?.parse().ok())
        .max()
        .unwrap_or(DEFAULT_PER_PAGE);
    let asked = |suffix: &str| served.iter().filter(|r| r.path.ends_with(suffix)).count() as u64;

    let mut lists = vec![ListRead {
        name: "school",
        records: 1,
        pages: asked(&format!("/schools/{}", fake.school_id())),
        minimum: 1,
    }];
    for (name, records) in records_to_read(fake, kind, state) {
        lists.push(ListRead {
            name,
            records,
            pages: asked(&format!("/{name}")),
            minimum: records.div_ceil(per_page).max(1) as u64,
        });
    }
    WondeReads {
        requests: served.len() as u64,
        per_page,
        lists,
    }
}

/// The table writes of one sync, the roster's apart from the sync's own
/// records in the `bookkeeping` partition.
struct TableWrites {
    by_operation: Vec<(String, u32)>,
    items: usize,
    bookkeeping: u32,
}

fn table_writes(aws: &Seen, bookkeeping: &str) -> TableWrites {
    let mut writes = TableWrites {
        by_operation: Vec::new(),
        items: 0,
        bookkeeping: 0,
    };
    for write in &aws.table_writes {
        if write.partitions.iter().all(|pk| pk == bookkeeping) {
            writes.bookkeeping += 1;
            continue;
        }
        writes.items += write.partitions.len() - write.unprocessed;
        match writes
            .by_operation
            .iter_mut()
            .find(|(op, _)| *op == write.operation)
        {
            Some((_, n)) => *n += 1,
            None => writes.by_operation.push((write.operation.clone(), 1)),
        }
    }
    writes
}

/// How many records of each list the sync must read: all of them for a
/// full sync; for a delta, those the fake changed after the watermark, to
/// the second as the query sends it, and the deletions list too.
fn records_to_read(
    fake: &FakeWonde,
    kind: SyncKind,
    state: &SyncState,
) -> Vec<(&'static str, usize)> {
    let since = match (kind, state.watermark) {
        (SyncKind::Delta, Some(watermark)) => Some(watermark.trunc_subsecs(0)),
        _ => None,
    };
    let changed = |at: DateTime<Utc>| since.is_none_or(|since| at > since);
    let mut lists = vec![
        (
            "groups",
            fake.groups()
                .iter()
                .filter(|g| changed(g.updated_at))
                .count(),
        ),
        (
            "employees",
            fake.staff()
                .iter()
                .filter(|e| changed(e.updated_at))
                .count(),
        ),
        (
            "students",
            fake.pupils()
                .iter()
                .filter(|p| changed(p.updated_at))
                .count(),
        ),
        (
            "classes",
            fake.classes()
                .iter()
                .filter(|c| changed(c.updated_at))
                .count(),
        ),
    ];
    if since.is_some() {
        let deletions = fake
            .deletions()
            .iter()
            .filter(|d| changed(d.changed_at()))
            .count();
        lists.push(("deletions", deletions));
    }
    lists
}

/// An SQS batch of one message, as Lambda hands it to the function.
fn sqs_event(message_id: &str, body: &str) -> Value {
    json!({
        "Records": [{
            "messageId": message_id,
            "receiptHandle": format!("bench-receipt-{message_id}"),
            "body": body,
            "md5OfBody": "00000000000000000000000000000000",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:eu-west-2:123456789012:roster-sync",
            "awsRegion": "eu-west-2",
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1764583200000",
                "SenderId": "AROAEXAMPLESCHEDULER:roster-sync-schedule",
                "ApproximateFirstReceiveTimestamp": "1764583200050"
            },
            "messageAttributes": {}
        }]
    })
}

/// The function must have finished its one message.
fn check_answer(body: &[u8]) -> Result<(), String> {
    let answer: Value =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
    match answer["batchItemFailures"].as_array() {
        Some(failures) if failures.is_empty() => Ok(()),
        _ => Err(format!("the sync did not finish its message: {answer}")),
    }
}

/// A count beside its minimum: `used (fewest)`.
fn versus(used: impl std::fmt::Display, least: impl std::fmt::Display) -> String {
    format!("{used} ({least})")
}

pub fn print(report: &Report) {
    let s = &report.school;
    println!(
        "\n6. Roster sync of a {}-pupil school: sync-wonde x86_64 release bootstrap, one SQS \
         message per process, stand-in Runtime API, fake Wonde, moto behind a counting proxy",
        s.pupils
    );
    println!(
        "  school: {} pupils, {} staff ({} current), {} classes ({} memberships), {} groups",
        s.pupils, s.staff, s.current_staff, s.classes, s.members, s.groups
    );
    println!(
        "  {:<12} {:>13} {:>14} {:>9} {:>11} {:>9} {:>10} {:>10} {:>9}",
        "sync",
        "Wonde (min)",
        "writes (min)",
        "items",
        "bookkeeping",
        "reads",
        "sync s",
        "answer s",
        "peak MiB"
    );
    for m in &report.steps {
        let reads: u32 = m.reads.iter().map(|(_, n)| n).sum();
        let peak = m.peak_mib().map_or("-".into(), |p| format!("{p:.1}"));
        println!(
            "  {:<12} {:>13} {:>14} {:>9} {:>11} {:>9} {:>10.2} {:>10.2} {peak:>9}",
            m.step.name(),
            versus(m.wonde_requests, m.wonde_minimum),
            versus(m.roster_write_requests(), m.minimum_writes()),
            m.roster_items,
            m.bookkeeping_writes,
            reads,
            m.run.duration_ms as f64 / 1000.0,
            m.process.answered.as_secs_f64(),
        );
    }
    println!(
        "  Wonde (min): requests served by the fake (the school record, plus \
         max(1, ceil(records / per_page)) per list read)"
    );
    println!(
        "  writes (min): roster write requests (ceil(items / {ITEMS_PER_BATCH})); bookkeeping: \
         lease, watermark and run record; reads: DynamoDB reads of any kind"
    );
    println!(
        "  sync s: the run record's duration; answer s: process spawn to its answer; peak: \
         VmHWM of the process, against {MEMORY_LIMIT_MIB:.0} MiB"
    );
    for m in &report.steps {
        let ledger = m.aws.answer_bytes_of("DynamoDB", "Query") as f64 / 1024.0 / 1024.0;
        let lists: Vec<String> = m
            .lists
            .iter()
            .map(|l| format!("{} {} in {}", l.name, l.records, versus(l.pages, l.minimum)))
            .collect();
        let writes: Vec<String> = m
            .roster_writes
            .iter()
            .map(|(op, n)| format!("{op} {n}"))
            .collect();
        let other: Vec<String> = m
            .aws
            .requests
            .iter()
            .map(|(target, n)| {
                let (service, op) = split_target(target);
                let took = m.aws.time.get(target).copied().unwrap_or_default();
                format!("{service} {op} {n} ({:.2} s)", took.as_secs_f64())
            })
            .collect();
        let c = &m.run.counts;
        println!(
            "\n  {} (run record: {:?}, {} Wonde requests, {} table writes)",
            m.step.name(),
            m.run.kind,
            m.run.wonde_requests,
            m.run.table_writes
        );
        println!("    Wonde, per {}: {}", m.per_page, lists.join(", "));
        println!(
            "    roster writes: {}",
            if writes.is_empty() {
                "none".to_owned()
            } else {
                writes.join(", ")
            }
        );
        println!(
            "    written: pupils {} (left {}), staff {} (removed {}), classes {} (removed {}), \
             members {} (removed {}), groups {} (removed {})",
            c.pupils_written,
            c.pupils_left,
            c.staff_written,
            c.staff_removed,
            c.classes_written,
            c.classes_removed,
            c.members_written,
            c.members_removed,
            c.groups_written,
            c.groups_removed
        );
        println!(
            "    every AWS request (time in the emulator): {}",
            other.join(", ")
        );
        println!("    the ledger, read in Query pages: {ledger:.2} MiB");
        if !m.aws.refused.is_empty() {
            println!("    refused by the emulator: {:?}", m.aws.refused);
        }
        if let Some(peak) = m.peak_mib().filter(|p| *p > MEMORY_LIMIT_MIB) {
            println!("    DOES NOT FIT: peak {peak:.1} MiB > {MEMORY_LIMIT_MIB:.0} MiB");
        }
        if m.wonde_requests > m.wonde_minimum {
            println!(
                "    Wonde: {} requests more than the fewest pages",
                m.wonde_requests - m.wonde_minimum
            );
        }
        if m.step == Step::SecondFull && m.roster_items > 0 {
            println!(
                "    an unchanged roster should write nothing, and wrote {} items",
                m.roster_items
            );
        }
    }
    println!("\n  Beyond the minimum:");
    for note in NOTES {
        println!("  - {note}");
    }
    if let Some(why) = &report.failure {
        println!("\n  roster sync not measured in full: {why}");
    }
}

pub fn to_json(report: &Report) -> Value {
    let s = &report.school;
    json!({
        "school": {
            "pupils": s.pupils,
            "staff": s.staff,
            "currentStaff": s.current_staff,
            "classes": s.classes,
            "memberships": s.members,
            "groups": s.groups,
        },
        "bootstrap": "sync-wonde, cargo lambda build --release --x86-64",
        "memoryLimitMiB": MEMORY_LIMIT_MIB,
        "itemsPerBatch": ITEMS_PER_BATCH,
        "syncs": report.steps.iter().map(step_json).collect::<Vec<_>>(),
        "notes": NOTES,
        "failure": report.failure,
    })
}

fn step_json(m: &Measured) -> Value {
    json!({
        "sync": m.step.name(),
        "kind": m.run.kind,
        "wonde": {
            "requests": m.wonde_requests,
            "minimum": m.wonde_minimum,
            "perPage": m.per_page,
            "lists": m.lists.iter().map(|l| json!({
                "list": l.name,
                "records": l.records,
                "pages": l.pages,
                "minimumPages": l.minimum,
            })).collect::<Vec<_>>(),
            "runRecordRequests": m.run.wonde_requests,
        },
        "dynamodb": {
            "rosterWriteRequests": m.roster_write_requests(),
            "rosterWritesByOperation": m.roster_writes.iter().map(|(op, n)| json!({ "operation": op, "requests": n })).collect::<Vec<_>>(),
            "itemsWritten": m.roster_items,
            "minimumWriteRequests": m.minimum_writes(),
            "runRecordTableWrites": m.run.table_writes,
            "bookkeepingWrites": m.bookkeeping_writes,
            "reads": m.reads.iter().map(|(op, n)| json!({ "operation": op, "requests": n })).collect::<Vec<_>>(),
        },
        "awsRequests": m.aws.requests,
        "awsAnswerBytes": m.aws.answer_bytes,
        "awsMs": m.aws.time.iter().map(|(target, took)| (target.clone(), ms(*took))).collect::<std::collections::BTreeMap<_, _>>(),
        "refused": m.aws.refused,
        "counts": m.run.counts,
        "read": {
            "pupils": m.run.pupils_read,
            "staff": m.run.staff_read,
            "classes": m.run.classes_read,
            "groups": m.run.groups_read,
            "deletions": m.run.deletions_read,
        },
        "syncMs": m.run.duration_ms,
        "initMs": ms(m.process.init),
        "answeredMs": ms(m.process.answered),
        "peakRssKiB": m.process.peak_rss_kib,
        "peakRssMiB": m.peak_mib().map(|p| (p * 10.0).round() / 10.0),
        "fits128MiB": m.peak_mib().map(|p| p <= MEMORY_LIMIT_MIB),
    })
}
