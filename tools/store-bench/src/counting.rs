//! The SQLite store as the app sees it, counting its operations (store writes per message are
//! what the writer thread has to commit) and optionally answering the Planfix pacing clock
//! without a write, to tell the store's cost from the pacing's.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use bridge_core::config::Settings;
use bridge_core::domain::{AccountId, InboundMessage, Phone};
use bridge_core::ports::store::{
    ClaimOutcome, ConversationLink, DeadLetter, DrainNext, DrainStart, InboxEntry, LinkLock, LinkRecord, ReactionNote,
    RecordOutcome, SentRecord, SlotGrant, Store, StoreError, TaskConversation,
};
use bridge_embedded::sqlite::SqliteStore;

/// Operations the store was asked for.
#[derive(Default, Debug)]
pub struct StoreCounts {
    pub reads: AtomicUsize,
    /// Writes other than pacing reservations.
    pub writes: AtomicUsize,
    /// Pacing reservations (`reserve_slot`, `reserve_slots`): at most one per Planfix request,
    /// fewer when a busy caller reserves its slots in batches.
    pub slots: AtomicUsize,
}

impl StoreCounts {
    pub fn snapshot(&self) -> (usize, usize, usize) {
        let get = |c: &AtomicUsize| c.load(Ordering::Relaxed);
        (get(&self.reads), get(&self.writes), get(&self.slots))
    }
}

/// How the Planfix pacing clock is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pacing {
    /// By the SQLite store, as in the local run (one conditional write per reservation).
    Store,
    /// At once, without touching the store: the slot is always "now".
    Bypassed,
}

pub struct CountingStore {
    inner: SqliteStore,
    pacing: Pacing,
    pub counts: Arc<StoreCounts>,
}

impl CountingStore {
    pub fn new(inner: SqliteStore, pacing: Pacing) -> Self {
        Self { inner, pacing, counts: Arc::default() }
    }

    fn read(&self) {
        self.counts.reads.fetch_add(1, Ordering::Relaxed);
    }

    fn write(&self) {
        self.counts.writes.fetch_add(1, Ordering::Relaxed);
    }
}

#[async_trait]
impl Store for CountingStore {
    async fn record_message(&self, a: &AccountId, msg: &InboundMessage, now: i64) -> Result<RecordOutcome, StoreError> {
        self.write();
        self.inner.record_message(a, msg, now).await
    }

    async fn claim_message(
        &self,
        a: &AccountId,
        id: &str,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        self.write();
        self.inner.claim_message(a, id, owner, now, lease_secs).await
    }

    async fn complete_message(
        &self,
        a: &AccountId,
        id: &str,
        owner: &str,
        task_id: i64,
        comment_id: i64,
    ) -> Result<(), StoreError> {
        self.write();
        self.inner.complete_message(a, id, owner, task_id, comment_id).await
    }

    async fn release_message(&self, a: &AccountId, id: &str, owner: &str, error: &str) -> Result<(), StoreError> {
        self.write();
        self.inner.release_message(a, id, owner, error).await
    }

    async fn record_inbound(&self, a: &AccountId, entry: &InboxEntry, now: i64) -> Result<RecordOutcome, StoreError> {
        self.write();
        self.inner.record_inbound(a, entry, now).await
    }

    async fn begin_drain(
        &self,
        a: &AccountId,
        phone: &Phone,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<DrainStart, StoreError> {
        self.write();
        self.inner.begin_drain(a, phone, owner, now, lease_secs).await
    }

    async fn finish_message(
        &self,
        a: &AccountId,
        entry: &InboxEntry,
        owner: &str,
        comment: Option<(i64, i64)>,
        next: DrainNext,
    ) -> Result<(), StoreError> {
        self.write();
        self.inner.finish_message(a, entry, owner, comment, next).await
    }

    async fn end_drain(&self, a: &AccountId, phone: &Phone, owner: &str) -> Result<(), StoreError> {
        self.write();
        self.inner.end_drain(a, phone, owner).await
    }

    async fn add_to_inbox(&self, a: &AccountId, entry: &InboxEntry) -> Result<(), StoreError> {
        self.write();
        self.inner.add_to_inbox(a, entry).await
    }

    async fn inbox(&self, a: &AccountId, phone: &Phone, limit: usize) -> Result<Vec<InboxEntry>, StoreError> {
        self.read();
        self.inner.inbox(a, phone, limit).await
    }

    async fn remove_from_inbox(&self, a: &AccountId, phone: &Phone, order: &str) -> Result<(), StoreError> {
        self.write();
        self.inner.remove_from_inbox(a, phone, order).await
    }

    async fn stale_inboxes(&self, a: &AccountId, older_than: i64, limit: usize) -> Result<Vec<InboxEntry>, StoreError> {
        self.read();
        self.inner.stale_inboxes(a, older_than, limit).await
    }

    async fn put_dead_letter(&self, a: &AccountId, letter: &DeadLetter) -> Result<(), StoreError> {
        self.write();
        self.inner.put_dead_letter(a, letter).await
    }

    async fn list_dead_letters(&self, a: &AccountId) -> Result<Vec<DeadLetter>, StoreError> {
        self.read();
        self.inner.list_dead_letters(a).await
    }

    async fn remove_dead_letter(&self, a: &AccountId, key: &str) -> Result<(), StoreError> {
        self.write();
        self.inner.remove_dead_letter(a, key).await
    }

    async fn get_link(&self, a: &AccountId, phone: &Phone) -> Result<Option<LinkRecord>, StoreError> {
        self.read();
        self.inner.get_link(a, phone).await
    }

    async fn lock_link(
        &self,
        a: &AccountId,
        phone: &Phone,
        expected_task: Option<i64>,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<LinkLock, StoreError> {
        self.write();
        self.inner.lock_link(a, phone, expected_task, owner, now, lease_secs).await
    }

    async fn commit_link(
        &self,
        a: &AccountId,
        phone: &Phone,
        owner: &str,
        link: &ConversationLink,
    ) -> Result<(), StoreError> {
        self.write();
        self.inner.commit_link(a, phone, owner, link).await
    }

    async fn unlock_link(&self, a: &AccountId, phone: &Phone, owner: &str) -> Result<(), StoreError> {
        self.write();
        self.inner.unlock_link(a, phone, owner).await
    }

    async fn set_task_closed(
        &self,
        a: &AccountId,
        phone: &Phone,
        task_id: i64,
        closed: bool,
    ) -> Result<bool, StoreError> {
        self.write();
        self.inner.set_task_closed(a, phone, task_id, closed).await
    }

    async fn put_task_conversation(
        &self,
        a: &AccountId,
        task_id: i64,
        conv: &TaskConversation,
    ) -> Result<(), StoreError> {
        self.write();
        self.inner.put_task_conversation(a, task_id, conv).await
    }

    async fn get_task_conversation(&self, a: &AccountId, task_id: i64) -> Result<Option<TaskConversation>, StoreError> {
        self.read();
        self.inner.get_task_conversation(a, task_id).await
    }

    async fn claim_job(
        &self,
        a: &AccountId,
        job: &str,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        self.write();
        self.inner.claim_job(a, job, owner, now, lease_secs).await
    }

    async fn complete_job(&self, a: &AccountId, job: &str, owner: &str, outcome: &str) -> Result<(), StoreError> {
        self.write();
        self.inner.complete_job(a, job, owner, outcome).await
    }

    async fn release_job(&self, a: &AccountId, job: &str, owner: &str, error: &str) -> Result<(), StoreError> {
        self.write();
        self.inner.release_job(a, job, owner, error).await
    }

    async fn put_sent(&self, a: &AccountId, provider_id: &str, record: &SentRecord) -> Result<(), StoreError> {
        self.write();
        self.inner.put_sent(a, provider_id, record).await
    }

    async fn get_sent(&self, a: &AccountId, provider_id: &str) -> Result<Option<SentRecord>, StoreError> {
        self.read();
        self.inner.get_sent(a, provider_id).await
    }

    async fn reaction_note(&self, a: &AccountId, key: &str) -> Result<Option<ReactionNote>, StoreError> {
        self.read();
        self.inner.reaction_note(a, key).await
    }

    async fn put_reaction_note(&self, a: &AccountId, key: &str, note: &ReactionNote) -> Result<(), StoreError> {
        self.write();
        self.inner.put_reaction_note(a, key, note).await
    }

    async fn advance_delivery_status(
        &self,
        a: &AccountId,
        provider_id: &str,
        status: &str,
        rank: u8,
    ) -> Result<bool, StoreError> {
        self.write();
        self.inner.advance_delivery_status(a, provider_id, status, rank).await
    }

    async fn reserve_slot(&self, a: &AccountId, key: &str, now_ms: i64, interval_ms: i64) -> Result<i64, StoreError> {
        self.counts.slots.fetch_add(1, Ordering::Relaxed);
        match self.pacing {
            Pacing::Store => self.inner.reserve_slot(a, key, now_ms, interval_ms).await,
            Pacing::Bypassed => Ok(now_ms),
        }
    }

    async fn reserve_slots(
        &self,
        a: &AccountId,
        key: &str,
        now_ms: i64,
        interval_ms: i64,
        count: u32,
        max_wait_ms: i64,
    ) -> Result<SlotGrant, StoreError> {
        self.counts.slots.fetch_add(1, Ordering::Relaxed);
        match self.pacing {
            Pacing::Store => self.inner.reserve_slots(a, key, now_ms, interval_ms, count, max_wait_ms).await,
            Pacing::Bypassed => Ok(SlotGrant::Granted { first_ms: now_ms }),
        }
    }

    async fn get_settings(&self, a: &AccountId) -> Result<Option<Settings>, StoreError> {
        self.read();
        self.inner.get_settings(a).await
    }

    async fn put_settings(&self, a: &AccountId, settings: &Settings) -> Result<(), StoreError> {
        self.write();
        self.inner.put_settings(a, settings).await
    }
}
