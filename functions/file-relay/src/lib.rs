//! SQS event → file jobs → the shared relay. Triggered by the file-job queue (batch size small,
//! partial batch responses on): a transient failure returns the record as a batch item failure,
//! so SQS redelivers it after the visibility timeout; on the last receive (the queue's
//! `maxReceiveCount`, mirrored in `BRIDGE_RELAY_MAX_RECEIVES`) the relay reports the failure
//! visibly in Planfix instead, and a record that still fails lands in the dead-letter queue.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use bridge_core::domain::FileJob;
use bridge_core::file_relay::{handle_job, RelayOutcome};
use bridge_core::Bridge;

pub async fn handle(app: &Bridge, event: SqsEvent, max_receives: u32) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let Some(job) = record.body.as_deref().and_then(|b| serde_json::from_str::<FileJob>(b).ok()) else {
            // Not written by the bridge: like the worker, leave it to the queue's redrive (the
            // dead-letter queue, where an operator sees it), never drop it.
            tracing::error!(message = %id, "unreadable file job; leaving it for the dead-letter queue");
            response.add_failure(id);
            continue;
        };
        let receives: u32 = record.attributes.get("ApproximateReceiveCount").and_then(|c| c.parse().ok()).unwrap_or(1);
        match handle_job(app, &job, receives >= max_receives).await {
            Ok(RelayOutcome::Delivered | RelayOutcome::AlreadyDone) => {}
            Ok(RelayOutcome::Reported(reason)) => {
                tracing::warn!(job = %job.job_key(), reason, "file not transferred; noted in Planfix")
            }
            Err(e) if e.retry.is_retryable() => {
                tracing::warn!(job = %job.job_key(), receives, error = %e, "file transfer failed; SQS will redeliver");
                response.add_failure(id);
            }
            Err(e) => tracing::error!(job = %job.job_key(), error = %e, "file job failed permanently"),
        }
    }
    response
}
