//! Charts: what folding behaviours into the aggregates writes, and what
//! reading a term's chart costs as the school's behaviours grow.
//!
//! 1. The job: 1,000 behaviours, as the events of a school week of lessons
//!    (whole classes and single pupils, several lessons at once), delivered
//!    in SQS batches of ten to `compute_charts::handle_batch`, with every
//!    DynamoDB request counted.
//! 2. The reads: a school of 1,200 pupils in 40 classes with 2,000, 20,000
//!    and 200,000 behaviours over a 13-week term, folded in memory and
//!    written as the aggregates the job would have left, then charts of the
//!    term read through `charts::handle`, requests counted and timed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{Duration as Days, NaiveDate, TimeZone, Utc};
use domain::charts::{AggregateKey, Cell, Counted, DayPlan, Fold, Placement};
use domain::{BehaviourEvent, BehaviourFact, BehaviourId, Role, SchoolId, StaffId};
use serde_json::{Value, json};
use store::Store;
use testkit::{ApiRequest, TestQueue, TestTable};

use crate::emulator;
use crate::logging::{Bench, Stats, ms};
use crate::tally::{Operation, Usage};

/// Behaviours the job is measured folding.
const FOLDED: usize = 1_000;

/// The school sizes the reads are measured at.
pub const SIZES: [usize; 3] = [2_000, 20_000, 200_000];

/// Measured reads of each chart at each size.
const READS: usize = 10;

const PUPILS: usize = 1_200;
const CLASS_SIZE: usize = 30;
const WEEKS: i64 = 13;
const TYPES: [(&str, bool, i32); 6] = [
    ("on-task", true, 1),
    ("great-work", true, 2),
    ("kindness", true, 1),
    ("off-task", false, 0),
    ("disruption", false, -1),
    ("defiance", false, -2),
];

/// The first Monday of the term.
fn term_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 9, 7).expect("a date")
}

/// What the job wrote for 1,000 behaviours.
pub struct FoldCost {
    pub behaviours: usize,
    pub events: usize,
    pub batches: usize,
    pub operations: BTreeMap<Operation, Usage>,
    /// Aggregate updates inside the transactions.
    pub aggregate_writes: usize,
    pub time: Duration,
}

/// One chart read at one size.
pub struct ChartRead {
    pub behaviours: usize,
    pub aggregates: usize,
    pub chart: &'static str,
    pub query: &'static str,
    pub requests: BTreeMap<Operation, Usage>,
    pub latency: Stats,
}

/// A deterministic spread of numbers, so every run measures the same school.
struct Spread(u64);

impl Spread {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % below
    }
}

fn pupil(n: usize) -> String {
    // As the seeded school names its pupils, so that pupil-042 is on its roster.
    format!("pupil-{n:03}")
}

fn class_of(pupil: usize) -> usize {
    pupil / CLASS_SIZE
}

fn year_of(pupil: usize) -> String {
    (7 + (pupil * 5 / PUPILS)).to_string()
}

/// The events of a school week: lessons of whole classes and single
/// pupils, `behaviours` of them in all.
fn week_of_events(school: &SchoolId, behaviours: usize, spread: &mut Spread) -> Vec<String> {
    let mut bodies = Vec::new();
    let mut made = 0;
    while made < behaviours {
        let class = spread.next(PUPILS / CLASS_SIZE);
        let whole = spread.next(10) == 0;
        let (kind, positive, points) = TYPES[spread.next(TYPES.len())];
        let day = term_start() + Days::days(spread.next(5) as i64);
        let at = Utc.from_utc_datetime(
            &day.and_hms_opt(9 + spread.next(6) as u32, 10, 0)
                .expect("a time"),
        );
        let members: Vec<usize> = if whole {
            (0..CLASS_SIZE).map(|i| class * CLASS_SIZE + i).collect()
        } else {
            vec![class * CLASS_SIZE + spread.next(CLASS_SIZE)]
        };
        let facts = members
            .iter()
            .take(behaviours - made)
            .map(|&p| BehaviourFact {
                id: BehaviourId::new(ulid::Ulid::new()),
                pupil_id: domain::PupilId::parse(&pupil(p)).expect("an id"),
                class_id: domain::ClassId::parse(&format!("class-{class:02}")).expect("an id"),
                behaviour_type_id: domain::BehaviourTypeId::parse(kind).expect("an id"),
                positive,
                points,
                occurred_at: at,
                lesson_date: day,
                logged_by: StaffId::parse(&format!("staff-{:02}", class % 60)).expect("an id"),
                year_group: Some(year_of(p)),
                house: Some(["Ash", "Beech", "Cedar", "Oak"][p % 4].to_owned()),
            })
            .collect::<Vec<_>>();
        made += facts.len();
        let event = BehaviourEvent::Logged {
            school_id: school.clone(),
            request_id: ulid::Ulid::new().to_string(),
            behaviours: facts,
        };
        bodies.push(serde_json::to_string(&event).expect("an event serialises"));
    }
    bodies
}

fn sqs_batch(bodies: &[String]) -> aws_lambda_events::event::sqs::SqsEvent {
    let records: Vec<_> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| json!({ "messageId": format!("m{i}"), "body": body }))
        .collect();
    serde_json::from_value(json!({ "Records": records })).expect("a batch")
}

/// Section 1: the job's writes for 1,000 behaviours.
pub async fn measure_fold(bench: &Bench) -> FoldCost {
    if emulator::may_reset() {
        emulator::reset().await.expect("the emulator resets");
    }
    let table = TestTable::create().await;
    let queue = TestQueue::create().await;
    let school = SchoolId::parse("charts-bench").expect("an id");
    testkit::seed_school(&table.store, &school, "Benchmark Academy").await;
    let app = compute_charts::App {
        store: Store::new(bench.dynamo(), &table.name),
        notifications: platform::queue::EventQueue::new(bench.sqs(), queue.url.clone()),
    };
    let mut spread = Spread(7);
    let bodies = week_of_events(&school, FOLDED, &mut spread);
    bench.tally.reset();
    let started = Instant::now();
    let mut aggregate_writes = 0;
    let mut batches = 0;
    for chunk in bodies.chunks(10) {
        let (response, report) = compute_charts::handle_batch(&app, sqs_batch(chunk)).await;
        assert!(
            response.batch_item_failures.is_empty(),
            "the benchmark's events all fold"
        );
        aggregate_writes += report.writes;
        batches += 1;
    }
    FoldCost {
        behaviours: FOLDED,
        events: bodies.len(),
        batches,
        operations: bench.tally.take(),
        aggregate_writes,
        time: started.elapsed(),
    }
}

/// The aggregates `behaviours` behaviours over the term leave.
fn term_fold(behaviours: usize) -> Fold {
    let plan = DayPlan::default();
    let mut spread = Spread(behaviours as u64);
    let mut fold = Fold::default();
    for _ in 0..behaviours {
        let p = spread.next(PUPILS);
        let (kind, positive, points) = TYPES[spread.next(TYPES.len())];
        let date = term_start()
            + Days::days(spread.next(WEEKS as usize) as i64 * 7)
            + Days::days(spread.next(5) as i64);
        let period = 1 + spread.next(plan.periods.len() - 2) as u8;
        fold.count(
            &Placement {
                lesson_date: date,
                pupil: pupil(p),
                class: format!("class-{:02}", class_of(p)),
                year: Some(year_of(p)),
                house: Some(["Ash", "Beech", "Cedar", "Oak"][p % 4].to_owned()),
                staff: format!("staff-{:02}", class_of(p) % 60),
                groups: Vec::new(),
                counted: Counted {
                    positive,
                    points,
                    type_id: kind.to_owned(),
                    cell: Cell {
                        weekday: 1 + (date - term_start()).num_days().rem_euclid(7) as u8,
                        period,
                    },
                },
            },
            1,
        );
    }
    fold
}

/// Writes a fold's aggregates as the job would have left them, eight at a
/// time.
async fn write_aggregates(store: &Store, school: &SchoolId, fold: &Fold) {
    let mut writes = tokio::task::JoinSet::new();
    let entries: Vec<(
        AggregateKey,
        domain::charts::Tally,
        Option<domain::charts::Labels>,
    )> = fold
        .tallies
        .iter()
        .map(|(k, t)| (k.clone(), t.clone(), fold.labels.get(k).cloned()))
        .collect();
    for chunk in entries.chunks(entries.len().div_ceil(8).max(1)) {
        let chunk = chunk.to_vec();
        let store = store.clone();
        let school = school.clone();
        writes.spawn(async move {
            for (key, tally, labels) in chunk {
                store
                    .repair_aggregate(&school, &key, None, &tally, labels.as_ref())
                    .await
                    .expect("an aggregate is written");
            }
        });
    }
    while let Some(done) = writes.join_next().await {
        done.expect("a writer finishes");
    }
}

/// The charts read at each size: the whole school's term, and one pupil's.
const CHARTS: [(&str, &str); 5] = [
    ("behaviour-over-time", "scope=school&interval=week"),
    ("behaviour-types", "scope=school&interval=term"),
    ("heatmap", "scope=school&interval=term"),
    ("top", "scope=school&interval=term&members=classes&limit=10"),
    (
        "behaviour-over-time",
        "scope=pupil&id=pupil-042&interval=week",
    ),
];

/// Section 2: a term's charts at each size.
pub async fn measure_reads(bench: &Bench) -> Vec<ChartRead> {
    let mut reads = Vec::new();
    for behaviours in SIZES {
        if emulator::may_reset() {
            emulator::reset().await.expect("the emulator resets");
        }
        let table = TestTable::create().await;
        let school = SchoolId::parse("charts-bench").expect("an id");
        testkit::seed_school(&table.store, &school, "Benchmark Academy").await;
        let fold = term_fold(behaviours);
        eprintln!(
            "    {behaviours} behaviours: writing {} aggregates",
            fold.len()
        );
        write_aggregates(&table.store, &school, &fold).await;

        let app = charts::App {
            store: Store::new(bench.dynamo(), &table.name),
            gate: platform::Gate::new(bench.key.verifier()),
        };
        let leader = StaffId::parse("staff-head").expect("an id");
        let token = bench.key.token(&school, &leader, Role::Slt);
        let from = term_start();
        let to = from + Days::days(WEEKS * 7 - 3);
        for (chart, query) in CHARTS {
            let path = format!("/v1/charts/{chart}");
            let query_string = format!("{query}&from={from}&to={to}");
            let request = || {
                let mut request = ApiRequest::get(&path).bearer(&token);
                for (name, value) in query_string.split('&').filter_map(|p| p.split_once('=')) {
                    request = request.query(name, value);
                }
                request.build()
            };
            // One to warm connections and the gate's caches.
            let answer = charts::handle(&app, request()).await;
            assert_eq!(answer.status(), 200, "{chart} {query}: {:?}", answer.body());
            bench.tally.reset();
            let mut samples = Vec::new();
            let mut requests = BTreeMap::new();
            for i in 0..READS {
                let started = Instant::now();
                let answer = charts::handle(&app, request()).await;
                samples.push(started.elapsed());
                assert_eq!(answer.status(), 200);
                let taken = bench.tally.take();
                if i == 0 {
                    requests = taken;
                }
            }
            reads.push(ChartRead {
                behaviours,
                aggregates: fold.len(),
                chart,
                query,
                requests,
                latency: Stats::of(&samples),
            });
        }
    }
    reads
}

fn calls(operations: &BTreeMap<Operation, Usage>) -> u32 {
    operations.values().map(|u| u.calls).sum()
}

pub fn print(fold: &FoldCost, reads: &[ChartRead]) {
    println!("\n7. Charts");
    println!(
        "  The job: {} behaviours in {} events, {} SQS batches of 10, folded in {:.2} s",
        fold.behaviours,
        fold.events,
        fold.batches,
        fold.time.as_secs_f64()
    );
    for ((service, operation), usage) in &fold.operations {
        println!(
            "    {service:<9} {operation:<19} {:>6} per 1,000 behaviours",
            usage.calls as usize * 1_000 / fold.behaviours
        );
    }
    println!(
        "    aggregate writes inside them: {} per 1,000 behaviours",
        fold.aggregate_writes * 1_000 / fold.behaviours
    );
    println!("  A term's charts read through the charts function (DynamoDB requests, ms):");
    println!(
        "    {:>11} {:>10}  {:<42} {:>8} {:>8} {:>8}",
        "behaviours", "aggregates", "chart", "requests", "p50", "p95"
    );
    for read in reads {
        println!(
            "    {:>11} {:>10}  {:<42} {:>8} {:>8.1} {:>8.1}",
            read.behaviours,
            read.aggregates,
            format!(
                "{} {}",
                read.chart,
                read.query.split('&').next().unwrap_or("")
            ),
            calls(&read.requests),
            ms(read.latency.p50),
            ms(read.latency.p95)
        );
    }
}

pub fn to_json(fold: &FoldCost, reads: &[ChartRead]) -> Value {
    json!({
        "fold": {
            "behaviours": fold.behaviours,
            "events": fold.events,
            "batches": fold.batches,
            "seconds": fold.time.as_secs_f64(),
            "aggregateWrites": fold.aggregate_writes,
            "operations": fold.operations.iter().map(|((s, o), u)| json!({
                "service": s, "operation": o, "calls": u.calls, "attempts": u.attempts,
            })).collect::<Vec<_>>(),
        },
        "reads": reads.iter().map(|r| json!({
            "behaviours": r.behaviours,
            "aggregates": r.aggregates,
            "chart": r.chart,
            "query": r.query,
            "requests": calls(&r.requests),
            "operations": r.requests.iter().map(|((s, o), u)| json!({
                "service": s, "operation": o, "calls": u.calls,
            })).collect::<Vec<_>>(),
            "latency": r.latency.to_json(),
        })).collect::<Vec<_>>(),
    })
}
