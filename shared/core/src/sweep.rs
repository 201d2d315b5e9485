//! The sweeper. Work items can be lost — a queue outage longer than its retention, an enqueue
//! that failed after the store had acknowledged the message — and then a conversation's
//! messages would wait in its inbox until the customer writes again. So every few minutes (an
//! EventBridge schedule on AWS, a timer in the local run) the sweep queues a fresh poke for
//! every conversation whose inbox has held an entry for longer than [`STALE_AFTER`].
//!
//! Extra pokes are harmless: the worker drains an inbox in send order under the conversation's
//! drain lease, and a poke that finds the inbox empty (or its messages done) does nothing. A conversation
//! whose work is only slow (retrying through a Planfix outage) gets its poke queued behind that
//! work in its FIFO group, where it waits its turn and then drains whatever is left.

use std::time::Duration;

use crate::domain::{unix_now, AccountId, Work};
use crate::metrics::{self, Metric};
use crate::Bridge;

/// How long an inbox entry may wait before the sweep pokes its conversation: far longer than
/// the hold-back (a second) and a normal retry (minutes at most), shorter than a customer
/// would wait for an answer.
pub const STALE_AFTER: Duration = Duration::from_secs(15 * 60);

/// Conversations poked per account and sweep; the rest wait for the next sweep.
pub const MAX_PER_ACCOUNT: usize = 500;

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// Accounts swept successfully.
    pub accounts: usize,
    /// Conversations queued again.
    pub poked: usize,
    /// Accounts whose sweep failed (logged; the others were swept all the same).
    pub failed: Vec<AccountId>,
}

/// Sweeps every account the bridge serves with the [`STALE_AFTER`] threshold.
pub async fn sweep(app: &Bridge) -> SweepReport {
    sweep_with(app, STALE_AFTER).await
}

/// Sweeps every account, poking each conversation with an entry that has waited at least
/// `stale_after` (whole seconds). One account's failure is logged and never stops the others.
pub async fn sweep_with(app: &Bridge, stale_after: Duration) -> SweepReport {
    let waited = i64::try_from(stale_after.as_secs()).unwrap_or(i64::MAX);
    // The store's bound is exclusive: an entry added exactly `stale_after` ago counts.
    let older_than = unix_now().saturating_sub(waited).saturating_add(1);
    let mut report = SweepReport::default();
    for account in app.accounts.ids().await {
        match sweep_account(app, &account, older_than).await {
            Ok(poked) => {
                report.accounts += 1;
                report.poked += poked;
                if poked > 0 {
                    metrics::count(account.as_str(), Metric::SweptInboxes, poked as f64);
                    tracing::warn!(account = %account, conversations = poked, waited_secs = waited,
                        "messages waited too long in their inbox (work lost or stuck); queued their conversations again");
                }
            }
            Err(e) => {
                tracing::error!(account = %account, error = %e, "sweep of the account failed; the others go on");
                report.failed.push(account);
            }
        }
    }
    tracing::info!(accounts = report.accounts, poked = report.poked, failed = report.failed.len(), "sweep done");
    report
}

async fn sweep_account(app: &Bridge, account: &AccountId, older_than: i64) -> Result<usize, String> {
    let stale = app.store.stale_inboxes(account, older_than, MAX_PER_ACCOUNT).await.map_err(|e| e.to_string())?;
    let pokes: Vec<Work> = stale
        .into_iter()
        .map(|entry| Work::Conversation {
            account: account.clone(),
            phone: entry.message.from,
            message_id: entry.message.id,
        })
        .collect();
    if pokes.is_empty() {
        return Ok(0);
    }
    // A fresh dedupe identity: the lost poke's may still be inside SQS's five-minute window.
    app.work.enqueue_again(&pokes).await.map_err(|e| e.to_string())?;
    Ok(pokes.len())
}
