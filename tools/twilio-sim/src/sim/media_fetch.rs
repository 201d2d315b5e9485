//! Fetching a send's `MediaUrl`, as Twilio does before handing the file to WhatsApp (NOTES 3.4, 3.5).
//!
//! Twilio accepts the send (201) and reports download problems later, in a `failed` status
//! callback; the simulator fetches before answering (so tests see the result at once) but reports
//! the same way:
//! - no answer, a non-2xx answer or 0 bytes → 63019 "Media failed to download";
//! - no `Content-Type`, `application/octet-stream` or a malformed type → 12300 "Invalid
//!   Content-Type" (Twilio validates the served type; which code it uses for a missing or generic
//!   type on WhatsApp is unconfirmed). Twilio also refuses types outside its WhatsApp list; the
//!   simulator does not enforce that list;
//! - over 16 MB, or an image over 5 MB → 11751 "Media exceeds messaging provider size limit".

use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};

use super::content_disposition;
use super::FetchedMedia;
use crate::codes;

const MB: usize = 1024 * 1024;
const MAX_WHATSAPP_BYTES: usize = 16 * MB;
const MAX_IMAGE_BYTES: usize = 5 * MB;

/// The download and, if Twilio would fail the message because of it, the error code.
pub(crate) async fn fetch(client: Option<&reqwest::Client>, url: &str) -> (FetchedMedia, Option<i64>) {
    let mut media =
        FetchedMedia { url: url.to_owned(), http_status: None, content_type: None, filename: None, bytes: Vec::new() };
    let Some(client) = client else { return (media, Some(codes::MEDIA_DOWNLOAD_FAILED)) };
    let mut response = match client.get(url).send().await {
        Ok(response) => response,
        Err(error) => {
            tracing::debug!(error = %error.without_url(), "twilio-sim could not fetch a MediaUrl");
            return (media, Some(codes::MEDIA_DOWNLOAD_FAILED));
        }
    };
    let header = |name| response.headers().get(name).and_then(|value| value.to_str().ok()).map(str::to_owned);
    media.http_status = Some(response.status().as_u16());
    media.content_type = header(CONTENT_TYPE);
    media.filename = header(CONTENT_DISPOSITION).as_deref().and_then(content_disposition::filename);
    if !response.status().is_success() {
        return (media, Some(codes::MEDIA_DOWNLOAD_FAILED));
    }
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if media.bytes.len() + chunk.len() > MAX_WHATSAPP_BYTES => {
                return (media, Some(codes::MEDIA_TOO_LARGE));
            }
            Ok(Some(chunk)) => media.bytes.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(_) => return (media, Some(codes::MEDIA_DOWNLOAD_FAILED)),
        }
    }
    let failure = verdict(media.content_type.as_deref(), media.bytes.len());
    (media, failure)
}

/// Twilio's verdict on a complete 2xx download.
fn verdict(content_type: Option<&str>, len: usize) -> Option<i64> {
    let essence = content_type.and_then(|value| value.split(';').next()).map(|value| value.trim().to_ascii_lowercase());
    let well_formed = essence.as_deref().and_then(|e| e.split_once('/')).is_some_and(|(kind, sub)| {
        let token =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b));
        token(kind) && token(sub)
    });
    if len == 0 {
        Some(codes::MEDIA_DOWNLOAD_FAILED)
    } else if !well_formed || essence.as_deref() == Some("application/octet-stream") {
        Some(codes::INVALID_CONTENT_TYPE)
    } else if essence.as_deref().is_some_and(|e| e.starts_with("image/")) && len > MAX_IMAGE_BYTES {
        Some(codes::MEDIA_TOO_LARGE)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        assert_eq!(verdict(Some("application/pdf"), 10), None);
        assert_eq!(verdict(Some("Image/JPEG; q=1"), MAX_IMAGE_BYTES), None);
        assert_eq!(verdict(Some("image/jpeg"), MAX_IMAGE_BYTES + 1), Some(11751));
        assert_eq!(verdict(Some("video/mp4"), MAX_IMAGE_BYTES + 1), None);
        assert_eq!(verdict(Some("application/pdf"), 0), Some(63019));
        for bad in [None, Some(""), Some("application/octet-stream"), Some("pdf"), Some("text/"), Some("a b/c")] {
            assert_eq!(verdict(bad, 10), Some(12300), "{bad:?}");
        }
    }
}
