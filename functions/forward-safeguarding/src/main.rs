use forward_safeguarding::{App, Invocation};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    platform::telemetry::init();
    let app = App::from_env().await.inspect_err(|error| {
        tracing::error!(error = %error, "the forward-safeguarding function is misconfigured");
    })?;
    let app = &app;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Invocation>| async move {
            match event.payload {
                Invocation::Queue(batch) => Ok::<_, Error>(serde_json::to_value(
                    forward_safeguarding::handle(app, batch).await,
                )?),
                Invocation::Tick(tick) => {
                    let report = forward_safeguarding::sweep(app, tick.time).await?;
                    if report.failed > 0 {
                        return Err(Error::from(format!(
                            "{} safeguarding deliveries did not reach the queue",
                            report.failed
                        )));
                    }
                    Ok(serde_json::to_value(report)?)
                }
            }
        },
    ))
    .await
}
