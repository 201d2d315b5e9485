//! Mutable state behind a [`super::WazzupSim`].

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

use super::crm_ids::CrmIds;
use super::delivery::Target;
use super::rate_limit::RateLimit;
use super::webhooks_setting::Setting;
use super::{ids, store, Channel, RecordedRequest, SentMessage, WazzupFailure, WazzupSimConfig};

pub(crate) struct StoredMedia {
    pub bytes: bytes::Bytes,
    pub mime: Option<String>,
}

pub(crate) struct SimState {
    pub api_key: String,
    pub channels: Vec<Channel>,
    /// Set by `serve`; otherwise `contentUri`s are bare paths.
    pub base_url: Option<String>,
    pub sent: Vec<SentMessage>,
    pub requests: Vec<RecordedRequest>,
    /// `/store/{id}` → file.
    pub media: HashMap<String, StoredMedia>,
    /// Webhooks not yet taken or delivered, with a sequence number so that delivery removes
    /// exactly the one it posted even if `take_webhooks` drained the queue meanwhile.
    pub outbox: VecDeque<(u64, Value)>,
    pub next_webhook_seq: u64,
    pub delivery_target: Option<Target>,
    pub delivery_worker_started: bool,
    pub pending_failures: VecDeque<WazzupFailure>,
    /// chatId → `(error code, description)` its sends end with.
    pub recipient_failures: HashMap<String, (String, String)>,
    pub echo_api_sends: bool,
    pub crm_ids: CrmIds,
    pub rate: RateLimit,
    /// Set by a successful `PATCH /v3/webhooks`.
    pub webhooks: Option<Setting>,
    /// The `crmKey` sent as `Authorization: Bearer` to the CRM.
    pub crm_key: Option<String>,
}

impl SimState {
    pub fn new(cfg: WazzupSimConfig) -> Self {
        Self {
            api_key: cfg.api_key,
            channels: cfg.channels,
            base_url: None,
            sent: Vec::new(),
            requests: Vec::new(),
            media: HashMap::new(),
            outbox: VecDeque::new(),
            next_webhook_seq: 0,
            delivery_target: None,
            delivery_worker_started: false,
            pending_failures: VecDeque::new(),
            recipient_failures: HashMap::new(),
            echo_api_sends: true,
            crm_ids: CrmIds::default(),
            rate: RateLimit::default(),
            webhooks: None,
            crm_key: None,
        }
    }

    /// Stores bytes under a fresh `/store/{id}`; returns the id.
    pub fn store_media(&mut self, bytes: impl Into<bytes::Bytes>, mime: Option<&str>) -> String {
        let id = ids::store_id();
        self.media.insert(id.clone(), StoredMedia { bytes: bytes.into(), mime: mime.map(str::to_owned) });
        id
    }

    pub fn media_url(&self, id: &str, file_name: Option<&str>) -> String {
        store::url(self.base_url.as_deref().unwrap_or(""), id, file_name)
    }

    pub fn queue_webhook(&mut self, webhook: Value) {
        let seq = self.next_webhook_seq;
        self.next_webhook_seq += 1;
        self.outbox.push_back((seq, webhook));
    }
}
