//! Sending through `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (NOTES 3.4) and
//! fetching inbound media (NOTES 3.3), both with Basic auth `AccountSid:AuthToken`.

use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use serde::Deserialize;

use bridge_core::config::{Secret, TwilioConfig};
use bridge_core::domain::{MediaRef, Phone};
use bridge_core::ports::{
    Capabilities, FileSend, FileSource, MediaDownload, MediaLimits, OutgoingFile, ProviderMedia, ProviderSender,
    SendFailure,
};

use super::errors::classify;

const MB: u64 = 1024 * 1024;

/// Twilio's WhatsApp limits (NOTES 3.5): 16 MB per message, images 5 MB.
pub const TWILIO_LIMITS: MediaLimits =
    MediaLimits { image: 5 * MB, video: 16 * MB, audio: 16 * MB, document: 16 * MB, sticker: MB / 2 };

/// Twilio's `Body` limit in characters (error 21617 above it).
const MAX_TEXT_CHARS: usize = 1600;

/// Bound on a media download; the shared client's timeout is sized for small JSON calls.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(300);

pub struct TwilioClient {
    http: reqwest::Client,
    api_base_url: String,
    messages_url: String,
    account_sid: String,
    auth_token: Secret,
    from: String,
    /// `{public}/webhooks/twilio/{account}/status`, named in every send so statuses reach the
    /// status route; None without a configured public URL (then no statuses come back).
    status_callback: Option<String>,
    media_auth: bool,
}

#[derive(Deserialize)]
struct Created {
    sid: Option<String>,
}

fn transport(e: reqwest::Error) -> SendFailure {
    SendFailure::Transient { reason: e.without_url().to_string() }
}

impl TwilioClient {
    pub fn new(http: reqwest::Client, cfg: &TwilioConfig, status_callback: Option<String>) -> Self {
        let api_base_url = cfg.api_base_url.trim_end_matches('/').to_owned();
        let messages_url = format!("{api_base_url}/2010-04-01/Accounts/{}/Messages.json", cfg.account_sid);
        let from = cfg.whatsapp_from.trim().trim_start_matches("whatsapp:").to_owned();
        Self {
            http,
            api_base_url,
            messages_url,
            account_sid: cfg.account_sid.clone(),
            auth_token: cfg.auth_token.clone(),
            from: format!("whatsapp:{from}"),
            status_callback,
            media_auth: cfg.media_auth,
        }
    }

    /// One `Messages.json` POST; Ok = the message SID.
    async fn create(&self, to: &Phone, fields: &[(&str, &str)]) -> Result<String, SendFailure> {
        let to = format!("whatsapp:{}", to.e164());
        let mut form: Vec<(&str, &str)> = vec![("From", &self.from), ("To", &to)];
        form.extend_from_slice(fields);
        if let Some(cb) = &self.status_callback {
            form.push(("StatusCallback", cb));
        }
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&form).finish();
        let resp = self
            .http
            .post(&self.messages_url)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(transport)?;
        tracing::debug!(status = status.as_u16(), "twilio send");
        if !status.is_success() {
            return Err(classify(status, &bytes));
        }
        // A 2xx means Twilio queued the message: an unreadable answer must not trigger a resend.
        serde_json::from_slice::<Created>(&bytes).ok().and_then(|c| c.sid).filter(|s| !s.is_empty()).ok_or_else(|| {
            SendFailure::Rejected {
                code: None,
                reason: format!("HTTP {status} without a sid; the message may have been sent"),
            }
        })
    }
}

#[async_trait]
impl ProviderSender for TwilioClient {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_text_chars: MAX_TEXT_CHARS,
            file_send: FileSend::ByUrl,
            media_limits: TWILIO_LIMITS,
            replies: false,
        }
    }

    /// Twilio has no idempotency key for sends: a timeout after the request left may still have
    /// sent it, and a retry can duplicate it.
    /// Twilio's Messages API has no reply context for WhatsApp: the core keeps the quote in the text.
    async fn send_text(
        &self,
        to: &Phone,
        text: &str,
        _reference: &str,
        _reply_to: Option<&str>,
    ) -> Result<String, SendFailure> {
        let chars = text.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(SendFailure::Rejected {
                code: Some("21617".into()),
                reason: format!("text is {chars} characters; Twilio accepts at most {MAX_TEXT_CHARS}"),
            });
        }
        self.create(to, &[("Body", text)]).await
    }
}

#[async_trait]
impl ProviderMedia for TwilioClient {
    /// `GET MediaUrl0`: Basic auth (when the account protects media), then Twilio's redirect to
    /// short-lived storage, which reqwest follows without the credentials (another host).
    async fn download(&self, media: &MediaRef) -> Result<MediaDownload, SendFailure> {
        let MediaRef::Url(url) = media else {
            return Err(SendFailure::Rejected { code: None, reason: "Twilio media come by URL".into() });
        };
        // The credentials go only to Twilio's own API host, whatever a payload names.
        if !url.starts_with(&format!("{}/", self.api_base_url)) {
            return Err(SendFailure::Rejected { code: None, reason: "media URL is not on Twilio's API host".into() });
        }
        let mut req = self.http.get(url).timeout(TRANSFER_TIMEOUT);
        if self.media_auth {
            req = req.basic_auth(&self.account_sid, Some(self.auth_token.expose()));
        }
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        tracing::debug!(status = status.as_u16(), "twilio media download");
        if !status.is_success() {
            let bytes = resp.bytes().await.map_err(transport)?;
            return Err(classify(status, &bytes));
        }
        let mime_type =
            resp.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let size = resp.content_length();
        let body = resp.bytes_stream().map_err(|e| std::io::Error::other(e.without_url()));
        Ok(MediaDownload { mime_type, size, body: Box::pin(body) })
    }

    /// One file per message, by URL: Twilio fetches it and checks the served `Content-Type`.
    async fn send_file(&self, to: &Phone, file: OutgoingFile, _reference: &str) -> Result<String, SendFailure> {
        let FileSource::Url(url) = &file.source else {
            return Err(SendFailure::Rejected { code: None, reason: "Twilio takes files by URL".into() });
        };
        let mut fields = vec![("MediaUrl", url.as_str())];
        if let Some(caption) = file.caption.as_deref().filter(|c| !c.trim().is_empty()) {
            fields.push(("Body", caption));
        }
        self.create(to, &fields).await
    }
}
