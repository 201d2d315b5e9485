//! What a provider message id stands for in Planfix: a customer's message already commented
//! (its message item) or a message the bridge sent (its sent item).

use aws_sdk_dynamodb::types::KeysAndAttributes;

use bridge_core::domain::AccountId;
use bridge_core::ports::store::{MessageReference, RefAuthor, StoreError};

use super::attrs::{get_i64, get_str, is_done, unavailable, Item};
use super::keys::{msg_key, sent_key};
use super::DynamoStore;

/// One BatchGetItem of both keys: a single round trip (this runs before every reaction, reply,
/// edit and deletion is commented), at the read cost of two GetItems. Keys DynamoDB leaves
/// unprocessed (throttling) are read one by one rather than failing the message.
pub(super) async fn message_reference(
    store: &DynamoStore,
    account: &AccountId,
    provider_message_id: &str,
) -> Result<Option<MessageReference>, StoreError> {
    let (mpk, msk) = msg_key(account, provider_message_id);
    let (spk, ssk) = sent_key(account, provider_message_id);
    let keys = [[("pk", mpk), ("sk", msk)], [("pk", spk), ("sk", ssk)]];
    let mut wanted =
        KeysAndAttributes::builder().projection_expression("pk, done, task_id, comment_id, excerpt, expires_at");
    for key in &keys {
        wanted = wanted.keys(key.iter().map(|(k, v)| (k.to_string(), v.clone())).collect());
    }
    let wanted = wanted.build().map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let out = store.client.batch_get_item().request_items(&store.table, wanted).send().await.map_err(unavailable)?;
    let mut items: Vec<Item> = out.responses().and_then(|r| r.get(&store.table)).cloned().unwrap_or_default();
    if let Some(left) = out.unprocessed_keys().and_then(|u| u.get(&store.table)) {
        for key in left.keys() {
            let got = store
                .client
                .get_item()
                .table_name(&store.table)
                .set_key(Some(key.clone()))
                .send()
                .await
                .map_err(unavailable)?;
            items.extend(got.item().cloned());
        }
    }
    let now = bridge_core::domain::unix_now();
    let alive = |item: &&Item| get_i64(item, "expires_at").is_none_or(|at| at >= now);
    let is_msg = |item: &&Item| get_str(item, "pk").is_some_and(|pk| pk.contains("#MSG#"));
    // The customer's own message, once commented, wins: an id is never both.
    let found = items
        .iter()
        .filter(alive)
        .find(|i| is_msg(i) && is_done(i))
        .map(|i| (i, RefAuthor::Customer))
        .or_else(|| items.iter().filter(alive).find(|i| !is_msg(i)).map(|i| (i, RefAuthor::Business)));
    Ok(found.and_then(|(item, by)| {
        Some(MessageReference {
            task_id: get_i64(item, "task_id")?,
            comment_id: get_i64(item, "comment_id")?,
            excerpt: get_str(item, "excerpt").map(str::to_owned),
            by,
        })
    }))
}
