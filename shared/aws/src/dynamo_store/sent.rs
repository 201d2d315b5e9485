//! Sent items: provider message id → the Planfix comment it came from, and its delivery status.

use bridge_core::domain::AccountId;
use bridge_core::ports::store::{SentRecord, StoreError};

use super::attrs::{get_i64, get_str, n, s, unavailable};
use super::keys::sent_key;
use super::{DynamoStore, SENT_RETENTION_SECS};

pub(super) async fn put(
    store: &DynamoStore,
    account: &AccountId,
    provider_message_id: &str,
    record: &SentRecord,
) -> Result<(), StoreError> {
    let (pk, sk) = sent_key(account, provider_message_id);
    let mut req = store
        .client
        .update_item()
        .table_name(&store.table)
        .key("pk", pk)
        .key("sk", sk)
        .update_expression(format!(
            "SET comment_id = :c, task_id = :t, expires_at = :exp{}{}",
            if record.author.is_some() { ", author = :a" } else { "" },
            if record.excerpt.is_some() { ", excerpt = :x" } else { "" },
        ))
        .expression_attribute_values(":c", n(record.comment_id))
        .expression_attribute_values(":t", n(record.task_id))
        .expression_attribute_values(":exp", n(bridge_core::domain::unix_now() + SENT_RETENTION_SECS));
    if let Some(a) = &record.author {
        req = req.expression_attribute_values(":a", s(a.clone()));
    }
    if let Some(x) = &record.excerpt {
        req = req.expression_attribute_values(":x", s(x.clone()));
    }
    req.send().await.map_err(unavailable)?;
    Ok(())
}

pub(super) async fn get(
    store: &DynamoStore,
    account: &AccountId,
    provider_message_id: &str,
) -> Result<Option<SentRecord>, StoreError> {
    let (pk, sk) = sent_key(account, provider_message_id);
    let out = store
        .client
        .get_item()
        .table_name(&store.table)
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
            excerpt: get_str(item, "excerpt").map(str::to_owned),
        })
    }))
}

pub(super) async fn advance_delivery_status(
    store: &DynamoStore,
    account: &AccountId,
    provider_message_id: &str,
    status: &str,
    rank: u8,
) -> Result<bool, StoreError> {
    let (pk, sk) = sent_key(account, provider_message_id);
    let result = store
        .client
        .update_item()
        .table_name(&store.table)
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
        Err(e) if matches!(e.as_service_error(), Some(err) if err.is_conditional_check_failed_exception()) => Ok(false),
        Err(e) => Err(unavailable(e)),
    }
}
