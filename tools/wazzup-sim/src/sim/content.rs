//! Fetching a send's `contentUri`, as W2 describes: at once ("an attempt to download content will
//! be made as soon as the request is received"), "via a link without redirects", at most 10 MB
//! (`MESSAGES_CONTENT_SIZE_EXCEEDED`: "Content exceeds the allowable size of 10 MB"; whether
//! that is 10 MiB or 10⁷ bytes is unconfirmed — the sim takes 10 MiB).

use std::time::Duration;

use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};

use super::content_disposition;
use super::wazzup_error::WazzupError;

pub(crate) const MAX_CONTENT_BYTES: usize = 10 * 1024 * 1024;

/// The docs name no fetch timeout; 30 s matches their webhook timeout.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) struct Fetched {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    pub file_name: Option<String>,
}

/// GET `uri` with `client` (which must not follow redirects): a 2xx with a non-empty body.
pub(crate) async fn fetch(client: &reqwest::Client, uri: &str) -> Result<Fetched, WazzupError> {
    let mut response = client.get(uri).timeout(FETCH_TIMEOUT).send().await.map_err(|error| {
        tracing::debug!(error = %error.without_url(), "wazzup-sim: contentUri fetch failed");
        download_error()
    })?;
    // A 3xx lands here too: redirects are not followed, so they fail like any non-2xx.
    if !response.status().is_success() {
        tracing::debug!(status = response.status().as_u16(), "wazzup-sim: contentUri answered non-2xx");
        return Err(download_error());
    }
    if response.content_length().is_some_and(|length| length > MAX_CONTENT_BYTES as u64) {
        return Err(too_large());
    }
    // Raw UTF-8 is read too: servers put it in `filename="…"` although RFC 9110 wants ASCII.
    let header =
        |name| response.headers().get(name).and_then(|v| std::str::from_utf8(v.as_bytes()).ok()).map(str::to_owned);
    let content_type = header(CONTENT_TYPE);
    let file_name = header(CONTENT_DISPOSITION).and_then(|value| content_disposition::file_name(&value));
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| download_error())? {
        if bytes.len() + chunk.len() > MAX_CONTENT_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.is_empty() {
        return Err(WazzupError::send(
            "MESSAGES_CONTENT_CAN_NOT_BE_BLANK",
            "A file with content cannot be empty",
            None,
        ));
    }
    Ok(Fetched { bytes, content_type, file_name })
}

/// The echo's `type` for a file: by its MIME type, else `document`.
pub(crate) fn message_type(content_type: Option<&str>) -> &'static str {
    let mime = content_type.unwrap_or("").trim().to_ascii_lowercase();
    if mime.starts_with("image/") {
        "image"
    } else if mime.starts_with("audio/") {
        "audio"
    } else if mime.starts_with("video/") {
        "video"
    } else {
        "document"
    }
}

fn download_error() -> WazzupError {
    WazzupError::send("MESSAGE_DOWNLOAD_CONTENT_ERROR", "Failed to download content from the specified link", None)
}

fn too_large() -> WazzupError {
    WazzupError::send("MESSAGES_CONTENT_SIZE_EXCEEDED", "Content exceeds the allowable size of 10 MB", None)
}
