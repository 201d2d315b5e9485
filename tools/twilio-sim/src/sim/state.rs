//! Mutable state behind a [`super::TwilioSim`].

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;

use super::twilio_error::TwilioError;
use super::{Callback, RecordedRequest, SentMessage, TwilioFailure};

pub(crate) struct StoredMedia {
    pub message_sid: String,
    pub bytes: Bytes,
    pub content_type: String,
}

pub(crate) struct SimState {
    pub account_sid: String,
    pub auth_token: String,
    /// The business sender, `+<digits>`.
    pub whatsapp_from: String,
    /// Set by `serve`.
    pub base_url: Option<String>,
    pub store_base_url: Option<String>,
    /// Runtime the servers run on, for callback delivery started from synchronous code.
    pub runtime: Option<tokio::runtime::Handle>,
    pub sent: Vec<SentMessage>,
    pub requests: Vec<RecordedRequest>,
    pub pending_failures: VecDeque<TwilioFailure>,
    /// `+<digits>` → the error every send to that number gets.
    pub sync_failures: HashMap<String, TwilioError>,
    /// `+<digits>` → the code its sends fail with after being accepted.
    pub async_failures: HashMap<String, i64>,
    /// Media SID → inbound media.
    pub media: HashMap<String, StoredMedia>,
    /// Media-store token → media SID.
    pub store_tokens: HashMap<String, String>,
    pub media_auth: bool,
    pub callbacks: Vec<Callback>,
    pub deliver_callbacks: bool,
}

impl SimState {
    pub fn new(account_sid: String, auth_token: String, whatsapp_from: String) -> Self {
        Self {
            account_sid,
            auth_token,
            whatsapp_from,
            base_url: None,
            store_base_url: None,
            runtime: None,
            sent: Vec::new(),
            requests: Vec::new(),
            pending_failures: VecDeque::new(),
            sync_failures: HashMap::new(),
            async_failures: HashMap::new(),
            media: HashMap::new(),
            store_tokens: HashMap::new(),
            media_auth: true,
            callbacks: Vec::new(),
            deliver_callbacks: false,
        }
    }
}
