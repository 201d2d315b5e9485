//! Reaction items: which comment shows a writer's reaction to a message, and the reactions given
//! so far (a changed reaction edits that comment instead of adding one).

use bridge_core::domain::AccountId;
use bridge_core::ports::store::{ReactionNote, StoreError};

use super::attrs::{get_i64, get_str, n, s, unavailable};
use super::keys::reaction_key;
use super::{DynamoStore, SENT_RETENTION_SECS};

pub(super) async fn put(
    store: &DynamoStore,
    account: &AccountId,
    key: &str,
    note: &ReactionNote,
) -> Result<(), StoreError> {
    let (pk, sk) = reaction_key(account, key);
    let trail = serde_json::to_string(&note.trail).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    store
        .client
        .put_item()
        .table_name(&store.table)
        .item("pk", pk)
        .item("sk", sk)
        .item("task_id", n(note.task_id))
        .item("comment_id", n(note.comment_id))
        .item("trail", s(trail))
        .item("expires_at", n(bridge_core::domain::unix_now() + SENT_RETENTION_SECS))
        .send()
        .await
        .map_err(unavailable)?;
    Ok(())
}

pub(super) async fn get(
    store: &DynamoStore,
    account: &AccountId,
    key: &str,
) -> Result<Option<ReactionNote>, StoreError> {
    let (pk, sk) = reaction_key(account, key);
    let out = store
        .client
        .get_item()
        .table_name(&store.table)
        .key("pk", pk)
        .key("sk", sk)
        .send()
        .await
        .map_err(unavailable)?;
    let Some(item) = out.item() else { return Ok(None) };
    // TTL deletes lazily: an expired note is gone.
    if get_i64(item, "expires_at").is_some_and(|at| at < bridge_core::domain::unix_now()) {
        return Ok(None);
    }
    let (Some(task_id), Some(comment_id), Some(trail)) =
        (get_i64(item, "task_id"), get_i64(item, "comment_id"), get_str(item, "trail"))
    else {
        return Err(StoreError::Corrupt("reaction item without task, comment or trail".into()));
    };
    let trail = serde_json::from_str(trail).map_err(|e| StoreError::Corrupt(format!("reaction trail: {e}")))?;
    Ok(Some(ReactionNote { task_id, comment_id, trail }))
}
