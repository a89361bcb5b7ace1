//! What the `x-rate-limit-*` headers of a response said.

use std::time::Duration;
/// What the `x-rate-limit-*` headers of a response said. Twitter sends them on every response
/// of a rate-limited endpoint; `reset_at` is the epoch second at which the window restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimit {
    /// `x-rate-limit-limit`: calls allowed per window (15 for webhook management).
    pub limit: Option<u32>,
    /// `x-rate-limit-remaining`: calls left in this window.
    pub remaining: Option<u32>,
    /// `x-rate-limit-reset`: when the window restarts, seconds since the Unix epoch.
    pub reset_at: Option<u64>,
}

impl RateLimit {
    /// Reads the three headers; `None` when none of them is present (or readable).
    pub fn from_headers(headers: &http::HeaderMap) -> Option<Self> {
        fn num<T: std::str::FromStr>(headers: &http::HeaderMap, name: &str) -> Option<T> {
            headers.get(name)?.to_str().ok()?.trim().parse().ok()
        }
        let rate = Self {
            limit: num(headers, "x-rate-limit-limit"),
            remaining: num(headers, "x-rate-limit-remaining"),
            reset_at: num(headers, "x-rate-limit-reset"),
        };
        (rate != Self::default()).then_some(rate)
    }

    /// How long from `now_unix` (epoch seconds) until the window resets; zero if it already has.
    pub fn wait_from(&self, now_unix: u64) -> Option<Duration> {
        self.reset_at
            .map(|reset| Duration::from_secs(reset.saturating_sub(now_unix)))
    }

    /// True when the last response said no calls are left in this window.
    pub fn is_exhausted(&self) -> bool {
        self.remaining == Some(0)
    }
}
