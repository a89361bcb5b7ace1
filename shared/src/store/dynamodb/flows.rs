//! The flows port on DynamoDB: `FLOW#<id>` partitions of version items and a `HEAD` item that
//! guards the newest version.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

use super::DynamoStore;
use super::codec::{decode_flow, n, s};
use super::error::SdkResult;
use super::item::*;
use crate::store::{FlowRecord, Flows, StoreError};

impl Flows for DynamoStore {
    /// One transaction: the flow's `HEAD` item moves to the new version only if it is newer
    /// than the stored one, and the version item is written only if it is new. Two operators
    /// syncing at once cannot leave an older version on top.
    async fn put_flow(&self, flow: &FlowRecord) -> Result<(), StoreError> {
        let pk = flow_pk(&flow.flow_id);
        let build = |e: aws_sdk_dynamodb::error::BuildError| {
            StoreError::Rejected(format!("flow transaction could not be built: {e}"))
        };
        let head = Update::builder()
            .table_name(self.table_name())
            .set_key(Some(Self::key(pk.clone(), SK_FLOW_HEAD.to_string())))
            .update_expression("SET #version = :v, #kind = :kind, #flow = :flow")
            .condition_expression("attribute_not_exists(#version) OR #version < :v")
            .expression_attribute_names("#version", ATTR_VERSION)
            .expression_attribute_names("#kind", ATTR_KIND)
            .expression_attribute_names("#flow", ATTR_FLOW_ID)
            .expression_attribute_values(":v", n(flow.version))
            .expression_attribute_values(":kind", s(KIND_FLOW_HEAD))
            .expression_attribute_values(":flow", s(flow.flow_id.as_str()))
            .build()
            .map_err(build)?;
        let item = HashMap::from([
            (ATTR_PK.to_string(), s(pk)),
            (ATTR_SK.to_string(), s(flow_sk(flow.version))),
            (ATTR_KIND.to_string(), s(KIND_FLOW)),
            (ATTR_FLOW_ID.to_string(), s(flow.flow_id.as_str())),
            (ATTR_VERSION.to_string(), n(flow.version)),
            (ATTR_DOCUMENT.to_string(), s(flow.document.as_str())),
            (ATTR_STORED_MS.to_string(), n(flow.stored_ms)),
        ]);
        let version = Put::builder()
            .table_name(self.table_name())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", ATTR_PK)
            .build()
            .map_err(build)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(head).build())
            .transact_items(TransactWriteItem::builder().put(version).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let conditional = e
                    .as_service_error()
                    .and_then(|se| match se {
                        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => Some(c),
                        _ => None,
                    })
                    .is_some_and(|c| {
                        c.cancellation_reasons()
                            .iter()
                            .any(|r| r.code() == Some("ConditionalCheckFailed"))
                    });
                if conditional {
                    Err(StoreError::Conflict {
                        what: format!("flow {} version {}", flow.flow_id, flow.version),
                    })
                } else {
                    Err(self.sdk_error("TransactWriteItems", e))
                }
            }
        }
    }

    async fn get_flow(&self, flow_id: &str) -> Result<Option<FlowRecord>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(self.table_name())
            .consistent_read(true)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :v)")
            .expression_attribute_names("#pk", ATTR_PK)
            .expression_attribute_names("#sk", ATTR_SK)
            .expression_attribute_values(":pk", s(flow_pk(flow_id)))
            .expression_attribute_values(":v", s("V#"))
            .scan_index_forward(false)
            .limit(1)
            .send()
            .await
            .sdk(self, "Query")?;
        out.items
            .unwrap_or_default()
            .first()
            .map(decode_flow)
            .transpose()
    }
}
