use lambda_runtime::{Error, LambdaEvent, service_fn};
use send_certificate::{App, Invocation};

#[tokio::main]
async fn main() -> Result<(), Error> {
    platform::telemetry::init();
    let app = App::from_env().await.inspect_err(|error| {
        tracing::error!(error = %error, "the send-certificate function is misconfigured");
    })?;
    let app = &app;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Invocation>| async move {
            match event.payload {
                Invocation::Queue(batch) => Ok::<_, Error>(serde_json::to_value(
                    send_certificate::handle(app, batch).await,
                )?),
                Invocation::StreakCheck(_) => {
                    let report =
                        send_certificate::streaks::check_green_streaks(app, chrono::Utc::now())
                            .await?;
                    if report.failed > 0 {
                        return Err(Error::from(format!(
                            "{} schools' green streaks were not checked",
                            report.failed
                        )));
                    }
                    Ok(serde_json::to_value(report)?)
                }
                Invocation::Tick(tick) => {
                    let report = send_certificate::sweep(app, tick.time).await?;
                    if report.failed > 0 {
                        return Err(Error::from(format!(
                            "{} certificates did not reach the queue",
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
