//! What a real instance does after accepting a send: the quota gate before it, and the
//! webhooks after it — the `outgoingAPIMessageReceived` echo, then `outgoingMessageStatus`
//! `sent` and `delivered`, or the single status set by `fail_for_recipient`.

use serde_json::Value;

use super::gate::Call;
use super::green_error::GreenError;
use super::state::{chat_key, SimState};
use crate::clock;
use crate::webhook::{self, Chat, Instance};

/// Description on the `failed` status of `fail_for_recipient(…, "failed")` (the texts real
/// instances send vary, e.g. `SWE004: …`).
const SIMULATED_FAILURE: &str = "Simulated failure (green-api-sim fail_for_recipient)";

/// 466 while the quota is switched off. Checked after validation: the Developer plan's limit
/// is per chat, so Green-API needs a valid `chatId` to decide.
pub(crate) fn check_quota(state: &SimState, call: &Call) -> Result<(), GreenError> {
    if !state.quota_exhausted {
        return Ok(());
    }
    let allowed: Vec<String> = state.chats_sent_to.iter().take(3).cloned().collect();
    Err(GreenError::quota_exceeded(call.method, state.sent.len(), &allowed))
}

/// Queues the echo (built by `echo` from the instance, the chat and the time) and the statuses
/// of one accepted send.
pub(crate) fn after_send(
    state: &mut SimState,
    chat_id: &str,
    id_message: &str,
    echo: impl FnOnce(&Instance, &Chat, i64) -> Value,
) {
    let inst = state.instance();
    let now = clock::unix_seconds();
    // The sim does not know the customer's name; real echoes carry it in `chatName`.
    let chat = Chat { chat_id: chat_id.to_owned(), sender_name: String::new() };
    state.queue_webhook(echo(&inst, &chat, now));
    state.remember_chat(chat_id);
    match state.recipient_failures.get(chat_key(chat_id)).cloned() {
        Some(failure) => {
            let description = (failure == "failed").then_some(SIMULATED_FAILURE);
            state.queue_webhook(webhook::status(&inst, chat_id, id_message, now, &failure, description));
        }
        None => {
            state.queue_webhook(webhook::status(&inst, chat_id, id_message, now, "sent", None));
            state.queue_webhook(webhook::status(&inst, chat_id, id_message, now, "delivered", None));
        }
    }
}

/// A send accepted with 200 that never reached WhatsApp (its file could not be fetched): only a
/// `failed` status follows, no echo (green-api/issues#43: after failed fetches "a message status
/// notification `failed` is sent").
pub(crate) fn after_failed_send(state: &mut SimState, chat_id: &str, id_message: &str, description: &str) {
    let inst = state.instance();
    let status = webhook::status(&inst, chat_id, id_message, clock::unix_seconds(), "failed", Some(description));
    state.queue_webhook(status);
}
