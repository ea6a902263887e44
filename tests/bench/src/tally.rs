//! Counts what an AWS SDK client sends, by service and operation, with an
//! interceptor on the client: the numbers come from the SDK itself, not from
//! reading the store's code.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// A service and one of its operations, such as `DynamoDB` / `Query`.
pub type Operation = (String, String);

/// What one operation cost so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Operations called (one per `send()`).
    pub calls: u32,
    /// HTTP requests sent: more than `calls` only if the SDK retried.
    pub attempts: u32,
    /// Wall time from `send()` to its result, summed.
    pub time: Duration,
}

/// Every operation the clients it is installed on have called, shared by
/// clones.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    seen: Arc<Mutex<BTreeMap<Operation, Usage>>>,
}

/// When the operation in flight started, kept in its config bag.
#[derive(Debug, Clone)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

fn operation(cfg: &ConfigBag) -> Operation {
    match cfg.load::<Metadata>() {
        Some(metadata) => (metadata.service().to_owned(), metadata.name().to_owned()),
        None => ("unknown".to_owned(), "unknown".to_owned()),
    }
}

impl Tally {
    /// Forgets everything counted so far.
    pub fn reset(&self) {
        self.seen
            .lock()
            .expect("the tally is never poisoned")
            .clear();
    }

    /// Everything counted since the last reset, and a reset.
    pub fn take(&self) -> BTreeMap<Operation, Usage> {
        std::mem::take(&mut *self.seen.lock().expect("the tally is never poisoned"))
    }

    fn add(&self, operation: Operation, change: impl FnOnce(&mut Usage)) {
        change(
            self.seen
                .lock()
                .expect("the tally is never poisoned")
                .entry(operation)
                .or_default(),
        );
    }
}

impl Intercept for Tally {
    fn name(&self) -> &'static str {
        "BenchTally"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    // Counted here rather than before execution: a client's interceptors see
    // the execution start before the operation's own configuration, which
    // names it, is in the bag.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.add(operation(cfg), |usage| usage.calls += 1);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.add(operation(cfg), |usage| usage.attempts += 1);
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(Started(at)) = cfg.load::<Started>().cloned() {
            self.add(operation(cfg), |usage| usage.time += at.elapsed());
        }
        Ok(())
    }
}
