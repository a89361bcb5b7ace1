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
    /// Reads the three headers; `None` when none of them is present (or readable). X API v2
    /// also reports its 24-hour windows (`x-user-limit-24hour-*`, `x-app-limit-24hour-*`): an
    /// exhausted one binds, so it wins when it resets later than the main window.
    pub fn from_headers(headers: &http::HeaderMap) -> Option<Self> {
        fn num<T: std::str::FromStr>(headers: &http::HeaderMap, name: &str) -> Option<T> {
            headers.get(name)?.to_str().ok()?.trim().parse().ok()
        }
        let read = |prefix: &str| Self {
            limit: num(headers, &format!("{prefix}-limit")),
            remaining: num(headers, &format!("{prefix}-remaining")),
            reset_at: num(headers, &format!("{prefix}-reset")),
        };
        let mut rate = read("x-rate-limit");
        for prefix in ["x-user-limit-24hour", "x-app-limit-24hour"] {
            let day = read(prefix);
            let binds = day.is_exhausted()
                && day.reset_at.is_some()
                && (!rate.is_exhausted() || day.reset_at > rate.reset_at);
            if binds {
                rate = day;
            }
        }
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
