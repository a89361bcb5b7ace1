//! λ crc: answers Twitter's Challenge-Response Check, `GET /webhooks/twitter?crc_token=...`.
//!
//! Twitter gives the webhook 3 seconds, cold start included, and stops delivering events when a
//! CRC fails. So this function does as little as possible at start: it reads the consumer secret
//! (from Secrets Manager when `TWITTER_SECRET_ARN` is set, else `TWITTER_CONSUMER_SECRET`) during
//! the init phase, keys the HMAC once, and builds no database client.
//!
//! For `dmbot webhook status` it records when it last answered and how long the answer took
//! (health record, at most once a minute per container). That write happens in a spawned task
//! that first lets the answer go out, and can only log a warning: it never delays or fails the
//! CRC. Its DynamoDB client shares the AWS configuration (and HTTPS connector) the secret fetch
//! loads anyway. Without `TABLE_NAME` nothing is recorded.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dmbot_shared::config::Settings;
use dmbot_shared::domain::now_ms;
use dmbot_shared::ingest::handle_crc;
use dmbot_shared::lambda::{into_response, request_parts};
use dmbot_shared::store::dynamodb::DynamoStore;
use dmbot_shared::store::health::{HEALTH_RECORD_INTERVAL_MS, Health, Throttle};
use dmbot_shared::twitter::signature::WebhookSecret;
use dmbot_shared::{secrets, telemetry};
use lambda_http::{Error, Request, service_fn};

/// How long the recorder waits before writing, so that the runtime posts the CRC answer first
/// (the process runs one thread: a task that starts at once would share it with the answer).
const RECORD_DELAY: Duration = Duration::from_millis(20);

/// The health recorder.
struct Recorder {
    store: DynamoStore,
    throttle: Throttle,
}

impl Recorder {
    async fn record(self: Arc<Self>, at_ms: u64, latency_us: u64) {
        tokio::time::sleep(RECORD_DELAY).await;
        if let Err(e) = self.store.record_crc(at_ms, latency_us).await {
            tracing::warn!(error = %e, "could not record the CRC answer for `dmbot webhook status`");
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init_json();
    let settings = Settings::from_env()?;
    // One AWS configuration for the secret and the health record; none at all when neither is
    // configured (a local run with TWITTER_CONSUMER_SECRET).
    let sdk = match (&settings.secret_arn, &settings.table_name) {
        (None, None) => None,
        _ => Some(aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await),
    };
    let consumer_secret = secrets::load_consumer_secret(&settings, sdk.as_ref()).await?;
    let secret = WebhookSecret::new(consumer_secret.expose());
    let secret = &secret;
    let recorder = match (&settings.table_name, &sdk) {
        (Some(table), Some(sdk)) => Some(Arc::new(Recorder {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), table.clone()),
            throttle: Throttle::new(),
        })),
        _ => None,
    };
    let recorder = &recorder;
    lambda_http::run(service_fn(move |request: Request| async move {
        let started = Instant::now();
        let parts = request_parts(request);
        let response = handle_crc(secret, &parts.raw_query);
        let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        if let Some(recorder) = recorder {
            let now = now_ms();
            if response.status == 200
                && recorder
                    .throttle
                    .should_record(now, HEALTH_RECORD_INTERVAL_MS)
            {
                tokio::spawn(Arc::clone(recorder).record(now, latency_us));
            }
        }
        Ok::<_, Infallible>(into_response(response))
    }))
    .await
}
