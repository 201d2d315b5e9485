use std::sync::Arc;

use lambda_http::{service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_json_logs();
    // Configuration and clients are built once per cold start and shared by all invocations.
    let app = Arc::new(shared::bootstrap::app_from_env().await?);
    lambda_http::run(service_fn(move |req: Request| {
        let app = Arc::clone(&app);
        async move { Ok::<_, Error>(provider_webhook::handle(&app, req).await) }
    }))
    .await
}
