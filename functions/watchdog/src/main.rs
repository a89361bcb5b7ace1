//! λ watchdog (scheduled): keeps Twitter's webhook valid and notices silence, then removes the
//! data of revoked accounts (see `dmbot_watchdog`).
//!
//! Configuration ([`WatchdogFnConfig`]): `TWITTER_SECRET_ARN` (or the `TWITTER_*` variables
//! locally), `TABLE_NAME`, `TWITTER_API` (v1.1 or v2 webhooks), `TWITTER_ENV_NAME`, `WEBHOOK_URL` (ours; optional) and
//! `WATCHDOG_SILENCE_MINUTES`. Its client uses the secret's `bearer_token` when it has one.

use dmbot_shared::config::{WatchdogFnConfig, aws};
use dmbot_shared::{secrets, telemetry};
use dmbot_watchdog::Watchdog;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init_json();
    let config = WatchdogFnConfig::from_env()?;
    let sdk = aws::sdk_config().await;
    let credentials = secrets::load_app_credentials(&config.settings, Some(&sdk)).await?;
    let (client, owner) = credentials.client(&config.settings)?;
    let watchdog = &Watchdog {
        client,
        owner,
        store: aws::dynamo_store(&sdk, config.table_name),
        config: config.watchdog,
    };
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        watchdog.run(event.context.deadline)
    }))
    .await
}
