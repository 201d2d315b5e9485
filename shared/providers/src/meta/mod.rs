//! Meta WhatsApp Cloud API: webhook authentication (`X-Hub-Signature-256`, verify handshake)
//! and payload normalization; sending text messages; media download and file sending.

mod media;
mod payload;
mod sender;
mod webhook;

pub use media::meta_limit;
pub(crate) use sender::CloudAuth;
pub use sender::MetaClient;
pub(crate) use webhook::parse_cloud_api;
pub use webhook::MetaWebhook;
