//! Item operations shared by the topic modules: create-if-absent, and items whose content is
//! one JSON document (inbox entries, dead letters).

use aws_sdk_dynamodb::types::AttributeValue;

use bridge_core::ports::store::StoreError;

use super::attrs::{get_str, n, s, unavailable};
use super::DynamoStore;

/// No item, or one past its `expires_at` (`:now`): what a create may replace.
pub(super) const ABSENT_OR_EXPIRED: &str = "attribute_not_exists(pk) OR expires_at < :now";

impl DynamoStore {
    /// Creates the item unless it exists (then nothing changes).
    pub(super) async fn put_if_absent_with<const N: usize>(
        &self,
        pk: AttributeValue,
        sk: AttributeValue,
        attrs: [(&str, AttributeValue); N],
    ) -> Result<(), StoreError> {
        self.put_unless(pk, sk, "attribute_not_exists(pk)", None, attrs).await
    }

    /// Creates the item unless a live one exists: one past its `expires_at` (as of `now`), which
    /// TTL has not deleted yet, counts as absent and is replaced, as in the SQLite store.
    pub(super) async fn put_unless_alive<const N: usize>(
        &self,
        pk: AttributeValue,
        sk: AttributeValue,
        now: i64,
        attrs: [(&str, AttributeValue); N],
    ) -> Result<(), StoreError> {
        self.put_unless(pk, sk, ABSENT_OR_EXPIRED, Some(now), attrs).await
    }

    async fn put_unless<const N: usize>(
        &self,
        pk: AttributeValue,
        sk: AttributeValue,
        condition: &str,
        now: Option<i64>,
        attrs: [(&str, AttributeValue); N],
    ) -> Result<(), StoreError> {
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", pk)
            .item("sk", sk)
            .condition_expression(condition);
        if let Some(now) = now {
            req = req.expression_attribute_values(":now", n(now));
        }
        for (name, value) in attrs {
            req = req.item(name, value);
        }
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.as_service_error(), Some(err) if err.is_conditional_check_failed_exception()) => {
                Ok(())
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    /// An item whose content is one JSON document in attribute `attr` (plus `extra` attributes).
    pub(super) async fn put_json<T: serde::Serialize>(
        &self,
        pk: AttributeValue,
        sk: &str,
        attr: &str,
        value: &T,
        extra: Vec<(&str, AttributeValue)>,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut req =
            self.client.put_item().table_name(&self.table).item("pk", pk).item("sk", s(sk)).item(attr, s(json));
        for (name, v) in extra {
            req = req.item(name, v);
        }
        req.send().await.map_err(unavailable)?;
        Ok(())
    }

    /// The JSON documents in `attr` of the items under `pk`, in sort-key order (strongly
    /// consistent), at most `limit` of them (all when None).
    pub(super) async fn query_json<T: serde::de::DeserializeOwned>(
        &self,
        pk: AttributeValue,
        attr: &str,
        limit: Option<usize>,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let wanted = limit.map(|l| l.saturating_sub(out.len()).clamp(1, 1000) as i32);
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", pk.clone())
                .consistent_read(true)
                .set_limit(wanted)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items() {
                let json = get_str(item, attr).ok_or_else(|| StoreError::Corrupt(format!("item without {attr}")))?;
                out.push(serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("{attr}: {e}")))?);
            }
            start = page.last_evaluated_key;
            if start.is_none() || limit.is_some_and(|l| out.len() >= l) {
                return Ok(out);
            }
        }
    }
}
