//! Task items: task → conversation (phone and contact), so replies find their way back.

use bridge_core::domain::{AccountId, Phone};
use bridge_core::ports::store::{StoreError, TaskConversation};

use super::attrs::{get_i64, get_str, n, s, unavailable};
use super::keys::task_key;
use super::DynamoStore;

pub(super) async fn put(
    store: &DynamoStore,
    account: &AccountId,
    task_id: i64,
    conv: &TaskConversation,
) -> Result<(), StoreError> {
    let (pk, sk) = task_key(account, task_id);
    store
        .client
        .put_item()
        .table_name(&store.table)
        .item("pk", pk)
        .item("sk", sk)
        .item("phone", s(conv.phone.digits()))
        .item("contact_id", n(conv.contact_id))
        .send()
        .await
        .map_err(unavailable)?;
    Ok(())
}

pub(super) async fn get(
    store: &DynamoStore,
    account: &AccountId,
    task_id: i64,
) -> Result<Option<TaskConversation>, StoreError> {
    let (pk, sk) = task_key(account, task_id);
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
    let phone = get_str(item, "phone").and_then(|p| Phone::parse(p).ok());
    match (phone, get_i64(item, "contact_id")) {
        (Some(phone), Some(contact_id)) => Ok(Some(TaskConversation { phone, contact_id })),
        _ => Err(StoreError::Corrupt(format!("task item {task_id} of {account} is incomplete"))),
    }
}
