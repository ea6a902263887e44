//! A school of one's own on the emulator, its roster on a fake Wonde, and
//! a count of every write the sync sends to the table.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemInput;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemInput;
use aws_sdk_dynamodb::operation::put_item::PutItemInput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemInput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use domain::{Policy, PupilId, SchoolId};
use platform::queue::EventQueue;
use store::{SchoolSettings, Store, SyncKind};
use sync_wonde::App;
use testkit::wonde::{FakeWonde, SchoolSpec};
use testkit::{TestQueue, TestTable};

pub const TOKEN: &str = "test-wonde-token-1234";

/// One write request the table was sent: the operation and the partition
/// key of every item it touched.
#[derive(Debug, Clone)]
pub struct Write {
    pub operation: &'static str,
    pub partitions: Vec<String>,
}

/// Every write request sent by the clients it is installed on.
#[derive(Debug, Clone, Default)]
pub struct Writes(Arc<Mutex<Vec<Write>>>);

impl Writes {
    pub fn take(&self) -> Vec<Write> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    fn push(&self, operation: &'static str, partitions: Vec<String>) {
        self.0.lock().unwrap().push(Write {
            operation,
            partitions,
        });
    }
}

fn pk(item: Option<&std::collections::HashMap<String, AttributeValue>>) -> String {
    item.and_then(|i| i.get("pk"))
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

impl Intercept for Writes {
    fn name(&self) -> &'static str {
        "WriteCount"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input();
        if let Some(batch) = input.downcast_ref::<BatchWriteItemInput>() {
            let partitions = batch
                .request_items()
                .into_iter()
                .flat_map(|m| m.values())
                .flatten()
                .map(|w| match (w.put_request(), w.delete_request()) {
                    (Some(p), _) => pk(Some(p.item())),
                    (_, Some(d)) => pk(Some(d.key())),
                    _ => String::new(),
                })
                .collect();
            self.push("BatchWriteItem", partitions);
        } else if let Some(put) = input.downcast_ref::<PutItemInput>() {
            self.push("PutItem", vec![pk(put.item())]);
        } else if let Some(update) = input.downcast_ref::<UpdateItemInput>() {
            self.push("UpdateItem", vec![pk(update.key())]);
        } else if let Some(delete) = input.downcast_ref::<DeleteItemInput>() {
            self.push("DeleteItem", vec![pk(delete.key())]);
        } else if input.downcast_ref::<TransactWriteItemsInput>().is_some() {
            self.push("TransactWriteItems", vec![]);
        }
        Ok(())
    }
}

pub struct World {
    pub table: TestTable,
    pub fake: FakeWonde,
    pub app: App,
    pub school: SchoolId,
    pub writes: Writes,
    /// The `roster-sync` queue a tick puts syncs on.
    pub syncs: TestQueue,
}

/// Short timeouts and quick retries, and pages of ten so that the small
/// school takes several pages per list.
pub fn wonde_client(base_url: &str) -> wonde::Client {
    let config = wonde::Config::new(base_url, wonde::Token::new(TOKEN).unwrap())
        .per_page(10)
        .request_timeout(Duration::from_millis(400))
        .retry(wonde::RetryPolicy {
            max_attempts: 3,
            first_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
            max_retry_after: Duration::from_secs(1),
        });
    wonde::Client::new(config).unwrap()
}

impl World {
    /// A set-up school linked to a small fake Wonde school.
    pub async fn start() -> Self {
        let table = TestTable::create().await;
        let fake = FakeWonde::start(TOKEN, SchoolSpec::small()).await;
        let school = SchoolId::parse(&format!("school-{}", ulid::Ulid::new())).unwrap();
        let settings = SchoolSettings {
            name: "Riverside Academy".to_owned(),
            time_zone: "Europe/London".to_owned(),
        };
        table
            .store
            .put_school(&school, &settings, &Policy::default_for_new_school())
            .await
            .unwrap();
        table
            .store
            .link_wonde(&school, &fake.school_id())
            .await
            .unwrap();

        let writes = Writes::default();
        let sdk = testkit::aws::config().await;
        let client = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk)
                .interceptor(writes.clone())
                .build(),
        );
        let syncs = TestQueue::create().await;
        let app = App {
            store: Store::new(client, &table.name),
            wonde: wonde_client(&fake.base_url()),
            syncs: EventQueue::new(syncs.client.clone(), &syncs.url),
            lease_for: chrono::Duration::minutes(2),
        };
        Self {
            table,
            fake,
            app,
            school,
            writes,
            syncs,
        }
    }

    pub fn store(&self) -> &Store {
        &self.table.store
    }

    /// Runs a sync that must complete, forgetting the writes before it.
    pub async fn sync(&self, kind: SyncKind) -> store::SyncRun {
        match sync_wonde::sync_school(&self.app, &self.school, kind).await {
            Ok(sync_wonde::SyncOutcome::Completed(run)) => run,
            other => panic!("the sync did not complete: {other:?}"),
        }
    }

    pub fn pupil_id(&self, wonde_id: &str) -> PupilId {
        let upi = self.fake.pupil(wonde_id).expect("a fake pupil").upi;
        store::keys::pupil_from_upi(&self.school, &upi)
    }

    /// Write requests sent since the last call, other than the sync's own
    /// lease, state and run record.
    pub fn roster_writes(&self) -> Vec<Write> {
        let bookkeeping = store::keys::roster_sync(&self.school);
        self.writes
            .take()
            .into_iter()
            .filter(|w| w.partitions.iter().any(|p| p != &bookkeeping))
            .collect()
    }
}
