//! SQS FIFO event → [`Work`] → the shared worker core; an EventBridge scheduled event → the
//! sweep ([`bridge_core::sweep`]), which queues again the conversations whose work was lost.
//!
//! Records arrive grouped (one conversation per message group) and in order. A failed record
//! is delayed with exponential backoff (its visibility timeout) and reported as a batch item
//! failure; every later record of the same group in this batch is reported too, unprocessed,
//! so nothing overtakes it. On the last receive the core dead-letters instead of failing.

use std::collections::HashMap;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use bridge_aws::SqsWorkQueue;
use bridge_core::domain::Work;
use bridge_core::ports::WorkQueue;
use bridge_core::retry::RetryPolicy;
use bridge_core::worker::{self, Delivery, WorkOutcome};
use bridge_core::Bridge;
use serde_json::Value;
use tokio::time::Instant;

#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Receives before the core dead-letters (`BRIDGE_WORK_MAX_RECEIVES`; the queue's own
    /// redrive count must be higher so the bridge's dead letters come first).
    pub max_receives: u32,
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Wait after Planfix reports the daily request limit spent (`BRIDGE_WORK_DAILY_LIMIT_PAUSE_SECS`).
    pub daily_limit_pause: Duration,
}

/// The scheduled sweep: how long an inbox entry may wait before its conversation is queued
/// again (`BRIDGE_SWEEP_STALE_SECS`, default [`bridge_core::sweep::STALE_AFTER`]).
#[derive(Clone, Debug)]
pub struct SweepConfig {
    pub stale_after: Duration,
}

impl SweepConfig {
    pub fn from_env() -> Self {
        let secs = std::env::var("BRIDGE_SWEEP_STALE_SECS").ok().and_then(|v| v.parse().ok());
        Self { stale_after: secs.map_or(bridge_core::sweep::STALE_AFTER, Duration::from_secs) }
    }
}

/// One invocation's event: the work queue's SQS batch, or the sweep's EventBridge schedule.
#[derive(Debug)]
pub enum Invocation {
    Work(SqsEvent),
    Sweep,
}

impl Invocation {
    /// Tells the two apart by their shape: an EventBridge event names its `source` and
    /// `detail-type` (`aws.events`, `Scheduled Event`), an SQS event has `Records`.
    pub fn from_event(event: Value) -> Result<Self, String> {
        let is = |field: &str, want: &str| event.get(field).and_then(Value::as_str) == Some(want);
        if is("source", "aws.events") && is("detail-type", "Scheduled Event") {
            return Ok(Invocation::Sweep);
        }
        if event.get("Records").is_some() {
            return serde_json::from_value(event).map(Invocation::Work).map_err(|e| format!("not an SQS event: {e}"));
        }
        Err("neither an SQS event (Records) nor an EventBridge scheduled event (source aws.events, detail-type \
             Scheduled Event)"
            .into())
    }
}

/// Handles any event the worker function receives; the answer is the Lambda response (the
/// batch item failures of an SQS batch, the sweep's counts). An unknown event is an error, so
/// the invocation fails visibly.
pub async fn handle_event(
    app: &Bridge,
    queue: &SqsWorkQueue,
    cfg: &WorkerConfig,
    sweep: &SweepConfig,
    event: Value,
    deadline: Option<Instant>,
) -> Result<Value, String> {
    // Boxed: the two futures nest deep enough to pass the compiler's layout depth limit.
    match Invocation::from_event(event)? {
        Invocation::Work(batch) => {
            let response = Box::pin(handle(app, queue, cfg, batch, deadline)).await;
            serde_json::to_value(response).map_err(|e| e.to_string())
        }
        Invocation::Sweep => {
            let report = Box::pin(bridge_core::sweep::sweep_with(app, sweep.stale_after)).await;
            bridge_core::metrics::flush();
            let failed: Vec<String> = report.failed.iter().map(ToString::to_string).collect();
            Ok(
                serde_json::json!({ "swept_accounts": report.accounts, "poked": report.poked, "failed_accounts": failed }),
            )
        }
    }
}

impl WorkerConfig {
    pub fn from_env() -> Self {
        let var = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
        Self {
            max_receives: var("BRIDGE_WORK_MAX_RECEIVES", 8) as u32,
            retry_base: Duration::from_secs(var("BRIDGE_WORK_RETRY_BASE_SECS", 2)),
            retry_max: Duration::from_secs(var("BRIDGE_WORK_RETRY_MAX_SECS", 300)),
            daily_limit_pause: Duration::from_secs(var("BRIDGE_WORK_DAILY_LIMIT_PAUSE_SECS", 900)),
        }
    }

    /// The one retry policy, as this queue's redelivery: SQS counts the tries.
    pub fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            attempts: self.max_receives as usize,
            min_delay: self.retry_base,
            max_delay: self.retry_max,
            max_pause: self.daily_limit_pause,
        }
    }
}

/// The Lambda answer plus what each record did (for logs and tests).
#[derive(Default)]
pub struct BatchReport {
    pub response: SqsBatchResponse,
    pub outcomes: Vec<(Work, WorkOutcome)>,
}

/// `deadline`: when to stop taking new messages (the invocation's time minus a margin).
pub async fn handle(
    app: &Bridge,
    queue: &SqsWorkQueue,
    cfg: &WorkerConfig,
    event: SqsEvent,
    deadline: Option<Instant>,
) -> SqsBatchResponse {
    handle_batch(app, queue, cfg, event, deadline).await.response
}

pub async fn handle_batch(
    app: &Bridge,
    queue: &SqsWorkQueue,
    cfg: &WorkerConfig,
    event: SqsEvent,
    deadline: Option<Instant>,
) -> BatchReport {
    let mut report = BatchReport::default();
    let response = &mut report.response;
    // Group → the delay its first failure got; later records of the group wait as long (a
    // record left at the queue's full visibility timeout would hold the group that long).
    let mut blocked_groups: HashMap<String, i32> = HashMap::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let group = record.attributes.get("MessageGroupId").cloned().unwrap_or_default();
        if let Some(delay) = blocked_groups.get(&group) {
            delay_record(queue, record.receipt_handle.as_deref(), *delay).await;
            response.add_failure(id);
            continue;
        }
        let receives: u32 = record.attributes.get("ApproximateReceiveCount").and_then(|c| c.parse().ok()).unwrap_or(1);
        let Some(work) = record.body.as_deref().and_then(|b| serde_json::from_str::<Work>(b).ok()) else {
            // Not written by the bridge: leave it to the queue's redrive (DLQ), visibly.
            tracing::error!(message = %id, receives, "unreadable work item; leaving it for the dead-letter queue");
            blocked_groups.insert(group, 0);
            response.add_failure(id);
            continue;
        };
        let delivery = Delivery { attempts: receives, max_attempts: cfg.max_receives, deadline };
        match worker::handle(app, &work, delivery).await {
            Ok(outcome) => {
                tracing::info!(work = %work.key(), ?outcome, "work done");
                report.outcomes.push((work, outcome));
            }
            Err(e) if e.paced && receives + 1 >= cfg.max_receives => {
                // Waiting for the pacing slot spends no try, but every receive counts towards
                // the queue's redrive: a fresh copy goes behind the group instead.
                match queue.enqueue_again(std::slice::from_ref(&work)).await {
                    Ok(()) => tracing::info!(work = %work.key(), receives, "paced work queued afresh"),
                    Err(q) => {
                        tracing::warn!(work = %work.key(), error = %q, "could not queue paced work afresh; SQS will redeliver");
                        response.add_failure(id);
                    }
                }
            }
            Err(e) => {
                // Paced: exactly the wait the clock named (rounded up to SQS's whole seconds).
                let delay = match (e.paced, e.not_before) {
                    (true, Some(wait)) => Duration::from_millis(wait.as_millis().div_ceil(1000) as u64 * 1000),
                    _ => cfg.policy().delay(receives, e.retry()),
                };
                let wait = i32::try_from(delay.as_secs()).unwrap_or(i32::MAX);
                tracing::warn!(work = %work.key(), receives, error = %e, wait_secs = wait, "work failed; SQS will redeliver");
                delay_record(queue, record.receipt_handle.as_deref(), wait).await;
                blocked_groups.insert(group, wait);
                response.add_failure(id);
            }
        }
    }
    bridge_core::metrics::flush();
    report
}

async fn delay_record(queue: &SqsWorkQueue, receipt_handle: Option<&str>, delay_secs: i32) {
    let Some(handle) = receipt_handle else { return };
    if let Err(e) = queue.retry_later(handle, delay_secs).await {
        tracing::warn!(error = %e, "could not set the retry delay; the visibility timeout applies");
    }
}
