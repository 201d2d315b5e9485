//! [`PlanfixFiles`]: uploads (streamed multipart), file info, downloads through the storage
//! redirect, and rewriting a comment with its files.

use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};

use bridge_core::ports::planfix::*;
use bridge_core::ports::ByteStream;

use crate::client::PlanfixRest;
use crate::errors::{api_error, classify, read_response, without_url};
use crate::redirects::{self, Hop, Refused};
use crate::wire::{Created, FileEnvelope};

/// Redirects a download follows, the download's own 302 included (a CDN may bounce to a bucket).
const MAX_REDIRECTS: usize = 3;
/// An upload may take this long plus one second per [`UPLOAD_BYTES_PER_SECOND`] bytes.
const UPLOAD_BASE_TIMEOUT: Duration = Duration::from_secs(60);
const UPLOAD_BYTES_PER_SECOND: u64 = 256 * 1024;

#[async_trait]
impl PlanfixFiles for PlanfixRest {
    async fn upload_file(
        &self,
        filename: &str,
        mime_type: &str,
        size: u64,
        body: ByteStream,
    ) -> Result<i64, PlanfixError> {
        let files = self.files_client()?;
        // A malformed type from the provider must not lose the file: fall back to a generic one.
        let mime = if Part::text("").mime_str(mime_type).is_ok() { mime_type } else { "application/octet-stream" };
        // Streamed with its length: the file is never held in memory, and the part still
        // carries a size, so the whole request has a Content-Length.
        let part = Part::stream_with_length(reqwest::Body::wrap_stream(body), size)
            .file_name(filename.to_owned())
            .mime_str(mime)
            .map_err(|e| PlanfixError::Transport(without_url(e)))?;
        let timeout = UPLOAD_BASE_TIMEOUT + Duration::from_secs(size / UPLOAD_BYTES_PER_SECOND);
        self.wait_turn().await?;
        let resp = files
            .post(format!("{}/file/", self.base_url))
            .bearer_auth(self.token.expose())
            .timeout(timeout)
            .multipart(Form::new().part("file", part))
            .send()
            .await
            .map_err(|e| PlanfixError::Transport(without_url(e)))?;
        // Code 7002: the file is over the plan's per-file limit (100 MB paid, 15 MB free).
        match read_response::<Created>(&Method::POST, "/file/", resp).await? {
            (_, Some(created)) => Ok(created.id),
            (status, None) => Err(PlanfixError::Decode(format!("POST /file/: empty body with HTTP {status}"))),
        }
    }

    async fn file_info(&self, file_id: i64) -> Result<Option<FileInfo>, PlanfixError> {
        let path = format!("/file/{file_id}");
        match self.call_required::<FileEnvelope>(Method::GET, &path, &[("fields", "id,name,size")], None).await {
            Ok(env) => Ok(Some(FileInfo { id: env.file.id, name: env.file.name, size: env.file.size.unwrap_or(0) })),
            Err(PlanfixError::Api { http: 404, .. }) | Err(PlanfixError::Api { code: Some(7000), .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn download_file(&self, file_id: i64) -> Result<(Option<String>, ByteStream), PlanfixError> {
        let files = self.files_client()?;
        let path = format!("/file/{file_id}/download");
        self.wait_turn().await?;
        let resp = files
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(self.token.expose())
            .send()
            .await
            .map_err(|e| PlanfixError::Transport(without_url(e)))?;
        let status = resp.status();
        tracing::debug!(path, status = status.as_u16(), "planfix call");
        if status.is_success() {
            // Some servers answer with the bytes instead of redirecting.
            return Ok(into_download(resp));
        }
        if !status.is_redirection() {
            let bytes = resp.bytes().await.map_err(|e| PlanfixError::Transport(without_url(e)))?;
            return Err(api_error(&Method::GET, &path, status, &bytes));
        }
        let base = reqwest::Url::parse(&self.base_url)
            .map_err(|e| PlanfixError::Decode(format!("GET {path}: the Planfix base URL does not parse: {e}")))?;
        let mut target = redirect_target(&resp)?;
        let mut followed = 1;
        loop {
            if followed > MAX_REDIRECTS {
                return Err(PlanfixError::Decode(format!("GET {path}: more than {MAX_REDIRECTS} redirects")));
            }
            // Checked before anything is sent there; the refusal names the host, never the
            // path or query (a signed storage URL is a credential).
            let client = match redirects::check(&base, &target).await {
                Ok(Hop::SameLoopbackServer) => files,
                Ok(Hop::Public) => self.storage_client()?,
                Err(Refused(why)) => {
                    tracing::warn!(path, why, "planfix download redirect refused");
                    return Err(PlanfixError::Decode(format!(
                        "GET {path}: refused to follow the file storage redirect: {why}"
                    )));
                }
            };
            // The storage URL is its own credential: no bearer header past the first hop, so
            // the Planfix token never reaches another host.
            let resp = client.get(target).send().await.map_err(|e| PlanfixError::Transport(without_url(e)))?;
            let status = resp.status();
            if status.is_success() {
                return Ok(into_download(resp));
            }
            if !status.is_redirection() {
                // Not the REST API: no envelope, and the URL may hold a signature, so it is not logged.
                return Err(PlanfixError::Api {
                    http: status.as_u16(),
                    code: None,
                    message: format!("file storage answered HTTP {status} for GET {path}"),
                    retry: classify(status.as_u16(), None),
                });
            }
            target = redirect_target(&resp)?;
            followed += 1;
        }
    }

    async fn update_comment(
        &self,
        task_id: i64,
        comment_id: i64,
        html: &str,
        file_ids: &[i64],
    ) -> Result<(), PlanfixError> {
        let path = format!("/task/{task_id}/comments/{comment_id}");
        let files: Vec<Value> = file_ids.iter().map(|id| json!({ "id": id })).collect();
        let body = json!({ "description": html, "files": files });
        self.call::<Value>(Method::POST, &path, &[], Some(body)).await.map(drop)
    }
}

/// The redirect target, resolved against the URL that answered (a relative `Location` is legal).
fn redirect_target(resp: &reqwest::Response) -> Result<reqwest::Url, PlanfixError> {
    let location =
        resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
            PlanfixError::Decode(format!("download: HTTP {} without a usable Location", resp.status()))
        })?;
    resp.url().join(location).map_err(|e| PlanfixError::Decode(format!("download: bad Location: {e}")))
}

/// The body as a byte stream, with the content type if the server named one.
fn into_download(resp: reqwest::Response) -> (Option<String>, ByteStream) {
    let content_type = resp.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let stream = resp.bytes_stream().map(|chunk| chunk.map_err(|e| std::io::Error::other(without_url(e))));
    (content_type, Box::pin(stream))
}
