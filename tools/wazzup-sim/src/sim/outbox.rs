//! What a real account does after a 201: the webhooks it POSTs to the CRM. Statuses come one per
//! webhook, `sent` then `delivered` (W1 status webhook), or the single `error` set by
//! `fail_for_recipient`. Before them, when API echoes are on, an `isEcho:true` message with the
//! send's own `messageId` (whether Wazzup echoes API sends is unconfirmed, NOTES §6).

use super::state::SimState;
use crate::clock;
use crate::webhook::{self, Chat, EchoContent};

/// The accepted send the webhooks are about.
pub(crate) struct Sent<'a> {
    pub channel_id: &'a str,
    pub chat_type: &'a str,
    pub chat_id: &'a str,
    pub message_id: &'a str,
    pub crm_user_id: Option<&'a str>,
}

/// What the echo shows.
pub(crate) enum Echo {
    Text(String),
    File { kind: &'static str, content_uri: String },
}

pub(crate) fn after_send(state: &mut SimState, sent: &Sent<'_>, echo: Echo) {
    let now = clock::iso8601_now();
    if state.echo_api_sends {
        // The sim does not know the customer's name; the samples show the number as the name.
        let chat = Chat {
            channel_id: sent.channel_id.to_owned(),
            chat_id: sent.chat_id.to_owned(),
            name: sent.chat_id.to_owned(),
        };
        let content = match &echo {
            Echo::Text(text) => EchoContent::Text(text),
            Echo::File { kind, content_uri } => EchoContent::File { kind, content_uri },
        };
        let body = webhook::api_send_echo(&chat, sent.chat_type, sent.message_id, &now, content, sent.crm_user_id);
        state.queue_webhook(body);
    }
    match state.recipient_failures.get(sent.chat_id).cloned() {
        Some((code, description)) => {
            let error = Some((code.as_str(), description.as_str()));
            state.queue_webhook(webhook::statuses(&[(sent.message_id, "error", &now, error)]));
        }
        None => {
            state.queue_webhook(webhook::statuses(&[(sent.message_id, "sent", &now, None)]));
            state.queue_webhook(webhook::statuses(&[(sent.message_id, "delivered", &now, None)]));
        }
    }
}
