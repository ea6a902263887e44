use compute_charts::{App, Invocation, Job};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    platform::telemetry::init();
    let app = App::from_env().await.inspect_err(|error| {
        tracing::error!(error = %error, "the compute-charts function is misconfigured");
    })?;
    let app = &app;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Invocation>| async move {
            match event.payload {
                Invocation::Queue(batch) => Ok::<_, Error>(serde_json::to_value(
                    Box::pin(compute_charts::handle(app, batch)).await,
                )?),
                Invocation::Reconcile(input) => {
                    let report = Box::pin(compute_charts::reconcile::reconcile(
                        &app.store,
                        &input.reconcile,
                    ))
                    .await?;
                    Ok(serde_json::to_value(report)?)
                }
                Invocation::Job(input) => match input.job {
                    Job::Reconcile => {
                        let reports = Box::pin(compute_charts::reconcile::reconcile_all(
                            &app.store,
                            chrono::Utc::now(),
                        ))
                        .await?;
                        Ok(serde_json::to_value(reports)?)
                    }
                    Job::WeeklySummary => {
                        let report = Box::pin(compute_charts::summary::queue_summaries(
                            app,
                            chrono::Utc::now(),
                        ))
                        .await?;
                        if report.failed > 0 {
                            return Err(Error::from(format!(
                                "{} summaries did not reach the queue",
                                report.failed
                            )));
                        }
                        Ok(serde_json::to_value(report)?)
                    }
                },
            }
        },
    ))
    .await
}
