//! Meta WhatsApp Cloud API: webhook authentication (`X-Hub-Signature-256`, verify handshake)
//! and payload normalization; sending text messages.

mod payload;
mod sender;
mod webhook;

pub use sender::MetaSender;
pub use webhook::MetaWebhook;
