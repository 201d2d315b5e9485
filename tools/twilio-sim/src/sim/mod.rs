//! In-process fake of the Twilio REST endpoints the bridge uses (NOTES 3.3–3.6).
//!
//! Two loopback listeners, so that they are different origins:
//! - the API: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (HTTP Basic
//!   `AccountSid:AuthToken`) and `GET …/Messages/{MM…}/Media/{ME…}` (Basic when media auth is on),
//!   which answers 307 to the media store;
//! - the media store: `GET /media-store/{token}`, no credentials, like the short-lived storage URL
//!   Twilio redirects to. Clients must not forward Basic credentials there (reqwest drops
//!   `Authorization` only when the origin changes, hence the second port).
//!
//! Every error uses Twilio's JSON; requests are recorded without headers, so credentials never
//! leak into test output.

mod callbacks;
mod content_disposition;
mod gate;
mod inbound_media;
mod media_fetch;
mod messages;
mod rfc2822;
mod send_validation;
mod state;
mod twilio_error;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;

use crate::{address, ids};
use state::{SimState, StoredMedia};

pub(crate) const MESSAGES_PATH: &str = "/2010-04-01/Accounts/{account_sid}/Messages.json";
pub(crate) const MEDIA_PATH: &str = "/2010-04-01/Accounts/{account_sid}/Messages/{message_sid}/Media/{media_sid}";
pub(crate) const STORE_PATH: &str = "/media-store/{token}";

/// Loopback Twilio. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct TwilioSim {
    state: Arc<Mutex<SimState>>,
    /// Fetches `MediaUrl`s and posts status callbacks; `None` only if no HTTP client could be built.
    client: Option<reqwest::Client>,
}

/// The account and WhatsApp sender the simulator answers for.
#[derive(Debug, Clone)]
pub struct TwilioSimConfig {
    pub account_sid: String,
    pub auth_token: String,
    /// The business sender, E.164 (`+14155238886`); sends must use `From=whatsapp:` + this.
    pub whatsapp_from: String,
}

/// Fault injected into the next authenticated requests.
#[derive(Debug, Clone)]
pub enum TwilioFailure {
    /// Answer with Twilio's error JSON instead of handling the request (429 + 20429, 500 + 20500…).
    Error { http: u16, code: i64, message: String },
    /// Handle the request normally, but only after this delay (timeouts, slow API).
    Delay(Duration),
}

/// One send Twilio accepted (answered 201), whatever happened to it afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct SentMessage {
    pub sid: String,
    /// `From` as posted (`whatsapp:+…`).
    pub from: String,
    /// `To` as posted (`whatsapp:+…`).
    pub to: String,
    pub body: Option<String>,
    /// What the simulator downloaded from `MediaUrl`, if one was given.
    pub media: Option<FetchedMedia>,
    pub status_callback: Option<String>,
    /// `ContentSid` of a template send (`HX…`).
    pub content_sid: Option<String>,
    pub content_variables: Option<String>,
    /// Code of the asynchronous failure the status callbacks report (63016, 63019, 12300, 11751…),
    /// `None` when the message goes on to `sent` and `delivered`.
    pub async_error_code: Option<i64>,
}

/// The result of fetching a send's `MediaUrl`, as Twilio does before delivering it.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedMedia {
    pub url: String,
    /// Status of the final response (after up to 3 redirects); `None` when there was none.
    pub http_status: Option<u16>,
    /// `Content-Type` header as served.
    pub content_type: Option<String>,
    /// File name from `Content-Disposition` (`filename*=` preferred over `filename=`).
    pub filename: Option<String>,
    /// The body of a 2xx answer; empty otherwise.
    pub bytes: Vec<u8>,
}

/// A status callback Twilio would POST: form `params` to `url`, signed with the auth token.
#[derive(Debug, Clone, PartialEq)]
pub struct Callback {
    pub url: String,
    pub params: Vec<(String, String)>,
    /// `X-Twilio-Signature` over `url` and `params`.
    pub signature: String,
}

impl Callback {
    /// Value of one parameter (`MessageStatus`, `ErrorCode`…).
    pub fn param(&self, name: &str) -> Option<&str> {
        crate::webhook::param(&self.params, name)
    }
}

/// One request the simulator received, on either listener, whatever it answered.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path only: the query is dropped.
    pub path: String,
    pub status: u16,
}

impl TwilioSim {
    pub fn new(cfg: TwilioSimConfig) -> Self {
        // Twilio follows redirects when fetching media; three is the sim's bound (unconfirmed).
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::limited(3))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|error| tracing::error!(%error, "twilio-sim cannot build its HTTP client"))
            .ok();
        let state = SimState::new(cfg.account_sid, cfg.auth_token, address::e164(&cfg.whatsapp_from));
        Self { state: Arc::new(Mutex::new(state)), client }
    }

    fn api_router(&self) -> Router {
        let messages = Router::new()
            .route(MESSAGES_PATH, post(messages::create).fallback(gate::method_not_allowed))
            .route_layer(axum::middleware::from_fn_with_state(self.clone(), gate::api_auth));
        let media = Router::new()
            .route(MEDIA_PATH, get(inbound_media::redirect).fallback(gate::method_not_allowed))
            .route_layer(axum::middleware::from_fn_with_state(self.clone(), gate::media_auth));
        messages
            .merge(media)
            .fallback(gate::unknown_path)
            .layer(axum::middleware::from_fn_with_state(self.clone(), gate::record))
            .with_state(self.clone())
    }

    fn store_router(&self) -> Router {
        Router::new()
            .route(STORE_PATH, get(inbound_media::store))
            .fallback(gate::unknown_path)
            .layer(axum::middleware::from_fn_with_state(self.clone(), gate::record))
            .with_state(self.clone())
    }

    /// Binds `addr` (default `127.0.0.1:0`) for the API and a second port on the same interface
    /// for the media store, serves both in background tasks and returns the API base URL, e.g.
    /// `http://127.0.0.1:40123`; the client appends `/2010-04-01/…` itself.
    pub async fn serve(&self, addr: Option<SocketAddr>) -> std::io::Result<String> {
        let addr = addr.unwrap_or_else(|| SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        let api = tokio::net::TcpListener::bind(addr).await?;
        let store = tokio::net::TcpListener::bind(SocketAddr::new(addr.ip(), 0)).await?;
        let base = loopback_url(api.local_addr()?);
        let store_base = loopback_url(store.local_addr()?);
        {
            let mut state = self.lock();
            state.base_url = Some(base.clone());
            state.store_base_url = Some(store_base);
            state.runtime = Some(tokio::runtime::Handle::current());
        }
        spawn_server(api, self.api_router(), "api");
        spawn_server(store, self.store_router(), "media store");
        Ok(base)
    }

    /// API base URL given by [`Self::serve`], if it was called.
    pub fn base_url(&self) -> Option<String> {
        self.lock().base_url.clone()
    }

    /// Base URL of the media store (the other origin media URLs redirect to).
    pub fn media_store_base_url(&self) -> Option<String> {
        self.lock().store_base_url.clone()
    }

    /// Every accepted send, in order.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.lock().sent.clone()
    }

    /// Every request received on both listeners, in order, with the status answered.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Stores media as if a WhatsApp user had sent it in a new `MM…` message; returns its media URL
    /// `{base}/2010-04-01/Accounts/{AccountSid}/Messages/MM…/Media/ME…` for an inbound webhook
    /// (see [`crate::webhook::media`]). Before [`Self::serve`] the URL is the path alone.
    pub fn add_media(&self, bytes: Vec<u8>, content_type: &str) -> String {
        self.add_message_media(&ids::message_sid(true), bytes, content_type)
    }

    /// Like [`Self::add_media`], under a given message SID (the `MessageSid` of the webhook).
    pub fn add_message_media(&self, message_sid: &str, bytes: Vec<u8>, content_type: &str) -> String {
        let media_sid = ids::media_sid();
        let mut state = self.lock();
        let path = format!("/2010-04-01/Accounts/{}/Messages/{message_sid}/Media/{media_sid}", state.account_sid);
        let stored = StoredMedia {
            message_sid: message_sid.to_owned(),
            bytes: Bytes::from(bytes),
            content_type: content_type.to_owned(),
        };
        state.media.insert(media_sid, stored);
        format!("{}{path}", state.base_url.as_deref().unwrap_or_default())
    }

    /// Whether media URLs demand HTTP Basic `AccountSid:AuthToken` (default on, the Console
    /// setting "HTTP Basic Authentication for media access").
    pub fn set_media_auth(&self, required: bool) {
        self.lock().media_auth = required;
    }

    /// The next `n` authenticated requests get `failure`, in arrival order.
    pub fn fail_next(&self, n: usize, failure: TwilioFailure) {
        self.lock().pending_failures.extend(std::iter::repeat_n(failure, n));
    }

    /// Sends to `e164` are refused at once with this status and Twilio error (for example 400 21211
    /// invalid number, 400 21614 not a mobile number) until [`Self::clear_recipient`].
    pub fn fail_for_recipient_sync(&self, e164: &str, http: u16, code: i64, message: &str) {
        let error = twilio_error::TwilioError::new(http, code, message);
        self.lock().sync_failures.insert(address::e164(e164), error);
    }

    /// Sends to `e164` are accepted (201) and then fail: one `failed` status callback with `code`
    /// (63016 outside the 24-hour window, as Twilio really does it). A template send (`ContentSid`)
    /// is exempt from 63016, since templates are what reopens the window.
    pub fn fail_for_recipient_async(&self, e164: &str, code: i64) {
        self.lock().async_failures.insert(address::e164(e164), code);
    }

    /// Undoes both kinds of recipient failure (the user wrote again, the window reopened…).
    pub fn clear_recipient(&self, e164: &str) {
        let key = address::e164(e164);
        let mut state = self.lock();
        state.sync_failures.remove(&key);
        state.async_failures.remove(&key);
    }

    /// Drains the status callbacks queued so far, in the order Twilio would send them.
    pub fn take_callbacks(&self) -> Vec<Callback> {
        std::mem::take(&mut self.lock().callbacks)
    }

    /// When on, status callbacks are POSTed to their URLs by a background task shortly after each
    /// send (for interactive local runs) instead of being queued; turning it on also sends what is
    /// already queued. Needs [`Self::serve`] to have run (it captures the Tokio runtime).
    pub fn deliver_callbacks(&self, on: bool) {
        let queued = {
            let mut state = self.lock();
            state.deliver_callbacks = on;
            if on {
                std::mem::take(&mut state.callbacks)
            } else {
                Vec::new()
            }
        };
        self.dispatch_callbacks(queued);
    }

    /// Queues `callbacks`, or hands them to a delivery task when delivery is on.
    fn dispatch_callbacks(&self, callbacks: Vec<Callback>) {
        if callbacks.is_empty() {
            return;
        }
        let mut state = self.lock();
        let runtime = state.runtime.clone().or_else(|| tokio::runtime::Handle::try_current().ok());
        match (state.deliver_callbacks, runtime, self.client.clone()) {
            (true, Some(runtime), Some(client)) => {
                drop(state);
                runtime.spawn(callbacks::deliver(client, callbacks));
            }
            _ => state.callbacks.extend(callbacks),
        }
    }

    /// Poisoning only means another test thread panicked; the data is still usable.
    fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A wildcard bind is still reached through loopback by the local bridge.
fn loopback_url(mut local: SocketAddr) -> String {
    if local.ip().is_unspecified() {
        local.set_ip(Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{local}")
}

fn spawn_server(listener: tokio::net::TcpListener, app: Router, name: &'static str) {
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, listener = name, "twilio-sim server stopped");
        }
    });
}

#[cfg(test)]
mod tests;
