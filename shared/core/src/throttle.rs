//! Planfix allows one REST request per second per account, whatever the number of Lambda
//! instances: every call first takes a slot on a pacing clock kept in the store (one
//! conditional write), then waits for it. Under a burst the calls queue up at the allowed rate
//! instead of being refused.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::domain::AccountId;
use crate::metrics::{self, Metric};
use crate::ports::{PlanfixError, Store, Throttle};

pub struct StoreThrottle {
    pub store: Arc<dyn Store>,
    pub account: AccountId,
    pub interval: Duration,
}

impl StoreThrottle {
    pub fn per_second(store: Arc<dyn Store>, account: AccountId, requests_per_second: f64) -> Self {
        let rate = if requests_per_second.is_finite() && requests_per_second > 0.0 { requests_per_second } else { 1.0 };
        Self { store, account, interval: Duration::from_secs_f64(1.0 / rate) }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Slack added to every slot, up to one interval: a caller sends a little after its slot starts
/// (the store write that reserved it takes time), and the slack keeps that delay from bringing
/// two requests closer than the interval. Costs about 10% at 1 request/s.
const MAX_SLACK: Duration = Duration::from_millis(100);

/// A caller whose reservation came back after its slot (and the slack) had passed would send
/// closer than the interval to the next slot's holder: it takes another slot instead, a few
/// times at most (a store that slow is reported by the requests Planfix then refuses, which the
/// REST adapter resends in a later slot).
const MAX_RESERVATIONS: usize = 5;

#[async_trait]
impl Throttle for StoreThrottle {
    async fn wait_turn(&self) -> Result<(), PlanfixError> {
        // The clock counts milliseconds: it cannot space requests closer than that, so a rate
        // of 1,000/s or more (an account whose Planfix allows it, or a benchmark) is not paced.
        if self.interval < Duration::from_millis(1) {
            return Ok(());
        }
        let slack = self.interval.min(MAX_SLACK);
        let spacing = (self.interval + slack).as_millis().max(1) as i64;
        // A wake-up is at least a millisecond late: a tolerance below that misses every slot.
        let tolerance = (slack.as_millis() as i64).max(1);
        for _ in 0..MAX_RESERVATIONS {
            let slot = self
                .store
                .reserve_slot(&self.account, "planfix", now_ms(), spacing)
                .await
                .map_err(|e| PlanfixError::Transport(format!("rate limiter: {e}")))?;
            let wait = slot - now_ms();
            if wait > 0 {
                metrics::count(self.account.as_str(), Metric::RateLimitWaits, 1.0);
                tracing::debug!(account = %self.account, wait_ms = wait, "waiting for the Planfix rate limit");
                tokio::time::sleep(Duration::from_millis(wait as u64)).await;
            }
            if now_ms() <= slot + tolerance {
                return Ok(());
            }
            tracing::debug!(account = %self.account, late_ms = now_ms() - slot, "pacing slot missed; taking another");
        }
        Ok(())
    }
}
