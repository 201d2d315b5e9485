//! In-process fake of the Wazzup API v3 routes the bridge calls (NOTES §6).
//!
//! Routes (each needs `Authorization: Bearer <apiKey>`, else 401):
//! - `POST /v3/message` — JSON `{channelId, chatType, chatId, text | contentUri, refMessageId?,
//!   crmUserId?, crmMessageId?}` → 201 `{messageId, chatId}`; the sim fetches `contentUri` itself
//! - `GET /v3/channels` → `[{channelId, transport, plainId, state}]`
//! - `PATCH /v3/webhooks` — `{webhooksUri, subscriptions}`, after a `{"test": true}` probe;
//!   `GET /v3/webhooks` returns the setting
//! - `GET /store/{id}` — the direct `contentUri` links of inbound media, no authentication
//!
//! More than the rate limit (500 requests per 5 s) gets 429. Each accepted send queues the
//! webhooks a real account would POST afterwards (see [`WazzupSim::take_webhooks`]). Requests are
//! recorded by method, path and status only, never headers, so test output never shows the key.

mod channels;
mod content;
mod content_disposition;
mod crm_ids;
mod delivery;
mod gate;
mod ids;
mod json_body;
mod outbox;
mod rate_limit;
mod send;
mod send_validation;
mod state;
mod store;
mod wazzup_error;
mod webhooks_setting;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::routing::{any, get};
use axum::Router;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Notify;

use state::SimState;

/// Loopback Wazzup account. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct WazzupSim {
    state: Arc<Mutex<SimState>>,
    /// Wakes the webhook delivery task (see [`Self::deliver_webhooks`]).
    outbox_ready: Arc<Notify>,
    /// Fetches `contentUri`s, probes and delivers webhooks; never follows redirects (W2: content
    /// "must be downloaded via a link without redirects"). Per sim, not global: a client's pooled
    /// connections die with the Tokio runtime (one per test) that opened them.
    http: reqwest::Client,
}

/// The account the simulator answers for.
#[derive(Debug, Clone)]
pub struct WazzupSimConfig {
    /// The key of "Integration with CRM → API", expected as `Authorization: Bearer <api_key>`.
    pub api_key: String,
    pub channels: Vec<Channel>,
}

/// One connected channel, as `GET /v3/channels` lists it
/// (`https://wazzup24.com/help/api-en/working-with-channels/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    /// A UUID.
    pub channel_id: String,
    /// `whatsapp`, or `wapi` for WABA (also `instagram`, `tgapi`, `telegram`, `vk`, `avito`).
    pub transport: String,
    /// The business number, digits only.
    pub plain_id: String,
    /// `active`; else e.g. `disabled`, `phoneUnavailable`, `qr`, `notEnoughMoney`, `rejected`.
    pub state: String,
}

/// One send Wazzup accepted with 201.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The `messageId` answered; statuses and echoes refer to it.
    pub message_id: String,
    pub channel_id: String,
    pub chat_id: String,
    pub text: Option<String>,
    /// The file fetched from `contentUri`: bytes, its `Content-Type`, and the file name from its
    /// `Content-Disposition`.
    pub content: Option<(Vec<u8>, Option<String>, Option<String>)>,
    pub crm_message_id: Option<String>,
    /// `refMessageId`: the message the send quotes.
    pub ref_message_id: Option<String>,
}

/// One request the simulator received, whatever it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path only (the query is dropped).
    pub path: String,
    pub status: u16,
}

/// Fault injected into the next authenticated API requests.
#[derive(Debug, Clone)]
pub enum WazzupFailure {
    /// Answer `http` with `body` instead of handling the request (500, 502, 429…). The body is
    /// sent as JSON when it parses as JSON, as nothing when empty, else as text.
    Error { http: u16, body: String },
    /// Handle the request normally, but only after this delay (timeouts, a slow API).
    Delay(Duration),
}

impl WazzupSim {
    pub fn new(cfg: WazzupSimConfig) -> Self {
        let http =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap_or_else(|error| {
                tracing::error!(%error, "wazzup-sim: HTTP client without redirects unavailable; using the default");
                reqwest::Client::new()
            });
        Self { state: Arc::new(Mutex::new(SimState::new(cfg))), outbox_ready: Arc::new(Notify::new()), http }
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/v3/message", any(gate::api))
            .route("/v3/channels", any(gate::api))
            .route("/v3/webhooks", any(gate::api))
            .route("/store/{id}", get(store::serve))
            .route("/store/{id}/", get(store::serve))
            .fallback(gate::unknown_path)
            .layer(axum::middleware::from_fn_with_state(self.clone(), gate::record))
            .with_state(self.clone())
    }

    /// Binds `addr` (default `127.0.0.1:0`), serves in a background task and returns the base
    /// URL, e.g. `http://127.0.0.1:40123`; the client appends `/v3/...` to it.
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
                tracing::error!(%error, "wazzup-sim server stopped");
            }
        });
        Ok(base)
    }

    /// Base URL given by [`Self::serve`], if it was called.
    pub fn base_url(&self) -> Option<String> {
        self.lock().base_url.clone()
    }

    /// The channels as configured (and changed by [`Self::set_channel_state`]).
    pub fn channels(&self) -> Vec<Channel> {
        self.lock().channels.clone()
    }

    /// Changes a channel's `state` (`active`, `disabled`, `phoneUnavailable`…); unknown ids are ignored.
    pub fn set_channel_state(&self, channel_id: &str, state: &str) {
        if let Some(channel) = self.lock().channels.iter_mut().find(|c| c.channel_id == channel_id) {
            channel.state = state.to_owned();
        }
    }

    /// Every accepted send, in order.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.lock().sent.clone()
    }

    /// Every request received, in order, with the status answered.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Stores a file as if a customer had sent it and returns its `contentUri` for
    /// [`crate::webhook::inbound_media`]: `{base}/store/{random}/?filename={name}`, the shape of
    /// Wazzup's `store.wazzup24.com` links (no `filename` when `name` is empty). Served without
    /// authentication with `Content-Type: mime`. Call after [`Self::serve`]: before it the link is
    /// a bare path.
    pub fn add_media(&self, bytes: Vec<u8>, mime: &str, name: &str) -> String {
        let mut state = self.lock();
        let id = state.store_media(bytes, Some(mime));
        state.media_url(&id, Some(name).filter(|name| !name.is_empty()))
    }

    /// Drains the webhooks queued so far, oldest first. Each accepted send queues, when
    /// [`Self::set_echo_api_sends`] is on, its `isEcho:true` message, then one `statuses` webhook
    /// `sent` and one `delivered` (or the single `error` of [`Self::fail_for_recipient`]).
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

    /// `Some((uri, crmKey))`: a background task POSTs each queued webhook to `uri`, in order, as
    /// JSON with `Authorization: Bearer <crmKey>` when a key is given (W1), retrying one webhook
    /// every second until it gets 200 (Wazzup's retry policy is unconfirmed). `None` stops
    /// delivery; webhooks then stay queued for [`Self::take_webhooks`]. Needs a Tokio runtime.
    pub fn deliver_webhooks(&self, to: Option<(String, Option<String>)>) {
        self.lock().delivery_target = to.map(|(uri, crm_key)| delivery::Target { uri, crm_key });
        delivery::ensure_worker(self);
        self.outbox_ready.notify_one();
    }

    /// The `webhooksUri` and `crmKey` the last successful `PATCH /v3/webhooks` registered, in the
    /// form [`Self::deliver_webhooks`] takes: `sim.deliver_webhooks(sim.webhook_target())`.
    pub fn webhook_target(&self) -> Option<(String, Option<String>)> {
        let state = self.lock();
        state.webhooks.as_ref().map(|setting| (setting.uri.clone(), state.crm_key.clone()))
    }

    /// Sends to this chat (digits) are accepted with 201 and then reported with one
    /// `statuses[].status:"error"` carrying `error:{error: error_code, description}`
    /// (`BAD_CONTACT`, `24_HOURS_EXCEEDED`, `SPAM`… from W1) instead of `sent` + `delivered`.
    pub fn fail_for_recipient(&self, chat_id: &str, error_code: &str, description: &str) {
        let failure = (error_code.to_owned(), description.to_owned());
        self.lock().recipient_failures.insert(chat_id.to_owned(), failure);
    }

    /// Undoes [`Self::fail_for_recipient`].
    pub fn clear_recipient_failure(&self, chat_id: &str) {
        self.lock().recipient_failures.remove(chat_id);
    }

    /// Whether API sends come back as `isEcho:true` messages with the send's `messageId`
    /// (default on: the docs do not say, so the bridge must cope with them).
    pub fn set_echo_api_sends(&self, on: bool) {
        self.lock().echo_api_sends = on;
    }

    /// How long a `crmMessageId` is refused after a send (W2: 60 seconds).
    pub fn set_repeat_window(&self, window: Duration) {
        self.lock().crm_ids.window = window;
    }

    /// At most `n` API requests per `window`, counted from the window's first request (W3: 500 per
    /// 5 s, "the counter resets every 5 seconds").
    pub fn set_rate_limit(&self, n: u32, window: Duration) {
        self.lock().rate = rate_limit::RateLimit::new(n, window);
    }

    /// The next `n` authenticated API requests get `failure`, in arrival order.
    pub fn fail_next(&self, n: usize, failure: WazzupFailure) {
        self.lock().pending_failures.extend(std::iter::repeat_n(failure, n));
    }

    /// Poisoning only means another test thread panicked; the data is still usable.
    fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests;
