//! λ webhook: verifies and stores Account Activity deliveries, `POST /webhooks/twitter`.
//!
//! Configuration: `TABLE_NAME` (the DynamoDB table), `TWITTER_SECRET_ARN` (or
//! `TWITTER_CONSUMER_SECRET` locally) and optionally `TWITTER_APP_ID` (recognises the bot's own
//! replies even before the dispatcher has recorded them). Everything else is in
//! `dmbot_shared::ingest`.

use std::convert::Infallible;

use aws_config::BehaviorVersion;
use dmbot_shared::config::Settings;
use dmbot_shared::domain::now_ms;
use dmbot_shared::ingest::{WebhookDeps, handle_webhook_post};
use dmbot_shared::lambda::{into_response, request_parts};
use dmbot_shared::store::dynamodb::DynamoStore;
use dmbot_shared::twitter::webhook::WebhookSecret;
use dmbot_shared::{secrets, telemetry};
use lambda_http::{Error, Request, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init_json();
    let settings = Settings::from_env()?;
    let table = settings.require_table_name()?.to_string();
    let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let consumer_secret = secrets::load_consumer_secret(&settings, Some(&sdk)).await?;
    let deps = WebhookDeps {
        store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table),
        secret: WebhookSecret::new(consumer_secret.expose()),
        app_id: settings.app_id.clone(),
    };
    let deps = &deps;
    lambda_http::run(service_fn(move |request: Request| async move {
        let parts = request_parts(request);
        let response = handle_webhook_post(deps, &parts, now_ms()).await;
        Ok::<_, Infallible>(into_response(response))
    }))
    .await
}
