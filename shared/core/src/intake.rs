//! Intake: authenticate, parse and durably record a webhook — no Planfix call happens here, so
//! its latency and failure modes are the store's (and the queue's) alone.
//!
//! A message is recorded twice over: its dedupe item (by provider id) and an entry in its
//! conversation's inbox (by send time), which is what the worker drains in order.

use super::AccountRuntime;
use crate::domain::{unix_now, InboundEvent, InboundMessage, StatusUpdate, Work};
use crate::ports::{InboxEntry, QueueError, RecordOutcome, Store, StoreError, WebhookError, WebhookRequest, WorkQueue};

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
}

pub async fn accept(
    store: &dyn Store,
    acct: &AccountRuntime,
    req: &WebhookRequest<'_>,
) -> Result<Accepted, IntakeError> {
    acct.webhook.verify(req)?;
    let parsed = acct.webhook.parse(req)?;
    let mut accepted = Accepted { ignored: parsed.ignored.len(), ..Accepted::default() };
    for why in &parsed.ignored {
        tracing::info!(account = %acct.id, reason = %why, "webhook item ignored");
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
    for (index, msg) in messages.into_iter().enumerate() {
        match store.record_message(&acct.id, &msg, now).await? {
            RecordOutcome::AlreadyDone => accepted.duplicates += 1,
            // Pending too: a redelivery puts back an entry a crash (or a dead letter) removed.
            RecordOutcome::New | RecordOutcome::Pending => {
                store.add_to_inbox(&acct.id, &InboxEntry::new(msg.clone(), index)).await?;
                accepted.to_process.push(msg);
            }
        }
    }
    Ok(accepted)
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
