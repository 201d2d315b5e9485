//! Lambda: the file relay (SQS-triggered).
use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use bridge_aws::aws_sdk_sqs;
use bridge_aws::SqsFileJobQueue;
use file_relay::RelayConfig;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use tracing::Instrument;

#[tokio::main]
async fn main() -> Result<(), Error> {
    bridge_app::telemetry::init_json_logs();
    let aws = bridge_app::aws::load_config().await;
    let app = Arc::new(bridge_app::aws::app_from_aws(&aws).await?);
    let queue_url =
        std::env::var("BRIDGE_FILE_QUEUE_URL").map_err(|_| "missing environment variable BRIDGE_FILE_QUEUE_URL")?;
    let queue = Arc::new(SqsFileJobQueue::new(aws_sdk_sqs::Client::new(&aws), queue_url));
    let cfg = Arc::new(RelayConfig::from_env());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let (app, queue, cfg) = (Arc::clone(&app), Arc::clone(&queue), Arc::clone(&cfg));
        let span = tracing::info_span!("invocation", request_id = %event.context.request_id);
        async move { Ok::<_, Error>(file_relay::handle(&app, Some(&queue), &cfg, event.payload).await) }
            .instrument(span)
    }))
    .await
}
