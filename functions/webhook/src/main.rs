//! λ webhook: verifies and stores Account Activity deliveries, `POST /webhooks/twitter`.
//!
//! Configuration: `TABLE_NAME` (the DynamoDB table), `TWITTER_SECRET_ARN` (or
//! `TWITTER_CONSUMER_SECRET` locally) and `TWITTER_APP_ID` (recognises the bot's own replies even
//! before the dispatcher has recorded them; the function refuses to start without it). Everything
//! else is in `dmbot_shared::ingest`.
//!
//! For `dmbot webhook status` and the watchdog's silence check it records when the last
//! delivery arrived: at most once a minute per container, in a spawned task after the answer is
//! computed, so it neither delays nor fails a delivery.

use std::convert::Infallible;

use aws_config::BehaviorVersion;
use dmbot_shared::config::Settings;
use dmbot_shared::domain::now_ms;
use dmbot_shared::ingest::{WebhookDeps, handle_webhook_post};
use dmbot_shared::lambda::{into_response, request_parts};
use dmbot_shared::store::dynamodb::DynamoStore;
use dmbot_shared::store::health::{HEALTH_RECORD_INTERVAL_MS, Health, Throttle};
use dmbot_shared::twitter::signature::WebhookSecret;
use dmbot_shared::{secrets, telemetry};
use lambda_http::{Error, Request, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init_json();
    let settings = Settings::from_env()?;
    let table = settings.require_table_name()?.to_string();
    let app_id = settings.require_app_id()?.to_string();
    let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let consumer_secret = secrets::load_consumer_secret(&settings, Some(&sdk)).await?;
    let deps = WebhookDeps {
        store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table),
        secret: WebhookSecret::new(consumer_secret.expose()),
        app_id: Some(app_id),
    };
    let deps = &deps;
    let throttle = &Throttle::new();
    lambda_http::run(service_fn(move |request: Request| async move {
        let parts = request_parts(request);
        let now = now_ms();
        let response = handle_webhook_post(deps, &parts, now).await;
        if response.status == 200 && throttle.should_record(now, HEALTH_RECORD_INTERVAL_MS) {
            let store = deps.store.clone();
            tokio::spawn(async move {
                if let Err(e) = store.record_delivery(now).await {
                    tracing::warn!(error = %e, "could not record the delivery time for `dmbot webhook status`");
                }
            });
        }
        Ok::<_, Infallible>(into_response(response))
    }))
    .await
}
