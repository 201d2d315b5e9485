//! Pacing clocks: request slots shared by every instance (Planfix's 1 request/s).

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};

use bridge_core::domain::AccountId;
use bridge_core::ports::store::{SlotGrant, StoreError};

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

/// Reserves `count` slots if the clock frees up within `max_wait_ms`: an idle clock is taken in
/// one conditional write; a busy one is moved on by compare-and-set from the value the failed
/// write returned (a second write), so nothing is reserved past the wait a caller accepts.
pub(super) async fn reserve_slots(
    store: &DynamoStore,
    account: &AccountId,
    key: &str,
    now_ms: i64,
    interval_ms: i64,
    count: u32,
    max_wait_ms: i64,
) -> Result<SlotGrant, StoreError> {
    let (pk, sk) = rate_key(account, key);
    let span = interval_ms.saturating_mul(i64::from(count.max(1)));
    let idle = store
        .client
        .update_item()
        .table_name(&store.table)
        .key("pk", pk.clone())
        .key("sk", sk.clone())
        .update_expression("SET next_at = :next")
        .condition_expression("attribute_not_exists(next_at) OR next_at <= :now")
        .expression_attribute_values(":next", n(now_ms + span))
        .expression_attribute_values(":now", n(now_ms))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await;
    let mut seen = match idle {
        Ok(_) => return Ok(SlotGrant::Granted { first_ms: now_ms }),
        Err(e) => match e.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(ccf)) => {
                ccf.item().and_then(|i| get_i64(i, "next_at")).unwrap_or(now_ms)
            }
            _ => return Err(unavailable(e)),
        },
    };
    // Other callers move the clock too: a few compare-and-sets, each from the value it lost to.
    for _ in 0..4 {
        if seen - now_ms > max_wait_ms {
            return Ok(SlotGrant::Later { free_at_ms: seen });
        }
        let cas = store
            .client
            .update_item()
            .table_name(&store.table)
            .key("pk", pk.clone())
            .key("sk", sk.clone())
            .update_expression("SET next_at = :next")
            .condition_expression("next_at = :seen")
            .expression_attribute_values(":next", n(seen.max(now_ms) + span))
            .expression_attribute_values(":seen", n(seen))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match cas {
            Ok(_) => return Ok(SlotGrant::Granted { first_ms: seen.max(now_ms) }),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(ccf)) => {
                    seen = ccf.item().and_then(|i| get_i64(i, "next_at")).unwrap_or(seen);
                }
                _ => return Err(unavailable(e)),
            },
        }
    }
    // Lost every race: the clock is in demand; come back when it was last seen free.
    Ok(SlotGrant::Later { free_at_ms: seen.max(now_ms + interval_ms) })
}
