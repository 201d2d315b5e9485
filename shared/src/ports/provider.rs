//! The inbound half of a WhatsApp provider: authenticate and parse its webhooks.
//! (Sending comes with the reply loop; each provider adds one adapter implementing both.)

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
    pub fn is_transient(&self) -> bool {
        matches!(self, SendFailure::Transient { .. })
    }
}

/// The outbound half of a WhatsApp provider.
#[async_trait::async_trait]
pub trait ProviderSender: Send + Sync {
    /// Sends a text; Ok = the provider's message id (Meta `wamid…`), used to match delivery statuses.
    async fn send_text(&self, to: &crate::domain::Phone, text: &str) -> Result<String, SendFailure>;
}
