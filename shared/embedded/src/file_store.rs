//! Embedded store for local runs: the same semantics as [`super::DynamoStore`], kept in memory
//! behind one mutex (which makes every conditional write trivially atomic) and written through
//! to a JSON file so state survives a restart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use bridge_core::config::Settings;
use bridge_core::domain::{AccountId, InboundMessage, Phone};
use bridge_core::ports::store::*;

#[derive(Default, Serialize, Deserialize)]
struct State {
    messages: BTreeMap<String, MessageRecord>,
    links: BTreeMap<String, LinkItem>,
    settings: BTreeMap<String, Settings>,
    #[serde(default)]
    tasks: BTreeMap<String, TaskConversation>,
    #[serde(default)]
    jobs: BTreeMap<String, JobRecord>,
    #[serde(default)]
    sent: BTreeMap<String, SentItem>,
    /// `{account}#{digits}` → order → entry.
    #[serde(default)]
    inbox: BTreeMap<String, BTreeMap<String, InboxEntry>>,
    /// account → work key → letter.
    #[serde(default)]
    dead: BTreeMap<String, BTreeMap<String, DeadLetter>>,
    /// Pacing clocks (not worth persisting: they matter for a second at most).
    #[serde(skip)]
    slots: BTreeMap<String, i64>,
}

/// The lease protocol shared by message and job records (same semantics as DynamoDB's).
#[derive(Clone, Default, Serialize, Deserialize)]
struct Lease {
    done: bool,
    attempts: u32,
    lease_owner: Option<String>,
    lease_until: Option<i64>,
    last_error: Option<String>,
}

impl Lease {
    fn claim(&mut self, owner: &str, now: i64, lease_secs: i64) -> ClaimOutcome {
        if self.done {
            return ClaimOutcome::Done;
        }
        if !lease_free(self.lease_until, now) {
            return ClaimOutcome::Busy { until: self.lease_until.unwrap_or(now) };
        }
        self.attempts += 1;
        self.lease_owner = Some(owner.to_owned());
        self.lease_until = Some(now + lease_secs);
        ClaimOutcome::Claimed { attempt: self.attempts }
    }

    fn complete(&mut self, owner: &str) -> Result<(), StoreError> {
        if self.lease_owner.as_deref() != Some(owner) {
            return Err(StoreError::LeaseLost);
        }
        self.done = true;
        self.lease_owner = None;
        self.lease_until = None;
        Ok(())
    }

    /// False when `owner` no longer holds it (nothing to write).
    fn release(&mut self, owner: &str, error: &str) -> bool {
        if self.lease_owner.as_deref() != Some(owner) {
            return false;
        }
        self.lease_owner = None;
        self.lease_until = None;
        self.last_error = Some(error.to_owned());
        true
    }
}

#[derive(Clone, Default, Serialize, Deserialize)]
struct JobRecord {
    #[serde(flatten)]
    lease: Lease,
    outcome: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
struct SentItem {
    record: SentRecord,
    status: Option<String>,
    rank: u8,
}

#[derive(Clone, Serialize, Deserialize)]
struct MessageRecord {
    message: InboundMessage,
    #[serde(flatten)]
    lease: Lease,
    received_at: i64,
    task_id: Option<i64>,
    comment_id: Option<i64>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
struct LinkItem {
    link: Option<ConversationLink>,
    lease_owner: Option<String>,
    lease_until: Option<i64>,
}

pub struct JsonFileStore {
    path: Option<PathBuf>,
    state: Mutex<State>,
}

fn key(account: &AccountId, id: &str) -> String {
    format!("{account}#{id}")
}

fn lease_free(until: Option<i64>, now: i64) -> bool {
    until.is_none_or(|u| u < now)
}

impl JsonFileStore {
    /// Opens (or creates) the store file.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let state = match std::fs::read(path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt(format!("{}: {e}", path.display())))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(StoreError::Unavailable(format!("{}: {e}", path.display()))),
        };
        Ok(Self { path: Some(path.to_owned()), state: Mutex::new(state) })
    }

    /// Conversations with recorded messages still waiting in their inbox (after a restart, the
    /// local run queues work for them again: the in-process queue did not survive).
    pub async fn waiting_conversations(&self) -> Vec<(AccountId, Phone)> {
        let st = self.state.lock().await;
        st.inbox
            .keys()
            .filter_map(|k| {
                let (account, digits) = k.rsplit_once('#')?;
                Some((AccountId::parse(account).ok()?, Phone::parse(digits).ok()?))
            })
            .collect()
    }

    /// A store that forgets everything at exit (unit tests).
    pub fn in_memory() -> Self {
        Self { path: None, state: Mutex::new(State::default()) }
    }

    /// Write-through: a temp file then rename, so a crash never leaves a half-written store.
    fn persist(&self, state: &State) -> Result<(), StoreError> {
        let Some(path) = &self.path else { return Ok(()) };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        }
        let bytes = serde_json::to_vec_pretty(state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, bytes).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| StoreError::Unavailable(e.to_string()))
    }
}

#[async_trait]
impl Store for JsonFileStore {
    async fn record_message(
        &self,
        account: &AccountId,
        msg: &InboundMessage,
        now: i64,
    ) -> Result<RecordOutcome, StoreError> {
        let mut st = self.state.lock().await;
        let k = key(account, &msg.id);
        if let Some(existing) = st.messages.get(&k) {
            return Ok(if existing.lease.done { RecordOutcome::AlreadyDone } else { RecordOutcome::Pending });
        }
        st.messages.insert(
            k,
            MessageRecord {
                message: msg.clone(),
                lease: Lease::default(),
                received_at: now,
                task_id: None,
                comment_id: None,
            },
        );
        self.persist(&st)?;
        Ok(RecordOutcome::New)
    }

    async fn claim_message(
        &self,
        account: &AccountId,
        message_id: &str,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        let mut st = self.state.lock().await;
        let rec = st
            .messages
            .get_mut(&key(account, message_id))
            .ok_or_else(|| StoreError::Corrupt(format!("message {message_id} was never recorded")))?;
        let outcome = rec.lease.claim(owner, now, lease_secs);
        if matches!(outcome, ClaimOutcome::Claimed { .. }) {
            self.persist(&st)?;
        }
        Ok(outcome)
    }

    async fn complete_message(
        &self,
        account: &AccountId,
        message_id: &str,
        owner: &str,
        task_id: i64,
        comment_id: i64,
    ) -> Result<(), StoreError> {
        let mut st = self.state.lock().await;
        let rec = st.messages.get_mut(&key(account, message_id)).ok_or(StoreError::LeaseLost)?;
        rec.lease.complete(owner)?;
        rec.task_id = Some(task_id);
        rec.comment_id = Some(comment_id);
        self.persist(&st)
    }

    async fn release_message(
        &self,
        account: &AccountId,
        message_id: &str,
        owner: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        let mut st = self.state.lock().await;
        if st.messages.get_mut(&key(account, message_id)).is_some_and(|rec| rec.lease.release(owner, error)) {
            self.persist(&st)?;
        }
        Ok(())
    }

    async fn add_to_inbox(&self, account: &AccountId, entry: &InboxEntry) -> Result<(), StoreError> {
        let mut st = self.state.lock().await;
        st.inbox
            .entry(key(account, entry.message.from.digits()))
            .or_default()
            .insert(entry.order.clone(), entry.clone());
        self.persist(&st)
    }

    async fn inbox(&self, account: &AccountId, phone: &Phone, limit: usize) -> Result<Vec<InboxEntry>, StoreError> {
        let st = self.state.lock().await;
        Ok(st
            .inbox
            .get(&key(account, phone.digits()))
            .map(|m| m.values().take(limit).cloned().collect())
            .unwrap_or_default())
    }

    async fn remove_from_inbox(&self, account: &AccountId, phone: &Phone, order: &str) -> Result<(), StoreError> {
        let mut st = self.state.lock().await;
        let k = key(account, phone.digits());
        let Some(entries) = st.inbox.get_mut(&k) else { return Ok(()) };
        if entries.remove(order).is_some() {
            if entries.is_empty() {
                st.inbox.remove(&k);
            }
            self.persist(&st)?;
        }
        Ok(())
    }

    async fn put_dead_letter(&self, account: &AccountId, letter: &DeadLetter) -> Result<(), StoreError> {
        let mut st = self.state.lock().await;
        st.dead.entry(account.as_str().to_owned()).or_default().insert(letter.key.clone(), letter.clone());
        self.persist(&st)
    }

    async fn list_dead_letters(&self, account: &AccountId) -> Result<Vec<DeadLetter>, StoreError> {
        Ok(self
            .state
            .lock()
            .await
            .dead
            .get(account.as_str())
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn remove_dead_letter(&self, account: &AccountId, key: &str) -> Result<(), StoreError> {
        let mut st = self.state.lock().await;
        if st.dead.get_mut(account.as_str()).is_some_and(|m| m.remove(key).is_some()) {
            self.persist(&st)?;
        }
        Ok(())
    }

    async fn get_link(&self, account: &AccountId, phone: &Phone) -> Result<Option<LinkRecord>, StoreError> {
        let st = self.state.lock().await;
        Ok(st
            .links
            .get(&key(account, phone.digits()))
            .map(|i| LinkRecord { link: i.link.clone(), lease_until: i.lease_until }))
    }

    async fn lock_link(
        &self,
        account: &AccountId,
        phone: &Phone,
        expected_task: Option<i64>,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<LinkLock, StoreError> {
        let mut st = self.state.lock().await;
        let item = st.links.entry(key(account, phone.digits())).or_default();
        let current_task = item.link.as_ref().map(|l| l.task_id);
        if current_task != expected_task || !lease_free(item.lease_until, now) {
            return Ok(LinkLock::Contended(LinkRecord { link: item.link.clone(), lease_until: item.lease_until }));
        }
        item.lease_owner = Some(owner.to_owned());
        item.lease_until = Some(now + lease_secs);
        let current = item.link.clone();
        self.persist(&st)?;
        Ok(LinkLock::Acquired { current })
    }

    async fn commit_link(
        &self,
        account: &AccountId,
        phone: &Phone,
        owner: &str,
        link: &ConversationLink,
    ) -> Result<(), StoreError> {
        let mut st = self.state.lock().await;
        let item = st.links.get_mut(&key(account, phone.digits())).ok_or(StoreError::LeaseLost)?;
        if item.lease_owner.as_deref() != Some(owner) {
            return Err(StoreError::LeaseLost);
        }
        *item = LinkItem { link: Some(link.clone()), lease_owner: None, lease_until: None };
        self.persist(&st)
    }

    async fn unlock_link(&self, account: &AccountId, phone: &Phone, owner: &str) -> Result<(), StoreError> {
        let mut st = self.state.lock().await;
        if let Some(item) = st.links.get_mut(&key(account, phone.digits())) {
            if item.lease_owner.as_deref() == Some(owner) {
                item.lease_owner = None;
                item.lease_until = None;
                self.persist(&st)?;
            }
        }
        Ok(())
    }

    async fn put_task_conversation(
        &self,
        account: &AccountId,
        task_id: i64,
        conv: &TaskConversation,
    ) -> Result<(), StoreError> {
        let mut st = self.state.lock().await;
        st.tasks.insert(key(account, &task_id.to_string()), conv.clone());
        self.persist(&st)
    }

    async fn get_task_conversation(
        &self,
        account: &AccountId,
        task_id: i64,
    ) -> Result<Option<TaskConversation>, StoreError> {
        Ok(self.state.lock().await.tasks.get(&key(account, &task_id.to_string())).cloned())
    }

    async fn claim_job(
        &self,
        account: &AccountId,
        job: &str,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        let mut st = self.state.lock().await;
        let outcome = st.jobs.entry(key(account, job)).or_default().lease.claim(owner, now, lease_secs);
        if matches!(outcome, ClaimOutcome::Claimed { .. }) {
            self.persist(&st)?;
        }
        Ok(outcome)
    }

    async fn complete_job(&self, account: &AccountId, job: &str, owner: &str, outcome: &str) -> Result<(), StoreError> {
        let mut st = self.state.lock().await;
        let rec = st.jobs.get_mut(&key(account, job)).ok_or(StoreError::LeaseLost)?;
        rec.lease.complete(owner)?;
        rec.outcome = Some(outcome.to_owned());
        self.persist(&st)
    }

    async fn release_job(&self, account: &AccountId, job: &str, owner: &str, error: &str) -> Result<(), StoreError> {
        let mut st = self.state.lock().await;
        if st.jobs.get_mut(&key(account, job)).is_some_and(|rec| rec.lease.release(owner, error)) {
            self.persist(&st)?;
        }
        Ok(())
    }

    async fn put_sent(
        &self,
        account: &AccountId,
        provider_message_id: &str,
        record: &SentRecord,
    ) -> Result<(), StoreError> {
        let mut st = self.state.lock().await;
        let item = st.sent.entry(key(account, provider_message_id)).or_insert(SentItem {
            record: record.clone(),
            status: None,
            rank: 0,
        });
        item.record = record.clone();
        self.persist(&st)
    }

    async fn get_sent(&self, account: &AccountId, provider_message_id: &str) -> Result<Option<SentRecord>, StoreError> {
        Ok(self.state.lock().await.sent.get(&key(account, provider_message_id)).map(|i| i.record.clone()))
    }

    async fn advance_delivery_status(
        &self,
        account: &AccountId,
        provider_message_id: &str,
        status: &str,
        rank: u8,
    ) -> Result<bool, StoreError> {
        let mut st = self.state.lock().await;
        let Some(item) = st.sent.get_mut(&key(account, provider_message_id)) else { return Ok(false) };
        if item.rank >= rank {
            return Ok(false);
        }
        item.rank = rank;
        item.status = Some(status.to_owned());
        self.persist(&st)?;
        Ok(true)
    }

    async fn reserve_slot(
        &self,
        account: &AccountId,
        key_name: &str,
        now_ms: i64,
        interval_ms: i64,
    ) -> Result<i64, StoreError> {
        let mut st = self.state.lock().await;
        let next = st.slots.entry(key(account, key_name)).or_insert(now_ms);
        let slot = (*next).max(now_ms);
        *next = slot + interval_ms;
        Ok(slot)
    }

    async fn get_settings(&self, account: &AccountId) -> Result<Option<Settings>, StoreError> {
        Ok(self.state.lock().await.settings.get(account.as_str()).cloned())
    }

    async fn put_settings(&self, account: &AccountId, settings: &Settings) -> Result<(), StoreError> {
        let mut st = self.state.lock().await;
        st.settings.insert(account.as_str().to_owned(), settings.clone());
        self.persist(&st)
    }
}
