//! In-process fake of the 360dialog Cloud API endpoints the bridge uses (NOTES §4).
//!
//! Routes (no version segment; header `D360-API-KEY: <api_key>` on every one, else 401):
//! - `POST /messages` — Meta's send body, validated like Meta; answers Meta's success or error
//! - `POST /media` — multipart upload → `{"id"}`
//! - `GET /{media-id}` / `DELETE /{media-id}` — metadata with a `lookaside.fbsbx.com` URL (D2),
//!   blocked after too many error answers (D3)
//! - `GET /whatsapp_business/attachments/?mid&ext&hash` — the bytes, on 360dialog's own host (D3)
//! - `POST /v1/configs/webhook` (and `GET`) — the number's webhook URL and custom headers (D4)
//!
//! 360dialog's own errors use `{"meta":{…}}` (D4, D7); Meta's errors, which 360dialog passes
//! through, use Meta's `{"error":{…}}`. Requests are recorded without headers or query, so neither
//! the API key nor a media URL's hash reaches test output.

mod attachments;
mod d360_error;
mod delivery;
mod gate;
mod ids;
mod media_block;
mod media_lookup;
mod media_upload;
mod messages;
mod meta_error;
mod outbox;
mod send_validation;
mod state;
mod webhook_config;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use serde_json::Value;
use tokio::sync::Notify;

use crate::webhook::Business;
use state::{SimState, StoredMedia};

/// Documents may be 100 MB (D3); leave room for multipart framing.
const MAX_REQUEST_BYTES: usize = 110 * 1024 * 1024;

/// Loopback 360dialog number. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Dialog360Sim {
    state: Arc<Mutex<SimState>>,
    /// Wakes the webhook delivery task (see [`Self::deliver_webhooks`]).
    outbox_ready: Arc<Notify>,
    /// Delivers webhooks. Per sim, not global: pooled connections die with the Tokio runtime
    /// (one per test) that opened them.
    http: reqwest::Client,
}

/// The number the simulator answers for: its API key and Meta `phone_number_id`.
#[derive(Debug, Clone)]
pub struct Dialog360SimConfig {
    pub api_key: String,
    pub phone_number_id: String,
}

/// One accepted `POST /messages`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SentMessage {
    /// The wamid answered to the bridge; status webhooks refer to it.
    pub wamid: String,
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

/// One request the simulator received, whatever it answered. Never headers (the API key), never
/// the query (a media URL's hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub status: u16,
}

/// The webhook URL and custom headers set with `POST /v1/configs/webhook`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    pub url: String,
    /// In the order the request listed them.
    pub headers: Vec<(String, String)>,
}

/// Fault injected into the next requests that pass authentication.
#[derive(Debug, Clone)]
pub enum Dialog360Failure {
    /// Answer `http` with `body` instead of handling the request (sent as JSON when it parses
    /// as JSON, else as text).
    Error { http: u16, body: String },
    /// 400 "You have exceeded the endpoint rate limit." in 360dialog's `{"meta":{…}}` body (D7).
    RateLimited,
    /// Handle the request normally, but only after this delay (timeouts, a slow gateway).
    Delay(Duration),
}

impl Dialog360Sim {
    pub fn new(cfg: Dialog360SimConfig) -> Self {
        Self {
            state: Arc::new(Mutex::new(SimState::new(cfg.api_key, cfg.phone_number_id))),
            outbox_ready: Arc::new(Notify::new()),
            http: reqwest::Client::new(),
        }
    }

    pub fn router(&self) -> Router {
        let fallback = || gate::method_not_allowed;
        Router::new()
            .route("/messages", post(messages::send).fallback(fallback()))
            .route("/media", post(media_upload::upload).fallback(fallback()))
            .route("/whatsapp_business/attachments/", get(attachments::download).fallback(fallback()))
            .route("/v1/configs/webhook", post(webhook_config::set).get(webhook_config::get).fallback(fallback()))
            .route("/{media_id}", get(media_lookup::metadata).delete(media_lookup::delete).fallback(fallback()))
            .fallback(gate::unknown_path)
            .layer(axum::middleware::from_fn_with_state(self.clone(), gate::authenticate_and_inject))
            .layer(axum::middleware::from_fn_with_state(self.clone(), gate::record))
            .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
            .with_state(self.clone())
    }

    /// Binds `addr` (default `127.0.0.1:0`), serves in a background task and returns the base
    /// URL, e.g. `http://127.0.0.1:40123` — the stand-in for `https://waba-v2.360dialog.io`
    /// (no version segment: the client appends `/messages` etc. directly).
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
                tracing::error!(%error, "dialog360-sim server stopped");
            }
        });
        Ok(base)
    }

    /// Base URL given by [`Self::serve`], if it was called.
    pub fn base_url(&self) -> Option<String> {
        self.lock().base_url.clone()
    }

    /// The business status webhooks are addressed to: the configured `phone_number_id` with the
    /// samples' fake display number and WABA id unless [`Self::set_business`] changed them.
    pub fn business(&self) -> Business {
        self.lock().business.clone()
    }

    /// Display number and WABA id of the business (the config names only the number id).
    pub fn set_business(&self, display_phone_number: &str, waba_id: &str) {
        let mut state = self.lock();
        state.business.display_phone_number = display_phone_number.to_owned();
        state.business.waba_id = waba_id.to_owned();
    }

    /// Every accepted message send, in order.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.lock().sent.clone()
    }

    /// Every request received, in order, with the status answered.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Stores media as if a WhatsApp user had sent it; returns the numeric media id for an
    /// inbound webhook (see [`crate::webhook::media`]).
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

    /// Lifetime of media URLs (default 5 minutes, D2). Applies to URLs already handed out too,
    /// so `Duration::ZERO` expires every URL at once to exercise re-fetching.
    pub fn set_media_url_ttl(&self, ttl: Duration) {
        self.lock().media_url_ttl = ttl;
    }

    /// Error-based blocking of `GET /{media-id}`: after `threshold` error answers within `window`,
    /// every look-up answers 403 "The endpoint is blocked" for `block_for`. Default 20 / 60 min /
    /// 30 min (D3); another revision of the page says 5 failed requests within an hour block it for
    /// an hour (`docs/waba-messaging/media/upload-retrieve-or-delete-media`).
    pub fn set_media_block(&self, threshold: usize, window: Duration, block_for: Duration) {
        self.lock().media_block.configure(threshold, window, block_for);
    }

    /// Error answers of `GET /{media-id}` counted in the current window.
    pub fn media_lookup_errors(&self) -> usize {
        self.lock().media_block.errors(std::time::Instant::now())
    }

    /// Whether `GET /{media-id}` is blocked right now.
    pub fn media_blocked(&self) -> bool {
        self.lock().media_block.is_blocked(std::time::Instant::now())
    }

    /// The webhook URL and headers last set with `POST /v1/configs/webhook`.
    pub fn webhook_config(&self) -> Option<WebhookConfig> {
        self.lock().webhook_config.clone()
    }

    /// Drains the webhooks queued so far, oldest first (each accepted send queues a `sent`, then a
    /// `delivered` status).
    pub fn take_webhooks(&self) -> Vec<Value> {
        self.lock().outbox.drain(..).map(|(_, webhook)| webhook).collect()
    }

    /// How many webhooks are queued (not yet taken or delivered).
    pub fn pending_webhooks(&self) -> usize {
        self.lock().outbox.len()
    }

    /// Queues a webhook (for example an inbound message from [`crate::webhook`]) behind the sim's
    /// own, so that [`Self::deliver_webhooks`] POSTs it in order.
    pub fn push_webhook(&self, webhook: Value) {
        self.lock().queue_webhook(webhook);
        self.outbox_ready.notify_one();
    }

    /// On: a background task POSTs each queued webhook, in order, as JSON to the configured
    /// webhook URL with the configured headers, retrying one webhook until it gets a 2xx (360dialog
    /// retries with exponential backoff for days; the sim backs off from 250 ms to 5 s). Without a
    /// webhook config nothing is sent until one is set. Off: webhooks stay queued for
    /// [`Self::take_webhooks`]. Needs a Tokio runtime (call it from async code).
    pub fn deliver_webhooks(&self, on: bool) {
        self.lock().delivering = on;
        delivery::ensure_worker(self);
        self.outbox_ready.notify_one();
    }

    /// Every send to `wa_id` fails with Meta error `meta_code` and HTTP status `http` in Meta's
    /// envelope (for example 131047 re-engagement, 131026 undeliverable) until cleared.
    pub fn fail_for_recipient(&self, wa_id: &str, meta_code: i64, http: u16) {
        self.lock().recipient_failures.insert(wa_id.to_owned(), (meta_code, http));
    }

    /// Undoes [`Self::fail_for_recipient`] (the user wrote again, the window reopened…).
    pub fn clear_recipient_failure(&self, wa_id: &str) {
        self.lock().recipient_failures.remove(wa_id);
    }

    /// The next `n` authenticated requests (any endpoint) get `failure`, in arrival order.
    pub fn fail_next(&self, n: usize, failure: Dialog360Failure) {
        self.lock().pending_failures.extend(std::iter::repeat_n(failure, n));
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

#[cfg(test)]
mod tests;
