//! The local run's workers: the same core code the worker and file-relay Lambdas run, fed by
//! in-process channels instead of SQS. Work keeps SQS FIFO's guarantee — one lane per group,
//! in order, groups in parallel — and retries with the same backoff before dead-lettering.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use bridge_core::domain::{FileJob, Work};
use bridge_core::file_relay::RelayOutcome;
use bridge_core::retry::RetryPolicy;
use bridge_core::worker::{self, Delivery};
use bridge_core::Bridge;

/// The local worker's retries: tries per piece of work before it becomes a dead letter, and
/// the backoff between them (a daily-limit pause waits the longest delay).
pub fn default_work_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 6,
        min_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(60),
        max_pause: Duration::from_secs(60),
    }
}

/// The local relay's retries: tries per file job before its failure is reported in Planfix.
pub fn default_file_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 5,
        min_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(8),
        max_pause: Duration::from_secs(60),
    }
}

/// Drains the work channel: one lane (task) per group, created on demand and ended when idle.
pub async fn run_work(app: Arc<Bridge>, mut work: UnboundedReceiver<Work>, retry: RetryPolicy) {
    let mut lanes: HashMap<String, UnboundedSender<Work>> = HashMap::new();
    while let Some(item) = work.recv().await {
        let group = item.group();
        let item = match lanes.get(&group) {
            Some(lane) => match lane.send(item) {
                Ok(()) => continue,
                Err(mpsc::error::SendError(item)) => item,
            },
            None => item,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = tx.send(item);
        lanes.insert(group, tx);
        tokio::spawn(lane(app.clone(), rx, retry.clone()));
        lanes.retain(|_, lane| !lane.is_closed());
    }
}

async fn lane(app: Arc<Bridge>, mut rx: UnboundedReceiver<Work>, retry: RetryPolicy) {
    let max_attempts = u32::try_from(retry.attempts).unwrap_or(u32::MAX);
    loop {
        let item = match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Ok(Some(item)) => item,
            Ok(None) => return,
            // Idle: refuse new work (the dispatcher starts a new lane for it), finish what is
            // already buffered, then end.
            Err(_) => {
                rx.close();
                continue;
            }
        };
        // Bounded twice over: a message's own budget dead-letters it; this bounds the rest.
        for attempt in 1..=max_attempts.saturating_mul(2) {
            let delivery = Delivery { attempts: attempt, max_attempts, deadline: None };
            match worker::handle(&app, &item, delivery).await {
                Ok(outcome) => {
                    tracing::info!(work = %item.key(), ?outcome, "work done");
                    break;
                }
                Err(e) => {
                    let wait = retry.delay(attempt, e.retry());
                    tracing::warn!(work = %item.key(), attempt, error = %e, ?wait, "work failed; retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

pub async fn run_files(app: Arc<Bridge>, mut jobs: UnboundedReceiver<FileJob>) {
    let retry = default_file_retry();
    let attempts = u32::try_from(retry.attempts).unwrap_or(u32::MAX);
    while let Some(job) = jobs.recv().await {
        let app = app.clone();
        let retry = retry.clone();
        // One task per job: a slow file does not hold up the others.
        tokio::spawn(async move {
            for attempt in 1..=attempts {
                match bridge_core::file_relay::handle_job(&app, &job, retry.exhausted(attempt)).await {
                    Ok(RelayOutcome::Delivered) => tracing::info!(job = %job.job_key(), "file relayed"),
                    Ok(other) => tracing::info!(job = %job.job_key(), outcome = ?other, "file job finished"),
                    Err(e) if e.retry.is_retryable() && !retry.exhausted(attempt) => {
                        let wait = retry.delay(attempt, e.retry);
                        tracing::warn!(job = %job.job_key(), attempt, error = %e, ?wait, "file relay failed; retrying");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    Err(e) => tracing::error!(job = %job.job_key(), error = %e, "file relay failed"),
                }
                return;
            }
        });
    }
}
