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
