//! Message items: the dedupe record written at intake, and its processing lease.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};

use bridge_core::domain::{AccountId, InboundMessage};
use bridge_core::ports::store::{ClaimOutcome, RecordOutcome, StoreError};

use super::attrs::{n, s, unavailable};
use super::items::ABSENT_OR_EXPIRED;
use super::keys::msg_key;
use super::{DynamoStore, MARK_RETENTION_SECS};

/// Creates the item unless a live one exists (an expired one that TTL has not deleted yet counts
/// as absent and is replaced: a dead letter's replay re-records its message this way).
pub(super) async fn record(
    store: &DynamoStore,
    account: &AccountId,
    msg: &InboundMessage,
    now: i64,
) -> Result<RecordOutcome, StoreError> {
    let (pk, sk) = msg_key(account, &msg.id);
    let payload = serde_json::to_string(msg).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    // The first words outlive the payload: a later reaction, reply or edit quotes them.
    let excerpt = msg.content.quotable_text().and_then(bridge_core::ports::store::excerpt);
    let result = store
        .client
        .put_item()
        .set_item(excerpt.map(|e| [("excerpt".to_owned(), s(e))].into()))
        .table_name(&store.table)
        .item("pk", pk)
        .item("sk", sk)
        .item("payload", s(payload))
        .item("done", AttributeValue::Bool(false))
        .item("attempts", n(0))
        .item("received_at", n(now))
        .item("expires_at", n(now + MARK_RETENTION_SECS))
        .condition_expression(ABSENT_OR_EXPIRED)
        .expression_attribute_values(":now", n(now))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await;
    match result {
        Ok(_) => Ok(RecordOutcome::New),
        Err(e) => match e.as_service_error() {
            Some(aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(ccf)) => {
                let done =
                    ccf.item().and_then(|i| i.get("done")).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false);
                Ok(if done { RecordOutcome::AlreadyDone } else { RecordOutcome::Pending })
            }
            _ => Err(unavailable(e)),
        },
    }
}

pub(super) async fn claim(
    store: &DynamoStore,
    account: &AccountId,
    message_id: &str,
    owner: &str,
    now: i64,
    lease_secs: i64,
) -> Result<ClaimOutcome, StoreError> {
    // Messages exist from intake on; a claim on a missing one is a bug, not a new item.
    store.claim_lease(msg_key(account, message_id), owner, now, lease_secs).await
}

pub(super) async fn complete(
    store: &DynamoStore,
    account: &AccountId,
    message_id: &str,
    owner: &str,
    task_id: i64,
    comment_id: i64,
) -> Result<(), StoreError> {
    let values = [(":t", n(task_id)), (":c", n(comment_id))];
    // Done, the mark is all that must last: the payload goes (the inbox entry carried it).
    store
        .complete_lease(msg_key(account, message_id), owner, "task_id = :t, comment_id = :c", &["payload"], values)
        .await
}

pub(super) async fn release(
    store: &DynamoStore,
    account: &AccountId,
    message_id: &str,
    owner: &str,
    error: &str,
) -> Result<(), StoreError> {
    store.release_lease(msg_key(account, message_id), owner, error).await
}
