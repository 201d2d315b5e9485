//! Sending through `{apiUrl}/waInstance{id}/{method}/{token}` (NOTES 5.4) and fetching inbound
//! media by its direct link (NOTES 5.3). The token is part of every URL, so no URL is ever
//! logged: errors go through `without_url`.

use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use serde::Deserialize;
use serde_json::json;

use bridge_core::config::{GreenApiConfig, GreenApiFileSend, Secret};
use bridge_core::domain::{MediaRef, Phone};
use bridge_core::ports::{
    Capabilities, FileSend, FileSource, MediaDownload, MediaLimits, OutgoingFile, ProviderMedia, ProviderSender,
    SendFailure,
};

use super::chat_id;
use super::errors::classify;

const MB: u64 = 1024 * 1024;

/// 100 MB per file, whatever its kind (NOTES 5.4).
pub const GREEN_API_LIMITS: MediaLimits =
    MediaLimits { image: 100 * MB, video: 100 * MB, audio: 100 * MB, document: 100 * MB, sticker: 100 * MB };

/// `sendMessage`'s limit on `message`, in characters (Green-API's method page).
const MAX_TEXT_CHARS: usize = 20_000;

const TRANSFER_TIMEOUT: Duration = Duration::from_secs(300);

pub struct GreenApiClient {
    http: reqwest::Client,
    api_url: String,
    media_url: String,
    id_instance: i64,
    token: Secret,
    file_send: FileSend,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sent {
    id_message: Option<String>,
}

fn transport(e: reqwest::Error) -> SendFailure {
    SendFailure::Transient { reason: e.without_url().to_string() }
}

impl GreenApiClient {
    pub fn new(http: reqwest::Client, cfg: &GreenApiConfig) -> Self {
        let api_url = cfg.api_url.trim_end_matches('/').to_owned();
        let media_url = cfg.media_url.as_deref().map(|m| m.trim_end_matches('/').to_owned()).unwrap_or(api_url.clone());
        let file_send = match cfg.file_send {
            GreenApiFileSend::Url => FileSend::ByUrl,
            GreenApiFileSend::Upload => FileSend::Upload,
        };
        Self {
            http,
            api_url,
            media_url,
            id_instance: cfg.id_instance,
            token: cfg.api_token_instance.clone(),
            file_send,
        }
    }

    fn method_url(&self, host: &str, method: &str) -> String {
        format!("{host}/waInstance{}/{method}/{}", self.id_instance, self.token.expose())
    }

    /// Reads `{"idMessage": …}` from an answer; Ok = the message id.
    async fn sent(resp: reqwest::Response, method: &str) -> Result<String, SendFailure> {
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(transport)?;
        tracing::debug!(status = status.as_u16(), method, "green-api send");
        if !status.is_success() {
            return Err(classify(status, &bytes));
        }
        // A 2xx means Green-API queued the message: an unreadable answer must not cause a resend.
        serde_json::from_slice::<Sent>(&bytes).ok().and_then(|s| s.id_message).filter(|i| !i.is_empty()).ok_or_else(
            || SendFailure::Rejected {
                code: None,
                reason: format!("HTTP {status} without idMessage; the message may have been sent"),
            },
        )
    }

    async fn post_json(&self, method: &str, body: serde_json::Value) -> Result<String, SendFailure> {
        let resp =
            self.http.post(self.method_url(&self.api_url, method)).json(&body).send().await.map_err(transport)?;
        Self::sent(resp, method).await
    }
}

#[async_trait]
impl ProviderSender for GreenApiClient {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_text_chars: MAX_TEXT_CHARS,
            file_send: self.file_send,
            media_limits: GREEN_API_LIMITS,
            replies: true,
        }
    }

    async fn send_text(
        &self,
        to: &Phone,
        text: &str,
        _reference: &str,
        reply_to: Option<&str>,
    ) -> Result<String, SendFailure> {
        let chars = text.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(SendFailure::Rejected {
                code: None,
                reason: format!("text is {chars} characters; Green-API accepts at most {MAX_TEXT_CHARS}"),
            });
        }
        let mut body = json!({ "chatId": chat_id(to), "message": text });
        if let Some(id) = reply_to {
            body["quotedMessageId"] = json!(id);
        }
        self.post_json("sendMessage", body).await
    }
}

#[async_trait]
impl ProviderMedia for GreenApiClient {
    /// A plain GET of the direct link: it needs no credentials, so none are sent.
    async fn download(&self, media: &MediaRef) -> Result<MediaDownload, SendFailure> {
        let MediaRef::Url(url) = media else {
            return Err(SendFailure::Rejected { code: None, reason: "Green-API media come by URL".into() });
        };
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(SendFailure::Rejected { code: None, reason: "media URL is not http(s)".into() });
        }
        let resp = self.http.get(url).timeout(TRANSFER_TIMEOUT).send().await.map_err(transport)?;
        let status = resp.status();
        tracing::debug!(status = status.as_u16(), "green-api media download");
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

    /// `sendFileByUrl` (Green-API fetches the presigned link) or `sendFileByUpload` (multipart,
    /// streamed). `fileName` must carry the extension: Green-API types the file by it.
    async fn send_file(&self, to: &Phone, file: OutgoingFile, _reference: &str) -> Result<String, SendFailure> {
        let caption = file.caption.clone().filter(|c| !c.trim().is_empty());
        match file.source {
            FileSource::Url(url) => {
                let mut body = json!({ "chatId": chat_id(to), "urlFile": url, "fileName": file.filename });
                if let Some(caption) = caption {
                    body["caption"] = json!(caption);
                }
                self.post_json("sendFileByUrl", body).await
            }
            FileSource::Stream(stream) => {
                let part = reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(stream), file.size)
                    .file_name(file.filename.clone())
                    .mime_str(&file.mime_type)
                    .map_err(|_| SendFailure::Rejected {
                        code: None,
                        reason: format!("invalid MIME type {:?}", file.mime_type),
                    })?;
                let mut form = reqwest::multipart::Form::new()
                    .text("chatId", chat_id(to))
                    .text("fileName", file.filename.clone())
                    .part("file", part);
                if let Some(caption) = caption {
                    form = form.text("caption", caption);
                }
                let resp = self
                    .http
                    .post(self.method_url(&self.media_url, "sendFileByUpload"))
                    .timeout(TRANSFER_TIMEOUT)
                    .multipart(form)
                    .send()
                    .await
                    .map_err(transport)?;
                Self::sent(resp, "sendFileByUpload").await
            }
        }
    }
}
