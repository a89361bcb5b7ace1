//! The health port on DynamoDB: item `pk = HEALTH`, `sk = WEBHOOK`, `kind = health`, with `last_crc_ms` N, `last_crc_latency_us` N, `last_delivery_ms` N and
//! `watchdog` (JSON [`WatchdogRun`]). Each writer `SET`s only its own attributes (UpdateItem),
//! so the CRC function, the webhook function and the watchdog never overwrite each other;
//! the IAM policies can restrict them to `dynamodb:LeadingKeys = HEALTH`.

use aws_sdk_dynamodb::types::AttributeValue;

use super::DynamoStore;
use super::error::{SdkResult, is_conditional_failure};
use crate::store::StoreError;
use crate::store::health::{Health, HealthRecord, WatchdogRun};

/// Partition key of the health record.
pub const HEALTH_PK: &str = "HEALTH";
/// Sort key of the webhook's health record.
pub const HEALTH_SK: &str = "WEBHOOK";
const KIND_HEALTH: &str = "health";

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn get_n(
    item: &std::collections::HashMap<String, AttributeValue>,
    name: &str,
) -> Result<Option<u64>, StoreError> {
    match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::N(v)) => v.parse().map(Some).map_err(|_| StoreError::Corrupt {
            what: "health record".into(),
            detail: format!("{name} is not a whole number: {v:?}"),
        }),
        Some(_) => Err(StoreError::Corrupt {
            what: "health record".into(),
            detail: format!("{name} is not a number"),
        }),
    }
}

impl DynamoStore {
    /// `SET`s `expression`. With `newest: Some(attr)`, only when the item has no `attr` yet or
    /// an older one (`:t` is the new time): an observation that arrives after a newer one is
    /// dropped, as the in-process stores do (`HealthRecord::apply_crc`).
    async fn set_health(
        &self,
        expression: &str,
        values: Vec<(&str, AttributeValue)>,
        newest: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut request = self
            .client()
            .update_item()
            .table_name(self.table_name())
            .key("pk", AttributeValue::S(HEALTH_PK.into()))
            .key("sk", AttributeValue::S(HEALTH_SK.into()))
            .update_expression(format!("SET kind = :kind, {expression}"))
            .expression_attribute_values(":kind", AttributeValue::S(KIND_HEALTH.into()));
        for (name, value) in values {
            request = request.expression_attribute_values(name, value);
        }
        if let Some(attr) = newest {
            request = request
                .condition_expression("attribute_not_exists(#t) OR #t <= :t")
                .expression_attribute_names("#t", attr);
        }
        match request.send().await {
            Err(e) if newest.is_some() && is_conditional_failure(&e) => Ok(()),
            result => result.map(drop).sdk(self, "UpdateItem"),
        }
    }
}

impl Health for DynamoStore {
    async fn record_crc(&self, at_ms: u64, latency_us: u64) -> Result<(), StoreError> {
        self.set_health(
            "last_crc_ms = :t, last_crc_latency_us = :l",
            vec![(":t", n(at_ms)), (":l", n(latency_us))],
            Some("last_crc_ms"),
        )
        .await
    }

    async fn record_delivery(&self, at_ms: u64) -> Result<(), StoreError> {
        self.set_health(
            "last_delivery_ms = :t",
            vec![(":t", n(at_ms))],
            Some("last_delivery_ms"),
        )
        .await
    }

    async fn record_watchdog_run(&self, run: &WatchdogRun) -> Result<(), StoreError> {
        let json = serde_json::to_string(run)
            .map_err(|e| StoreError::Rejected(format!("watchdog run could not be encoded: {e}")))?;
        self.set_health("watchdog = :w", vec![(":w", AttributeValue::S(json))], None)
            .await
    }

    async fn get_health(&self) -> Result<HealthRecord, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(self.table_name())
            .key("pk", AttributeValue::S(HEALTH_PK.into()))
            .key("sk", AttributeValue::S(HEALTH_SK.into()))
            .consistent_read(true)
            .send()
            .await
            .sdk(self, "GetItem")?;
        let Some(item) = out.item else {
            return Ok(HealthRecord::default());
        };
        let last_watchdog = match item.get("watchdog") {
            Some(AttributeValue::S(raw)) => {
                Some(serde_json::from_str(raw).map_err(|e| StoreError::Corrupt {
                    what: "health record".into(),
                    detail: format!("watchdog is not a watchdog run: {e}"),
                })?)
            }
            _ => None,
        };
        Ok(HealthRecord {
            last_crc_ms: get_n(&item, "last_crc_ms")?,
            last_crc_latency_us: get_n(&item, "last_crc_latency_us")?,
            last_delivery_ms: get_n(&item, "last_delivery_ms")?,
            last_watchdog,
        })
    }
}
