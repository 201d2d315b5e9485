//! Wazzup (NOTES §6): JSON webhooks with `messages[]` and/or `statuses[]`, authenticated by the
//! account's `crmKey` as a Bearer token; sends through `POST /v3/message` with the API key,
//! files by URL (`contentUri`), and `crmMessageId` making a retried send never a second message.

mod client;
mod errors;
mod payload;
mod webhook;

pub use client::{WazzupClient, WAZZUP_LIMITS};
pub use webhook::WazzupWebhook;
