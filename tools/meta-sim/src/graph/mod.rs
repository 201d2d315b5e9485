//! In-process fake of the Graph API endpoints the bridge uses (NOTES 2.3–2.6).
//!
//! Routes (any `v<major>.<minor>` version segment, `Authorization: Bearer <access_token>` on all):
//! - `POST /{ver}/{phone_number_id}/messages` — validated send, answers a fresh wamid
//! - `GET /{ver}/{media_id}` / `DELETE /{ver}/{media_id}` — media metadata with a download URL
//! - `GET /media-download/{media_id}?token=…` — the bytes (URL from the metadata call)
//! - `POST /{ver}/{phone_number_id}/media` — multipart upload
//!
//! Every error uses Meta's envelope; requests are recorded without headers, so tokens never
//! leak into test output.

mod gate;
mod ids;
mod media;
mod messages;
mod meta_error;
mod send_validation;
mod state;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use serde_json::Value;

use crate::encoding;
use state::{SimState, StoredMedia};

/// Documents may be 100 MB (NOTES 2.5); leave room for multipart framing.
const MAX_REQUEST_BYTES: usize = 110 * 1024 * 1024;

/// Loopback Graph API. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct GraphSim {
    state: Arc<Mutex<SimState>>,
}

/// The business the simulator answers for.
#[derive(Debug, Clone)]
pub struct GraphSimConfig {
    pub access_token: String,
    pub phone_number_id: String,
}

/// One accepted `POST /{ver}/{phone_number_id}/messages`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SentMessage {
    /// The wamid answered to the bridge; status webhooks refer to it.
    pub wamid: String,
    pub phone_number_id: String,
    /// Recipient digits (`contacts[0].wa_id` of the answer).
    pub to: String,
    /// Message `type` (`text` when the body omitted it, as Meta defaults).
    pub kind: String,
    /// The request body as received.
    pub body: Value,
}

impl SentMessage {
    /// `text.body` of a text message.
    pub fn text(&self) -> Option<&str> {
        self.body.pointer("/text/body").and_then(Value::as_str)
    }

    /// Caption of a media message.
    pub fn caption(&self) -> Option<&str> {
        self.body.get(&self.kind)?.get("caption")?.as_str()
    }

    /// `context.message_id` of a reply.
    pub fn reply_to(&self) -> Option<&str> {
        self.body.pointer("/context/message_id").and_then(Value::as_str)
    }
}

/// One request the simulator received, whatever it answered.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path only: the query (which carries download tokens) is dropped.
    pub path: String,
    pub status: u16,
    /// Parsed JSON body of message sends (never headers, so never a token).
    pub body: Option<Value>,
}

/// Fault injected into the next requests that pass authentication.
#[derive(Debug, Clone)]
pub enum GraphFailure {
    /// Answer with Meta's error envelope instead of handling the request.
    Error { http: u16, code: i64, message: String },
    /// Handle the request normally, but only after this delay (timeouts, slow Graph).
    Delay(Duration),
}

impl GraphSim {
    pub fn new(cfg: GraphSimConfig) -> Self {
        Self { state: Arc::new(Mutex::new(SimState::new(cfg.access_token, cfg.phone_number_id))) }
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/media-download/{media_id}", get(media::download))
            .route("/{version}/{phone_number_id}/messages", post(messages::send))
            .route("/{version}/{phone_number_id}/media", post(media::upload))
            .route("/{version}/{media_id}", get(media::metadata).delete(media::delete))
            .fallback(gate::unknown_path)
            .layer(axum::middleware::from_fn_with_state(self.clone(), gate::authenticate_and_inject))
            .layer(axum::middleware::from_fn_with_state(self.clone(), gate::record))
            .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
            .with_state(self.clone())
    }

    /// Binds `addr` (default `127.0.0.1:0`), serves in a background task and returns the base
    /// URL, e.g. `http://127.0.0.1:40123`; the client appends `/v21.0/…` itself.
    pub async fn serve(&self, addr: Option<SocketAddr>) -> std::io::Result<String> {
        let addr = addr.unwrap_or_else(|| SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let mut local = listener.local_addr()?;
        // A wildcard bind is still reached through loopback by the local bridge.
        if local.ip().is_unspecified() {
            local.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        let base = format!("http://{local}");
        self.lock().base_url = Some(base.clone());
        let app = self.router();
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "meta-sim graph server stopped");
            }
        });
        Ok(base)
    }

    /// Base URL given by [`Self::serve`], if it was called.
    pub fn base_url(&self) -> Option<String> {
        self.lock().base_url.clone()
    }

    /// Every accepted message send, in order.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.lock().sent.clone()
    }

    /// Every request received, in order, with the status answered.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Stores media as if a WhatsApp user had sent it; returns the media id for an inbound
    /// webhook (see [`crate::webhook::media_message`]).
    pub fn add_media(&self, bytes: Vec<u8>, mime: &str) -> String {
        self.store_media(Bytes::from(bytes), mime, false)
    }

    /// Media uploaded by the bridge: `(id, mime, length)` in upload order.
    pub fn uploaded_media(&self) -> Vec<(String, String, usize)> {
        let state = self.lock();
        state
            .upload_order
            .iter()
            .filter_map(|id| state.media.get(id).map(|m| (id.clone(), m.mime.clone(), m.bytes.len())))
            .collect()
    }

    /// Bytes of any stored media (added or uploaded).
    pub fn media_bytes(&self, media_id: &str) -> Option<Vec<u8>> {
        self.lock().media.get(media_id).map(|m| m.bytes.to_vec())
    }

    /// Base64 SHA-256 of stored media, the encoding webhooks use
    /// (for [`crate::webhook::set_media_sha256`]).
    pub fn media_sha256(&self, media_id: &str) -> Option<String> {
        self.lock().media.get(media_id).map(|m| crate::webhook::media_sha256(&m.bytes))
    }

    /// The next `n` authenticated requests (any endpoint) get `failure`, in arrival order.
    pub fn fail_next(&self, n: usize, failure: GraphFailure) {
        self.lock().pending_failures.extend(std::iter::repeat_n(failure, n));
    }

    /// Every send to `wa_id` fails with Meta error `code` and HTTP status `http` (for example
    /// 131047 re-engagement, 131026 undeliverable, 130429 rate limit) until cleared.
    pub fn fail_for_recipient(&self, wa_id: &str, code: i64, http: u16) {
        self.lock().recipient_failures.insert(wa_id.to_owned(), (code, http));
    }

    /// Undoes [`Self::fail_for_recipient`] (the user wrote again, the window reopened…).
    pub fn clear_recipient_failure(&self, wa_id: &str) {
        self.lock().recipient_failures.remove(wa_id);
    }

    /// Lifetime of media download URLs (default 5 minutes, like Meta); `Duration::ZERO`
    /// makes every URL expire at once to exercise re-fetching.
    pub fn set_media_url_ttl(&self, ttl: Duration) {
        self.lock().media_url_ttl = ttl;
    }

    fn store_media(&self, bytes: Bytes, mime: &str, uploaded: bool) -> String {
        let id = ids::media_id();
        let mut state = self.lock();
        state.media.insert(id.clone(), StoredMedia { bytes, mime: mime.to_owned() });
        if uploaded {
            state.upload_order.push(id.clone());
        }
        id
    }

    /// Poisoning only means another test thread panicked; the data is still usable.
    fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Hex SHA-256, as the media metadata endpoint reports it.
fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(encoding::sha256(bytes))
}

/// Graph version segments look like `v21.0`.
fn is_version(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix('v') else { return false };
    let mut parts = rest.split('.');
    let numeric = |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    numeric(parts.next()) && numeric(parts.next()) && parts.next().is_none()
}

#[cfg(test)]
mod tests;
