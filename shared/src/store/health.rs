//! Webhook health records: what `dmbot webhook status` shows and the watchdog compares against.
//!
//! Twitter stops delivering events to a webhook whose CRC fails, and says so only by flipping
//! `valid` to `false` in `GET webhooks.json`: nobody is told. So the functions leave traces:
//! - the CRC function records when it last answered a challenge and how long the answer took;
//! - the webhook function records when the last delivery arrived;
//! - the watchdog records each run's outcome (and the webhook endpoints' rate limit, which
//!   allows only 15 calls per 15 minutes, so that the next run, maybe in a new container, knows
//!   how many calls are left).
//!
//! All of it is one record (DynamoDB item `pk = HEALTH`, `sk = WEBHOOK`, one attribute per
//! writer so that writers never overwrite each other: `dynamodb/health.rs`; the embedded store's
//! table `health`: `embedded/health.rs`). Recording is best effort: callers on a hot
//! path (the CRC) write at most once a minute and never fail a request because of it.

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::StoreError;

#[cfg(feature = "dynamodb")]
pub use super::dynamodb::health::{HEALTH_PK, HEALTH_SK};

/// What a watchdog run concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchdogOutcome {
    /// Twitter lists our webhook as valid: deliveries flow.
    Valid,
    /// It was invalid; the CRC we triggered passed, so it is valid again.
    Revalidated,
    /// It was invalid and the CRC we triggered failed (or could not be triggered).
    StillInvalid,
    /// No webhook with our URL is registered in the environment.
    Missing,
    /// The run could not check (Twitter unreachable, credentials refused, ...).
    CheckFailed,
    /// The webhook endpoints' rate limit is used up: the run made no call.
    RateLimited,
}

impl WatchdogOutcome {
    /// Whether the webhook was known to be delivering after the run.
    pub fn webhook_valid(self) -> Option<bool> {
        match self {
            WatchdogOutcome::Valid | WatchdogOutcome::Revalidated => Some(true),
            WatchdogOutcome::StillInvalid | WatchdogOutcome::Missing => Some(false),
            WatchdogOutcome::CheckFailed | WatchdogOutcome::RateLimited => None,
        }
    }
}

/// A rate-limit window as last reported by Twitter for one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRateLimit {
    /// Calls left in the window.
    pub remaining: u32,
    /// When the window restarts, seconds since the Unix epoch.
    pub reset_at: u64,
}

/// One watchdog run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchdogRun {
    pub at_ms: u64,
    pub outcome: WatchdogOutcome,
    /// What happened, in words (an error message, the webhook id, ...). Never a secret.
    pub detail: String,
    /// Consecutive runs (this one included) that found the webhook invalid or missing.
    #[serde(default)]
    pub invalid_runs: u32,
    /// Whether this run found no delivery for longer than the silence threshold while accounts
    /// are subscribed.
    #[serde(default)]
    pub silent: bool,
    /// `GET webhooks.json`'s rate limit after the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_rate_limit: Option<StoredRateLimit>,
    /// `PUT webhooks/:id.json`'s rate limit after the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc_rate_limit: Option<StoredRateLimit>,
}

/// Everything recorded about the webhook's health. All fields are absent until first recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthRecord {
    /// When the CRC function last answered a challenge (ms since epoch).
    pub last_crc_ms: Option<u64>,
    /// How long computing that answer took, in microseconds (inside the function).
    pub last_crc_latency_us: Option<u64>,
    /// When the webhook function last received a delivery (ms since epoch).
    pub last_delivery_ms: Option<u64>,
    /// The watchdog's last run.
    pub last_watchdog: Option<WatchdogRun>,
}

impl HealthRecord {
    /// Applies a CRC answer (keeps the newest).
    pub fn apply_crc(&mut self, at_ms: u64, latency_us: u64) {
        if self.last_crc_ms.is_none_or(|t| t <= at_ms) {
            self.last_crc_ms = Some(at_ms);
            self.last_crc_latency_us = Some(latency_us);
        }
    }

    /// Applies a delivery (keeps the newest).
    pub fn apply_delivery(&mut self, at_ms: u64) {
        if self.last_delivery_ms.is_none_or(|t| t <= at_ms) {
            self.last_delivery_ms = Some(at_ms);
        }
    }
}

/// Webhook health records (see the module doc).
pub trait Health: Send + Sync {
    /// The CRC function answered a challenge at `at_ms`, computing the answer took `latency_us`.
    fn record_crc(
        &self,
        at_ms: u64,
        latency_us: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The webhook function received a delivery at `at_ms`.
    fn record_delivery(&self, at_ms: u64) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The watchdog finished a run.
    fn record_watchdog_run(
        &self,
        run: &WatchdogRun,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Everything recorded so far (an empty record when nothing was).
    fn get_health(&self) -> impl Future<Output = Result<HealthRecord, StoreError>> + Send;
}

/// Decides whether a hot-path writer (CRC, webhook) should record now: at most once per
/// `interval_ms` per container, so that a burst of requests costs one write.
#[derive(Debug, Default)]
pub struct Throttle {
    last_ms: std::sync::atomic::AtomicU64,
}

impl Throttle {
    pub const fn new() -> Self {
        Self {
            last_ms: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// True (and remembers `now_ms`) when nothing was recorded in the last `interval_ms`.
    pub fn should_record(&self, now_ms: u64, interval_ms: u64) -> bool {
        use std::sync::atomic::Ordering;
        let last = self.last_ms.load(Ordering::Relaxed);
        if last != 0 && now_ms.saturating_sub(last) < interval_ms {
            return false;
        }
        self.last_ms
            .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }
}

/// How often the CRC and webhook functions write their health trace, at most.
pub const HEALTH_RECORD_INTERVAL_MS: u64 = 60_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_allows_one_record_per_interval() {
        let t = Throttle::new();
        assert!(t.should_record(1_000, 60_000));
        assert!(!t.should_record(30_000, 60_000));
        assert!(t.should_record(61_000, 60_000));
    }

    #[test]
    fn an_older_crc_does_not_replace_a_newer_one() {
        let mut h = HealthRecord::default();
        h.apply_crc(2_000, 5);
        h.apply_crc(1_000, 9);
        assert_eq!(
            (h.last_crc_ms, h.last_crc_latency_us),
            (Some(2_000), Some(5))
        );
    }
}
