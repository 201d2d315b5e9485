//! Inbox items: a conversation's recorded, unprocessed messages in send order, each also in the
//! sparse `waiting` index (by when it was added) for the sweeper.

use std::collections::HashSet;

use aws_sdk_dynamodb::types::AttributeValue;

use bridge_core::domain::{AccountId, Phone};
use bridge_core::ports::store::{InboxEntry, StoreError};

use super::attrs::{get_str, n, s, unavailable};
use super::keys::inbox_pk;
use super::{DynamoStore, MARK_RETENTION_SECS, WAITING_INDEX};

/// `waiting_sk`: the time an entry was added, fixed width so the string order is the numeric
/// order, then the conversation.
fn waiting_sk(added_at: i64, phone: &Phone) -> String {
    format!("{:011}#{}", added_at.max(0), phone.digits())
}

/// The whole item of an inbox entry added at `now` (also written inside intake's transaction).
pub(super) fn item(
    account: &AccountId,
    entry: &InboxEntry,
    now: i64,
) -> Result<Vec<(&'static str, AttributeValue)>, StoreError> {
    let json = serde_json::to_string(entry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let phone = &entry.message.from;
    Ok(vec![
        ("pk", inbox_pk(account, phone)),
        ("sk", s(&entry.order)),
        ("entry", s(json)),
        ("expires_at", n(now + MARK_RETENTION_SECS)),
        ("waiting_pk", s(account.as_str())),
        ("waiting_sk", s(waiting_sk(now, phone))),
    ])
}

pub(super) async fn add(store: &DynamoStore, account: &AccountId, entry: &InboxEntry) -> Result<(), StoreError> {
    let mut req = store.client.put_item().table_name(&store.table);
    for (name, value) in item(account, entry, bridge_core::domain::unix_now())? {
        req = req.item(name, value);
    }
    req.send().await.map_err(unavailable)?;
    Ok(())
}

pub(super) async fn list(
    store: &DynamoStore,
    account: &AccountId,
    phone: &Phone,
    limit: usize,
) -> Result<Vec<InboxEntry>, StoreError> {
    store.query_json(inbox_pk(account, phone), "entry", Some(limit)).await
}

pub(super) async fn remove(
    store: &DynamoStore,
    account: &AccountId,
    phone: &Phone,
    order: &str,
) -> Result<(), StoreError> {
    store
        .client
        .delete_item()
        .table_name(&store.table)
        .key("pk", inbox_pk(account, phone))
        .key("sk", s(order))
        .send()
        .await
        .map_err(unavailable)?;
    Ok(())
}

/// The `waiting` index, oldest first, up to the cut-off: the conversations in the order their
/// longest-waiting entry came; then the head of each inbox, read strongly consistent (the index
/// lags, and its oldest entry need not be the first in send order).
pub(super) async fn stale(
    store: &DynamoStore,
    account: &AccountId,
    older_than: i64,
    limit: usize,
) -> Result<Vec<InboxEntry>, StoreError> {
    let prefix = format!("{account}#INBOX#");
    let mut phones: Vec<Phone> = Vec::new();
    let mut seen = HashSet::new();
    let mut start = None;
    while phones.len() < limit {
        let page = store
            .client
            .query()
            .table_name(&store.table)
            .index_name(WAITING_INDEX)
            .key_condition_expression("waiting_pk = :a AND waiting_sk < :cut")
            .expression_attribute_values(":a", s(account.as_str()))
            // Every key of an entry added at `older_than` or later sorts at or after this.
            .expression_attribute_values(":cut", s(format!("{:011}", older_than.max(0))))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(unavailable)?;
        for item in page.items() {
            let digits = get_str(item, "pk")
                .and_then(|pk| pk.strip_prefix(&prefix))
                .ok_or_else(|| StoreError::Corrupt("a waiting index entry that is not an inbox item".into()))?;
            if phones.len() < limit && seen.insert(digits.to_owned()) {
                let phone = Phone::parse(digits)
                    .map_err(|e| StoreError::Corrupt(format!("an inbox of {account} has a bad phone: {e}")))?;
                phones.push(phone);
            }
        }
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    let mut heads = Vec::with_capacity(phones.len());
    for phone in &phones {
        // Drained since the index said so: nothing waits there any more.
        heads.extend(list(store, account, phone, 1).await?);
    }
    Ok(heads)
}
