//! Table management for tests and the local stack: create the table (keys, index, stream, TTL)
//! when missing and wait until it is active. In AWS the SAM template creates it.

use std::time::Duration;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType, TableStatus,
    TimeToLiveSpecification,
};

use super::DynamoStore;
use super::error::SdkResult;
use super::item::{ATTR_ACCOUNT_ID, ATTR_EXPIRES_AT, ATTR_PK, ATTR_SK, INDEX_BY_ACCOUNT};
use crate::store::StoreError;

impl DynamoStore {
    /// Creates the table when it does not exist yet: `pk`/`sk` strings, on-demand capacity, a
    /// stream of new images, and TTL on [`ATTR_EXPIRES_AT`]. For tests and the local stack; in
    /// AWS the SAM template creates the table. Waits until the table is active.
    pub async fn create_table_if_missing(&self) -> Result<(), StoreError> {
        let exists = match self
            .client
            .describe_table()
            .table_name(self.table_name())
            .send()
            .await
        {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_resource_not_found_exception()) =>
            {
                false
            }
            Err(e) => return Err(self.sdk_error("DescribeTable", e)),
        };
        if !exists {
            self.create_table().await?;
        }
        self.wait_until_active().await?;
        if !exists {
            self.enable_ttl().await;
        }
        Ok(())
    }

    async fn create_table(&self) -> Result<(), StoreError> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| {
            StoreError::Rejected(format!("CreateTable request could not be built: {e}"))
        };
        let key = |name: &str, key_type: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
                .map_err(build)
        };
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(build)
        };
        let by_account = GlobalSecondaryIndex::builder()
            .index_name(INDEX_BY_ACCOUNT)
            .key_schema(key(ATTR_ACCOUNT_ID, KeyType::Hash)?)
            .key_schema(key(ATTR_PK, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::KeysOnly)
                    .build(),
            )
            .build()
            .map_err(build)?;
        let stream = StreamSpecification::builder()
            .stream_enabled(true)
            .stream_view_type(StreamViewType::NewImage)
            .build()
            .map_err(build)?;
        let result = self
            .client
            .create_table()
            .table_name(self.table_name())
            .key_schema(key(ATTR_PK, KeyType::Hash)?)
            .key_schema(key(ATTR_SK, KeyType::Range)?)
            .attribute_definitions(attr(ATTR_PK)?)
            .attribute_definitions(attr(ATTR_SK)?)
            .attribute_definitions(attr(ATTR_ACCOUNT_ID)?)
            .global_secondary_indexes(by_account)
            .billing_mode(BillingMode::PayPerRequest)
            .stream_specification(stream)
            .send()
            .await;
        match result {
            Ok(_) => {
                tracing::info!(table = %self.table_name(), "created DynamoDB table");
                Ok(())
            }
            // Someone else created it between our describe and create: fine.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_resource_in_use_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(self.sdk_error("CreateTable", e)),
        }
    }

    async fn wait_until_active(&self) -> Result<(), StoreError> {
        for attempt in 0..60u32 {
            let out = self
                .client
                .describe_table()
                .table_name(self.table_name())
                .send()
                .await
                .sdk(self, "DescribeTable")?;
            if out.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt.min(10) + 1))).await;
        }
        Err(StoreError::Unavailable(format!(
            "table {} did not become active in time",
            self.table_name()
        )))
    }

    /// TTL is a convenience (old events are removed for free); a backend that does not support
    /// it must not stop the store from working, so failure is only logged.
    async fn enable_ttl(&self) {
        let spec = match TimeToLiveSpecification::builder()
            .enabled(true)
            .attribute_name(ATTR_EXPIRES_AT)
            .build()
        {
            Ok(spec) => spec,
            Err(e) => {
                tracing::warn!(table = %self.table_name(), error = %e, "could not build the TTL setting");
                return;
            }
        };
        if let Err(e) = self
            .client
            .update_time_to_live()
            .table_name(self.table_name())
            .time_to_live_specification(spec)
            .send()
            .await
        {
            tracing::warn!(
                table = %self.table_name(),
                error = %DisplayErrorContext(&e),
                "could not enable TTL on the table; old events will not expire by themselves"
            );
        }
    }
}
