//! The hot path of an inbound message in as few requests as DynamoDB allows: intake writes the
//! message's once-only mark and its inbox entry in one transaction; the worker takes the
//! conversation's drain lease on the link item (one update that also returns the link), and
//! finishes each message in one transaction (mark done, entry deleted, lease extended or ended).

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, Delete, Put, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};

use bridge_core::domain::{AccountId, Phone};
use bridge_core::ports::store::{DrainNext, DrainStart, InboxEntry, RecordOutcome, StoreError};

use super::attrs::{get_i64, get_str, is_done, map_owner_condition, n, s, unavailable, Item};
use super::items::ABSENT_OR_EXPIRED;
use super::keys::{inbox_pk, link_key, msg_key};
use super::{inbox, links, DynamoStore, MARK_RETENTION_SECS};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Why each item of a cancelled transaction failed (`None`: it did not), or the error itself
/// when the transaction failed otherwise.
fn cancellation(
    e: aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> Result<Vec<CancellationReason>, StoreError> {
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(t)) => Ok(t.cancellation_reasons().to_vec()),
        _ => Err(unavailable(e)),
    }
}

fn condition_failed(reasons: &[CancellationReason], index: usize) -> bool {
    reasons.get(index).and_then(|r| r.code()) == Some("ConditionalCheckFailed")
}

/// A conflict with another transaction on the same items (or throttling): the caller retries.
fn conflict(reasons: &[CancellationReason]) -> StoreError {
    let codes: Vec<&str> = reasons.iter().filter_map(|r| r.code()).filter(|c| *c != "None").collect();
    StoreError::Unavailable(format!("transaction cancelled: {}", codes.join(", ")))
}

fn inbox_put(
    store: &DynamoStore,
    account: &AccountId,
    entry: &InboxEntry,
    now: i64,
    only_if_absent: bool,
) -> Result<aws_sdk_dynamodb::types::builders::PutBuilder, StoreError> {
    let mut put = Put::builder().table_name(&store.table);
    for (name, value) in inbox::item(account, entry, now)? {
        put = put.item(name, value);
    }
    if only_if_absent {
        put = put.condition_expression("attribute_not_exists(pk)");
    }
    Ok(put)
}

pub(super) async fn record_inbound(
    store: &DynamoStore,
    account: &AccountId,
    entry: &InboxEntry,
    now: i64,
) -> Result<RecordOutcome, StoreError> {
    let msg = &entry.message;
    let (pk, sk) = msg_key(account, &msg.id);
    let payload = serde_json::to_string(msg).map_err(corrupt)?;
    // The first words outlive the payload: a later reaction, reply or edit quotes them.
    let excerpt = msg.content.quotable_text().and_then(bridge_core::ports::store::excerpt);
    let mut mark = Put::builder()
        .table_name(&store.table)
        .item("pk", pk.clone())
        .item("sk", sk.clone())
        .item("payload", s(payload))
        .item("done", AttributeValue::Bool(false))
        .item("attempts", n(0))
        .item("received_at", n(now))
        .item("expires_at", n(now + MARK_RETENTION_SECS))
        // A redelivery finds the message's one inbox entry by this.
        .item("inbox_order", s(&entry.order))
        .condition_expression(ABSENT_OR_EXPIRED)
        .expression_attribute_values(":now", n(now))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
    if let Some(excerpt) = excerpt {
        mark = mark.item("excerpt", s(excerpt));
    }
    let entry_put = inbox_put(store, account, entry, now, false)?;
    let first = store
        .client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().put(mark.build().map_err(corrupt)?).build())
        .transact_items(TransactWriteItem::builder().put(entry_put.build().map_err(corrupt)?).build())
        .send()
        .await;
    let reasons = match first {
        Ok(_) => return Ok(RecordOutcome::New),
        Err(e) => cancellation(e)?,
    };
    if !condition_failed(&reasons, 0) {
        return Err(conflict(&reasons));
    }
    // Seen before: the mark as it is (from the cancellation, else read).
    let existing: Item = match reasons.first().and_then(|r| r.item()) {
        Some(item) => item.clone(),
        None => store
            .client
            .get_item()
            .table_name(&store.table)
            .key("pk", pk.clone())
            .key("sk", sk.clone())
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?
            .item
            .unwrap_or_default(),
    };
    if is_done(&existing) {
        return Ok(RecordOutcome::AlreadyDone);
    }
    // Pending: its one entry goes back (a crash or a dead letter may have removed it), under
    // the order it was first given, and only beside a mark that is still not done.
    let order = get_str(&existing, "inbox_order").map(str::to_owned).unwrap_or_else(|| entry.order.clone());
    let again = InboxEntry { order, ..entry.clone() };
    let check = ConditionCheck::builder()
        .table_name(&store.table)
        .key("pk", pk)
        .key("sk", sk)
        .condition_expression("#done = :false")
        .expression_attribute_names("#done", "done")
        .expression_attribute_values(":false", AttributeValue::Bool(false));
    let entry_put = inbox_put(store, account, &again, now, true)?;
    let second = store
        .client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().condition_check(check.build().map_err(corrupt)?).build())
        .transact_items(TransactWriteItem::builder().put(entry_put.build().map_err(corrupt)?).build())
        .send()
        .await;
    match second {
        Ok(_) => Ok(RecordOutcome::Pending),
        Err(e) => {
            let reasons = cancellation(e)?;
            if condition_failed(&reasons, 0) {
                Ok(RecordOutcome::AlreadyDone)
            } else if condition_failed(&reasons, 1) {
                // The entry is still there (and keeps its attempt count).
                Ok(RecordOutcome::Pending)
            } else {
                Err(conflict(&reasons))
            }
        }
    }
}

pub(super) async fn begin(
    store: &DynamoStore,
    account: &AccountId,
    phone: &Phone,
    owner: &str,
    now: i64,
    lease_secs: i64,
) -> Result<DrainStart, StoreError> {
    let (pk, sk) = link_key(account, phone);
    let result = store
        .client
        .update_item()
        .table_name(&store.table)
        .key("pk", pk)
        .key("sk", sk)
        .update_expression("SET drain_owner = :o, drain_until = :u")
        .condition_expression("attribute_not_exists(drain_until) OR drain_until < :now")
        .expression_attribute_values(":o", s(owner))
        .expression_attribute_values(":u", n(now + lease_secs))
        .expression_attribute_values(":now", n(now))
        .return_values(ReturnValue::AllOld)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await;
    match result {
        Ok(out) => {
            let old = out.attributes.unwrap_or_default();
            let interrupted = old.contains_key("drain_owner");
            Ok(DrainStart::Acquired { record: links::record_of(&old), interrupted })
        }
        Err(e) => match e.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(ccf)) => {
                Ok(DrainStart::Busy { until: ccf.item().and_then(|i| get_i64(i, "drain_until")).unwrap_or(now) })
            }
            _ => Err(unavailable(e)),
        },
    }
}

pub(super) async fn finish(
    store: &DynamoStore,
    account: &AccountId,
    entry: &InboxEntry,
    owner: &str,
    comment: Option<(i64, i64)>,
    next: DrainNext,
) -> Result<(), StoreError> {
    let (mpk, msk) = msg_key(account, &entry.message.id);
    // Done, the mark is all that must last: the payload goes (the inbox entry carried it).
    let mut mark = Update::builder()
        .table_name(&store.table)
        .key("pk", mpk)
        .key("sk", msk)
        .expression_attribute_names("#done", "done")
        .expression_attribute_values(":true", AttributeValue::Bool(true));
    mark = match comment {
        Some((task, comment)) => mark
            .update_expression(
                "SET #done = :true, task_id = :t, comment_id = :c REMOVE payload, lease_owner, lease_until",
            )
            .expression_attribute_values(":t", n(task))
            .expression_attribute_values(":c", n(comment)),
        None => mark.update_expression("SET #done = :true REMOVE payload, lease_owner, lease_until"),
    };
    let remove = Delete::builder()
        .table_name(&store.table)
        .key("pk", inbox_pk(account, &entry.message.from))
        .key("sk", s(&entry.order));
    let (lpk, lsk) = link_key(account, &entry.message.from);
    let mut lease = Update::builder()
        .table_name(&store.table)
        .key("pk", lpk)
        .key("sk", lsk)
        .condition_expression("drain_owner = :o")
        .expression_attribute_values(":o", s(owner));
    lease = match next {
        DrainNext::Extend { until } => {
            lease.update_expression("SET drain_until = :u").expression_attribute_values(":u", n(until))
        }
        DrainNext::Release => lease.update_expression("REMOVE drain_owner, drain_until"),
    };
    let result = store
        .client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(mark.build().map_err(corrupt)?).build())
        .transact_items(TransactWriteItem::builder().delete(remove.build().map_err(corrupt)?).build())
        .transact_items(TransactWriteItem::builder().update(lease.build().map_err(corrupt)?).build())
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => {
            let reasons = cancellation(e)?;
            if condition_failed(&reasons, 2) {
                Err(StoreError::LeaseLost)
            } else {
                Err(conflict(&reasons))
            }
        }
    }
}

pub(super) async fn end(
    store: &DynamoStore,
    account: &AccountId,
    phone: &Phone,
    owner: &str,
) -> Result<(), StoreError> {
    let (pk, sk) = link_key(account, phone);
    let result = store
        .client
        .update_item()
        .table_name(&store.table)
        .key("pk", pk)
        .key("sk", sk)
        .update_expression("REMOVE drain_owner, drain_until")
        .condition_expression("drain_owner = :o")
        .expression_attribute_values(":o", s(owner))
        .send()
        .await;
    match map_owner_condition(result.map(|_| ())) {
        Err(StoreError::LeaseLost) => Ok(()),
        other => other,
    }
}
