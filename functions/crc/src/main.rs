//! λ crc: answers Twitter's Challenge-Response Check, `GET /webhooks/twitter?crc_token=...`.
//!
//! Twitter gives the webhook 3 seconds, cold start included, and stops delivering events when a
//! CRC fails: this function reads only the consumer secret at init ([`CrcFnConfig`]) and keys
//! the HMAC once. With `TABLE_NAME` it records its answers for `dmbot webhook status`
//! ([`Recorder`], delayed so the answer goes out first); the AWS configuration is loaded only
//! when the secret or the table needs it.

use std::convert::Infallible;
use std::time::Duration;

use dmbot_shared::config::{CrcFnConfig, aws};
use dmbot_shared::store::recorder::Recorder;
use dmbot_shared::twitter::signature::WebhookSecret;
use dmbot_shared::{lambda, secrets, telemetry};
use lambda_http::{Error, Request, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init_json();
    let config = CrcFnConfig::from_env()?;
    let sdk = match (&config.settings.secret_arn, &config.table_name) {
        (None, None) => None,
        _ => Some(aws::sdk_config().await),
    };
    let consumer_secret = secrets::load_consumer_secret(&config.settings, sdk.as_ref()).await?;
    let secret = &WebhookSecret::new(consumer_secret.expose());
    let recorder = &(config.table_name.zip(sdk.as_ref())).map(|(table, sdk)| {
        Recorder::new(aws::dynamo_store(sdk, table)).with_delay(Duration::from_millis(20))
    });
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, Infallible>(lambda::crc(secret, recorder.as_ref(), request))
    }))
    .await
}
