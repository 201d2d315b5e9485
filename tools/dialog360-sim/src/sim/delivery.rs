//! Posting queued webhooks to the configured webhook URL, for interactive runs and e2e tests.
//!
//! One webhook at a time, in order, the next only after a 2xx — so a failing endpoint holds back
//! what follows (360dialog's own ordering is not guaranteed, D1; FIFO keeps tests deterministic).
//! 360dialog gives the endpoint 5 s to answer and retries "for up to 7 days with exponential
//! backoff" (NOTES §4); the sim uses the 5 s timeout and backs off from [`FIRST_RETRY`] to
//! [`MAX_RETRY`].

use std::time::Duration;

use super::Dialog360Sim;

const POST_TIMEOUT: Duration = Duration::from_secs(5);
const FIRST_RETRY: Duration = Duration::from_millis(250);
const MAX_RETRY: Duration = Duration::from_secs(5);

/// Starts the delivery task once per sim, on the current Tokio runtime.
pub(crate) fn ensure_worker(sim: &Dialog360Sim) {
    let mut state = sim.lock();
    if state.delivery_worker_started {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("dialog360-sim: deliver_webhooks needs a Tokio runtime; webhooks stay queued");
        return;
    };
    state.delivery_worker_started = true;
    runtime.spawn(run(sim.clone()));
}

async fn run(sim: Dialog360Sim) {
    let mut retry = FIRST_RETRY;
    loop {
        // `notify_one` stores a wake-up when nobody waits, so none is lost between the check
        // and the wait.
        let next = {
            let state = sim.lock();
            match (state.delivering, &state.webhook_config, state.outbox.front()) {
                (true, Some(config), Some((seq, webhook))) => Some((config.clone(), *seq, webhook.clone())),
                _ => None,
            }
        };
        let Some((config, seq, webhook)) = next else {
            sim.outbox_ready.notified().await;
            continue;
        };
        let mut post = sim.http.post(&config.url).timeout(POST_TIMEOUT).json(&webhook);
        for (name, value) in &config.headers {
            post = post.header(name.as_str(), value.as_str());
        }
        match post.send().await {
            Ok(response) if response.status().is_success() => {
                retry = FIRST_RETRY;
                let mut state = sim.lock();
                if state.outbox.front().is_some_and(|(front, _)| *front == seq) {
                    state.outbox.pop_front();
                }
            }
            outcome => {
                let problem = match outcome {
                    Ok(response) => format!("HTTP {}", response.status().as_u16()),
                    Err(error) => error.without_url().to_string(),
                };
                tracing::warn!(%problem, ?retry, "dialog360-sim: webhook not accepted; retrying");
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(MAX_RETRY);
            }
        }
    }
}
