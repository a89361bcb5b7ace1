//! λ dispatch: answers new inbound messages from the table's DynamoDB stream and, every minute,
//! re-drives the messages put off until then. Settings: [`DispatchFnConfig`]. The event-source
//! mapping uses `dmbot_dispatch::STREAM_FILTERS` and `ReportBatchItemFailures`.

use std::time::Duration;

use dmbot_shared::config::{DispatchFnConfig, aws};
use dmbot_shared::dispatch::{DispatchConfig, Dispatcher, FlowSource};
use dmbot_shared::tokens::TokenSealer;
use dmbot_shared::{secrets, telemetry};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init_json();
    let config = DispatchFnConfig::from_env()?;
    // A hung DynamoDB call must not eat the invocation: 2 s per attempt, 5 s per operation.
    let sdk = aws::sdk_config_with_timeouts(Duration::from_secs(2), Duration::from_secs(5)).await;
    let credentials = secrets::load_app_credentials(&config.settings, Some(&sdk)).await?;
    let (client, owner) = credentials.client(&config.settings)?;
    let flows = FlowSource::Store {
        default_flow_id: config.default_flow_id,
    };
    let mut dispatch = DispatchConfig::new(owner, flows);
    dispatch.sealer = TokenSealer::from_optional_key(credentials.token_encryption_key.as_deref())?
        .requiring_sealed(config.settings.require_sealed_tokens)?;
    dispatch.app_id = config.settings.app_id.clone();
    dispatch.api = config.settings.api;
    dispatch.limits = config.settings.limits;
    (dispatch.prices, dispatch.daily_spend_cap) = (config.prices, config.daily_spend_cap);
    dispatch.emf = true;
    let store = aws::dynamo_store(&sdk, config.table_name);
    let dispatcher = &Dispatcher::new(store, client, dispatch);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        dmbot_dispatch::handle(dispatcher, event)
    }))
    .await
}
