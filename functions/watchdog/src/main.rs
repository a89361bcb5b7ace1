//! λ watchdog (scheduled): keeps Twitter's webhook valid and notices silence.
//!
//! Configuration: `TWITTER_SECRET_ARN` (or the `TWITTER_*` variables locally), `TABLE_NAME`,
//! `TWITTER_ENV_NAME`, `WEBHOOK_URL` (ours; optional) and `WATCHDOG_SILENCE_MINUTES`. Each
//! invocation runs [`dmbot_shared::watchdog::run_once`], prints its CloudWatch Embedded Metric
//! Format line to stdout, and fails the invocation when it could not check at all (so that the
//! function's `Errors` alarm says nobody is watching).
//!
//! Then, with the rest of the invocation's time, it removes the data of revoked accounts
//! ([`dmbot_shared::forget::run_pending`]: the webhook deleted their tokens and queued the rest).
//! A store failure there also fails the invocation; what is left stays queued for the next tick.

use aws_config::BehaviorVersion;
use dmbot_shared::config::{Settings, process_env};
use std::time::{Duration, Instant};

use dmbot_shared::domain::now_ms;
use dmbot_shared::forget;
use dmbot_shared::store::dynamodb::DynamoStore;
use dmbot_shared::store::health::WatchdogOutcome;
use dmbot_shared::twitter::client::{ClientConfig, TwitterClient};
use dmbot_shared::twitter::oauth1::{ConsumerCredentials, TokenCredentials};
use dmbot_shared::watchdog::{config_from_lookup, run_once};
use dmbot_shared::{secrets, telemetry};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init_json();
    let settings = Settings::from_env()?;
    let config = config_from_lookup(process_env)?;
    let table = settings.require_table_name()?.to_string();
    let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let credentials = secrets::load_app_credentials(&settings, Some(&sdk)).await?;
    let mut client_config = ClientConfig::from_lookup(
        ConsumerCredentials::new(&credentials.consumer_key, &credentials.consumer_secret),
        process_env,
    )?;
    if client_config.bearer_token.is_none() {
        client_config.bearer_token = credentials
            .bearer_token
            .clone()
            .map(dmbot_shared::twitter::api_types::BearerToken::new);
    }
    let client = TwitterClient::new(client_config)?;
    let owner = TokenCredentials::new(&credentials.access_token, &credentials.access_token_secret);
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    let (client, owner, store, config) = (&client, &owner, &store, &config);

    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let report = run_once(client, owner, store, config, now_ms()).await;
        // The EMF line must be a log line of its own: CloudWatch extracts the metrics from it.
        println!("{}", report.emf_line(&config.env));
        let forgotten = forget::run_pending(store, forget_deadline(event.context.deadline)).await;
        if report.run.outcome == WatchdogOutcome::CheckFailed {
            return Err(Error::from(format!(
                "the watchdog could not check the webhook: {}",
                report.run.detail
            )));
        }
        let forgotten = forgotten.map_err(|e| {
            Error::from(format!(
                "removing revoked accounts' data failed (it stays queued for the next run): {e}"
            ))
        })?;
        Ok::<_, Error>(serde_json::json!({
            "outcome": report.run.outcome,
            "detail": report.run.detail,
            "invalid_runs": report.run.invalid_runs,
            "silent": report.run.silent,
            "forget": forgotten,
        }))
    }))
    .await
}

/// Time kept back from the invocation's deadline for the answer.
const FORGET_MARGIN_MS: u64 = 3_000;

/// When the removal of revoked accounts' data must stop: the invocation's deadline (ms since
/// the epoch, from the Lambda context) less [`FORGET_MARGIN_MS`].
fn forget_deadline(invocation_deadline_ms: u64) -> Instant {
    let left = invocation_deadline_ms
        .saturating_sub(now_ms())
        .saturating_sub(FORGET_MARGIN_MS);
    Instant::now() + Duration::from_millis(left)
}
