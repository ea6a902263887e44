use lambda_runtime::{Error, LambdaEvent, service_fn};
use mail_feedback::{App, Invocation};

#[tokio::main]
async fn main() -> Result<(), Error> {
    platform::telemetry::init();
    let app = App::from_env().await.inspect_err(|error| {
        tracing::error!(error = %error, "the mail-feedback function is misconfigured");
    })?;
    let app = &app;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Invocation>| async move {
            match event.payload {
                Invocation::Queue(batch) => {
                    let handled = mail_feedback::handle(app, batch).await;
                    Ok::<_, Error>(serde_json::to_value(handled.response)?)
                }
            }
        },
    ))
    .await
}
