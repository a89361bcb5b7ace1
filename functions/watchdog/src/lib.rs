//! λ watchdog, one invocation: the webhook check ([`dmbot_shared::watchdog::run_once`]), its
//! CloudWatch Embedded Metric Format line on stdout, then, with the rest of the invocation's
//! time, the removal of revoked accounts' data ([`dmbot_shared::forget::run_pending`]: the
//! webhook deleted their tokens and queued the rest).
//!
//! The invocation fails when the watchdog could not check at all (so that the function's
//! `Errors` alarm says nobody is watching) and when the removal hit a store failure (what is
//! left stays queued for the next tick).

use std::time::{Duration, Instant};

use dmbot_shared::domain::now_ms;
use dmbot_shared::forget;
use dmbot_shared::store::Revocations;
use dmbot_shared::store::health::{Health, WatchdogOutcome};
use dmbot_shared::twitter::client::TwitterClient;
use dmbot_shared::twitter::oauth1::TokenCredentials;
use dmbot_shared::watchdog::{WatchdogConfig, run_once};
use lambda_runtime::Error;
use serde_json::Value;

/// What one invocation works with.
pub struct Watchdog<S> {
    pub client: TwitterClient,
    pub owner: TokenCredentials,
    pub store: S,
    pub config: WatchdogConfig,
}

/// Time kept back from the invocation's deadline for the answer.
const FORGET_MARGIN_MS: u64 = 3_000;

impl<S: Health + Revocations> Watchdog<S> {
    /// One scheduled run; `deadline_ms` is the invocation's deadline (ms since the epoch).
    #[tracing::instrument(name = "watchdog", skip_all, fields(env = %self.config.env))]
    pub async fn run(&self, deadline_ms: u64) -> Result<Value, Error> {
        let (client, owner, store, config) = (&self.client, &self.owner, &self.store, &self.config);
        let report = run_once(client, owner, store, config, now_ms()).await;
        // The EMF line must be a log line of its own: CloudWatch extracts the metrics from it.
        println!("{}", report.emf_line(&config.env));
        let forgotten = forget::run_pending(store, forget_deadline(deadline_ms)).await;
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
        Ok(serde_json::json!({
            "outcome": report.run.outcome,
            "detail": report.run.detail,
            "invalid_runs": report.run.invalid_runs,
            "silent": report.run.silent,
            "forget": forgotten,
        }))
    }
}

/// When the removal of revoked accounts' data must stop: the invocation's deadline (ms since
/// the epoch, from the Lambda context) less [`FORGET_MARGIN_MS`].
fn forget_deadline(invocation_deadline_ms: u64) -> Instant {
    let left = invocation_deadline_ms
        .saturating_sub(now_ms())
        .saturating_sub(FORGET_MARGIN_MS);
    Instant::now() + Duration::from_millis(left)
}
