//! In-process fake of the Green-API instance methods the bridge calls (NOTES §5.3–5.5).
//!
//! Routes (credentials are in the path, `/waInstance{idInstance}/{method}/{apiTokenInstance}`;
//! method names match case-insensitively, as the docs spell them both ways over the years):
//! - `POST …/sendMessage/…` — JSON `{chatId, message, quotedMessageId?, linkPreview?}`
//! - `POST …/sendFileByUrl/…` — JSON `{chatId, urlFile, fileName, caption?}`; the sim fetches
//!   `urlFile` itself
//! - `POST …/sendFileByUpload/…` — multipart `chatId`, `file`, `fileName?`, `caption?`
//! - `POST …/downloadFile/…` — JSON `{chatId, idMessage}` → `{downloadUrl}`
//! - `GET /media/{file}` — the direct `downloadUrl`s, no authentication (like Green-API's bucket)
//!
//! Each accepted send queues the webhooks a real instance would POST afterwards (see
//! [`GreenApiSim::take_webhooks`]). Requests are recorded with the token masked, so test output
//! never shows it.

mod delivery;
mod download;
mod file_by_upload;
mod file_by_url;
mod file_kind;
mod gate;
mod green_error;
mod ids;
mod json_body;
mod media;
mod outbox;
mod send_message;
mod state;
mod validate;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get};
use axum::Router;
use serde_json::Value;
use tokio::sync::Notify;

use crate::webhook::Instance;
use state::SimState;

/// Files may be 100 MB (NOTES §5.4); leave room for multipart framing.
const MAX_REQUEST_BYTES: usize = 110 * 1024 * 1024;

/// Loopback Green-API instance. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct GreenApiSim {
    state: Arc<Mutex<SimState>>,
    /// Wakes the webhook delivery task (see [`Self::deliver_webhooks`]).
    outbox_ready: Arc<Notify>,
    /// Fetches `urlFile`s and delivers webhooks. Per sim, not global: a client's pooled
    /// connections die with the Tokio runtime (one per test) that opened them.
    http: reqwest::Client,
}

/// The instance the simulator answers for.
#[derive(Debug, Clone)]
pub struct GreenApiSimConfig {
    pub id_instance: i64,
    pub api_token: String,
    /// The business account, `79990001122@c.us`.
    pub wid: String,
}

/// One send Green-API accepted and delivered to WhatsApp (a `sendFileByUrl` whose file could not
/// be fetched is accepted with 200 but never appears here; it only yields a `failed` status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The `idMessage` answered to the bridge; webhooks refer to it.
    pub id_message: String,
    pub chat_id: String,
    /// Text of a `sendMessage`.
    pub message: Option<String>,
    /// The file of a `sendFileByUrl` / `sendFileByUpload`.
    pub file: Option<SentFile>,
    /// `quotedMessageId`, when the send quotes a message.
    pub quoted: Option<String>,
}

/// The file of a file send, as the recipient would get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentFile {
    /// `"url"` (`sendFileByUrl`) or `"upload"` (`sendFileByUpload`).
    pub via: &'static str,
    pub file_name: String,
    pub caption: Option<String>,
    /// The `Content-Type` the file came with (the URL's answer or the multipart part's).
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// One request the simulator received, whatever it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path only, with the `apiTokenInstance` segment replaced by `***` (the query is dropped).
    pub path: String,
    pub status: u16,
}

/// Fault injected into the next requests that pass authentication.
#[derive(Debug, Clone)]
pub enum GreenFailure {
    /// Answer `http` with `body` instead of handling the request (429, 500, 502…). The body is
    /// sent as JSON when it parses as JSON, else as text.
    Status { http: u16, body: String },
    /// Handle the request normally, but only after this delay (timeouts, a slow instance).
    Delay(Duration),
}

impl GreenApiSim {
    pub fn new(cfg: GreenApiSimConfig) -> Self {
        Self {
            state: Arc::new(Mutex::new(SimState::new(cfg))),
            outbox_ready: Arc::new(Notify::new()),
            http: reqwest::Client::new(),
        }
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/media/{file}", get(media::serve))
            .route("/{instance}/{method}/{token}", any(gate::api))
            .fallback(gate::unknown_path)
            .layer(axum::middleware::from_fn_with_state(self.clone(), gate::record))
            .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
            .with_state(self.clone())
    }

    /// Binds `addr` (default `127.0.0.1:0`), serves in a background task and returns the base
    /// URL, e.g. `http://127.0.0.1:40123`, to use as both `apiUrl` and `mediaUrl`.
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
                tracing::error!(%error, "green-api-sim server stopped");
            }
        });
        Ok(base)
    }

    /// Base URL given by [`Self::serve`], if it was called.
    pub fn base_url(&self) -> Option<String> {
        self.lock().base_url.clone()
    }

    /// The instance as the webhook builders want it.
    pub fn instance(&self) -> Instance {
        self.lock().instance()
    }

    /// Every accepted send, in order.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.lock().sent.clone()
    }

    /// Every request received, in order, with the status answered.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Stores media as if a WhatsApp user had sent it and returns its direct `downloadUrl` for
    /// [`crate::webhook::incoming_file`]. Call after [`Self::serve`]: before it the URL is a bare
    /// path (`/media/…`).
    pub fn add_media(&self, bytes: Vec<u8>, mime: &str) -> String {
        let mut state = self.lock();
        let id = state.store_media(bytes, mime, None);
        state.media_url(&id, None)
    }

    /// [`Self::add_media`] for a known message, so that `downloadFile` with this
    /// `{chatId, idMessage}` answers the same URL.
    pub fn add_message_media(&self, chat_id: &str, id_message: &str, bytes: Vec<u8>, mime: &str) -> String {
        let mut state = self.lock();
        let id = state.store_media(bytes, mime, None);
        state.message_media.insert((chat_id.to_owned(), id_message.to_owned()), id.clone());
        state.media_url(&id, None)
    }

    /// Drains the webhooks queued so far, oldest first (each accepted send queues its
    /// `outgoingAPIMessageReceived` echo, then `outgoingMessageStatus` `sent` and `delivered`).
    pub fn take_webhooks(&self) -> Vec<Value> {
        self.lock().outbox.drain(..).map(|(_, webhook)| webhook).collect()
    }

    /// How many webhooks are queued (not yet taken or delivered).
    pub fn pending_webhooks(&self) -> usize {
        self.lock().outbox.len()
    }

    /// Adds a webhook (for example one of [`crate::webhook`]'s builders) to the queue, so that
    /// [`Self::deliver_webhooks`] POSTs it in order with the sim's own.
    pub fn push_webhook(&self, webhook: Value) {
        self.lock().queue_webhook(webhook);
        self.outbox_ready.notify_one();
    }

    /// `Some((url, webhookUrlToken))`: a background task POSTs each queued webhook to `url`, in
    /// order, as JSON with `Authorization: Bearer <token>` when a token is given, retrying one
    /// webhook until it gets a 2xx (Green-API waits 60 s between attempts; the sim waits 1 s).
    /// `None` stops delivery; webhooks then stay queued for [`Self::take_webhooks`].
    /// Needs a Tokio runtime (call it from async code); without one nothing is delivered.
    pub fn deliver_webhooks(&self, to: Option<(String, Option<String>)>) {
        self.lock().delivery_target = to.map(|(url, token)| delivery::Target { url, token });
        delivery::ensure_worker(self);
        self.outbox_ready.notify_one();
    }

    /// Sends to this chat (digits of `…@c.us`, or the id of a group) are accepted with 200 and
    /// then reported with this single `outgoingMessageStatus` (`noAccount`, `failed`,
    /// `yellowCard`, `notInGroup`…) instead of `sent` + `delivered`.
    pub fn fail_for_recipient(&self, chat_digits: &str, status: &str) {
        let key = state::chat_key(chat_digits).to_owned();
        self.lock().recipient_failures.insert(key, status.to_owned());
    }

    /// Undoes [`Self::fail_for_recipient`].
    pub fn clear_recipient_failure(&self, chat_digits: &str) {
        self.lock().recipient_failures.remove(state::chat_key(chat_digits));
    }

    /// While on, sends answer 466 with Green-API's "monthly quota exceeded" body.
    pub fn set_quota_exhausted(&self, on: bool) {
        self.lock().quota_exhausted = on;
    }

    /// The next `n` authenticated requests (any method) get `failure`, in arrival order.
    pub fn fail_next(&self, n: usize, failure: GreenFailure) {
        self.lock().pending_failures.extend(std::iter::repeat_n(failure, n));
    }

    /// Poisoning only means another test thread panicked; the data is still usable.
    fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests;
