//! Meta WhatsApp Cloud API: webhook authentication (`X-Hub-Signature-256`, verify handshake)
//! and payload normalization.

mod payload;
mod webhook;

pub use webhook::MetaWebhook;
