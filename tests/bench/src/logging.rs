//! Logging behaviour in-process against the emulator: the requests one log
//! costs beside the fewest it could, and how long it takes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use behaviour::App;
use domain::{ClassId, PupilId, Role, SchoolId};
use platform::CursorSigner;
use platform::queue::EventQueue;
use serde_json::{Value, json};
use store::{ClassRoster, Store};
use testkit::{ApiRequest, DemoSchool, SigningKey, TestQueue, TestTable};

use crate::emulator;
use crate::tally::{Operation, Tally, Usage};

/// Cursor key for the function under test: any 32+ characters.
pub const CURSOR_KEY: &str = "benchmark cursor key, at least 32 characters";

/// Iterations (each a fresh lesson) before measuring, so that connections
/// and caches are warm.
const WARM_UP_ITERATIONS: usize = 2;

/// Measured logs per scenario. Each iteration is a fresh table and school
/// (see `emulator`): each measured log is the first of its lesson, which
/// sends the same requests as any later one.
pub const ITERATIONS: usize = 50;

/// One kind of log request: how many pupils, and from which demo class.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub name: &'static str,
    pub pupils: usize,
    /// Index into the demo school's classes: 7A (30), 8C (28), Year 9 (40).
    class: usize,
    behaviour_type: &'static str,
}

/// The single pupil goes in 8C so that its lights do not share items with
/// the class of 30 in 7A.
pub const SCENARIOS: [Scenario; 3] = [
    Scenario {
        name: "1 pupil",
        pupils: 1,
        class: 1,
        behaviour_type: "disruption",
    },
    Scenario {
        name: "class of 30",
        pupils: 30,
        class: 0,
        behaviour_type: "participation",
    },
    Scenario {
        name: "class of 40",
        pupils: 40,
        class: 2,
        behaviour_type: "on-task",
    },
];

/// SDK clients with every request counted, shared by the lessons of the
/// benchmark.
pub struct Bench {
    pub tally: Tally,
    dynamo: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    pub key: SigningKey,
}

/// A fresh table and queue holding one demo school, and the behaviour
/// function wired to them with the counted clients.
pub struct Lesson {
    pub table: TestTable,
    pub queue: TestQueue,
    pub app: App,
    pub school: DemoSchool,
}

impl Bench {
    pub async fn new() -> Self {
        let sdk = testkit::aws::config().await;
        let tally = Tally::default();
        let dynamo = aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(tally.clone())
            .build();
        let sqs = aws_sdk_sqs::config::Builder::from(&sdk)
            .interceptor(tally.clone())
            .build();
        Self {
            tally,
            dynamo: aws_sdk_dynamodb::Client::from_conf(dynamo),
            sqs: aws_sdk_sqs::Client::from_conf(sqs),
            key: SigningKey::generate(),
        }
    }

    /// The counted DynamoDB client.
    pub fn dynamo(&self) -> aws_sdk_dynamodb::Client {
        self.dynamo.clone()
    }

    /// The counted SQS client.
    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        self.sqs.clone()
    }

    /// A fresh table and queue with a demo school, seeded without counting;
    /// the emulator is emptied first when the benchmark owns it.
    pub async fn lesson(&self, school: &str) -> Lesson {
        if emulator::may_reset() {
            emulator::reset().await.expect("the emulator resets");
        }
        let table = TestTable::create().await;
        let queue = TestQueue::create().await;
        let id = SchoolId::parse(school).expect("benchmark school ids are valid");
        let school = testkit::seed_school(&table.store, &id, school).await;
        let app = App {
            store: Store::new(self.dynamo.clone(), &table.name),
            events: EventQueue::new(self.sqs.clone(), queue.url.clone()),
            certificates: EventQueue::new(self.sqs.clone(), queue.url.clone()),
            gate: platform::Gate::new(self.key.verifier()),
            cursors: CursorSigner::new(CURSOR_KEY)
                .expect("the benchmark's cursor key is long enough"),
        };
        Lesson {
            table,
            queue,
            app,
            school,
        }
    }

    /// The request a teacher's app sends to log `scenario`.
    pub fn log_request(&self, school: &DemoSchool, scenario: Scenario) -> ApiRequest {
        let class: &ClassRoster = &school.classes[scenario.class];
        let pupils: Vec<PupilId> = school
            .pupils(class)
            .into_iter()
            .take(scenario.pupils)
            .collect();
        assert_eq!(
            pupils.len(),
            scenario.pupils,
            "the demo class {} is too small",
            class.id
        );
        let token = self.key.token(&school.id, &school.teacher, Role::Teacher);
        log_request(&token, &class.id, &pupils, scenario.behaviour_type)
    }
}

impl Lesson {
    /// Sends one log through the handler; anything but 201 stops the
    /// benchmark, since its numbers would mean nothing.
    async fn log(&self, bench: &Bench, scenario: Scenario) -> Duration {
        let request = bench.log_request(&self.school, scenario).build();
        let started = Instant::now();
        let response = behaviour::handle(&self.app, request).await;
        let took = started.elapsed();
        if response.status().as_u16() != 201 {
            let body = String::from_utf8_lossy(response.body().as_ref()).into_owned();
            panic!(
                "logging answered {} instead of 201: {body}",
                response.status()
            );
        }
        took
    }

    /// Drops the table and queue, so the emulator holds only what is in use.
    pub async fn end(self) {
        let table = self
            .table
            .client()
            .delete_table()
            .table_name(&self.table.name)
            .send()
            .await;
        let queue = self
            .queue
            .client
            .delete_queue()
            .queue_url(&self.queue.url)
            .send()
            .await;
        if table.is_err() || queue.is_err() {
            eprintln!(
                "warning: could not delete table {} or queue {}",
                self.table.name, self.queue.url
            );
        }
    }
}

/// The body of `POST /v1/behaviours`.
pub fn log_request(
    token: &str,
    class: &ClassId,
    pupils: &[PupilId],
    behaviour_type: &str,
) -> ApiRequest {
    let body = json!({ "classId": class, "pupilIds": pupils, "behaviourTypeId": behaviour_type });
    ApiRequest::post("/v1/behaviours").bearer(token).json(&body)
}

/// What one scenario cost.
pub struct Measured {
    pub scenario: Scenario,
    /// Per operation, in the first measured iteration.
    pub requests: BTreeMap<Operation, Usage>,
    /// How many measured iterations sent exactly the same operations.
    pub same_requests: usize,
    /// Mean time spent in each operation per log, over the iterations.
    pub time_per_operation: BTreeMap<Operation, Duration>,
    pub latencies: Vec<Duration>,
}

/// Counts and times every scenario. Scenarios take turns within each
/// iteration so that any drift of the emulator touches them all alike.
pub async fn measure(bench: &Bench) -> Vec<Measured> {
    for iteration in 0..WARM_UP_ITERATIONS {
        let lesson = bench.lesson(&format!("bench-warm-up-{iteration}")).await;
        for scenario in SCENARIOS {
            lesson.log(bench, scenario).await;
        }
        lesson.end().await;
    }

    let mut results: Vec<Measured> = SCENARIOS
        .iter()
        .map(|&scenario| Measured {
            scenario,
            requests: BTreeMap::new(),
            same_requests: 0,
            time_per_operation: BTreeMap::new(),
            latencies: Vec::with_capacity(ITERATIONS),
        })
        .collect();
    for iteration in 0..ITERATIONS {
        let lesson = bench.lesson(&format!("bench-{iteration:03}")).await;
        // Each scenario takes each turn equally often: the table grows with
        // every log, and moto's transactions slow down as it does.
        for turn in 0..results.len() {
            let index = (iteration + turn) % results.len();
            let measured = &mut results[index];
            bench.tally.reset();
            measured
                .latencies
                .push(lesson.log(bench, measured.scenario).await);
            let requests = bench.tally.take();
            if iteration == 0 {
                measured.requests = requests.clone();
            }
            if same_operations(&requests, &measured.requests) {
                measured.same_requests += 1;
            }
            for (operation, usage) in requests {
                *measured.time_per_operation.entry(operation).or_default() += usage.time;
            }
        }
        lesson.end().await;
    }
    for measured in &mut results {
        for time in measured.time_per_operation.values_mut() {
            *time /= ITERATIONS as u32;
        }
    }
    results
}

fn same_operations(a: &BTreeMap<Operation, Usage>, b: &BTreeMap<Operation, Usage>) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((op_a, use_a), (op_b, use_b))| {
            op_a == op_b && use_a.calls == use_b.calls && use_a.attempts == use_b.attempts
        })
}

/// The fewest requests of each operation that logging `pupils` pupils of
/// one class could make with this table design, and why.
pub fn minimum(pupils: usize) -> Vec<(&'static str, &'static str, u32, String)> {
    let keys = 2 * pupils;
    let writes = 3 * pupils + 1;
    vec![
        (
            "DynamoDB",
            "Query",
            2,
            "school settings + policy (one partition), class roster (one partition, one page)"
                .into(),
        ),
        (
            "DynamoDB",
            "BatchGetItem",
            keys.div_ceil(100) as u32,
            format!("light + points of {pupils} pupil(s): {keys} keys, 100 per BatchGetItem"),
        ),
        (
            "DynamoDB",
            "TransactWriteItems",
            writes.div_ceil(100) as u32,
            format!("{writes} writes (3 a pupil + the request record), at most 100 a transaction"),
        ),
        (
            "DynamoDB",
            "UpdateItem",
            0,
            "none needed to log; see the outbox note".into(),
        ),
        (
            "DynamoDB",
            "GetItem",
            0,
            "none needed: read only on a retry or a collision".into(),
        ),
        (
            "SQS",
            "SendMessage",
            1,
            "one event for the whole request, to behaviour-events".into(),
        ),
    ]
}

/// The JSON of one scenario for the report.
pub fn to_json(measured: &Measured) -> Value {
    let requests: Vec<Value> = operations(measured)
        .into_iter()
        .map(|(service, name, used, minimum, why)| {
            let time = measured
                .time_per_operation
                .get(&(service.clone(), name.clone()));
            json!({
                "service": service,
                "operation": name,
                "calls": used.calls,
                "httpAttempts": used.attempts,
                "minimum": minimum,
                "minimumBecause": why,
                "meanMs": ms(time.copied().unwrap_or_default()),
            })
        })
        .collect();
    let stats = Stats::of(&measured.latencies);
    json!({
        "scenario": measured.scenario.name,
        "pupils": measured.scenario.pupils,
        "requests": requests,
        "totalCalls": measured.requests.values().map(|u| u.calls).sum::<u32>(),
        "totalMinimum": minimum(measured.scenario.pupils).iter().map(|m| m.2).sum::<u32>(),
        "iterationsWithSameRequests": measured.same_requests,
        "latencyMs": stats.to_json(),
    })
}

/// Every operation used or in the minimum: service, operation, what was
/// used, the minimum and why.
pub fn operations(measured: &Measured) -> Vec<(String, String, Usage, u32, String)> {
    let minimum = minimum(measured.scenario.pupils);
    let mut rows: Vec<(String, String, Usage, u32, String)> = minimum
        .iter()
        .map(|(service, name, least, why)| {
            let key = ((*service).to_owned(), (*name).to_owned());
            let used = measured.requests.get(&key).copied().unwrap_or_default();
            (key.0, key.1, used, *least, why.clone())
        })
        .collect();
    for ((service, name), used) in &measured.requests {
        if !rows.iter().any(|row| &row.0 == service && &row.1 == name) {
            rows.push((
                service.clone(),
                name.clone(),
                *used,
                0,
                "not expected".into(),
            ));
        }
    }
    rows
}

/// Latency summary: nearest-rank percentiles.
pub struct Stats {
    pub count: usize,
    pub p50: Duration,
    pub p95: Duration,
    pub max: Duration,
    pub mean: Duration,
}

impl Stats {
    pub fn of(samples: &[Duration]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort();
        let rank =
            |p: f64| sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
        Self {
            count: sorted.len(),
            p50: rank(0.50),
            p95: rank(0.95),
            max: *sorted.last().expect("at least one sample"),
            mean: sorted.iter().sum::<Duration>() / sorted.len() as u32,
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "samples": self.count,
            "p50": ms(self.p50),
            "p95": ms(self.p95),
            "max": ms(self.max),
            "mean": ms(self.mean),
        })
    }
}

/// Milliseconds with two decimals.
pub fn ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 100_000.0).round() / 100.0
}
