//! Twilio Programmable Messaging, WhatsApp sender (NOTES §3): form webhooks signed with
//! `X-Twilio-Signature` over the public URL, status callbacks on their own route, sends through
//! `Messages.json` with files by URL, media fetched with Basic auth.

mod client;
mod errors;
mod signature;
mod webhook;

pub use client::{TwilioClient, TWILIO_LIMITS};
pub use signature::signature;
pub use webhook::TwilioWebhook;

/// `whatsapp:+<E.164>` → `+<E.164>`.
fn strip_channel(address: &str) -> &str {
    address.strip_prefix("whatsapp:").unwrap_or(address)
}
