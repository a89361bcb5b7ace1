//! The AWS clients, built in one place (feature `dynamodb`): the SDK configuration (region,
//! credentials and the HTTPS connector, from the standard AWS environment and profile chain)
//! and the DynamoDB store on the configured table.

use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};

use crate::store::dynamodb::DynamoStore;

/// The SDK configuration with the SDK's default timeouts.
pub async fn sdk_config() -> SdkConfig {
    aws_config::load_defaults(BehaviorVersion::latest()).await
}

/// The SDK configuration with a limit on each attempt and on each operation (its retries
/// included), so that a hung call cannot eat an invocation.
pub async fn sdk_config_with_timeouts(attempt: Duration, operation: Duration) -> SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(attempt)
        .operation_timeout(operation)
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts)
        .load()
        .await
}

/// The DynamoDB store on `table`.
pub fn dynamo_store(sdk: &SdkConfig, table: impl Into<String>) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), table.into())
}
