//! The one lease protocol behind message and job items (claim, complete, release); conversation
//! links reuse the release.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

use bridge_core::ports::store::{ClaimOutcome, StoreError};

use super::attrs::{get_i64, is_done, map_owner_condition, n, s, unavailable};
use super::DynamoStore;

impl DynamoStore {
    /// The one lease protocol behind message and job items: take the item's lease if it is not
    /// done and no live lease exists (an expired one is taken over). The item must exist.
    pub(super) async fn claim_lease(
        &self,
        (pk, sk): (AttributeValue, AttributeValue),
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        let req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .update_expression("SET lease_owner = :o, lease_until = :u ADD attempts :one")
            .condition_expression(
                "attribute_exists(pk) AND #done = :false AND (attribute_not_exists(lease_until) OR lease_until < :now)",
            )
            .expression_attribute_names("#done", "done")
            .expression_attribute_values(":o", s(owner))
            .expression_attribute_values(":u", n(now + lease_secs))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match req.send().await {
            Ok(out) => Ok(ClaimOutcome::Claimed {
                attempt: out.attributes().and_then(|a| get_i64(a, "attempts")).unwrap_or(1) as u32,
            }),
            Err(e) => match e.as_service_error() {
                Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(
                    ccf,
                )) => match ccf.item() {
                    None => Err(StoreError::Corrupt("claimed an item that was never created".into())),
                    Some(item) => Ok(if is_done(item) {
                        ClaimOutcome::Done
                    } else {
                        ClaimOutcome::Busy { until: get_i64(item, "lease_until").unwrap_or(now) }
                    }),
                },
                _ => Err(unavailable(e)),
            },
        }
    }

    /// Mark done (setting `assignments` with `values`, removing the attributes `drop`) and drop
    /// the lease; only its owner may.
    pub(super) async fn complete_lease<const N: usize>(
        &self,
        (pk, sk): (AttributeValue, AttributeValue),
        owner: &str,
        assignments: &str,
        drop: &[&str],
        values: [(&str, AttributeValue); N],
    ) -> Result<(), StoreError> {
        let removed: String = drop.iter().map(|name| format!(", {name}")).collect();
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .update_expression(format!("SET #done = :true, {assignments} REMOVE lease_owner, lease_until{removed}"))
            .condition_expression("lease_owner = :o")
            .expression_attribute_names("#done", "done")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":o", s(owner));
        for (name, value) in values {
            req = req.expression_attribute_values(name, value);
        }
        map_owner_condition(req.send().await.map(|_| ()))
    }

    /// Give the lease back after a failure; not owning it any more is fine (someone took over).
    pub(super) async fn release_lease(
        &self,
        (pk, sk): (AttributeValue, AttributeValue),
        owner: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .update_expression("SET last_error = :e REMOVE lease_owner, lease_until")
            .condition_expression("lease_owner = :o")
            .expression_attribute_values(":e", s(error))
            .expression_attribute_values(":o", s(owner))
            .send()
            .await;
        match map_owner_condition(result.map(|_| ())) {
            Err(StoreError::LeaseLost) => Ok(()),
            other => other,
        }
    }
}
