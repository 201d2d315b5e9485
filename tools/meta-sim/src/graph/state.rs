//! Mutable state behind a [`super::GraphSim`].

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{GraphFailure, RecordedRequest, SentMessage};

/// Real media URLs expire after 5 minutes (NOTES 2.3).
pub(crate) const DEFAULT_MEDIA_URL_TTL: Duration = Duration::from_secs(5 * 60);

pub(crate) struct StoredMedia {
    pub bytes: Bytes,
    pub mime: String,
}

pub(crate) struct DownloadGrant {
    pub media_id: String,
    pub issued: Instant,
}

pub(crate) struct SimState {
    pub access_token: String,
    pub phone_number_id: String,
    /// Set by `serve`; otherwise media URLs are built from the request's `Host` header.
    pub base_url: Option<String>,
    pub sent: Vec<SentMessage>,
    pub requests: Vec<RecordedRequest>,
    pub media: HashMap<String, StoredMedia>,
    pub upload_order: Vec<String>,
    pub downloads: HashMap<String, DownloadGrant>,
    pub media_url_ttl: Duration,
    pub pending_failures: VecDeque<GraphFailure>,
    /// wa_id → (Meta error code, HTTP status) for every send to that number.
    pub recipient_failures: HashMap<String, (i64, u16)>,
}

impl SimState {
    pub fn new(access_token: String, phone_number_id: String) -> Self {
        Self {
            access_token,
            phone_number_id,
            base_url: None,
            sent: Vec::new(),
            requests: Vec::new(),
            media: HashMap::new(),
            upload_order: Vec::new(),
            downloads: HashMap::new(),
            media_url_ttl: DEFAULT_MEDIA_URL_TTL,
            pending_failures: VecDeque::new(),
            recipient_failures: HashMap::new(),
        }
    }
}
