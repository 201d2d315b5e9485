//! Posting queued webhooks to the CRM, for interactive local runs and end-to-end tests.
//!
//! One webhook at a time, FIFO, the next only after a 200 (W1: "In response, we expect the code
//! 200 OK … Timeout — 30 s"); a failing endpoint holds back everything behind it. Wazzup's retry
//! schedule is not documented (unconfirmed); the sim retries every [`RETRY_DELAY`]. With a
//! `crmKey` the POST carries `Authorization: Bearer <crmKey>`, without one no `Authorization` (W1).

use std::time::Duration;

use axum::http::header::AUTHORIZATION;

use super::WazzupSim;

const RETRY_DELAY: Duration = Duration::from_secs(1);
const POST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub uri: String,
    pub crm_key: Option<String>,
}

/// Starts the delivery task once per sim, on the current Tokio runtime.
pub(crate) fn ensure_worker(sim: &WazzupSim) {
    let mut state = sim.lock();
    if state.delivery_worker_started {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("wazzup-sim: deliver_webhooks needs a Tokio runtime; webhooks stay queued");
        return;
    };
    state.delivery_worker_started = true;
    runtime.spawn(run(sim.clone()));
}

async fn run(sim: WazzupSim) {
    loop {
        // `notify_one` stores a wake-up when nobody waits, so none is lost between the check
        // and the wait.
        let next = {
            let state = sim.lock();
            match (&state.delivery_target, state.outbox.front()) {
                (Some(target), Some((seq, webhook))) => Some((target.clone(), *seq, webhook.clone())),
                _ => None,
            }
        };
        let Some((target, seq, webhook)) = next else {
            sim.outbox_ready.notified().await;
            continue;
        };
        let mut post = sim.http.post(&target.uri).timeout(POST_TIMEOUT).json(&webhook);
        if let Some(key) = &target.crm_key {
            post = post.header(AUTHORIZATION, format!("Bearer {key}"));
        }
        match post.send().await {
            Ok(response) if response.status().as_u16() == 200 => {
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
                tracing::warn!(%problem, "wazzup-sim: webhook not accepted; retrying");
                tokio::time::sleep(RETRY_DELAY).await;
            }
        }
    }
}
