//! The smallest Lambda function worth measuring: it answers every event with
//! the event itself. Built with the same profile as our functions, it shows
//! what the runtime alone costs in size and cold start.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<_, Error>(event.payload)
    }))
    .await
}
