//! Mutable state behind a [`super::Dialog360Sim`].

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;

use super::media_block::MediaBlock;
use super::{Dialog360Failure, RecordedRequest, SentMessage, WebhookConfig};
use crate::webhook::{self, Business};

/// "URL is valid for 5 minutes" (D2).
const DEFAULT_MEDIA_URL_TTL: Duration = Duration::from_secs(5 * 60);

/// The samples' fake business number and WABA id (`360dialog/README.md`).
const DEFAULT_DISPLAY_NUMBER: &str = "79000000000";
const DEFAULT_WABA_ID: &str = "100000000000001";

pub(crate) struct StoredMedia {
    pub bytes: Bytes,
    pub mime: String,
}

/// One media URL handed out by `GET /{media-id}`, keyed by its `hash`.
pub(crate) struct MediaGrant {
    pub media_id: String,
    /// The URL's `ext` (Unix seconds it expires at), checked as given.
    pub ext: i64,
    pub issued: Instant,
}

pub(crate) struct SimState {
    pub api_key: String,
    pub business: Business,
    /// Set by `serve`.
    pub base_url: Option<String>,
    pub sent: Vec<SentMessage>,
    pub requests: Vec<RecordedRequest>,
    pub media: HashMap<String, StoredMedia>,
    pub upload_order: Vec<String>,
    pub grants: HashMap<String, MediaGrant>,
    pub media_url_ttl: Duration,
    pub media_block: MediaBlock,
    pub webhook_config: Option<WebhookConfig>,
    /// Webhooks not yet taken or delivered, with a sequence number so that delivery removes
    /// exactly the one it posted even if `take_webhooks` drained the queue meanwhile.
    pub outbox: VecDeque<(u64, Value)>,
    pub next_webhook_seq: u64,
    pub delivering: bool,
    pub delivery_worker_started: bool,
    pub pending_failures: VecDeque<Dialog360Failure>,
    /// wa_id → (Meta error code, HTTP status) for every send to that number.
    pub recipient_failures: HashMap<String, (i64, u16)>,
}

impl SimState {
    pub fn new(api_key: String, phone_number_id: String) -> Self {
        Self {
            api_key,
            business: webhook::business(&phone_number_id, DEFAULT_DISPLAY_NUMBER, DEFAULT_WABA_ID),
            base_url: None,
            sent: Vec::new(),
            requests: Vec::new(),
            media: HashMap::new(),
            upload_order: Vec::new(),
            grants: HashMap::new(),
            media_url_ttl: DEFAULT_MEDIA_URL_TTL,
            media_block: MediaBlock::default(),
            webhook_config: None,
            outbox: VecDeque::new(),
            next_webhook_seq: 0,
            delivering: false,
            delivery_worker_started: false,
            pending_failures: VecDeque::new(),
            recipient_failures: HashMap::new(),
        }
    }

    pub fn queue_webhook(&mut self, webhook: Value) {
        let seq = self.next_webhook_seq;
        self.next_webhook_seq += 1;
        self.outbox.push_back((seq, webhook));
    }
}
