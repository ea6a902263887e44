//! The sample events in `events/` are what `cargo lambda invoke` sends the
//! function locally: the tick is read as the sweep's tick, and the batch as
//! a batch whose one message names a delivery.

use forward_safeguarding::Invocation;
use store::SafeguardingMessage;

fn invocation(name: &str) -> Invocation {
    serde_json::from_value(testkit::api::sample_event(name)).unwrap()
}

#[test]
fn the_tick_and_the_batch_are_read_as_such() {
    assert!(matches!(
        invocation("forward-safeguarding-tick.json"),
        Invocation::Tick(_)
    ));
    let Invocation::Queue(batch) = invocation("forward-safeguarding-batch.json") else {
        panic!("not a batch");
    };
    assert_eq!(batch.records.len(), 1);
    let message: SafeguardingMessage =
        serde_json::from_str(batch.records[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(message.delivery_id(), "01KB3X5N9Q2W7E4R6T8Y0U1I2O-v2");
    assert_eq!(batch.records[0].attributes["ApproximateReceiveCount"], "1");
}
