//! λ crc: answers Twitter's Challenge-Response Check, `GET /webhooks/twitter?crc_token=...`.
//!
//! Twitter gives the webhook 3 seconds, cold start included, and stops delivering events when a
//! CRC fails. So this function does as little as possible at start: it reads the consumer secret
//! (from Secrets Manager when `TWITTER_SECRET_ARN` is set, else `TWITTER_CONSUMER_SECRET`) during
//! the init phase, keys the HMAC once, and builds no database client.

use std::convert::Infallible;

use dmbot_shared::config::Settings;
use dmbot_shared::ingest::handle_crc;
use dmbot_shared::lambda::{into_response, request_parts};
use dmbot_shared::twitter::webhook::WebhookSecret;
use dmbot_shared::{secrets, telemetry};
use lambda_http::{Error, Request, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init_json();
    let settings = Settings::from_env()?;
    let consumer_secret = secrets::load_consumer_secret(&settings, None).await?;
    let secret = WebhookSecret::new(consumer_secret.expose());
    let secret = &secret;
    lambda_http::run(service_fn(move |request: Request| async move {
        let parts = request_parts(request);
        Ok::<_, Infallible>(into_response(handle_crc(secret, &parts.raw_query)))
    }))
    .await
}
