//! The local run's file relay: drains the in-process queue with the same relay code the
//! file-relay Lambda runs, retrying transient failures with backoff like SQS redelivery would.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;

use crate::core::file_relay::RelayOutcome;
use crate::domain::FileJob;
use crate::web::App;

const ATTEMPTS: u32 = 5;

pub async fn run(app: Arc<App>, mut jobs: UnboundedReceiver<FileJob>) {
    while let Some(job) = jobs.recv().await {
        let app = app.clone();
        // One task per job: a slow file does not hold up the others.
        tokio::spawn(async move {
            for attempt in 1..=ATTEMPTS {
                match crate::core::file_relay::handle_job(&app, &job, attempt == ATTEMPTS).await {
                    Ok(RelayOutcome::Delivered) => tracing::info!(job = %job.job_key(), "file relayed"),
                    Ok(other) => tracing::info!(job = %job.job_key(), outcome = ?other, "file job finished"),
                    Err(e) if e.transient => {
                        tracing::warn!(job = %job.job_key(), attempt, error = %e, "file relay failed; retrying");
                        tokio::time::sleep(Duration::from_millis(500 * 2u64.pow(attempt))).await;
                        continue;
                    }
                    Err(e) => tracing::error!(job = %job.job_key(), error = %e, "file relay failed"),
                }
                return;
            }
        });
    }
}
