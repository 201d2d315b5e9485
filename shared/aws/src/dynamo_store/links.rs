//! Conversation link items (phone → contact and task), guarded by a lease while a conversation
//! is set up.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

use bridge_core::domain::{AccountId, Phone};
use bridge_core::ports::store::{ConversationLink, LinkLock, LinkRecord, StoreError};

use super::attrs::{get_i64, map_owner_condition, n, s, unavailable, Item};
use super::keys::link_key;
use super::DynamoStore;

pub(super) fn record_of(item: &Item) -> LinkRecord {
    let link = match (get_i64(item, "contact_id"), get_i64(item, "task_id")) {
        (Some(contact_id), Some(task_id)) => Some(ConversationLink {
            contact_id,
            task_id,
            task_count: get_i64(item, "task_count").unwrap_or(1) as u32,
            updated_at: get_i64(item, "updated_at").unwrap_or(0),
            task_closed: item.get("task_closed").and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
        }),
        _ => None,
    };
    LinkRecord { link, lease_until: get_i64(item, "lease_until") }
}

pub(super) async fn get(
    store: &DynamoStore,
    account: &AccountId,
    phone: &Phone,
) -> Result<Option<LinkRecord>, StoreError> {
    let (pk, sk) = link_key(account, phone);
    let out = store
        .client
        .get_item()
        .table_name(&store.table)
        .key("pk", pk)
        .key("sk", sk)
        .consistent_read(true)
        .send()
        .await
        .map_err(unavailable)?;
    Ok(out.item().map(record_of))
}

pub(super) async fn lock(
    store: &DynamoStore,
    account: &AccountId,
    phone: &Phone,
    expected_task: Option<i64>,
    owner: &str,
    now: i64,
    lease_secs: i64,
) -> Result<LinkLock, StoreError> {
    let (pk, sk) = link_key(account, phone);
    // A new conversation's item exists already (its drain lease is on it); if not, the update
    // creates it, which is what a first lease on it means.
    let task_condition = if expected_task.is_some() { "task_id = :t" } else { "attribute_not_exists(task_id)" };
    let mut req = store
        .client
        .update_item()
        .table_name(&store.table)
        .key("pk", pk)
        .key("sk", sk)
        .update_expression("SET lease_owner = :o, lease_until = :u")
        .condition_expression(format!("{task_condition} AND (attribute_not_exists(lease_until) OR lease_until < :now)"))
        .expression_attribute_values(":o", s(owner))
        .expression_attribute_values(":u", n(now + lease_secs))
        .expression_attribute_values(":now", n(now))
        .return_values(ReturnValue::AllOld)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
    if let Some(t) = expected_task {
        req = req.expression_attribute_values(":t", n(t));
    }
    match req.send().await {
        Ok(out) => Ok(LinkLock::Acquired { current: out.attributes().map(record_of).and_then(|r| r.link) }),
        Err(e) => match e.as_service_error() {
            Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(ccf)) => {
                Ok(LinkLock::Contended(
                    ccf.item().map(record_of).unwrap_or(LinkRecord { link: None, lease_until: None }),
                ))
            }
            _ => Err(unavailable(e)),
        },
    }
}

pub(super) async fn commit(
    store: &DynamoStore,
    account: &AccountId,
    phone: &Phone,
    owner: &str,
    link: &ConversationLink,
) -> Result<(), StoreError> {
    let (pk, sk) = link_key(account, phone);
    let result = store
        .client
        .update_item()
        .table_name(&store.table)
        .key("pk", pk)
        .key("sk", sk)
        .update_expression(
            "SET contact_id = :c, task_id = :t, task_count = :n, updated_at = :ts, task_closed = :closed REMOVE lease_owner, lease_until",
        )
        .condition_expression("lease_owner = :o")
        .expression_attribute_values(":c", n(link.contact_id))
        .expression_attribute_values(":t", n(link.task_id))
        .expression_attribute_values(":n", n(link.task_count as i64))
        .expression_attribute_values(":ts", n(link.updated_at))
        .expression_attribute_values(":closed", AttributeValue::Bool(link.task_closed))
        .expression_attribute_values(":o", s(owner))
        .send()
        .await;
    map_owner_condition(result.map(|_| ()))
}

pub(super) async fn unlock(
    store: &DynamoStore,
    account: &AccountId,
    phone: &Phone,
    owner: &str,
) -> Result<(), StoreError> {
    store.release_lease(link_key(account, phone), owner, "conversation setup failed").await
}

/// The link's `task_closed`, only while it still points at `task_id`; the lease attributes are
/// not touched (a setup in progress commits its own link, which then wins).
pub(super) async fn set_task_closed(
    store: &DynamoStore,
    account: &AccountId,
    phone: &Phone,
    task_id: i64,
    closed: bool,
) -> Result<bool, StoreError> {
    let (pk, sk) = link_key(account, phone);
    let result = store
        .client
        .update_item()
        .table_name(&store.table)
        .key("pk", pk)
        .key("sk", sk)
        .update_expression("SET task_closed = :closed")
        .condition_expression("attribute_exists(pk) AND task_id = :t")
        .expression_attribute_values(":closed", AttributeValue::Bool(closed))
        .expression_attribute_values(":t", n(task_id))
        .send()
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(e) if matches!(e.as_service_error(), Some(err) if err.is_conditional_check_failed_exception()) => Ok(false),
        Err(e) => Err(unavailable(e)),
    }
}
