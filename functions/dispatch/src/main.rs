//! λ dispatch: answers new inbound customer messages from the table's DynamoDB stream, and on
//! its schedule (every minute) re-drives the messages put off until then.
//!
//! Configuration: `TABLE_NAME`, `TWITTER_SECRET_ARN` (or the `TWITTER_*` credentials locally),
//! `DEFAULT_FLOW_ID` (the flow of accounts without their own, default `default`), and
//! optionally `TWITTER_API_BASE_URL`/`TWITTER_UPLOAD_BASE_URL`. The event-source mapping must
//! use the filters in `dmbot_dispatch::STREAM_FILTERS` and `ReportBatchItemFailures`.
//! Everything else is in `dmbot_dispatch` and `dmbot_shared::dispatch`.

use aws_config::BehaviorVersion;
use dmbot_dispatch::{Invocation, deadline_from_epoch_ms, handle_stream_event, redrive_due};
use dmbot_shared::config::{Settings, process_env};
use dmbot_shared::dispatch::{DispatchConfig, Dispatcher, FlowSource};
use dmbot_shared::domain::now_ms;
use dmbot_shared::store::dynamodb::DynamoStore;
use dmbot_shared::tokens::TokenSealer;
use dmbot_shared::twitter::client::{ClientConfig, TwitterClient};
use dmbot_shared::twitter::oauth1::{ConsumerCredentials, TokenCredentials};
use dmbot_shared::{secrets, telemetry};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init_json();
    let settings = Settings::from_env()?;
    let table = settings.require_table_name()?.to_string();
    // A hung DynamoDB call must not eat the invocation (review finding L7): each attempt gets
    // 2 s, each operation (its retries included) 5 s; the dispatcher retries within its budget.
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(std::time::Duration::from_secs(2))
        .operation_timeout(std::time::Duration::from_secs(5))
        .build();
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts)
        .load()
        .await;
    let credentials = secrets::load_app_credentials(&settings, Some(&sdk)).await?;
    let consumer = ConsumerCredentials::new(
        credentials.consumer_key.clone(),
        credentials.consumer_secret.clone(),
    );
    let client = TwitterClient::new(ClientConfig::from_lookup(consumer, process_env)?)?;
    let owner = TokenCredentials::new(
        credentials.access_token.clone(),
        credentials.access_token_secret.clone(),
    );
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    let mut config = DispatchConfig::new(owner, FlowSource::store_from_lookup(process_env));
    config.sealer = TokenSealer::from_optional_key(credentials.token_encryption_key.as_deref())?
        .requiring_sealed(settings.require_sealed_tokens)?;
    config.app_id = settings.app_id.clone();
    let dispatcher = Dispatcher::new(store, client, config);
    let dispatcher = &dispatcher;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let deadline = deadline_from_epoch_ms(event.context.deadline, now_ms());
            match Invocation::from_payload(event.payload) {
                Invocation::Stream(batch) => {
                    let response = handle_stream_event(dispatcher, &batch, deadline).await;
                    Ok::<_, Error>(serde_json::to_value(response)?)
                }
                Invocation::Schedule => {
                    let redriven = redrive_due(dispatcher.store(), now_ms()).await?;
                    Ok(serde_json::json!({ "redriven": redriven }))
                }
                Invocation::Unknown => {
                    tracing::warn!("an invocation that is neither the stream nor the schedule");
                    Ok(serde_json::Value::Null)
                }
            }
        },
    ))
    .await
}
