//! SQS event → file jobs → the shared relay. Triggered by the file-job queue (batch size small,
//! partial batch responses on): a failure worth retrying returns the record as a batch item
//! failure, delayed by the one retry policy (its visibility timeout); on the last receive (the
//! queue's `maxReceiveCount`, mirrored in `BRIDGE_RELAY_MAX_RECEIVES`) the relay reports the
//! failure visibly in Planfix instead, and a record that still fails lands in the dead-letter
//! queue.

use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use bridge_aws::SqsFileJobQueue;
use bridge_core::domain::FileJob;
use bridge_core::file_relay::{handle_job, RelayOutcome};
use bridge_core::retry::RetryPolicy;
use bridge_core::Bridge;

#[derive(Clone, Debug)]
pub struct RelayConfig {
    /// Receives before the relay reports instead of retrying (`BRIDGE_RELAY_MAX_RECEIVES`).
    pub max_receives: u32,
    pub retry_base: Duration,
    pub retry_max: Duration,
}

impl RelayConfig {
    pub fn from_env() -> Self {
        let var = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
        Self {
            max_receives: var("BRIDGE_RELAY_MAX_RECEIVES", 5) as u32,
            retry_base: Duration::from_secs(var("BRIDGE_RELAY_RETRY_BASE_SECS", 120)),
            retry_max: Duration::from_secs(var("BRIDGE_RELAY_RETRY_MAX_SECS", 1800)),
        }
    }

    /// The one retry policy, as this queue's redelivery: SQS counts the tries.
    pub fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            attempts: self.max_receives as usize,
            min_delay: self.retry_base,
            max_delay: self.retry_max,
            max_pause: self.retry_max,
        }
    }
}

/// `queue`: where failed records are delayed (None: the queue's visibility timeout applies).
pub async fn handle(
    app: &Bridge,
    queue: Option<&SqsFileJobQueue>,
    cfg: &RelayConfig,
    event: SqsEvent,
) -> SqsBatchResponse {
    let policy = cfg.policy();
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
        match handle_job(app, &job, policy.exhausted(receives)).await {
            Ok(RelayOutcome::Delivered | RelayOutcome::AlreadyDone) => {}
            Ok(RelayOutcome::Reported(reason)) => {
                tracing::warn!(job = %job.job_key(), reason, "file not transferred; noted in Planfix")
            }
            Err(e) if e.retry.is_retryable() => {
                let wait = i32::try_from(policy.delay(receives, e.retry).as_secs()).unwrap_or(i32::MAX);
                tracing::warn!(job = %job.job_key(), receives, error = %e, wait_secs = wait,
                    "file transfer failed; SQS will redeliver");
                if let (Some(queue), Some(handle)) = (queue, record.receipt_handle.as_deref()) {
                    if let Err(e) = queue.retry_later(handle, wait).await {
                        tracing::warn!(error = %e, "could not set the retry delay; the visibility timeout applies");
                    }
                }
                response.add_failure(id);
            }
            Err(e) => tracing::error!(job = %job.job_key(), error = %e, "file job failed permanently"),
        }
    }
    bridge_core::metrics::flush();
    response
}
