//! Item operations shared by the topic modules: create-if-absent, and items whose content is
//! one JSON document (inbox entries, dead letters).

use aws_sdk_dynamodb::types::AttributeValue;

use bridge_core::ports::store::StoreError;

use super::attrs::{get_str, s, unavailable};
use super::DynamoStore;

impl DynamoStore {
    pub(super) async fn put_if_absent(&self, pk: AttributeValue, sk: AttributeValue) -> Result<(), StoreError> {
        self.put_if_absent_with(pk, sk, []).await
    }

    /// Creates the item unless it exists (then nothing changes).
    pub(super) async fn put_if_absent_with<const N: usize>(
        &self,
        pk: AttributeValue,
        sk: AttributeValue,
        attrs: [(&str, AttributeValue); N],
    ) -> Result<(), StoreError> {
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", pk)
            .item("sk", sk)
            .condition_expression("attribute_not_exists(pk)");
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

    /// An item whose content is one JSON document in attribute `attr` (plus one extra attribute).
    pub(super) async fn put_json<T: serde::Serialize>(
        &self,
        pk: AttributeValue,
        sk: &str,
        attr: &str,
        value: &T,
        extra: Option<(&str, AttributeValue)>,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut req =
            self.client.put_item().table_name(&self.table).item("pk", pk).item("sk", s(sk)).item(attr, s(json));
        if let Some((name, v)) = extra {
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
