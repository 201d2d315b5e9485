//! Sending through `POST {base}/v3/message` (W2) with `Authorization: Bearer <apiKey>`; files by
//! `contentUri` (a presigned link Wazzup downloads at once and without redirects); inbound media
//! fetched from `contentUri` (whether it needs auth is unconfirmed: none is sent).

use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use serde::Deserialize;
use serde_json::json;

use bridge_core::config::{Secret, WazzupConfig};
use bridge_core::domain::{MediaRef, Phone};
use bridge_core::ports::{
    Capabilities, FileSend, FileSource, MediaDownload, MediaLimits, OutgoingFile, ProviderMedia, ProviderSender,
    SendFailure,
};

use super::errors::classify;

const MB: u64 = 1024 * 1024;

/// Attachments over 10 MB fail with `MESSAGES_CONTENT_SIZE_EXCEEDED` (W2).
pub const WAZZUP_LIMITS: MediaLimits =
    MediaLimits { image: 10 * MB, video: 10 * MB, audio: 10 * MB, document: 10 * MB, sticker: 10 * MB };

/// WhatsApp text limit on Wazzup (W2; WABA channels may allow less, unconfirmed), in UTF-16
/// units as Wazzup's JavaScript counts them.
const MAX_TEXT_UNITS: usize = 10_000;

/// What the bridge is told it may put in one text, in characters: the core cuts long comments
/// by characters, and a character is at most two UTF-16 units, so every part fits
/// [`MAX_TEXT_UNITS`] however many emoji it holds.
const MAX_TEXT_CHARS: usize = MAX_TEXT_UNITS / 2;

const TRANSFER_TIMEOUT: Duration = Duration::from_secs(300);

pub struct WazzupClient {
    http: reqwest::Client,
    message_url: String,
    api_key: Secret,
    channel_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sent {
    message_id: Option<String>,
}

fn transport(e: reqwest::Error) -> SendFailure {
    SendFailure::Transient { reason: e.without_url().to_string() }
}

impl WazzupClient {
    pub fn new(http: reqwest::Client, cfg: &WazzupConfig) -> Self {
        let message_url = format!("{}/v3/message", cfg.api_base_url.trim_end_matches('/'));
        Self { http, message_url, api_key: cfg.api_key.clone(), channel_id: cfg.channel_id.clone() }
    }

    /// One send; `reference` becomes the `crmMessageId`, so a retry of a send whose answer was
    /// lost is refused by Wazzup as a repeat instead of reaching the customer twice.
    async fn send(
        &self,
        to: &Phone,
        content: (&str, &str),
        reference: &str,
        reply_to: Option<&str>,
    ) -> Result<String, SendFailure> {
        let mut body = json!({
            "channelId": self.channel_id,
            "chatType": "whatsapp",
            "chatId": to.digits(),
            "crmMessageId": reference,
        });
        body[content.0] = json!(content.1);
        if let Some(id) = reply_to {
            body["refMessageId"] = json!(id);
        }
        let resp = self
            .http
            .post(&self.message_url)
            .bearer_auth(self.api_key.expose())
            .json(&body)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(transport)?;
        tracing::debug!(status = status.as_u16(), "wazzup send");
        if !status.is_success() {
            // Already sent: the id of the first attempt is not in this answer, so the reference
            // stands in for it (statuses of that message then match no record; unconfirmed
            // whether Wazzup would name it).
            classify(status, &bytes)?;
            tracing::info!("wazzup: this crmMessageId was already sent; not sending again");
            return Ok(format!("crm:{reference}"));
        }
        serde_json::from_slice::<Sent>(&bytes).ok().and_then(|s| s.message_id).filter(|i| !i.is_empty()).ok_or_else(
            || SendFailure::Rejected {
                code: None,
                reason: format!("HTTP {status} without messageId; the message may have been sent"),
            },
        )
    }
}

#[async_trait]
impl ProviderSender for WazzupClient {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_text_chars: MAX_TEXT_CHARS,
            file_send: FileSend::ByUrl,
            media_limits: WAZZUP_LIMITS,
            replies: true,
        }
    }

    async fn send_text(
        &self,
        to: &Phone,
        text: &str,
        reference: &str,
        reply_to: Option<&str>,
    ) -> Result<String, SendFailure> {
        // Counted as Wazzup's JavaScript counts: in UTF-16 units (an emoji is two).
        let units = text.encode_utf16().count();
        if units > MAX_TEXT_UNITS {
            return Err(SendFailure::Rejected {
                code: Some("MESSAGE_TEXT_TOO_LONG".into()),
                reason: format!("text is {units} UTF-16 units; Wazzup accepts at most {MAX_TEXT_UNITS}"),
            });
        }
        self.send(to, ("text", text), reference, reply_to).await
    }
}

#[async_trait]
impl ProviderMedia for WazzupClient {
    async fn download(&self, media: &MediaRef) -> Result<MediaDownload, SendFailure> {
        let MediaRef::Url(url) = media else {
            return Err(SendFailure::Rejected { code: None, reason: "Wazzup media come by URL".into() });
        };
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(SendFailure::Rejected { code: None, reason: "media URL is not http(s)".into() });
        }
        let resp = self.http.get(url).timeout(TRANSFER_TIMEOUT).send().await.map_err(transport)?;
        let status = resp.status();
        tracing::debug!(status = status.as_u16(), "wazzup media download");
        if !status.is_success() {
            let reason = format!("media download answered HTTP {}", status.as_u16());
            return Err(if status.is_server_error() || status.as_u16() == 429 {
                SendFailure::Transient { reason }
            } else {
                SendFailure::Rejected { code: None, reason }
            });
        }
        let mime_type =
            resp.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let size = resp.content_length();
        let body = resp.bytes_stream().map_err(|e| std::io::Error::other(e.without_url()));
        Ok(MediaDownload { mime_type, size, body: Box::pin(body) })
    }

    async fn send_file(&self, to: &Phone, file: OutgoingFile, reference: &str) -> Result<String, SendFailure> {
        let FileSource::Url(url) = &file.source else {
            return Err(SendFailure::Rejected { code: None, reason: "Wazzup takes files by URL".into() });
        };
        self.send(to, ("contentUri", url), reference, None).await
    }
}
