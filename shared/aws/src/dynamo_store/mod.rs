//! DynamoDB single-table store (real aws-sdk-dynamodb).
//!
//! Item layout (`pk` / `sk`, both strings; `expires_at` is the table's TTL attribute):
//!
//! | item     | pk                          | sk         | attributes |
//! |----------|-----------------------------|------------|------------|
//! | message  | `{account}#MSG#{message id}`| `MSG`      | payload (normalized JSON, dropped once done), done, inbox_order (its inbox entry's sort key), attempts, lease_owner, lease_until, received_at, task_id, comment_id, excerpt (first words, kept once done), last_error, expires_at |
//! | link     | `{account}#PHONE#{digits}`  | `LINK`     | contact_id, task_id, task_count, updated_at, task_closed (the status scenario's word), lease_owner, lease_until (conversation setup), drain_owner, drain_until (the worker draining its inbox) |
//! | task     | `{account}#TASK#{task id}`  | `TASK`     | phone, contact_id (task → conversation, for replies) |
//! | job      | `{account}#JOB#{job key}`   | `JOB`      | done, attempts, lease_owner, lease_until, outcome, last_error, expires_at |
//! | sent     | `{account}#SENT#{provider message id}` | `SENT` | comment_id, task_id, author, excerpt, delivery_status, status_rank, expires_at |
//! | reaction | `{account}#REACT#{writer}:{message id}` | `REACT` | task_id, comment_id, trail (JSON: the reactions given, the current last), expires_at |
//! | settings | `{account}#SETTINGS`        | `SETTINGS` | settings (JSON) |
//! | inbox    | `{account}#INBOX#{digits}`  | `{timestamp}#{index}#{message id}` | entry (JSON), expires_at, waiting_pk, waiting_sk — a conversation's recorded, unprocessed messages in send order |
//! | dead     | `{account}#DEAD`            | work key   | letter (JSON), failed_at — work past its retry budget, for replay |
//! | clock    | `{account}#RATE#{key}`      | `RATE`     | next_at (Unix ms) — a pacing clock shared by every instance (Planfix's 1 request/s) |
//!
//! The account id leads every key, so an IAM policy with `dynamodb:LeadingKeys` can fence a
//! tenant, and no code path can address another account's items by construction.
//!
//! One sparse global secondary index, `waiting` (KEYS_ONLY): only inbox items carry its keys,
//! `waiting_pk = {account}` and `waiting_sk = {added at, Unix seconds, 11 digits}#{digits}`, so
//! the sweeper finds the inboxes waiting too long with one Query per account instead of a Scan.
//! It costs write capacity on inbox puts and deletes, not an extra request.
//!
//! Expired items (past `expires_at`) may linger until DynamoDB's TTL deletes them (within days);
//! writes that create a message or job item treat an expired one as absent and replace it.

mod attrs;
mod dead_letters;
mod drains;
mod inbox;
mod items;
mod jobs;
mod keys;
mod lease;
mod links;
mod messages;
mod pacing;
mod reactions;
mod references;
mod sent;
mod settings;
mod tasks;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

use bridge_core::config::Settings;
use bridge_core::domain::{AccountId, InboundMessage, Phone};
use bridge_core::ports::store::*;

use attrs::unavailable;

/// How long once-only marks (message and job items) and inbox entries live: 400 days. Meta
/// redelivers for up to 7 days and Planfix's scenario retries for hours, but dead letters are
/// replayable forever and a replayed Meta body or a re-posted comment id must still find its
/// mark; a bit over a year covers an operator going through last season's letters. A done
/// mark keeps no payload (about 300 bytes an item: ~0.1 USD a month per million marks kept).
/// Inbox entries live as long as the message item their processing claims.
const MARK_RETENTION_SECS: i64 = 400 * 24 * 3600;

/// Sent items only map delivery statuses (which come within days) back to their comment.
const SENT_RETENTION_SECS: i64 = 30 * 24 * 3600;

/// The sparse index of waiting inbox entries (see the module doc).
const WAITING_INDEX: &str = "waiting";

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    /// Creates the table as `template.yaml` declares it (on-demand, TTL on `expires_at`, the
    /// `waiting` index). For local runs and tests; on AWS the stack owns the table.
    pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
        let invalid = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Unavailable(e.to_string());
        let attr = |name: &str| {
            AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
        };
        let key = |name: &str, kt| KeySchemaElement::builder().attribute_name(name).key_type(kt).build();
        let waiting = GlobalSecondaryIndex::builder()
            .index_name(WAITING_INDEX)
            .key_schema(key("waiting_pk", KeyType::Hash).map_err(invalid)?)
            .key_schema(key("waiting_sk", KeyType::Range).map_err(invalid)?)
            .projection(Projection::builder().projection_type(ProjectionType::KeysOnly).build())
            .build()
            .map_err(invalid)?;
        client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("pk").map_err(invalid)?)
            .attribute_definitions(attr("sk").map_err(invalid)?)
            .attribute_definitions(attr("waiting_pk").map_err(invalid)?)
            .attribute_definitions(attr("waiting_sk").map_err(invalid)?)
            .key_schema(key("pk", KeyType::Hash).map_err(invalid)?)
            .key_schema(key("sk", KeyType::Range).map_err(invalid)?)
            .global_secondary_indexes(waiting)
            .send()
            .await
            .map_err(unavailable)?;
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name("expires_at")
                    .enabled(true)
                    .build()
                    .map_err(invalid)?,
            )
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn record_message(
        &self,
        account: &AccountId,
        msg: &InboundMessage,
        now: i64,
    ) -> Result<RecordOutcome, StoreError> {
        messages::record(self, account, msg, now).await
    }

    async fn claim_message(
        &self,
        account: &AccountId,
        message_id: &str,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        messages::claim(self, account, message_id, owner, now, lease_secs).await
    }

    async fn complete_message(
        &self,
        account: &AccountId,
        message_id: &str,
        owner: &str,
        task_id: i64,
        comment_id: i64,
    ) -> Result<(), StoreError> {
        messages::complete(self, account, message_id, owner, task_id, comment_id).await
    }

    async fn release_message(
        &self,
        account: &AccountId,
        message_id: &str,
        owner: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        messages::release(self, account, message_id, owner, error).await
    }

    async fn record_inbound(
        &self,
        account: &AccountId,
        entry: &InboxEntry,
        now: i64,
    ) -> Result<RecordOutcome, StoreError> {
        drains::record_inbound(self, account, entry, now).await
    }

    async fn begin_drain(
        &self,
        account: &AccountId,
        phone: &Phone,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<DrainStart, StoreError> {
        drains::begin(self, account, phone, owner, now, lease_secs).await
    }

    async fn finish_message(
        &self,
        account: &AccountId,
        entry: &InboxEntry,
        owner: &str,
        comment: Option<(i64, i64)>,
        next: DrainNext,
    ) -> Result<(), StoreError> {
        drains::finish(self, account, entry, owner, comment, next).await
    }

    async fn end_drain(&self, account: &AccountId, phone: &Phone, owner: &str) -> Result<(), StoreError> {
        drains::end(self, account, phone, owner).await
    }

    async fn add_to_inbox(&self, account: &AccountId, entry: &InboxEntry) -> Result<(), StoreError> {
        inbox::add(self, account, entry).await
    }

    async fn inbox(&self, account: &AccountId, phone: &Phone, limit: usize) -> Result<Vec<InboxEntry>, StoreError> {
        inbox::list(self, account, phone, limit).await
    }

    async fn remove_from_inbox(&self, account: &AccountId, phone: &Phone, order: &str) -> Result<(), StoreError> {
        inbox::remove(self, account, phone, order).await
    }

    async fn stale_inboxes(
        &self,
        account: &AccountId,
        older_than: i64,
        limit: usize,
    ) -> Result<Vec<InboxEntry>, StoreError> {
        inbox::stale(self, account, older_than, limit).await
    }

    async fn put_dead_letter(&self, account: &AccountId, letter: &DeadLetter) -> Result<(), StoreError> {
        dead_letters::put(self, account, letter).await
    }

    async fn list_dead_letters(&self, account: &AccountId) -> Result<Vec<DeadLetter>, StoreError> {
        dead_letters::list(self, account).await
    }

    async fn remove_dead_letter(&self, account: &AccountId, key: &str) -> Result<(), StoreError> {
        dead_letters::remove(self, account, key).await
    }

    async fn get_link(&self, account: &AccountId, phone: &Phone) -> Result<Option<LinkRecord>, StoreError> {
        links::get(self, account, phone).await
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
        links::lock(self, account, phone, expected_task, owner, now, lease_secs).await
    }

    async fn commit_link(
        &self,
        account: &AccountId,
        phone: &Phone,
        owner: &str,
        link: &ConversationLink,
    ) -> Result<(), StoreError> {
        links::commit(self, account, phone, owner, link).await
    }

    async fn unlock_link(&self, account: &AccountId, phone: &Phone, owner: &str) -> Result<(), StoreError> {
        links::unlock(self, account, phone, owner).await
    }

    async fn set_task_closed(
        &self,
        account: &AccountId,
        phone: &Phone,
        task_id: i64,
        closed: bool,
    ) -> Result<bool, StoreError> {
        links::set_task_closed(self, account, phone, task_id, closed).await
    }

    async fn put_task_conversation(
        &self,
        account: &AccountId,
        task_id: i64,
        conv: &TaskConversation,
    ) -> Result<(), StoreError> {
        tasks::put(self, account, task_id, conv).await
    }

    async fn get_task_conversation(
        &self,
        account: &AccountId,
        task_id: i64,
    ) -> Result<Option<TaskConversation>, StoreError> {
        tasks::get(self, account, task_id).await
    }

    async fn claim_job(
        &self,
        account: &AccountId,
        job: &str,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        jobs::claim(self, account, job, owner, now, lease_secs).await
    }

    async fn complete_job(&self, account: &AccountId, job: &str, owner: &str, outcome: &str) -> Result<(), StoreError> {
        jobs::complete(self, account, job, owner, outcome).await
    }

    async fn release_job(&self, account: &AccountId, job: &str, owner: &str, error: &str) -> Result<(), StoreError> {
        jobs::release(self, account, job, owner, error).await
    }

    async fn put_sent(
        &self,
        account: &AccountId,
        provider_message_id: &str,
        record: &SentRecord,
    ) -> Result<(), StoreError> {
        sent::put(self, account, provider_message_id, record).await
    }

    async fn get_sent(&self, account: &AccountId, provider_message_id: &str) -> Result<Option<SentRecord>, StoreError> {
        sent::get(self, account, provider_message_id).await
    }

    async fn message_reference(
        &self,
        account: &AccountId,
        provider_message_id: &str,
    ) -> Result<Option<MessageReference>, StoreError> {
        references::message_reference(self, account, provider_message_id).await
    }

    async fn reaction_note(&self, account: &AccountId, key: &str) -> Result<Option<ReactionNote>, StoreError> {
        reactions::get(self, account, key).await
    }

    async fn put_reaction_note(&self, account: &AccountId, key: &str, note: &ReactionNote) -> Result<(), StoreError> {
        reactions::put(self, account, key, note).await
    }

    async fn advance_delivery_status(
        &self,
        account: &AccountId,
        provider_message_id: &str,
        status: &str,
        rank: u8,
    ) -> Result<bool, StoreError> {
        sent::advance_delivery_status(self, account, provider_message_id, status, rank).await
    }

    async fn reserve_slot(
        &self,
        account: &AccountId,
        key: &str,
        now_ms: i64,
        interval_ms: i64,
    ) -> Result<i64, StoreError> {
        pacing::reserve_slot(self, account, key, now_ms, interval_ms).await
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
        pacing::reserve_slots(self, account, key, now_ms, interval_ms, count, max_wait_ms).await
    }

    async fn get_settings(&self, account: &AccountId) -> Result<Option<Settings>, StoreError> {
        settings::get(self, account).await
    }

    async fn put_settings(&self, account: &AccountId, settings: &Settings) -> Result<(), StoreError> {
        settings::put(self, account, settings).await
    }
}
