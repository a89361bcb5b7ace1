//! The webhook watchdog: never let Twitter silently stop delivering.
//!
//! Twitter runs a CRC against the webhook about every 24 hours (and on `PUT webhooks/:id`); when
//! one fails it marks the webhook `valid: false` and stops sending events, without telling
//! anyone. The watchdog runs on a schedule (`template.yaml`, every few minutes) and:
//!
//! 1. lists the environment's webhooks (`GET account_activity/all/:env/webhooks.json`; on X API
//!    v2 `GET /2/webhooks`) and finds ours (by URL when [`WatchdogConfig::webhook_url`] is set,
//!    else the only one);
//! 2. when it is `valid: false`, triggers a CRC (`PUT .../webhooks/:id.json`; on v2
//!    `PUT /2/webhooks/:id`); X re-enables the webhook when the CRC passes;
//! 3. notices silence: no delivery for [`WatchdogConfig::silence_after_ms`] while accounts are
//!    subscribed (on v2: X Activity API subscriptions deliver to our webhook; informational:
//!    many quiet hours are normal for a small account);
//! 4. records the run in the store ([`Health`]) and returns metrics, which the function prints as
//!    one CloudWatch Embedded Metric Format line ([`WatchdogReport::emf_line`]): no CloudWatch
//!    SDK, no extra API call.
//!
//! The calls that differ by version are in [`webhooks`]; everything else is shared.
//!
//! Rate limits: both webhook calls allow 15 requests per 15-minute window (per app; v2: 450), shared with
//! the operator's `dmbot webhook ...` commands. The watchdog keeps one call of every window for
//! the operator ([`OPERATOR_RESERVE`]) and remembers the last known window in its run record, so
//! a new Lambda container does not start blind.

use crate::config::ApiVersion;
use crate::store::health::{Health, StoredRateLimit, WatchdogOutcome, WatchdogRun};
use crate::twitter::api_types::{EnvName, Webhook};
use crate::twitter::client::TwitterClient;
use crate::twitter::errors::{RateLimit, TwitterError};
use crate::twitter::oauth1::TokenCredentials;

pub mod report;
mod webhooks;

pub use report::{WatchdogMetrics, WatchdogReport};

/// Calls of each 15-minute window the watchdog leaves to the operator's CLI.
pub const OPERATOR_RESERVE: u32 = 1;

/// CloudWatch namespace of the watchdog's metrics (the alarm in `template.yaml` uses it).
pub const METRIC_NAMESPACE: &str = crate::telemetry::emf::NAMESPACE;

/// What the watchdog watches (read by [`crate::config::WatchdogFnConfig`]).
#[derive(Debug, Clone)]
pub struct WatchdogConfig {
    /// Which X API the webhook is registered with (`TWITTER_API`).
    pub api: ApiVersion,
    /// The Account Activity environment (`TWITTER_ENV_NAME`).
    pub env: EnvName,
    /// Our webhook's URL (`WEBHOOK_URL`); `None`: the environment's only webhook is ours.
    pub webhook_url: Option<String>,
    /// No delivery for this long while accounts are subscribed is reported as silence.
    pub silence_after_ms: u64,
}

/// Whether a call to an endpoint fits in its rate-limit window, from the client's own
/// bookkeeping (this container's last response) or else the last run's record. A window whose
/// reset time has passed is fresh again.
fn has_budget(known: Option<RateLimit>, stored: Option<StoredRateLimit>, now_s: u64) -> bool {
    let (remaining, reset_at) = match known {
        Some(RateLimit {
            remaining: Some(r),
            reset_at,
            ..
        }) => (r, reset_at.unwrap_or(u64::MAX)),
        _ => match stored {
            Some(s) => (s.remaining, s.reset_at),
            None => return true,
        },
    };
    reset_at <= now_s || remaining > OPERATOR_RESERVE
}

fn stored(known: Option<RateLimit>, previous: Option<StoredRateLimit>) -> Option<StoredRateLimit> {
    match known {
        Some(RateLimit {
            remaining: Some(remaining),
            reset_at: Some(reset_at),
            ..
        }) => Some(StoredRateLimit {
            remaining,
            reset_at,
        }),
        _ => previous,
    }
}

/// A 429 tells us the window outright: remember it as used up.
fn exhausted(err: &TwitterError) -> Option<StoredRateLimit> {
    match err {
        TwitterError::RateLimited { reset_at, .. } => Some(StoredRateLimit {
            remaining: 0,
            reset_at: reset_at.unwrap_or(0),
        }),
        _ => None,
    }
}

fn find_ours<'a>(webhooks: &'a [Webhook], url: Option<&str>) -> Option<&'a Webhook> {
    match url {
        Some(url) => webhooks
            .iter()
            .find(|w| w.url.trim_end_matches('/') == url.trim_end_matches('/')),
        None => webhooks.first(),
    }
}

/// Runs the watchdog once (see the module doc). Never fails: every problem becomes the run's
/// outcome, so that it is recorded and published.
pub async fn run_once<S: Health>(
    client: &TwitterClient,
    owner: &TokenCredentials,
    store: &S,
    config: &WatchdogConfig,
    now_ms: u64,
) -> WatchdogReport {
    let now_s = now_ms / 1000;
    let mut store_error = None;
    let health = match store.get_health().await {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the health record; checking without it");
            store_error = Some(e.to_string());
            Default::default()
        }
    };
    let previous = health.last_watchdog.clone();
    let prev_list = previous.as_ref().and_then(|r| r.list_rate_limit);
    let prev_crc = previous.as_ref().and_then(|r| r.crc_rate_limit);
    let (list_endpoint, crc_endpoint) = (
        webhooks::list_endpoint(config.api),
        webhooks::revalidate_endpoint(config.api),
    );
    let mut list_limit = stored(client.rate_limit(list_endpoint), prev_list);
    let mut crc_limit = stored(client.rate_limit(crc_endpoint), prev_crc);

    let mut metrics = WatchdogMetrics::default();
    let mut ours = None;
    let (outcome, detail) = if !has_budget(client.rate_limit(list_endpoint), prev_list, now_s) {
        (
            WatchdogOutcome::RateLimited,
            format!(
                "skipped: the webhook list's rate limit ({}) is used up until epoch second {}",
                webhooks::limit_text(config.api),
                list_limit.map(|l| l.reset_at).unwrap_or(0)
            ),
        )
    } else {
        match webhooks::list(client, config).await {
            Err(e) => {
                if let Some(l) = exhausted(&e) {
                    list_limit = Some(l);
                    (WatchdogOutcome::RateLimited, e.to_string())
                } else {
                    metrics.check_failures = 1;
                    (WatchdogOutcome::CheckFailed, e.to_string())
                }
            }
            Ok(webhooks) => {
                list_limit = stored(client.rate_limit(list_endpoint), list_limit);
                let found = find_ours(&webhooks, config.webhook_url.as_deref());
                ours = found.map(|h| h.id.clone());
                match found {
                    None => {
                        metrics.failures = 1;
                        (
                            WatchdogOutcome::Missing,
                            match &config.webhook_url {
                                Some(url) => format!(
                                    "no webhook with URL {url} {} ({} other(s) registered)",
                                    webhooks::place(config),
                                    webhooks.len()
                                ),
                                None => {
                                    format!("no webhook registered {}", webhooks::place(config))
                                }
                            },
                        )
                    }
                    Some(hook) if hook.valid => (
                        WatchdogOutcome::Valid,
                        format!("webhook {} is valid", hook.id.as_str()),
                    ),
                    Some(hook) => {
                        if !has_budget(client.rate_limit(crc_endpoint), prev_crc, now_s) {
                            metrics.failures = 1;
                            (
                                WatchdogOutcome::StillInvalid,
                                format!(
                                    "webhook {} is invalid; the CRC trigger's rate limit is used up, retrying next run",
                                    hook.id.as_str()
                                ),
                            )
                        } else {
                            let result =
                                webhooks::revalidate(client, owner, config, &hook.id).await;
                            crc_limit = stored(client.rate_limit(crc_endpoint), crc_limit);
                            match result {
                                Ok(true) => {
                                    metrics.revalidations = 1;
                                    (
                                        WatchdogOutcome::Revalidated,
                                        format!(
                                            "webhook {} was invalid; the CRC passed and it is valid again",
                                            hook.id.as_str()
                                        ),
                                    )
                                }
                                Ok(false) => {
                                    metrics.failures = 1;
                                    (
                                        WatchdogOutcome::StillInvalid,
                                        format!(
                                            "webhook {} is invalid; X answered the re-validation with valid: false",
                                            hook.id.as_str()
                                        ),
                                    )
                                }
                                Err(e) => {
                                    if let Some(l) = exhausted(&e) {
                                        crc_limit = Some(l);
                                    }
                                    metrics.failures = 1;
                                    (
                                        WatchdogOutcome::StillInvalid,
                                        format!(
                                            "webhook {} is invalid and re-validation failed: {e}",
                                            hook.id.as_str()
                                        ),
                                    )
                                }
                            }
                        }
                    }
                }
            }
        }
    };

    metrics.webhook_valid = outcome.webhook_valid().map(u8::from);
    let invalid_runs = match outcome.webhook_valid() {
        Some(true) => 0,
        Some(false) => previous.as_ref().map_or(0, |r| r.invalid_runs) + 1,
        None => previous.as_ref().map_or(0, |r| r.invalid_runs),
    };

    // Silence: only worth a (rate-limited) subscription count when deliveries are overdue.
    let overdue = health
        .last_delivery_ms
        .is_none_or(|t| now_ms.saturating_sub(t) >= config.silence_after_ms);
    let silent = if overdue {
        match webhooks::deliveries_expected(client, config, ours.as_ref()).await {
            Ok(expected) => Some(expected),
            Err(e) => {
                tracing::info!(error = %e, "could not count subscriptions; silence not checked");
                None
            }
        }
    } else {
        Some(false)
    };
    metrics.silent = silent.map(u8::from);

    let run = WatchdogRun {
        at_ms: now_ms,
        outcome,
        detail,
        invalid_runs,
        silent: silent.unwrap_or(false),
        list_rate_limit: list_limit,
        crc_rate_limit: crc_limit,
    };
    if let Err(e) = store.record_watchdog_run(&run).await {
        tracing::warn!(error = %e, "could not record the watchdog run");
        store_error.get_or_insert(e.to_string());
    }
    WatchdogReport {
        run,
        metrics,
        store_error,
    }
}

/// Default silence threshold: 6 hours.
pub const DEFAULT_SILENCE_MINUTES: u64 = 360;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_with_only_the_operator_reserve_left_has_no_budget() {
        let rl = |remaining| RateLimit {
            limit: Some(15),
            remaining: Some(remaining),
            reset_at: Some(2_000),
        };
        assert!(has_budget(Some(rl(2)), None, 1_000));
        assert!(!has_budget(Some(rl(1)), None, 1_000));
        assert!(has_budget(Some(rl(0)), None, 2_000), "window reset");
        let stored = StoredRateLimit {
            remaining: 0,
            reset_at: 2_000,
        };
        assert!(!has_budget(None, Some(stored), 1_999));
        assert!(has_budget(None, None, 0));
    }
}
