use lambda_runtime::{Error, LambdaEvent, service_fn};
use platform::queue::EventQueue;
use relay_outbox::Relay;
use store::Store;

#[tokio::main]
async fn main() -> Result<(), Error> {
    platform::telemetry::init();
    let aws = platform::config::aws().await;
    let relay = Relay {
        store: Store::new(
            aws_sdk_dynamodb::Client::new(&aws),
            platform::env_var("TABLE_NAME")?,
        ),
        events: EventQueue::from_env(aws_sdk_sqs::Client::new(&aws), "BEHAVIOUR_EVENTS_QUEUE_URL")?,
    };
    let relay = &relay;
    lambda_runtime::run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move {
            let report = relay.run().await?;
            if report.failed > 0 {
                return Err(Error::from(format!(
                    "{} events could not be sent",
                    report.failed
                )));
            }
            Ok::<_, Error>(report)
        },
    ))
    .await
}
