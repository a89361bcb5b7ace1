//! Retrying Twitter calls: jittered backoff for transient failures, wait-until-reset for rate
//! limits, both bounded by a deadline the caller gives.
//!
//! `docs/TWITTER-API.md` §7: a 429 or code 88 is rate limited (wait until the reset time), a 5xx or
//! a timeout is transient, any other 4xx is permanent. A Lambda invocation has a hard deadline, so
//! no wait may run past it: when the next wait would, [`retry`] gives up at once and returns the
//! last error (still a [`TwitterError::RateLimited`] or [`TwitterError::Transient`], so the caller
//! knows the work can be tried again later). The decision itself is the pure
//! [`RetryPolicy::decide`]; [`Timer`] supplies time so that tests need not sleep.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::errors::TwitterError;
use super::oauth1::{Clock, SystemClock};

/// How to space retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first backoff before jitter; it doubles with each attempt.
    pub initial_backoff: Duration,
    /// No single backoff is longer than this.
    pub max_backoff: Duration,
    /// Calls in all, the first included.
    pub max_attempts: u32,
    /// Added to a rate-limit wait: `x-rate-limit-reset` has one-second granularity and clocks
    /// differ a little, so calling exactly at the reset second can still be refused.
    pub reset_margin: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(20),
            max_attempts: 8,
            reset_margin: Duration::from_secs(1),
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then call again.
    RetryAfter(Duration),
    /// Return the error to the caller.
    GiveUp,
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1 for the first call), with "equal
    /// jitter": half of the exponential backoff is fixed, the other half scaled by `jitter` (a
    /// number in `[0, 1)`), so that many clients failing together do not retry together.
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_backoff);
        let half = exp / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
    }

    /// Decides, purely, whether to retry after `error` on attempt `attempt` (1-based), given the
    /// wall clock `now_unix` (epoch seconds, to compare with a rate limit's reset) and the time
    /// left before the caller's deadline.
    pub fn decide(
        &self,
        error: &TwitterError,
        attempt: u32,
        now_unix: u64,
        time_left: Duration,
        jitter: f64,
    ) -> Decision {
        if attempt >= self.max_attempts {
            return Decision::GiveUp;
        }
        let wait = match error {
            TwitterError::RateLimited { .. } => match error.retry_after(now_unix) {
                Some(wait) => wait + self.reset_margin,
                // A 429 without a reset header: back off as for a transient failure.
                None => self.backoff(attempt, jitter),
            },
            TwitterError::Transient { .. } => self.backoff(attempt, jitter),
            _ => return Decision::GiveUp,
        };
        if wait >= time_left {
            Decision::GiveUp
        } else {
            Decision::RetryAfter(wait)
        }
    }
}

/// The time source of [`retry_with`]: a monotonic clock for the deadline, the wall clock for
/// rate-limit resets, and sleeping.
pub trait Timer: Send + Sync {
    fn now(&self) -> Instant;
    fn unix_seconds(&self) -> u64;
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;
}

/// Real time: `tokio::time` and the system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioTimer;

impl Timer for TokioTimer {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn unix_seconds(&self) -> u64 {
        SystemClock.unix_seconds()
    }
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }
}

/// Virtual time for tests: sleeping returns at once, moves the clocks forward and is recorded,
/// so a test can check *how long* the code would have waited without waiting.
#[derive(Debug)]
pub struct ManualTimer {
    start: Instant,
    unix_start: u64,
    state: Mutex<(Duration, Vec<Duration>)>,
}

impl ManualTimer {
    /// Starts at the real current instant and at wall-clock second `unix_start`.
    pub fn new(unix_start: u64) -> Self {
        Self {
            start: Instant::now(),
            unix_start,
            state: Mutex::new((Duration::ZERO, Vec::new())),
        }
    }

    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state.lock().map(|s| s.1.clone()).unwrap_or_default()
    }

    /// Virtual time elapsed since creation.
    pub fn elapsed(&self) -> Duration {
        self.state.lock().map(|s| s.0).unwrap_or_default()
    }
}

impl Timer for ManualTimer {
    fn now(&self) -> Instant {
        self.start + self.elapsed()
    }
    fn unix_seconds(&self) -> u64 {
        self.unix_start + self.elapsed().as_secs()
    }
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        if let Ok(mut s) = self.state.lock() {
            s.0 += duration;
            s.1.push(duration);
        }
        std::future::ready(())
    }
}

/// Calls `op` until it succeeds, fails permanently, runs out of attempts, or the next wait
/// would pass `deadline`; uses the default [`RetryPolicy`] and real time.
pub async fn retry<T, F, Fut>(deadline: Instant, op: F) -> Result<T, TwitterError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, TwitterError>>,
{
    retry_with(&RetryPolicy::default(), &TokioTimer, deadline, op).await
}

/// [`retry`] with an explicit policy and time source.
pub async fn retry_with<T, F, Fut>(
    policy: &RetryPolicy,
    timer: &impl Timer,
    deadline: Instant,
    mut op: F,
) -> Result<T, TwitterError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, TwitterError>>,
{
    let mut attempt = 1;
    loop {
        let error = match op().await {
            Ok(value) => return Ok(value),
            Err(e) => e,
        };
        let time_left = deadline.saturating_duration_since(timer.now());
        let jitter: f64 = rand::random();
        match policy.decide(&error, attempt, timer.unix_seconds(), time_left, jitter) {
            Decision::GiveUp => {
                if error.is_retryable() {
                    tracing::warn!(attempt, time_left_ms = time_left.as_millis() as u64, error = %error, "giving up on Twitter call");
                }
                return Err(error);
            }
            Decision::RetryAfter(wait) => {
                tracing::info!(attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying Twitter call");
                timer.sleep(wait).await;
                attempt += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests;
