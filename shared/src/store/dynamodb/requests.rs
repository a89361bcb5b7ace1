//! The requests several ports share: a consistent GetItem, a paged Scan, a paged key Query,
//! and batched deletes.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};

use super::DynamoStore;
use super::codec::s;
use super::error::SdkResult;
use super::item::{ATTR_ACCOUNT_ID, ATTR_PK, ATTR_SK, BATCH_WRITE_ATTEMPTS, BATCH_WRITE_MAX};
use crate::store::StoreError;

impl DynamoStore {
    pub(super) fn key(pk: String, sk: String) -> HashMap<String, AttributeValue> {
        HashMap::from([(ATTR_PK.to_string(), s(pk)), (ATTR_SK.to_string(), s(sk))])
    }

    /// A strongly consistent GetItem.
    pub(super) async fn get(
        &self,
        pk: String,
        sk: String,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(self.table_name())
            .set_key(Some(Self::key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .sdk(self, "GetItem")?;
        Ok(out.item)
    }

    /// Every item a Scan with `filter` returns, all pages.
    pub(crate) async fn scan_all(
        &self,
        filter: &str,
        names: &[(&str, &str)],
        values: &[(&str, AttributeValue)],
        projection: Option<&str>,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let mut req = self
                .client
                .scan()
                .table_name(self.table_name())
                .consistent_read(true)
                .filter_expression(filter)
                .set_exclusive_start_key(start.take());
            for (k, v) in names {
                req = req.expression_attribute_names(*k, *v);
            }
            for (k, v) in values {
                req = req.expression_attribute_values(*k, v.clone());
            }
            if let Some(p) = projection {
                req = req.projection_expression(p);
            }
            let out = req.send().await.sdk(self, "Scan")?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    /// The keys of up to `limit` items matching `key_condition` (on the table, or on `index`),
    /// following pages; and whether more may match.
    pub(super) async fn query_keys(
        &self,
        index: Option<&str>,
        key_condition: &str,
        values: &[(&str, AttributeValue)],
        limit: usize,
    ) -> Result<(Vec<HashMap<String, AttributeValue>>, bool), StoreError> {
        let mut keys = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        while keys.len() < limit {
            let page = i32::try_from(limit - keys.len()).unwrap_or(i32::MAX);
            let mut req = self
                .client
                .query()
                .table_name(self.table_name())
                .set_index_name(index.map(str::to_string))
                // An index can only be read eventually consistent; the table is read strongly.
                .consistent_read(index.is_none())
                .key_condition_expression(key_condition)
                .expression_attribute_names("#pk", ATTR_PK)
                .expression_attribute_names("#sk", ATTR_SK)
                .projection_expression("#pk, #sk")
                .limit(page)
                .set_exclusive_start_key(start.take());
            if index.is_some() {
                req = req.expression_attribute_names("#account", ATTR_ACCOUNT_ID);
            }
            for (k, v) in values {
                req = req.expression_attribute_values(*k, v.clone());
            }
            let out = req.send().await.sdk(self, "Query")?;
            keys.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok((keys, false)),
            }
        }
        Ok((keys, true))
    }

    /// Deletes the items with these keys, 25 per BatchWriteItem, retrying unprocessed ones with
    /// a growing pause (DynamoDB returns them when throttled).
    pub(super) async fn delete_keys(
        &self,
        keys: Vec<HashMap<String, AttributeValue>>,
    ) -> Result<(), StoreError> {
        let mut requests = Vec::with_capacity(keys.len());
        for key in keys {
            let key: HashMap<String, AttributeValue> = key
                .into_iter()
                .filter(|(k, _)| k == ATTR_PK || k == ATTR_SK)
                .collect();
            let delete = DeleteRequest::builder()
                .set_key(Some(key))
                .build()
                .map_err(|e| {
                    StoreError::Rejected(format!("delete request could not be built: {e}"))
                })?;
            requests.push(WriteRequest::builder().delete_request(delete).build());
        }
        let mut chunks = requests.chunks(BATCH_WRITE_MAX);
        for chunk in &mut chunks {
            let mut pending = chunk.to_vec();
            let mut attempt = 0u32;
            while !pending.is_empty() {
                if attempt >= BATCH_WRITE_ATTEMPTS {
                    return Err(StoreError::Unavailable(format!(
                        "DynamoDB kept {} deletes on table {} unprocessed (throttled); run the command again",
                        pending.len(),
                        self.table_name()
                    )));
                }
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(50u64 << attempt.min(6))).await;
                }
                attempt += 1;
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(self.table_name(), pending)
                    .send()
                    .await
                    .sdk(self, "BatchWriteItem")?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut m| m.remove(self.table_name()))
                    .unwrap_or_default();
            }
        }
        Ok(())
    }

    /// Deletes the item with `item`'s key.
    pub(super) async fn delete_entry(
        &self,
        item: &HashMap<String, AttributeValue>,
    ) -> Result<(), StoreError> {
        let key: HashMap<String, AttributeValue> = item
            .iter()
            .filter(|(k, _)| *k == ATTR_PK || *k == ATTR_SK)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        self.client()
            .delete_item()
            .table_name(self.table_name())
            .set_key(Some(key))
            .send()
            .await
            .sdk(self, "DeleteItem")?;
        Ok(())
    }
}
