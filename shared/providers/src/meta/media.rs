//! Media through the Graph API: fetching what users sent (NOTES 2.3) and sending files by
//! upload + media id (NOTES 2.4). Bodies are streamed both ways: a 100 MB document never sits in
//! Lambda memory. Errors go through the text sender's mapping, so callers see one [`SendFailure`].

use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use serde::Deserialize;
use serde_json::json;

use super::sender::{classify, transport, MetaClient};
use bridge_core::domain::{MediaRef, Phone};
use bridge_core::ports::{FileSource, MediaDownload, MediaKind, MediaLimits, OutgoingFile, ProviderMedia, SendFailure};

const MB: u64 = 1024 * 1024;

/// Bound on one body transfer (download or upload). The shared client's overall timeout is sized
/// for small JSON calls and would cut a large file mid-stream; this replaces it per request.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(300);

/// Meta's maximum size per media kind, in bytes (MB = 1024 * 1024).
///
/// Source: NOTES 2.5 (Meta's table as restated by help.vtex.com, developer.exotel.com and
/// developers.sinch.com): image 5 MB, video 16 MB, audio 16 MB, document 100 MB, sticker 500 KB
/// (animated; static stickers are limited to 100 KB, which Meta checks itself).
pub const META_LIMITS: MediaLimits =
    MediaLimits { image: 5 * MB, video: 16 * MB, audio: 16 * MB, document: 100 * MB, sticker: 500 * 1024 };

pub fn meta_limit(kind: MediaKind) -> u64 {
    META_LIMITS.max(kind)
}

/// `type` of the message and the name of its media object.
fn kind_name(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Image => "image",
        MediaKind::Video => "video",
        MediaKind::Audio => "audio",
        MediaKind::Document => "document",
        MediaKind::Sticker => "sticker",
    }
}

/// `GET /{media-id}` answer; `url` is a bearer-protected link valid for about 5 minutes.
#[derive(Deserialize)]
struct MediaInfo {
    url: Option<String>,
    mime_type: Option<String>,
    file_size: Option<u64>,
}

#[derive(Deserialize)]
struct Uploaded {
    id: Option<String>,
}

impl MetaClient {
    /// Reads a non-2xx answer and maps it; the body is small JSON, so collecting it is fine.
    async fn failure(resp: reqwest::Response) -> SendFailure {
        let status = resp.status();
        match resp.bytes().await {
            Ok(bytes) => classify(status, &bytes),
            Err(e) => transport(e),
        }
    }

    /// Uploads the file; Ok = the media id to reference in the message.
    async fn upload(&self, file: OutgoingFile) -> Result<String, SendFailure> {
        let rejected = |reason: String| SendFailure::Rejected { code: None, reason };
        let FileSource::Stream(body) = file.source else {
            return Err(rejected("Meta takes uploads, not URLs".into()));
        };
        let part = reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(body), file.size)
            .file_name(file.filename)
            .mime_str(&file.mime_type)
            .map_err(|_| rejected(format!("invalid MIME type {:?}", file.mime_type)))?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", file.mime_type.clone())
            .part("file", part);
        let resp = self
            .authorize(self.http.post(&self.media_url))
            .timeout(TRANSFER_TIMEOUT)
            .multipart(form)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status();
        tracing::debug!(status = status.as_u16(), size = file.size, "meta media upload");
        if !status.is_success() {
            return Err(Self::failure(resp).await);
        }
        let bytes = resp.bytes().await.map_err(transport)?;
        // Nothing was sent to the user yet, but an answer without an id is a contract breach, not a hiccup.
        serde_json::from_slice::<Uploaded>(&bytes)
            .ok()
            .and_then(|u| u.id)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| rejected(format!("media upload: HTTP {status} without an id")))
    }
}

impl MetaClient {
    /// Meta's media URL, or the same path and query on the proxying host (360dialog: the key must
    /// never go to Meta's lookaside host).
    fn media_download_url(&self, url: &str) -> Result<String, SendFailure> {
        let Some(host) = &self.media_host else { return Ok(url.to_owned()) };
        let path = url.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..])).ok_or_else(|| {
            SendFailure::Rejected { code: None, reason: "media metadata with an unusable url".into() }
        })?;
        Ok(format!("{host}{path}"))
    }
}

#[async_trait]
impl ProviderMedia for MetaClient {
    /// Two requests, both with the bearer token: metadata (for the short-lived URL), then the
    /// bytes. An expired URL surfaces as an error; calling `download` again fetches a fresh one.
    async fn download(&self, media: &MediaRef) -> Result<MediaDownload, SendFailure> {
        let MediaRef::Id(media_id) = media else {
            return Err(SendFailure::Rejected { code: None, reason: "Meta media come by id, not URL".into() });
        };
        // A webhook id is a plain token; anything else would change the path we request.
        if media_id.is_empty() || !media_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(SendFailure::Rejected { code: None, reason: "malformed media id".into() });
        }
        let resp =
            self.authorize(self.http.get(format!("{}/{media_id}", self.graph_url))).send().await.map_err(transport)?;
        let status = resp.status();
        if !status.is_success() {
            return Err(Self::failure(resp).await);
        }
        let bytes = resp.bytes().await.map_err(transport)?;
        let info = serde_json::from_slice::<MediaInfo>(&bytes).map_err(|_| SendFailure::Rejected {
            code: None,
            reason: format!("media metadata: HTTP {status} with an unreadable body"),
        })?;
        let Some(url) = info.url.filter(|u| !u.is_empty()) else {
            return Err(SendFailure::Rejected { code: None, reason: "media metadata without a url".into() });
        };

        // The URL itself is a credential for 5 minutes: it is never logged (`transport` strips it).
        let url = self.media_download_url(&url)?;
        let resp = self.authorize(self.http.get(&url)).timeout(TRANSFER_TIMEOUT).send().await.map_err(transport)?;
        let status = resp.status();
        tracing::debug!(status = status.as_u16(), "meta media download");
        if !status.is_success() {
            return Err(Self::failure(resp).await);
        }
        let mime_type = info.mime_type.or_else(|| {
            resp.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned)
        });
        let size = info.file_size.or_else(|| resp.content_length());
        let body = resp.bytes_stream().map_err(|e| std::io::Error::other(e.without_url()));
        Ok(MediaDownload { mime_type, size, body: Box::pin(body) })
    }

    /// Uploads, then sends a message referencing the media id. No retry here: a failed send after
    /// a successful upload leaves an unused media id at Meta (it expires after 30 days).
    async fn send_file(&self, to: &Phone, file: OutgoingFile, _reference: &str) -> Result<String, SendFailure> {
        let kind = file.kind;
        let name = kind_name(kind);
        let filename = file.filename.clone();
        // Meta refuses a caption on audio and sticker; dropping it beats failing the whole send.
        let caption = match kind {
            MediaKind::Image | MediaKind::Video | MediaKind::Document => {
                file.caption.clone().filter(|c| !c.trim().is_empty())
            }
            MediaKind::Audio | MediaKind::Sticker => None,
        };
        let media_id = self.upload(file).await?;
        let mut media = json!({ "id": media_id });
        if let Some(caption) = caption {
            media["caption"] = json!(caption);
        }
        // Only documents show a file name; elsewhere Meta rejects the field.
        if kind == MediaKind::Document && !filename.is_empty() {
            media["filename"] = json!(filename);
        }
        let body = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to.digits(),
            "type": name,
            name: media,
        });
        self.post_message(&body).await
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use futures_util::StreamExt;
    use meta_sim::{GraphFailure, GraphSim, GraphSimConfig};

    use super::*;
    use bridge_core::config::{MetaConfig, Secret};
    use bridge_core::ports::ByteStream;

    const TOKEN: &str = "test-access-token";
    const NUMBER_ID: &str = "1000001";
    const TO: &str = "79051234567";

    async fn sim() -> (GraphSim, MetaClient) {
        let sim = GraphSim::new(GraphSimConfig { access_token: TOKEN.into(), phone_number_id: NUMBER_ID.into() });
        let base = sim.serve(None).await.expect("serve meta-sim");
        let cfg = MetaConfig {
            app_secret: Secret::new("app-secret"),
            verify_token: Secret::new("verify"),
            access_token: Secret::new(TOKEN),
            phone_number_id: NUMBER_ID.into(),
            graph_base_url: base,
            graph_api_version: "v21.0".into(),
        };
        (sim, MetaClient::new(reqwest::Client::new(), &cfg))
    }

    fn phone() -> Phone {
        Phone::parse(TO).expect("valid phone")
    }

    /// Deterministic, non-repeating-ish test bytes.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    /// A body delivered in 64 KiB chunks, as a blob store would stream it.
    fn chunked(bytes: &[u8]) -> ByteStream {
        let chunks: Vec<Result<Bytes, std::io::Error>> =
            bytes.chunks(64 * 1024).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        Box::pin(futures_util::stream::iter(chunks))
    }

    fn file(kind: MediaKind, filename: &str, mime: &str, bytes: &[u8], caption: Option<&str>) -> OutgoingFile {
        OutgoingFile {
            kind,
            filename: filename.into(),
            mime_type: mime.into(),
            size: bytes.len() as u64,
            caption: caption.map(str::to_owned),
            source: FileSource::Stream(chunked(bytes)),
        }
    }

    #[tokio::test]
    async fn download_streams_the_bytes() {
        let (sim, sender) = sim().await;
        let bytes = pattern(2 * 1024 * 1024);
        let id = sim.add_media(bytes.clone(), "video/mp4");
        let download = sender.download(&MediaRef::Id(id.clone())).await.expect("download");
        assert_eq!(download.mime_type.as_deref(), Some("video/mp4"));
        assert_eq!(download.size, Some(bytes.len() as u64));
        let mut body = download.body;
        let (mut got, mut chunks) = (Vec::new(), 0);
        while let Some(chunk) = body.next().await {
            got.extend_from_slice(&chunk.expect("chunk"));
            chunks += 1;
        }
        assert!(chunks > 1, "streamed, not one buffer");
        assert!(got == bytes, "same bytes");
    }

    #[tokio::test]
    async fn unknown_media_is_rejected() {
        let (_sim, sender) = sim().await;
        let err = sender.download(&MediaRef::Id("999999999".into())).await.err().expect("unknown id");
        assert!(matches!(err, SendFailure::Rejected { .. }), "{err:?}");
        let err = sender.download(&MediaRef::Id("../1000001/messages".into())).await.err().expect("malformed id");
        assert!(matches!(err, SendFailure::Rejected { code: None, .. }), "{err:?}");
    }

    #[tokio::test]
    async fn expired_url_is_an_error() {
        let (sim, sender) = sim().await;
        let id = sim.add_media(pattern(1000), "image/jpeg");
        sim.set_media_url_ttl(Duration::ZERO);
        let err = sender.download(&MediaRef::Id(id.clone())).await.err().expect("expired");
        assert!(!err.to_string().contains("token="), "no URL in the reason: {err}");
    }

    #[tokio::test]
    async fn sends_document_with_filename_and_caption() {
        let (sim, sender) = sim().await;
        let bytes = pattern(300 * 1024 + 7);
        let doc = file(MediaKind::Document, "счёт №12.pdf", "application/pdf", &bytes, Some("Your invoice"));
        let wamid = sender.send_file(&phone(), doc, "ref").await.expect("sent");

        let uploaded = sim.uploaded_media();
        assert_eq!(uploaded.len(), 1);
        let (media_id, mime, len) = &uploaded[0];
        assert_eq!((mime.as_str(), *len), ("application/pdf", bytes.len()));
        assert!(sim.media_bytes(media_id) == Some(bytes), "uploaded bytes intact");

        let sent = sim.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].wamid, wamid);
        assert_eq!(sent[0].to, TO);
        assert_eq!(sent[0].kind, "document");
        assert_eq!(sent[0].body["recipient_type"], "individual");
        assert_eq!(sent[0].body["document"]["id"], media_id.as_str());
        assert_eq!(sent[0].body["document"]["filename"], "счёт №12.pdf");
        assert_eq!(sent[0].caption(), Some("Your invoice"));
    }

    #[tokio::test]
    async fn audio_drops_caption_and_filename() {
        let (sim, sender) = sim().await;
        let voice = file(MediaKind::Audio, "voice.ogg", "audio/ogg", &pattern(4096), Some("listen"));
        sender.send_file(&phone(), voice, "ref").await.expect("sent");
        let sent = sim.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].kind, "audio");
        assert_eq!(sent[0].caption(), None);
        assert!(sent[0].body["audio"].get("filename").is_none());
        assert!(sent[0].body["audio"]["id"].is_string());
    }

    #[tokio::test]
    async fn upload_server_error_is_transient() {
        let (sim, sender) = sim().await;
        sim.fail_next(1, GraphFailure::Error { http: 500, code: 2, message: "Service temporarily unavailable".into() });
        let img = file(MediaKind::Image, "a.png", "image/png", &pattern(2048), None);
        let err = sender.send_file(&phone(), img, "ref").await.expect_err("upload failed");
        assert!(err.retry().is_retryable(), "{err:?}");
        assert!(sim.uploaded_media().is_empty());
        assert!(sim.sent().is_empty());
    }

    #[test]
    fn limits() {
        assert_eq!(meta_limit(MediaKind::Image), 5 * 1024 * 1024);
        assert_eq!(meta_limit(MediaKind::Video), 16 * 1024 * 1024);
        assert_eq!(meta_limit(MediaKind::Audio), 16 * 1024 * 1024);
        assert_eq!(meta_limit(MediaKind::Document), 100 * 1024 * 1024);
        assert_eq!(meta_limit(MediaKind::Sticker), 500 * 1024);
    }
}
