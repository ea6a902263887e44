use lambda_http::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    platform::telemetry::init();
    let app = sanctions::App::from_env().await.inspect_err(|error| {
        tracing::error!(error = %error, "the sanctions function is misconfigured");
    })?;
    let app = &app;
    lambda_http::run(service_fn(move |request| async move {
        Ok::<_, std::convert::Infallible>(sanctions::handle(app, request).await)
    }))
    .await
}
