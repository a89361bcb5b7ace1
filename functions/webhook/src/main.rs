//! λ webhook: verifies and stores Account Activity deliveries, `POST /webhooks/twitter`.
//!
//! Configuration ([`WebhookFnConfig`]): `TABLE_NAME`, `TWITTER_SECRET_ARN` (or
//! `TWITTER_CONSUMER_SECRET` locally) and `TWITTER_APP_ID` (recognises the bot's own replies
//! before the dispatcher has recorded them; required). The last delivery's time is recorded for
//! `dmbot webhook status` and the watchdog ([`Recorder`]). Everything else is in
//! `dmbot_shared::ingest`.

use std::convert::Infallible;

use dmbot_shared::config::{WebhookFnConfig, aws};
use dmbot_shared::ingest::WebhookDeps;
use dmbot_shared::store::recorder::Recorder;
use dmbot_shared::twitter::signature::WebhookSecret;
use dmbot_shared::{lambda, secrets, telemetry};
use lambda_http::{Error, Request, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init_json();
    let config = WebhookFnConfig::from_env()?;
    let sdk = aws::sdk_config().await;
    let consumer_secret = secrets::load_consumer_secret(&config.settings, Some(&sdk)).await?;
    let store = aws::dynamo_store(&sdk, config.table_name);
    let recorder = &Recorder::new(store.clone());
    let deps = &WebhookDeps {
        store,
        secret: WebhookSecret::new(consumer_secret.expose()),
        app_id: Some(config.app_id),
    };
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, Infallible>(lambda::webhook(deps, recorder, request).await)
    }))
    .await
}
