//! Lambda: the file relay (SQS-triggered).
use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use tracing::Instrument;

#[tokio::main]
async fn main() -> Result<(), Error> {
    bridge_app::telemetry::init_json_logs();
    let app = Arc::new(bridge_app::aws::app_from_env().await?);
    let max_receives = std::env::var("BRIDGE_RELAY_MAX_RECEIVES").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let app = Arc::clone(&app);
        let span = tracing::info_span!("invocation", request_id = %event.context.request_id);
        async move { Ok::<_, Error>(file_relay::handle(&app, event.payload, max_receives).await) }.instrument(span)
    }))
    .await
}
