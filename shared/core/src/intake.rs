//! Intake: authenticate, parse and durably record a webhook — no Planfix call happens here, so
//! its latency and failure modes are the store's (and the queue's) alone.
//!
//! A message is recorded twice over: its dedupe item (by provider id) and an entry in its
//! conversation's inbox (by send time), which is what the worker drains in order.

use super::AccountRuntime;
use crate::domain::{unix_now, InboundEvent, InboundMessage, StatusUpdate, Work};
use crate::metrics::{self, Metric};
use crate::ports::{
    DeadLetter, InboxEntry, Parsed, QueueError, RecordOutcome, Rejected, Store, StoreError, WebhookError,
    WebhookRequest, WebhookRoute, WorkQueue,
};

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// What intake accepted from one webhook.
#[derive(Debug, Default)]
pub struct Accepted {
    /// Messages recorded and waiting in their inbox, ordered by the customer's send time.
    pub to_process: Vec<InboundMessage>,
    pub duplicates: usize,
    pub statuses: Vec<StatusUpdate>,
    /// Items the provider sent that the bridge deliberately does not act on.
    pub ignored: usize,
    /// Items that could not be read, kept as dead letters (the rest was stored).
    pub rejected: usize,
}

/// Longest refused item kept whole: a replay goes through the work queue (SQS: 256 KiB per
/// message) and the letter through the store (DynamoDB: 400 KB per item).
const MAX_REJECTED_BODY: usize = 128 * 1024;

pub async fn accept(
    store: &dyn Store,
    acct: &AccountRuntime,
    req: &WebhookRequest<'_>,
) -> Result<Accepted, IntakeError> {
    acct.webhook.verify(req)?;
    let parsed = acct.webhook.parse(req)?;
    record(store, acct, req.route, parsed).await
}

/// Stores what a verified webhook (or a replayed item) carried: messages into their inboxes,
/// statuses for the worker, refused items as dead letters.
pub async fn record(
    store: &dyn Store,
    acct: &AccountRuntime,
    route: WebhookRoute,
    parsed: Parsed,
) -> Result<Accepted, IntakeError> {
    let mut accepted = Accepted { ignored: parsed.ignored.len(), ..Accepted::default() };
    for why in &parsed.ignored {
        tracing::info!(account = %acct.id, reason = %why, "webhook item ignored");
    }
    for item in parsed.rejected {
        keep_rejected(store, acct, route, item).await?;
        accepted.rejected += 1;
    }
    let mut messages = Vec::new();
    for event in parsed.events {
        match event {
            InboundEvent::Message(m) => messages.push(m),
            InboundEvent::Status(s) => accepted.statuses.push(s),
        }
    }
    // Stable sort: same-second messages keep the provider's order.
    messages.sort_by_key(|m| m.timestamp);
    let now = unix_now();
    let arrival_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    for (index, msg) in messages.into_iter().enumerate() {
        let entry = InboxEntry::new(msg, InboxEntry::sequence(arrival_ms, index));
        match store.record_inbound(&acct.id, &entry, now).await? {
            RecordOutcome::AlreadyDone => accepted.duplicates += 1,
            // Pending too: a redelivery puts back an entry a crash (or a dead letter) removed.
            RecordOutcome::New | RecordOutcome::Pending => accepted.to_process.push(entry.message),
        }
    }
    Ok(accepted)
}

/// A refused item becomes a dead letter an operator can read and replay; the same item
/// redelivered overwrites its own letter (the key hashes the body).
async fn keep_rejected(
    store: &dyn Store,
    acct: &AccountRuntime,
    route: WebhookRoute,
    item: Rejected,
) -> Result<(), IntakeError> {
    let Rejected { mut body, reason } = item;
    let reason = if body.len() > MAX_REJECTED_BODY {
        let mut cut = MAX_REJECTED_BODY;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
        format!("{reason} (item over {MAX_REJECTED_BODY} bytes, kept truncated: not replayable)")
    } else {
        reason
    };
    let work = Work::WebhookItem { account: acct.id.clone(), status_route: route == WebhookRoute::Status, body };
    let letter = DeadLetter {
        key: work.key(),
        work,
        entry: None,
        error: format!("the webhook item could not be read: {reason}"),
        attempts: 1,
        failed_at: unix_now(),
    };
    store.put_dead_letter(&acct.id, &letter).await?;
    metrics::count(acct.id.as_str(), Metric::DeadLetters, 1.0);
    tracing::warn!(account = %acct.id, work = %letter.key, reason = %reason, "webhook item refused; kept as a dead letter, the rest of the webhook was stored");
    Ok(())
}

/// Hands what intake accepted to the worker. Only after this returns may the webhook be
/// acknowledged: then everything accepted is in the store and its work in the queue.
pub async fn hand_over(queue: &dyn WorkQueue, acct: &AccountRuntime, accepted: &Accepted) -> Result<(), IntakeError> {
    let mut work: Vec<Work> = accepted
        .to_process
        .iter()
        .map(|m| Work::Conversation { account: acct.id.clone(), phone: m.from.clone(), message_id: m.id.clone() })
        .collect();
    work.extend(accepted.statuses.iter().map(|s| Work::Status { account: acct.id.clone(), status: s.clone() }));
    queue.enqueue(&work).await?;
    Ok(())
}
