use lambda_runtime::{Error, LambdaEvent, service_fn};
use sync_wonde::App;

#[tokio::main]
async fn main() -> Result<(), Error> {
    platform::telemetry::init();
    let app = App::from_env().await?;
    let app = &app;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>| async move {
            Ok::<_, Error>(sync_wonde::handle(app, event.payload).await)
        },
    ))
    .await
}
