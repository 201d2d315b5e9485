//! What the bridge needs from a WhatsApp provider: [`ProviderWebhook`] authenticates and parses
//! its webhooks, [`ProviderSender`] sends texts, [`ProviderMedia`] fetches and sends files. Each
//! provider's adapter (`bridge-providers`) implements all three and classifies its own error
//! codes into [`SendFailure`].

use http::HeaderMap;

use crate::domain::InboundEvent;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookError {
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("bad request: {0}")]
    BadRequest(String),
}

pub trait ProviderWebhook: Send + Sync {
    /// Authenticate the raw request before anything is parsed or stored.
    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), WebhookError>;
    /// Normalize a verified body into events, in the order the provider listed them.
    fn parse(&self, body: &[u8]) -> Result<Vec<InboundEvent>, WebhookError>;
    /// Answer a GET subscription handshake, if the provider has one (Meta does).
    fn handshake(&self, query: &[(String, String)]) -> Result<String, WebhookError>;
}

/// Why a send failed, in the terms the bridge acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendFailure {
    /// Worth retrying with backoff: network errors/timeouts, HTTP 5xx, HTTP 429, Meta codes
    /// 130429 (throughput), 131056 (pair rate), 131000 (generic), 1, 2, 4, 80007.
    #[error("temporary provider failure: {reason}")]
    Transient { reason: String },
    /// Meta 131047: more than 24 hours since the customer's last message; a template is needed.
    #[error("the 24-hour customer service window is closed")]
    WindowClosed,
    /// The number cannot receive WhatsApp messages (undeliverable, not in the test allow-list,
    /// the business's own number, an invalid `to`).
    #[error("recipient cannot receive WhatsApp messages: {reason}")]
    InvalidRecipient { reason: String },
    /// Everything else, e.g. 190 token expired, 100 invalid parameter, 131051 unsupported: not retried.
    #[error("provider refused the message (code {code:?}): {reason}")]
    Rejected { code: Option<i64>, reason: String },
}

impl SendFailure {
    pub fn retry(&self) -> crate::retry::Retry {
        match self {
            SendFailure::Transient { .. } => crate::retry::Retry::SOON,
            _ => crate::retry::Retry::Never,
        }
    }
}

/// The outbound half of a WhatsApp provider.
#[async_trait::async_trait]
pub trait ProviderSender: Send + Sync {
    /// Sends a text; Ok = the provider's message id (Meta `wamid…`), used to match delivery statuses.
    async fn send_text(&self, to: &crate::domain::Phone, text: &str) -> Result<String, SendFailure>;
}

/// WhatsApp media kinds, each with its own size limit at Meta.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

/// A media file fetched from the provider.
pub struct MediaDownload {
    pub mime_type: Option<String>,
    pub size: Option<u64>,
    pub body: crate::ports::ByteStream,
}

/// A file to send to a WhatsApp user.
pub struct OutgoingFile {
    pub kind: MediaKind,
    pub filename: String,
    pub mime_type: String,
    pub size: u64,
    /// Not allowed on audio and sticker.
    pub caption: Option<String>,
    pub body: crate::ports::ByteStream,
}

/// Media half of a provider: fetching what users sent and sending files to them.
#[async_trait::async_trait]
pub trait ProviderMedia: Send + Sync {
    /// Fetches an inbound media by the id the webhook carried (Meta: `GET /{media-id}` for a
    /// short-lived URL, then the bytes with the same bearer token), as a stream.
    async fn download(&self, media_id: &str) -> Result<MediaDownload, SendFailure>;
    /// The provider's size limit for a kind of media, in bytes.
    fn max_size(&self, kind: MediaKind) -> u64;
    /// Sends one file; Ok = the provider's message id.
    async fn send_file(&self, to: &crate::domain::Phone, file: OutgoingFile) -> Result<String, SendFailure>;
}
