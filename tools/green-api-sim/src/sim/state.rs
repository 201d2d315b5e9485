//! Mutable state behind a [`super::GreenApiSim`].

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

use super::delivery::Target;
use super::{file_kind, ids, GreenApiSimConfig, GreenFailure, RecordedRequest, SentMessage};
use crate::webhook::Instance;

pub(crate) struct StoredMedia {
    pub bytes: bytes::Bytes,
    pub mime: String,
}

pub(crate) struct SimState {
    pub id_instance: i64,
    pub api_token: String,
    pub wid: String,
    /// Set by `serve`; otherwise media URLs are built from the request's `Host` header.
    pub base_url: Option<String>,
    pub sent: Vec<SentMessage>,
    pub requests: Vec<RecordedRequest>,
    /// `/media/{file}` name → bytes.
    pub media: HashMap<String, StoredMedia>,
    /// `(chatId, idMessage)` → `/media/{file}` name, for `downloadFile`.
    pub message_media: HashMap<(String, String), String>,
    /// Webhooks not yet taken or delivered, with a sequence number so that delivery removes
    /// exactly the one it posted even if `take_webhooks` drained the queue meanwhile.
    pub outbox: VecDeque<(u64, Value)>,
    pub next_webhook_seq: u64,
    pub delivery_target: Option<Target>,
    pub delivery_worker_started: bool,
    pub pending_failures: VecDeque<GreenFailure>,
    /// Chat key (digits before `@`) → the status its sends end with.
    pub recipient_failures: HashMap<String, String>,
    pub quota_exhausted: bool,
    /// Distinct chats sent to, for the 466 body's list of allowed correspondents.
    pub chats_sent_to: Vec<String>,
}

impl SimState {
    pub fn new(cfg: GreenApiSimConfig) -> Self {
        Self {
            id_instance: cfg.id_instance,
            api_token: cfg.api_token,
            wid: cfg.wid,
            base_url: None,
            sent: Vec::new(),
            requests: Vec::new(),
            media: HashMap::new(),
            message_media: HashMap::new(),
            outbox: VecDeque::new(),
            next_webhook_seq: 0,
            delivery_target: None,
            delivery_worker_started: false,
            pending_failures: VecDeque::new(),
            recipient_failures: HashMap::new(),
            quota_exhausted: false,
            chats_sent_to: Vec::new(),
        }
    }

    pub fn instance(&self) -> Instance {
        Instance { id_instance: self.id_instance, wid: self.wid.clone() }
    }

    /// Stores bytes under a fresh `/media/{file}` name ending in the file's extension, like the
    /// bucket links Green-API hands out; returns the name.
    pub fn store_media(&mut self, bytes: impl Into<bytes::Bytes>, mime: &str, file_name: Option<&str>) -> String {
        let extension = file_name
            .and_then(file_kind::extension)
            .map(str::to_owned)
            .unwrap_or_else(|| file_kind::extension_for_mime(mime).to_owned());
        let name = format!("{}.{extension}", ids::media_name());
        self.media.insert(name.clone(), StoredMedia { bytes: bytes.into(), mime: mime.to_owned() });
        name
    }

    /// Direct link to stored media: `serve`'s base, else the request's `Host`, else a bare path.
    pub fn media_url(&self, name: &str, host: Option<&str>) -> String {
        let base = match (&self.base_url, host) {
            (Some(base), _) => base.clone(),
            (None, Some(host)) => format!("http://{host}"),
            (None, None) => String::new(),
        };
        format!("{base}/media/{name}")
    }

    pub fn queue_webhook(&mut self, webhook: Value) {
        let seq = self.next_webhook_seq;
        self.next_webhook_seq += 1;
        self.outbox.push_back((seq, webhook));
    }

    pub fn remember_chat(&mut self, chat_id: &str) {
        if !self.chats_sent_to.iter().any(|known| known == chat_id) {
            self.chats_sent_to.push(chat_id.to_owned());
        }
    }
}

/// `79001234567@c.us` → `79001234567`; a bare id is kept as is.
pub(crate) fn chat_key(chat: &str) -> &str {
    chat.split_once('@').map_or(chat, |(key, _)| key)
}
