//! What the bridge needs from a WhatsApp provider, in a shape every provider fits:
//! [`ProviderWebhook`] authenticates and parses its webhooks, [`ProviderSender`] sends texts and
//! says what the provider can do ([`Capabilities`]), [`ProviderMedia`] fetches and sends files.
//! Each provider's adapter (`bridge-providers`) implements all three and classifies its own error
//! codes into [`SendFailure`] and [`crate::domain::FailureKind`]; the core never asks which
//! provider it is talking to.

use http::HeaderMap;

use crate::domain::{InboundEvent, MediaRef, Phone};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookError {
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A URL or header secret did not match: answered exactly like an unknown account, so the
    /// secret cannot be probed apart from the account's existence.
    #[error("unknown account")]
    UnknownAccount,
}

/// Which of the provider's webhook routes was called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookRoute {
    /// `/webhooks/{provider}/{account}`: messages (and, for most providers, statuses).
    Main,
    /// `/webhooks/{provider}/{account}/status`: delivery statuses, for providers whose sends name
    /// a status callback URL of their own (Twilio).
    Status,
}

/// One webhook request as it reached the bridge.
pub struct WebhookRequest<'a> {
    pub route: WebhookRoute,
    /// The URL the provider called, rebuilt from the deployment's configured public base URL
    /// (never from the request's Host): Twilio signs it. None when no public URL is configured.
    pub public_url: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// What a verified webhook carried.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Messages and statuses, in the order the provider listed them.
    pub events: Vec<InboundEvent>,
    /// Items deliberately not acted on (echoes of the bridge's own sends, state changes, group
    /// chats …), each as a short reason without personal data, for the log.
    pub ignored: Vec<String>,
    /// Items of a well-formed envelope that could not be read: kept as dead letters while the
    /// rest of the webhook is stored, so one bad item never costs the good ones beside it.
    pub rejected: Vec<Rejected>,
}

/// One webhook item the parser could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// A body the same `parse` reads as holding only this item (the envelope around it kept), so
    /// a replay after a fix goes through the parser like the original.
    pub body: String,
    /// Why, naming fields and rules, without personal data (no phone, no text).
    pub reason: String,
}

/// The body a provider expects in the 200 that acknowledges its webhook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ack {
    /// `{"status":"accepted",…}` (Meta, Green-API: any 200 will do).
    Json,
    /// `<Response/>` as `text/xml`: Twilio would otherwise try to read the answer as TwiML.
    EmptyTwiml,
}

pub trait ProviderWebhook: Send + Sync {
    /// Authenticate the raw request before anything is parsed or stored.
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), WebhookError>;
    /// Normalize a verified body.
    fn parse(&self, req: &WebhookRequest<'_>) -> Result<Parsed, WebhookError>;
    /// Answer a GET subscription handshake; None when the provider has none (only Meta does).
    fn handshake(&self, _query: &[(String, String)]) -> Option<Result<String, WebhookError>> {
        None
    }
    fn ack(&self) -> Ack {
        Ack::Json
    }
    /// Whether the provider posts statuses to [`WebhookRoute::Status`].
    fn has_status_route(&self) -> bool {
        false
    }
    /// Whether an account's routes must look unknown to anyone without its secret (providers
    /// whose only proof is a secret: a GET or a status POST must not reveal the account either).
    fn conceals_account(&self) -> bool {
        false
    }
}

/// Why a send failed, in the terms the bridge acts on (each adapter maps its own codes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendFailure {
    /// Worth retrying with backoff: network errors/timeouts, HTTP 5xx, HTTP 429, the provider's
    /// throughput codes (Meta 130429, Twilio 20429/63018 …).
    #[error("temporary provider failure: {reason}")]
    Transient { reason: String },
    /// More than 24 hours since the customer's last message; a template is needed.
    #[error("the 24-hour customer service window is closed")]
    WindowClosed,
    /// The number cannot receive WhatsApp messages (undeliverable, invalid, not on WhatsApp).
    #[error("recipient cannot receive WhatsApp messages: {reason}")]
    InvalidRecipient { reason: String },
    /// Everything else (expired credentials, invalid parameters, quota spent): not retried.
    #[error("provider refused the message (code {code:?}): {reason}")]
    Rejected { code: Option<String>, reason: String },
}

impl SendFailure {
    pub fn retry(&self) -> crate::retry::Retry {
        match self {
            SendFailure::Transient { .. } => crate::retry::Retry::SOON,
            _ => crate::retry::Retry::Never,
        }
    }
}

/// WhatsApp media kinds, each with its own size limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

/// How a provider takes a file from the bridge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileSend {
    /// The bytes are uploaded (Meta media upload, Green-API `sendFileByUpload`).
    Upload,
    /// The provider fetches a URL (Twilio `MediaUrl`, Green-API `sendFileByUrl`): the bridge hands
    /// it a short-lived presigned URL of the stored copy.
    ByUrl,
}

/// Per-kind size limits, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaLimits {
    pub image: u64,
    pub video: u64,
    pub audio: u64,
    pub document: u64,
    pub sticker: u64,
}

impl MediaLimits {
    pub fn max(&self, kind: MediaKind) -> u64 {
        match kind {
            MediaKind::Image => self.image,
            MediaKind::Video => self.video,
            MediaKind::Audio => self.audio,
            MediaKind::Document => self.document,
            MediaKind::Sticker => self.sticker,
        }
    }
}

/// What a provider can do: data of each adapter, read by the core instead of asking which
/// provider it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Longest text of one message, in characters; longer comments go out in parts.
    pub max_text_chars: usize,
    pub file_send: FileSend,
    pub media_limits: MediaLimits,
    /// Sends a text as a WhatsApp reply to an earlier message of the chat (`reply_to` of
    /// [`ProviderSender::send_text`]); otherwise `reply_to` is ignored and the core keeps the
    /// quote in the text.
    pub replies: bool,
}

/// A media file fetched from the provider.
pub struct MediaDownload {
    pub mime_type: Option<String>,
    pub size: Option<u64>,
    pub body: crate::ports::ByteStream,
}

/// Where the bytes of an outgoing file come from: a stream (uploading providers) or a URL the
/// provider fetches ([`FileSend::ByUrl`]), serving the file's type and name.
pub enum FileSource {
    Stream(crate::ports::ByteStream),
    Url(String),
}

/// A file to send to a WhatsApp user.
pub struct OutgoingFile {
    pub kind: MediaKind,
    pub filename: String,
    pub mime_type: String,
    pub size: u64,
    /// Shown with images, video and documents where the provider allows; never on audio and sticker.
    pub caption: Option<String>,
    pub source: FileSource,
}

/// The outbound half of a WhatsApp provider.
#[async_trait::async_trait]
pub trait ProviderSender: Send + Sync {
    fn capabilities(&self) -> Capabilities;
    /// Sends a text of at most [`Capabilities::max_text_chars`]; Ok = the provider's message id,
    /// which its delivery statuses name. `reference` is unique per outgoing message and stable
    /// across retries (an idempotency key, for providers that take one). `reply_to`: the
    /// provider message id this text answers, shown by WhatsApp as a quote above it (only where
    /// [`Capabilities::replies`]).
    async fn send_text(
        &self,
        to: &Phone,
        text: &str,
        reference: &str,
        reply_to: Option<&str>,
    ) -> Result<String, SendFailure>;
}

/// Media half of a provider: fetching what users sent and sending files to them.
#[async_trait::async_trait]
pub trait ProviderMedia: Send + Sync {
    /// Fetches an inbound media file as a stream, by the id or URL its webhook carried.
    async fn download(&self, media: &MediaRef) -> Result<MediaDownload, SendFailure>;
    /// Sends one file; Ok = the provider's message id.
    async fn send_file(&self, to: &Phone, file: OutgoingFile, reference: &str) -> Result<String, SendFailure>;
}
