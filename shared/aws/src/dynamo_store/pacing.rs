//! Pacing clocks: request slots shared by every instance (Planfix's 1 request/s).

use aws_sdk_dynamodb::types::ReturnValue;

use bridge_core::domain::AccountId;
use bridge_core::ports::store::StoreError;

use super::attrs::{get_i64, n, unavailable};
use super::keys::rate_key;
use super::DynamoStore;

pub(super) async fn reserve_slot(
    store: &DynamoStore,
    account: &AccountId,
    key: &str,
    now_ms: i64,
    interval_ms: i64,
) -> Result<i64, StoreError> {
    // Idle clock: take "now" (conditional write). Busy clock: ADD one interval atomically and
    // take the slot before the new value. Two writes at most, no compare-and-swap loop, and
    // concurrent instances never share a slot.
    let (pk, sk) = rate_key(account, key);
    store.put_if_absent_with(pk.clone(), sk.clone(), [("next_at", n(0))]).await?;
    let idle = store
        .client
        .update_item()
        .table_name(&store.table)
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
    let out = store
        .client
        .update_item()
        .table_name(&store.table)
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
