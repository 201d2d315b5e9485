//! Lambda: the worker (SQS FIFO-triggered), also invoked by the sweep's EventBridge schedule.
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, Error, LambdaEvent};
use tracing::Instrument;

/// Time kept back from the invocation's deadline: the message in progress (a few Planfix calls
/// at 1/s) must finish and the continuation be queued before Lambda stops the instance.
const SAFETY_MARGIN: Duration = Duration::from_secs(30);

#[tokio::main]
async fn main() -> Result<(), Error> {
    bridge_app::telemetry::init_json_logs();
    let aws = bridge_app::aws::load_config().await;
    let app = Arc::new(bridge_app::aws::app_from_aws(&aws).await?);
    let queue_url = std::env::var("BRIDGE_WORK_QUEUE_URL").map_err(|_| "BRIDGE_WORK_QUEUE_URL is not set")?;
    let queue = Arc::new(bridge_aws::SqsWorkQueue::new(aws_sdk_sqs::Client::new(&aws), queue_url));
    let cfg = worker::WorkerConfig::from_env();
    let sweep = worker::SweepConfig::from_env();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let (app, queue, cfg, sweep) = (Arc::clone(&app), Arc::clone(&queue), cfg.clone(), sweep.clone());
        let span = tracing::info_span!("invocation", request_id = %event.context.request_id);
        async move {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
            let left = Duration::from_millis(event.context.deadline).saturating_sub(now).saturating_sub(SAFETY_MARGIN);
            let deadline = tokio::time::Instant::now() + left;
            worker::handle_event(&app, &queue, &cfg, &sweep, event.payload, Some(deadline)).await.map_err(Error::from)
        }
        .instrument(span)
    }))
    .await
}
