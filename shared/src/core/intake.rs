//! Intake: authenticate, parse and durably record a webhook — no Planfix call happens here, so
//! its latency and failure modes are the store's alone.

use http::HeaderMap;

use super::AccountRuntime;
use crate::domain::{unix_now, InboundEvent, InboundMessage, StatusUpdate};
use crate::ports::{RecordOutcome, Store, StoreError, WebhookError};

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What intake accepted from one webhook.
#[derive(Debug, Default)]
pub struct Accepted {
    /// Messages to process, ordered by the customer's send time.
    pub to_process: Vec<InboundMessage>,
    pub duplicates: usize,
    pub statuses: Vec<StatusUpdate>,
}

pub async fn accept(store: &dyn Store, acct: &AccountRuntime, headers: &HeaderMap, body: &[u8]) -> Result<Accepted, IntakeError> {
    acct.webhook.verify(headers, body)?;
    let events = acct.webhook.parse(body)?;
    let mut accepted = Accepted::default();
    let mut messages = Vec::new();
    for event in events {
        match event {
            InboundEvent::Message(m) => messages.push(m),
            InboundEvent::Status(s) => accepted.statuses.push(s),
        }
    }
    // Stable sort: same-second messages keep the provider's order.
    messages.sort_by_key(|m| m.timestamp);
    let now = unix_now();
    for msg in messages {
        match store.record_message(&acct.id, &msg, now).await? {
            RecordOutcome::AlreadyDone => accepted.duplicates += 1,
            RecordOutcome::New | RecordOutcome::Pending => accepted.to_process.push(msg),
        }
    }
    Ok(accepted)
}
