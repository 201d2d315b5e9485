//! Green-API (NOTES §5): JSON webhooks, one event per POST, authenticated by the instance's
//! `webhookUrlToken`; sends through `sendMessage` / `sendFileByUrl` / `sendFileByUpload` with the
//! instance token in the path; media by direct `downloadUrl`.

mod client;
mod errors;
mod payload;
mod webhook;

pub use client::{GreenApiClient, GREEN_API_LIMITS};
pub use webhook::GreenApiWebhook;

/// `79001234567@c.us` for a person (`@g.us` is a group).
pub(crate) fn chat_id(phone: &bridge_core::domain::Phone) -> String {
    format!("{}@c.us", phone.digits())
}
