//! Dead letters: work past its retry budget, kept for replay.

use bridge_core::domain::AccountId;
use bridge_core::ports::store::{DeadLetter, StoreError};

use super::attrs::{n, s, unavailable};
use super::keys::dead_pk;
use super::DynamoStore;

pub(super) async fn put(store: &DynamoStore, account: &AccountId, letter: &DeadLetter) -> Result<(), StoreError> {
    store.put_json(dead_pk(account), &letter.key, "letter", letter, vec![("failed_at", n(letter.failed_at))]).await
}

pub(super) async fn list(store: &DynamoStore, account: &AccountId) -> Result<Vec<DeadLetter>, StoreError> {
    store.query_json(dead_pk(account), "letter", None).await
}

pub(super) async fn remove(store: &DynamoStore, account: &AccountId, key: &str) -> Result<(), StoreError> {
    store
        .client
        .delete_item()
        .table_name(&store.table)
        .key("pk", dead_pk(account))
        .key("sk", s(key))
        .send()
        .await
        .map_err(unavailable)?;
    Ok(())
}
