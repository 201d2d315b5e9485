//! Planfix allows one REST request per second per account, whatever the number of Lambda
//! instances: calls take slots on a pacing clock kept in the store, so under a burst they go
//! out at the allowed rate instead of being refused.
//!
//! Two costs are kept down. Store writes: a caller that keeps the account busy reserves its
//! slots in batches (1, 2, 4, then 4 at a time) and spends them without writing; a batch is
//! never larger than what the caller used of its last one, so a quiet account wastes no slot
//! and a busy one at most three. Billed time: a caller waits for a slot only "a moment" (one
//! interval); when the clock is taken for longer it gets [`PlanfixError::Paced`] and its work
//! goes back to the queue with that delay instead of sleeping in a Lambda.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Mutex;

use crate::domain::AccountId;
use crate::metrics::{self, Metric};
use crate::ports::{PlanfixError, SlotGrant, Store, Throttle};

pub struct StoreThrottle {
    store: Arc<dyn Store>,
    account: AccountId,
    interval: Duration,
    state: Mutex<Batch>,
}

/// The slots this instance holds: `next_ms`, `next_ms + spacing`, … before `end_ms`.
#[derive(Default)]
struct Batch {
    next_ms: i64,
    end_ms: i64,
    /// Slots to ask for next time.
    size: u32,
}

/// The largest batch: at 1 request/s, at most 3 s of slots wasted when a burst ends.
const MAX_BATCH: u32 = 4;

impl StoreThrottle {
    pub fn per_second(store: Arc<dyn Store>, account: AccountId, requests_per_second: f64) -> Self {
        let rate = if requests_per_second.is_finite() && requests_per_second > 0.0 { requests_per_second } else { 1.0 };
        let interval = Duration::from_secs_f64(1.0 / rate);
        Self { store, account, interval, state: Mutex::new(Batch { size: 1, ..Batch::default() }) }
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
        // One caller of this instance at a time takes a slot (the batch is shared).
        let mut batch = self.state.lock().await;
        for _ in 0..MAX_RESERVATIONS {
            let now = now_ms();
            // The first slot of the batch not yet passed (a slot missed by more than the
            // tolerance would crowd the next holder's).
            let skipped = ((now - tolerance - batch.next_ms).max(0) + spacing - 1) / spacing;
            let slot = batch.next_ms + skipped * spacing;
            if slot < batch.end_ms {
                batch.next_ms = slot + spacing;
                if batch.next_ms >= batch.end_ms {
                    // All of it used, none missed: the caller keeps the account busy.
                    batch.size = if skipped == 0 { (batch.size * 2).min(MAX_BATCH) } else { 1 };
                }
                let wait = slot - now;
                if wait > 0 {
                    metrics::count(self.account.as_str(), Metric::RateLimitWaits, 1.0);
                    tracing::debug!(account = %self.account, wait_ms = wait, "waiting for the Planfix rate limit");
                    tokio::time::sleep(Duration::from_millis(wait as u64)).await;
                }
                return Ok(());
            }
            if batch.end_ms > 0 && batch.next_ms < batch.end_ms {
                // Slots went unused: the account is not that busy after all.
                batch.size = 1;
            }
            let grant = self
                .store
                .reserve_slots(&self.account, "planfix", now, spacing, batch.size, spacing)
                .await
                .map_err(|e| PlanfixError::Transport(format!("rate limiter: {e}")))?;
            match grant {
                SlotGrant::Granted { first_ms } => {
                    batch.next_ms = first_ms;
                    batch.end_ms = first_ms + spacing * i64::from(batch.size);
                }
                SlotGrant::Later { free_at_ms } => {
                    let wait = Duration::from_millis((free_at_ms - now).max(1) as u64);
                    metrics::count(self.account.as_str(), Metric::RateLimitWaits, 1.0);
                    tracing::debug!(account = %self.account, wait_ms = wait.as_millis() as u64,
                        "Planfix rate limit taken for longer than a moment; handing the work back");
                    return Err(PlanfixError::Paced { wait });
                }
            }
        }
        tracing::debug!(account = %self.account, "pacing slots kept being missed; sending anyway");
        Ok(())
    }
}
