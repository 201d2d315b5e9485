//! DynamoDB single-table store (real aws-sdk-dynamodb).
//!
//! Item layout (`pk` / `sk`, both strings; `expires_at` is the table's TTL attribute):
//!
//! | item     | pk                          | sk         | attributes |
//! |----------|-----------------------------|------------|------------|
//! | message  | `{account}#MSG#{message id}`| `MSG`      | payload (normalized JSON), done, attempts, lease_owner, lease_until, received_at, task_id, comment_id, last_error, expires_at |
//! | link     | `{account}#PHONE#{digits}`  | `LINK`     | contact_id, task_id, task_count, updated_at, lease_owner, lease_until |
//! | task     | `{account}#TASK#{task id}`  | `TASK`     | phone, contact_id (task → conversation, for replies) |
//! | job      | `{account}#JOB#{job key}`   | `JOB`      | done, attempts, lease_owner, lease_until, outcome, last_error, expires_at |
//! | sent     | `{account}#SENT#{provider message id}` | `SENT` | comment_id, task_id, author, delivery_status, status_rank, expires_at |
//! | settings | `{account}#SETTINGS`        | `SETTINGS` | settings (JSON) |
//! | inbox    | `{account}#INBOX#{digits}`  | `{timestamp}#{index}#{message id}` | entry (JSON), expires_at — a conversation's recorded, unprocessed messages in send order |
//! | dead     | `{account}#DEAD`            | work key   | letter (JSON), failed_at — work past its retry budget, for replay |
//! | clock    | `{account}#RATE#{key}`      | `RATE`     | next_at (Unix ms) — a pacing clock shared by every instance (Planfix's 1 request/s) |
//!
//! The account id leads every key, so an IAM policy with `dynamodb:LeadingKeys` can fence a
//! tenant, and no code path can address another account's items by construction.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

use bridge_core::config::Settings;
use bridge_core::domain::{AccountId, InboundMessage, Phone};
use bridge_core::ports::store::*;

/// Dedupe records outlive Meta's redelivery window (days) by a wide margin.
const MESSAGE_RETENTION_SECS: i64 = 30 * 24 * 3600;

type Item = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn get_i64(item: &Item, name: &str) -> Option<i64> {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())
}
fn get_str<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

fn unavailable<E: std::error::Error + 'static>(
    e: SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(e).to_string())
}

fn msg_key(account: &AccountId, id: &str) -> (AttributeValue, AttributeValue) {
    (s(format!("{account}#MSG#{id}")), s("MSG"))
}
fn link_key(account: &AccountId, phone: &Phone) -> (AttributeValue, AttributeValue) {
    (s(format!("{account}#PHONE#{}", phone.digits())), s("LINK"))
}
fn task_key(account: &AccountId, task_id: i64) -> (AttributeValue, AttributeValue) {
    (s(format!("{account}#TASK#{task_id}")), s("TASK"))
}
fn job_key(account: &AccountId, job: &str) -> (AttributeValue, AttributeValue) {
    (s(format!("{account}#JOB#{job}")), s("JOB"))
}
fn sent_key(account: &AccountId, id: &str) -> (AttributeValue, AttributeValue) {
    (s(format!("{account}#SENT#{id}")), s("SENT"))
}
fn rate_key(account: &AccountId, key: &str) -> (AttributeValue, AttributeValue) {
    (s(format!("{account}#RATE#{key}")), s("RATE"))
}
fn is_done(item: &Item) -> bool {
    item.get("done").and_then(|v| v.as_bool().ok()).copied().unwrap_or(false)
}

fn inbox_pk(account: &AccountId, phone: &Phone) -> AttributeValue {
    s(format!("{account}#INBOX#{}", phone.digits()))
}
fn dead_pk(account: &AccountId) -> AttributeValue {
    s(format!("{account}#DEAD"))
}

fn settings_key(account: &AccountId) -> (AttributeValue, AttributeValue) {
    (s(format!("{account}#SETTINGS")), s("SETTINGS"))
}

fn link_record(item: &Item) -> LinkRecord {
    let link = match (get_i64(item, "contact_id"), get_i64(item, "task_id")) {
        (Some(contact_id), Some(task_id)) => Some(ConversationLink {
            contact_id,
            task_id,
            task_count: get_i64(item, "task_count").unwrap_or(1) as u32,
            updated_at: get_i64(item, "updated_at").unwrap_or(0),
        }),
        _ => None,
    };
    LinkRecord { link, lease_until: get_i64(item, "lease_until") }
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    async fn put_if_absent(&self, pk: AttributeValue, sk: AttributeValue) -> Result<(), StoreError> {
        self.put_if_absent_with(pk, sk, []).await
    }

    /// Creates the item unless it exists (then nothing changes).
    async fn put_if_absent_with<const N: usize>(
        &self,
        pk: AttributeValue,
        sk: AttributeValue,
        attrs: [(&str, AttributeValue); N],
    ) -> Result<(), StoreError> {
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", pk)
            .item("sk", sk)
            .condition_expression("attribute_not_exists(pk)");
        for (name, value) in attrs {
            req = req.item(name, value);
        }
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.as_service_error(), Some(err) if err.is_conditional_check_failed_exception()) => {
                Ok(())
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    /// The one lease protocol behind message and job items: take the item's lease if it is not
    /// done and no live lease exists (an expired one is taken over). The item must exist.
    async fn claim_lease(
        &self,
        (pk, sk): (AttributeValue, AttributeValue),
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        let req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .update_expression("SET lease_owner = :o, lease_until = :u ADD attempts :one")
            .condition_expression(
                "attribute_exists(pk) AND #done = :false AND (attribute_not_exists(lease_until) OR lease_until < :now)",
            )
            .expression_attribute_names("#done", "done")
            .expression_attribute_values(":o", s(owner))
            .expression_attribute_values(":u", n(now + lease_secs))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match req.send().await {
            Ok(out) => Ok(ClaimOutcome::Claimed {
                attempt: out.attributes().and_then(|a| get_i64(a, "attempts")).unwrap_or(1) as u32,
            }),
            Err(e) => match e.as_service_error() {
                Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(
                    ccf,
                )) => match ccf.item() {
                    None => Err(StoreError::Corrupt("claimed an item that was never created".into())),
                    Some(item) => Ok(if is_done(item) {
                        ClaimOutcome::Done
                    } else {
                        ClaimOutcome::Busy { until: get_i64(item, "lease_until").unwrap_or(now) }
                    }),
                },
                _ => Err(unavailable(e)),
            },
        }
    }

    /// Mark done (setting `assignments` with `values`) and drop the lease; only its owner may.
    async fn complete_lease<const N: usize>(
        &self,
        (pk, sk): (AttributeValue, AttributeValue),
        owner: &str,
        assignments: &str,
        values: [(&str, AttributeValue); N],
    ) -> Result<(), StoreError> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .update_expression(format!("SET #done = :true, {assignments} REMOVE lease_owner, lease_until"))
            .condition_expression("lease_owner = :o")
            .expression_attribute_names("#done", "done")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":o", s(owner));
        for (name, value) in values {
            req = req.expression_attribute_values(name, value);
        }
        map_owner_condition(req.send().await.map(|_| ()))
    }

    /// Give the lease back after a failure; not owning it any more is fine (someone took over).
    async fn release_lease(
        &self,
        (pk, sk): (AttributeValue, AttributeValue),
        owner: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .update_expression("SET last_error = :e REMOVE lease_owner, lease_until")
            .condition_expression("lease_owner = :o")
            .expression_attribute_values(":e", s(error))
            .expression_attribute_values(":o", s(owner))
            .send()
            .await;
        match map_owner_condition(result.map(|_| ())) {
            Err(StoreError::LeaseLost) => Ok(()),
            other => other,
        }
    }

    /// An item whose content is one JSON document in attribute `attr` (plus one extra attribute).
    async fn put_json<T: serde::Serialize>(
        &self,
        pk: AttributeValue,
        sk: &str,
        attr: &str,
        value: &T,
        extra: Option<(&str, AttributeValue)>,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut req =
            self.client.put_item().table_name(&self.table).item("pk", pk).item("sk", s(sk)).item(attr, s(json));
        if let Some((name, v)) = extra {
            req = req.item(name, v);
        }
        req.send().await.map_err(unavailable)?;
        Ok(())
    }

    /// The JSON documents in `attr` of the items under `pk`, in sort-key order (strongly
    /// consistent), at most `limit` of them (all when None).
    async fn query_json<T: serde::de::DeserializeOwned>(
        &self,
        pk: AttributeValue,
        attr: &str,
        limit: Option<usize>,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let wanted = limit.map(|l| l.saturating_sub(out.len()).clamp(1, 1000) as i32);
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", pk.clone())
                .consistent_read(true)
                .set_limit(wanted)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items() {
                let json = get_str(item, attr).ok_or_else(|| StoreError::Corrupt(format!("item without {attr}")))?;
                out.push(serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("{attr}: {e}")))?);
            }
            start = page.last_evaluated_key;
            if start.is_none() || limit.is_some_and(|l| out.len() >= l) {
                return Ok(out);
            }
        }
    }

    /// Creates the table as `template.yaml` declares it (on-demand, TTL on `expires_at`).
    /// For local runs and tests; on AWS the stack owns the table.
    pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
        let attr = |name: &str| {
            AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
        };
        let key = |name: &str, kt| KeySchemaElement::builder().attribute_name(name).key_type(kt).build();
        client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("pk").map_err(|e| StoreError::Unavailable(e.to_string()))?)
            .attribute_definitions(attr("sk").map_err(|e| StoreError::Unavailable(e.to_string()))?)
            .key_schema(key("pk", KeyType::Hash).map_err(|e| StoreError::Unavailable(e.to_string()))?)
            .key_schema(key("sk", KeyType::Range).map_err(|e| StoreError::Unavailable(e.to_string()))?)
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
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?,
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
        let (pk, sk) = msg_key(account, &msg.id);
        let payload = serde_json::to_string(msg).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", pk)
            .item("sk", sk)
            .item("payload", s(payload))
            .item("done", AttributeValue::Bool(false))
            .item("attempts", n(0))
            .item("received_at", n(now))
            .item("expires_at", n(now + MESSAGE_RETENTION_SECS))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(RecordOutcome::New),
            Err(e) => match e.as_service_error() {
                Some(aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(ccf)) => {
                    let done =
                        ccf.item().and_then(|i| i.get("done")).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false);
                    Ok(if done { RecordOutcome::AlreadyDone } else { RecordOutcome::Pending })
                }
                _ => Err(unavailable(e)),
            },
        }
    }

    async fn claim_message(
        &self,
        account: &AccountId,
        message_id: &str,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        // Messages exist from intake on; a claim on a missing one is a bug, not a new item.
        self.claim_lease(msg_key(account, message_id), owner, now, lease_secs).await
    }

    async fn complete_message(
        &self,
        account: &AccountId,
        message_id: &str,
        owner: &str,
        task_id: i64,
        comment_id: i64,
    ) -> Result<(), StoreError> {
        let values = [(":t", n(task_id)), (":c", n(comment_id))];
        self.complete_lease(msg_key(account, message_id), owner, "task_id = :t, comment_id = :c", values).await
    }

    async fn release_message(
        &self,
        account: &AccountId,
        message_id: &str,
        owner: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        self.release_lease(msg_key(account, message_id), owner, error).await
    }

    async fn add_to_inbox(&self, account: &AccountId, entry: &InboxEntry) -> Result<(), StoreError> {
        let expires = n(bridge_core::domain::unix_now() + MESSAGE_RETENTION_SECS);
        self.put_json(
            inbox_pk(account, &entry.message.from),
            &entry.order,
            "entry",
            entry,
            Some(("expires_at", expires)),
        )
        .await
    }

    async fn inbox(&self, account: &AccountId, phone: &Phone, limit: usize) -> Result<Vec<InboxEntry>, StoreError> {
        self.query_json(inbox_pk(account, phone), "entry", Some(limit)).await
    }

    async fn remove_from_inbox(&self, account: &AccountId, phone: &Phone, order: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", inbox_pk(account, phone))
            .key("sk", s(order))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn put_dead_letter(&self, account: &AccountId, letter: &DeadLetter) -> Result<(), StoreError> {
        self.put_json(dead_pk(account), &letter.key, "letter", letter, Some(("failed_at", n(letter.failed_at)))).await
    }

    async fn list_dead_letters(&self, account: &AccountId) -> Result<Vec<DeadLetter>, StoreError> {
        self.query_json(dead_pk(account), "letter", None).await
    }

    async fn remove_dead_letter(&self, account: &AccountId, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", dead_pk(account))
            .key("sk", s(key))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get_link(&self, account: &AccountId, phone: &Phone) -> Result<Option<LinkRecord>, StoreError> {
        let (pk, sk) = link_key(account, phone);
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item().map(link_record))
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
        let (pk, sk) = link_key(account, phone);
        if expected_task.is_none() {
            // A new conversation: create the (empty) item first so the lease is always a
            // conditional update of an existing item, like every other lease here.
            self.put_if_absent(pk.clone(), sk.clone()).await?;
        }
        let task_condition = if expected_task.is_some() { "task_id = :t" } else { "attribute_not_exists(task_id)" };
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .update_expression("SET lease_owner = :o, lease_until = :u")
            .condition_expression(format!("attribute_exists(pk) AND {task_condition} AND (attribute_not_exists(lease_until) OR lease_until < :now)"))
            .expression_attribute_values(":o", s(owner))
            .expression_attribute_values(":u", n(now + lease_secs))
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(t) = expected_task {
            req = req.expression_attribute_values(":t", n(t));
        }
        match req.send().await {
            Ok(out) => Ok(LinkLock::Acquired { current: out.attributes().map(link_record).and_then(|r| r.link) }),
            Err(e) => match e.as_service_error() {
                Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(
                    ccf,
                )) => Ok(LinkLock::Contended(
                    ccf.item().map(link_record).unwrap_or(LinkRecord { link: None, lease_until: None }),
                )),
                _ => Err(unavailable(e)),
            },
        }
    }

    async fn commit_link(
        &self,
        account: &AccountId,
        phone: &Phone,
        owner: &str,
        link: &ConversationLink,
    ) -> Result<(), StoreError> {
        let (pk, sk) = link_key(account, phone);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .update_expression(
                "SET contact_id = :c, task_id = :t, task_count = :n, updated_at = :ts REMOVE lease_owner, lease_until",
            )
            .condition_expression("lease_owner = :o")
            .expression_attribute_values(":c", n(link.contact_id))
            .expression_attribute_values(":t", n(link.task_id))
            .expression_attribute_values(":n", n(link.task_count as i64))
            .expression_attribute_values(":ts", n(link.updated_at))
            .expression_attribute_values(":o", s(owner))
            .send()
            .await;
        map_owner_condition(result.map(|_| ()))
    }

    async fn unlock_link(&self, account: &AccountId, phone: &Phone, owner: &str) -> Result<(), StoreError> {
        self.release_lease(link_key(account, phone), owner, "conversation setup failed").await
    }

    async fn put_task_conversation(
        &self,
        account: &AccountId,
        task_id: i64,
        conv: &TaskConversation,
    ) -> Result<(), StoreError> {
        let (pk, sk) = task_key(account, task_id);
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", pk)
            .item("sk", sk)
            .item("phone", s(conv.phone.digits()))
            .item("contact_id", n(conv.contact_id))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get_task_conversation(
        &self,
        account: &AccountId,
        task_id: i64,
    ) -> Result<Option<TaskConversation>, StoreError> {
        let (pk, sk) = task_key(account, task_id);
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = out.item() else { return Ok(None) };
        let phone = get_str(item, "phone").and_then(|p| Phone::parse(p).ok());
        match (phone, get_i64(item, "contact_id")) {
            (Some(phone), Some(contact_id)) => Ok(Some(TaskConversation { phone, contact_id })),
            _ => Err(StoreError::Corrupt(format!("task item {task_id} of {account} is incomplete"))),
        }
    }

    async fn claim_job(
        &self,
        account: &AccountId,
        job: &str,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        // Create, then claim: the claim stays a conditional update of an existing item, the
        // same single-writer decision as for messages.
        let (pk, sk) = job_key(account, job);
        let extra = [
            ("done", AttributeValue::Bool(false)),
            ("attempts", n(0)),
            ("expires_at", n(now + MESSAGE_RETENTION_SECS)),
        ];
        self.put_if_absent_with(pk.clone(), sk.clone(), extra).await?;
        self.claim_lease((pk, sk), owner, now, lease_secs).await
    }

    async fn complete_job(&self, account: &AccountId, job: &str, owner: &str, outcome: &str) -> Result<(), StoreError> {
        self.complete_lease(job_key(account, job), owner, "outcome = :out", [(":out", s(outcome))]).await
    }

    async fn release_job(&self, account: &AccountId, job: &str, owner: &str, error: &str) -> Result<(), StoreError> {
        self.release_lease(job_key(account, job), owner, error).await
    }

    async fn put_sent(
        &self,
        account: &AccountId,
        provider_message_id: &str,
        record: &SentRecord,
    ) -> Result<(), StoreError> {
        let (pk, sk) = sent_key(account, provider_message_id);
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .update_expression(if record.author.is_some() {
                "SET comment_id = :c, task_id = :t, author = :a, expires_at = :exp"
            } else {
                "SET comment_id = :c, task_id = :t, expires_at = :exp"
            })
            .expression_attribute_values(":c", n(record.comment_id))
            .expression_attribute_values(":t", n(record.task_id))
            .expression_attribute_values(":exp", n(bridge_core::domain::unix_now() + MESSAGE_RETENTION_SECS));
        if let Some(a) = &record.author {
            req = req.expression_attribute_values(":a", s(a.clone()));
        }
        req.send().await.map_err(unavailable)?;
        Ok(())
    }

    async fn get_sent(&self, account: &AccountId, provider_message_id: &str) -> Result<Option<SentRecord>, StoreError> {
        let (pk, sk) = sent_key(account, provider_message_id);
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item().and_then(|item| {
            Some(SentRecord {
                comment_id: get_i64(item, "comment_id")?,
                task_id: get_i64(item, "task_id")?,
                author: get_str(item, "author").map(str::to_owned),
            })
        }))
    }

    async fn advance_delivery_status(
        &self,
        account: &AccountId,
        provider_message_id: &str,
        status: &str,
        rank: u8,
    ) -> Result<bool, StoreError> {
        let (pk, sk) = sent_key(account, provider_message_id);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .update_expression("SET delivery_status = :s, status_rank = :r")
            .condition_expression("attribute_exists(pk) AND (attribute_not_exists(status_rank) OR status_rank < :r)")
            .expression_attribute_values(":s", s(status))
            .expression_attribute_values(":r", n(rank as i64))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.as_service_error(), Some(err) if err.is_conditional_check_failed_exception()) => {
                Ok(false)
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn reserve_slot(
        &self,
        account: &AccountId,
        key: &str,
        now_ms: i64,
        interval_ms: i64,
    ) -> Result<i64, StoreError> {
        // Idle clock: take "now" (conditional write). Busy clock: ADD one interval atomically and
        // take the slot before the new value. Two writes at most, no compare-and-swap loop, and
        // concurrent instances never share a slot.
        let (pk, sk) = rate_key(account, key);
        self.put_if_absent_with(pk.clone(), sk.clone(), [("next_at", n(0))]).await?;
        let idle = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk.clone())
            .key("sk", sk.clone())
            .update_expression("SET next_at = :next")
            .condition_expression("next_at <= :now")
            .expression_attribute_values(":next", n(now_ms + interval_ms))
            .expression_attribute_values(":now", n(now_ms))
            .send()
            .await;
        match idle {
            Ok(_) => return Ok(now_ms),
            Err(e) if matches!(e.as_service_error(), Some(err) if err.is_conditional_check_failed_exception()) => {}
            Err(e) => return Err(unavailable(e)),
        }
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .update_expression("ADD next_at :interval")
            .expression_attribute_values(":interval", n(interval_ms))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(unavailable)?;
        let next = out
            .attributes()
            .and_then(|a| get_i64(a, "next_at"))
            .ok_or_else(|| StoreError::Corrupt(format!("pacing clock {key} of {account} has no value")))?;
        Ok(next - interval_ms)
    }

    async fn get_settings(&self, account: &AccountId) -> Result<Option<Settings>, StoreError> {
        let (pk, sk) = settings_key(account);
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .send()
            .await
            .map_err(unavailable)?;
        match out.item().and_then(|i| get_str(i, "settings")) {
            Some(json) => serde_json::from_str(json)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("settings of {account}: {e}"))),
            None => Ok(None),
        }
    }

    async fn put_settings(&self, account: &AccountId, settings: &Settings) -> Result<(), StoreError> {
        let (pk, sk) = settings_key(account);
        let json = serde_json::to_string(settings).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", pk)
            .item("sk", sk)
            .item("settings", s(json))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

fn map_owner_condition(
    result: Result<
        (),
        SdkError<
            aws_sdk_dynamodb::operation::update_item::UpdateItemError,
            aws_sdk_dynamodb::config::http::HttpResponse,
        >,
    >,
) -> Result<(), StoreError> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if matches!(e.as_service_error(), Some(err) if err.is_conditional_check_failed_exception()) => {
            Err(StoreError::LeaseLost)
        }
        Err(e) => Err(unavailable(e)),
    }
}
