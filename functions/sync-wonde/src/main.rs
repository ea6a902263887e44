use lambda_runtime::{Error, LambdaEvent, service_fn};
use sync_wonde::{App, Invocation};

#[tokio::main]
async fn main() -> Result<(), Error> {
    platform::telemetry::init();
    let app = App::from_env().await?;
    let app = &app;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Invocation>| async move {
            match event.payload {
                Invocation::Queue(batch) => {
                    Ok::<_, Error>(serde_json::to_value(sync_wonde::handle(app, batch).await)?)
                }
                Invocation::Tick(tick) => {
                    let report = sync_wonde::plan_tick(app, tick.time).await?;
                    if report.failed > 0 {
                        return Err(Error::from(format!(
                            "{} of {} roster syncs did not reach the queue",
                            report.failed,
                            report.failed + report.queued
                        )));
                    }
                    Ok(serde_json::to_value(report)?)
                }
            }
        },
    ))
    .await
}
