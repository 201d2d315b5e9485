//! The embedded [`Store`] on SQLite, with the DynamoDB adapter's semantics: every conditional
//! write of the trait is one statement (or a few) inside one transaction of the writer, so the
//! outcome of a race is decided by SQLite's write lock — across processes too. Rows with a TTL
//! (messages, jobs, inbox: 400 days; sent: 30 days; by the wall clock, as on AWS) are ignored
//! once expired and purged by the writer.
//!
//! One table per item kind of the DynamoDB table (see [`crate::sqlite::schema`]); the account
//! leads every primary key.

mod dead_letters;
mod drains;
mod inbox;
mod jobs;
mod lease;
mod links;
mod messages;
mod reactions;
mod records;
mod sent;

use async_trait::async_trait;

use bridge_core::config::Settings;
use bridge_core::domain::{AccountId, InboundMessage, Phone};
use bridge_core::ports::store::*;

use super::db::{DbError, SqliteDb};
use lease::{JOBS, MESSAGES};

/// Why an operation failed: the database, or the store's own answer (a lease lost).
#[derive(Debug)]
pub(crate) enum Fail {
    Db(DbError),
    Store(StoreError),
}

impl From<DbError> for Fail {
    fn from(e: DbError) -> Self {
        Fail::Db(e)
    }
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Db(DbError::Sqlite(e))
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl From<Fail> for StoreError {
    fn from(f: Fail) -> Self {
        match f {
            Fail::Store(e) => e,
            Fail::Db(e) if e.is_corrupt() => StoreError::Corrupt(e.to_string()),
            Fail::Db(e) => StoreError::Unavailable(e.to_string()),
        }
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Fail> {
    serde_json::to_string(value).map_err(|e| Fail::Store(StoreError::Corrupt(e.to_string())))
}

fn from_json<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> Result<T, Fail> {
    serde_json::from_str(json).map_err(|e| Fail::Store(StoreError::Corrupt(format!("{what}: {e}"))))
}

#[derive(Clone)]
pub struct SqliteStore {
    db: SqliteDb,
}

impl SqliteStore {
    pub fn new(db: SqliteDb) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &SqliteDb {
        &self.db
    }

    /// Conversations with recorded messages still waiting in their inbox.
    pub async fn waiting_conversations(&self) -> Result<Vec<(AccountId, Phone)>, StoreError> {
        let rows = self.read(inbox::waiting).await?;
        Ok(rows
            .into_iter()
            .filter_map(|(account, phone)| Some((AccountId::parse(&account).ok()?, Phone::parse(&phone).ok()?)))
            .collect())
    }

    /// The delivery status last recorded for a message the bridge sent (`delivered`, `read`…),
    /// for operators and tests: the store's port only ever moves it forward.
    pub async fn delivery_status(
        &self,
        account: &AccountId,
        provider_message_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let (account, id) = (owned(account), provider_message_id.to_owned());
        self.read(move |c| sent::status(c, &account, &id)).await
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T, Fail> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.db.write(f).await.map_err(StoreError::from)
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T, Fail> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.db.read(f).await.map_err(StoreError::from)
    }
}

fn owned(account: &AccountId) -> String {
    account.as_str().to_owned()
}

#[async_trait]
impl Store for SqliteStore {
    async fn record_message(
        &self,
        account: &AccountId,
        msg: &InboundMessage,
        now: i64,
    ) -> Result<RecordOutcome, StoreError> {
        let (account, msg) = (owned(account), msg.clone());
        self.write(move |c| messages::record(c, &account, &msg, now)).await
    }

    async fn claim_message(
        &self,
        account: &AccountId,
        message_id: &str,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        let (account, id, owner) = (owned(account), message_id.to_owned(), owner.to_owned());
        self.write(move |c| lease::claim(c, &MESSAGES, &account, &id, &owner, now, lease_secs)).await
    }

    async fn complete_message(
        &self,
        account: &AccountId,
        message_id: &str,
        owner: &str,
        task_id: i64,
        comment_id: i64,
    ) -> Result<(), StoreError> {
        let (account, id, owner) = (owned(account), message_id.to_owned(), owner.to_owned());
        self.write(move |c| messages::complete(c, &account, &id, &owner, task_id, comment_id)).await
    }

    async fn release_message(
        &self,
        account: &AccountId,
        message_id: &str,
        owner: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        let (account, id, owner, error) = (owned(account), message_id.to_owned(), owner.to_owned(), error.to_owned());
        self.write(move |c| lease::release(c, &MESSAGES, &account, &id, &owner, &error)).await
    }

    async fn record_inbound(
        &self,
        account: &AccountId,
        entry: &InboxEntry,
        now: i64,
    ) -> Result<RecordOutcome, StoreError> {
        let (account, entry) = (owned(account), entry.clone());
        self.write(move |c| drains::record_inbound(c, &account, &entry, now)).await
    }

    async fn begin_drain(
        &self,
        account: &AccountId,
        phone: &Phone,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<DrainStart, StoreError> {
        let (account, phone, owner) = (owned(account), phone.digits().to_owned(), owner.to_owned());
        self.write(move |c| drains::begin(c, &account, &phone, &owner, now, lease_secs)).await
    }

    async fn finish_message(
        &self,
        account: &AccountId,
        entry: &InboxEntry,
        owner: &str,
        comment: Option<(i64, i64)>,
        next: DrainNext,
    ) -> Result<(), StoreError> {
        let (account, entry, owner) = (owned(account), entry.clone(), owner.to_owned());
        self.write(move |c| drains::finish(c, &account, &entry, &owner, comment, next)).await
    }

    async fn end_drain(&self, account: &AccountId, phone: &Phone, owner: &str) -> Result<(), StoreError> {
        let (account, phone, owner) = (owned(account), phone.digits().to_owned(), owner.to_owned());
        self.write(move |c| drains::end(c, &account, &phone, &owner)).await
    }

    async fn add_to_inbox(&self, account: &AccountId, entry: &InboxEntry) -> Result<(), StoreError> {
        let (account, entry) = (owned(account), entry.clone());
        self.write(move |c| inbox::add(c, &account, &entry)).await
    }

    async fn inbox(&self, account: &AccountId, phone: &Phone, limit: usize) -> Result<Vec<InboxEntry>, StoreError> {
        let (account, phone) = (owned(account), phone.digits().to_owned());
        self.read(move |c| inbox::list(c, &account, &phone, limit)).await
    }

    async fn remove_from_inbox(&self, account: &AccountId, phone: &Phone, order: &str) -> Result<(), StoreError> {
        let (account, phone, order) = (owned(account), phone.digits().to_owned(), order.to_owned());
        self.write(move |c| inbox::remove(c, &account, &phone, &order)).await
    }

    async fn stale_inboxes(
        &self,
        account: &AccountId,
        older_than: i64,
        limit: usize,
    ) -> Result<Vec<InboxEntry>, StoreError> {
        let account = owned(account);
        self.read(move |c| inbox::stale(c, &account, older_than, limit)).await
    }

    async fn put_dead_letter(&self, account: &AccountId, letter: &DeadLetter) -> Result<(), StoreError> {
        let (account, letter) = (owned(account), letter.clone());
        self.write(move |c| dead_letters::put(c, &account, &letter)).await
    }

    async fn list_dead_letters(&self, account: &AccountId) -> Result<Vec<DeadLetter>, StoreError> {
        let account = owned(account);
        self.read(move |c| dead_letters::list(c, &account)).await
    }

    async fn remove_dead_letter(&self, account: &AccountId, key: &str) -> Result<(), StoreError> {
        let (account, key) = (owned(account), key.to_owned());
        self.write(move |c| dead_letters::remove(c, &account, &key)).await
    }

    async fn get_link(&self, account: &AccountId, phone: &Phone) -> Result<Option<LinkRecord>, StoreError> {
        let (account, phone) = (owned(account), phone.digits().to_owned());
        self.read(move |c| links::get(c, &account, &phone)).await
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
        let (account, phone, owner) = (owned(account), phone.digits().to_owned(), owner.to_owned());
        self.write(move |c| links::lock(c, &account, &phone, expected_task, &owner, now, lease_secs)).await
    }

    async fn commit_link(
        &self,
        account: &AccountId,
        phone: &Phone,
        owner: &str,
        link: &ConversationLink,
    ) -> Result<(), StoreError> {
        let (account, phone, owner, link) = (owned(account), phone.digits().to_owned(), owner.to_owned(), link.clone());
        self.write(move |c| links::commit(c, &account, &phone, &owner, &link)).await
    }

    async fn unlock_link(&self, account: &AccountId, phone: &Phone, owner: &str) -> Result<(), StoreError> {
        let (account, phone, owner) = (owned(account), phone.digits().to_owned(), owner.to_owned());
        self.write(move |c| links::unlock(c, &account, &phone, &owner)).await
    }

    async fn set_task_closed(
        &self,
        account: &AccountId,
        phone: &Phone,
        task_id: i64,
        closed: bool,
    ) -> Result<bool, StoreError> {
        let (account, phone) = (owned(account), phone.digits().to_owned());
        self.write(move |c| links::set_task_closed(c, &account, &phone, task_id, closed)).await
    }

    async fn put_task_conversation(
        &self,
        account: &AccountId,
        task_id: i64,
        conv: &TaskConversation,
    ) -> Result<(), StoreError> {
        let (account, conv) = (owned(account), conv.clone());
        self.write(move |c| records::put_task(c, &account, task_id, &conv)).await
    }

    async fn get_task_conversation(
        &self,
        account: &AccountId,
        task_id: i64,
    ) -> Result<Option<TaskConversation>, StoreError> {
        let account = owned(account);
        self.read(move |c| records::get_task(c, &account, task_id)).await
    }

    async fn claim_job(
        &self,
        account: &AccountId,
        job: &str,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        let (account, job, owner) = (owned(account), job.to_owned(), owner.to_owned());
        self.write(move |c| jobs::claim(c, &account, &job, &owner, now, lease_secs)).await
    }

    async fn complete_job(&self, account: &AccountId, job: &str, owner: &str, outcome: &str) -> Result<(), StoreError> {
        let (account, job, owner, outcome) = (owned(account), job.to_owned(), owner.to_owned(), outcome.to_owned());
        self.write(move |c| jobs::complete(c, &account, &job, &owner, &outcome)).await
    }

    async fn release_job(&self, account: &AccountId, job: &str, owner: &str, error: &str) -> Result<(), StoreError> {
        let (account, job, owner, error) = (owned(account), job.to_owned(), owner.to_owned(), error.to_owned());
        self.write(move |c| lease::release(c, &JOBS, &account, &job, &owner, &error)).await
    }

    async fn put_sent(
        &self,
        account: &AccountId,
        provider_message_id: &str,
        record: &SentRecord,
    ) -> Result<(), StoreError> {
        let (account, id, record) = (owned(account), provider_message_id.to_owned(), record.clone());
        self.write(move |c| sent::put(c, &account, &id, &record)).await
    }

    async fn get_sent(&self, account: &AccountId, provider_message_id: &str) -> Result<Option<SentRecord>, StoreError> {
        let (account, id) = (owned(account), provider_message_id.to_owned());
        self.read(move |c| sent::get(c, &account, &id)).await
    }

    async fn message_reference(
        &self,
        account: &AccountId,
        provider_message_id: &str,
    ) -> Result<Option<MessageReference>, StoreError> {
        let (account, id) = (owned(account), provider_message_id.to_owned());
        self.read(move |c| messages::reference(c, &account, &id)).await
    }

    async fn reaction_note(&self, account: &AccountId, key: &str) -> Result<Option<ReactionNote>, StoreError> {
        let (account, key) = (owned(account), key.to_owned());
        self.read(move |c| reactions::get(c, &account, &key)).await
    }

    async fn put_reaction_note(&self, account: &AccountId, key: &str, note: &ReactionNote) -> Result<(), StoreError> {
        let (account, key, note) = (owned(account), key.to_owned(), note.clone());
        self.write(move |c| reactions::put(c, &account, &key, &note)).await
    }

    async fn advance_delivery_status(
        &self,
        account: &AccountId,
        provider_message_id: &str,
        status: &str,
        rank: u8,
    ) -> Result<bool, StoreError> {
        let (account, id, status) = (owned(account), provider_message_id.to_owned(), status.to_owned());
        self.write(move |c| sent::advance(c, &account, &id, &status, rank)).await
    }

    async fn reserve_slot(
        &self,
        account: &AccountId,
        key: &str,
        now_ms: i64,
        interval_ms: i64,
    ) -> Result<i64, StoreError> {
        let (account, key) = (owned(account), key.to_owned());
        self.write(move |c| records::reserve_slot(c, &account, &key, now_ms, interval_ms)).await
    }

    async fn reserve_slots(
        &self,
        account: &AccountId,
        key: &str,
        now_ms: i64,
        interval_ms: i64,
        count: u32,
        max_wait_ms: i64,
    ) -> Result<SlotGrant, StoreError> {
        let (account, key) = (owned(account), key.to_owned());
        self.write(move |c| records::reserve_slots(c, &account, &key, now_ms, interval_ms, count, max_wait_ms)).await
    }

    async fn get_settings(&self, account: &AccountId) -> Result<Option<Settings>, StoreError> {
        let account = owned(account);
        self.read(move |c| records::get_settings(c, &account)).await
    }

    async fn put_settings(&self, account: &AccountId, settings: &Settings) -> Result<(), StoreError> {
        let (account, settings) = (owned(account), settings.clone());
        self.write(move |c| records::put_settings(c, &account, &settings)).await
    }
}
