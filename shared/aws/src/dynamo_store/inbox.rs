//! Inbox items: a conversation's recorded, unprocessed messages in send order.

use bridge_core::domain::{AccountId, Phone};
use bridge_core::ports::store::{InboxEntry, StoreError};

use super::attrs::{n, s, unavailable};
use super::keys::inbox_pk;
use super::{DynamoStore, MESSAGE_RETENTION_SECS};

pub(super) async fn add(store: &DynamoStore, account: &AccountId, entry: &InboxEntry) -> Result<(), StoreError> {
    let expires = n(bridge_core::domain::unix_now() + MESSAGE_RETENTION_SECS);
    store
        .put_json(inbox_pk(account, &entry.message.from), &entry.order, "entry", entry, Some(("expires_at", expires)))
        .await
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
