//! The settings item: an account's settings as one JSON document.

use bridge_core::config::Settings;
use bridge_core::domain::AccountId;
use bridge_core::ports::store::StoreError;

use super::attrs::{get_str, s, unavailable};
use super::keys::settings_key;
use super::DynamoStore;

pub(super) async fn get(store: &DynamoStore, account: &AccountId) -> Result<Option<Settings>, StoreError> {
    let (pk, sk) = settings_key(account);
    let out = store
        .client
        .get_item()
        .table_name(&store.table)
        .key("pk", pk)
        .key("sk", sk)
        .send()
        .await
        .map_err(unavailable)?;
    match out.item().and_then(|i| get_str(i, "settings")) {
        Some(json) => {
            serde_json::from_str(json).map(Some).map_err(|e| StoreError::Corrupt(format!("settings of {account}: {e}")))
        }
        None => Ok(None),
    }
}

pub(super) async fn put(store: &DynamoStore, account: &AccountId, settings: &Settings) -> Result<(), StoreError> {
    let (pk, sk) = settings_key(account);
    let json = serde_json::to_string(settings).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    store
        .client
        .put_item()
        .table_name(&store.table)
        .item("pk", pk)
        .item("sk", sk)
        .item("settings", s(json))
        .send()
        .await
        .map_err(unavailable)?;
    Ok(())
}
