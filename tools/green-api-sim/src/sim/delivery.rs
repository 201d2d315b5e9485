//! Posting queued webhooks to a webhook URL, for interactive local runs.
//!
//! Like Green-API (NOTES §5.6) delivery is FIFO: one webhook at a time, the next only after a
//! 2xx, so a failing endpoint holds back everything behind it. Green-API waits 60 s between
//! attempts (and a response up to 180 s); the sim waits [`RETRY_DELAY`] and [`POST_TIMEOUT`].
//! The token goes in `Authorization: Bearer <webhookUrlToken>` (the exact form Green-API uses is
//! **unconfirmed**; NOTES §5.2 tells the bridge to accept the raw token too).

use std::time::Duration;

use axum::http::header::AUTHORIZATION;

use super::GreenApiSim;

const RETRY_DELAY: Duration = Duration::from_secs(1);
const POST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub url: String,
    pub token: Option<String>,
}

/// Starts the delivery task once per sim, on the current Tokio runtime.
pub(crate) fn ensure_worker(sim: &GreenApiSim) {
    let mut state = sim.lock();
    if state.delivery_worker_started {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("green-api-sim: deliver_webhooks needs a Tokio runtime; webhooks stay queued");
        return;
    };
    state.delivery_worker_started = true;
    runtime.spawn(run(sim.clone()));
}

async fn run(sim: GreenApiSim) {
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
        let mut post = sim.http.post(&target.url).timeout(POST_TIMEOUT).json(&webhook);
        if let Some(token) = &target.token {
            post = post.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        match post.send().await {
            Ok(response) if response.status().is_success() => {
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
                tracing::warn!(%problem, "green-api-sim: webhook not accepted; retrying");
                tokio::time::sleep(RETRY_DELAY).await;
            }
        }
    }
}
