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
        let read = |prefix: &str| Self::read(headers, prefix).unwrap_or_default();
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

    /// The three headers `<prefix>-limit`, `-remaining` and `-reset`; `None` when none is there.
    pub fn read(headers: &http::HeaderMap, prefix: &str) -> Option<Self> {
        fn num<T: std::str::FromStr>(headers: &http::HeaderMap, name: &str) -> Option<T> {
            headers.get(name)?.to_str().ok()?.trim().parse().ok()
        }
        let rate = Self {
            limit: num(headers, &format!("{prefix}-limit")),
            remaining: num(headers, &format!("{prefix}-remaining")),
            reset_at: num(headers, &format!("{prefix}-reset")),
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

/// Every window one response reports, each on its own (for the send budget, which counts them
/// separately): the endpoint's window (`x-rate-limit-*`) and X API v2's 24-hour windows per user
/// (`x-user-limit-24hour-*`) and per app (`x-app-limit-24hour-*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateWindows {
    pub main: Option<RateLimit>,
    pub user_day: Option<RateLimit>,
    pub app_day: Option<RateLimit>,
}

impl RateWindows {
    pub fn from_headers(headers: &http::HeaderMap) -> Self {
        Self {
            main: RateLimit::read(headers, "x-rate-limit"),
            user_day: RateLimit::read(headers, "x-user-limit-24hour"),
            app_day: RateLimit::read(headers, "x-app-limit-24hour"),
        }
    }
}

/// A call's answer with the rate-limit windows its response reported.
#[derive(Debug, Clone)]
pub struct Observed<T> {
    pub value: T,
    pub windows: RateWindows,
}
