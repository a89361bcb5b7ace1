//! `dmbot webhook status`: the webhook's health in words an operator understands, each problem
//! with the command that fixes it.
//!
//! [`WebhookStatusReport::build`] is pure: it takes what Twitter says about the environment's
//! webhooks (`GET webhooks.json`) and the health record the functions leave in the store
//! ([`crate::store::health`]). [`gather`] (feature `client`) fetches both. Render with
//! [`WebhookStatusReport::render_text`], or serialize the report (it is `Serialize`) for `--json`.

use serde::Serialize;

use crate::store::health::{HealthRecord, WatchdogOutcome, WatchdogRun};
use crate::twitter::api_types::Webhook;

/// What Twitter says about our webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WebhookState {
    /// Registered and `valid: true`: Twitter delivers events.
    Valid { id: String, url: String },
    /// Registered but `valid: false`: Twitter has stopped delivering.
    Invalid { id: String, url: String },
    /// No webhook (with our URL) in the environment.
    Missing { registered: Vec<String> },
    /// Twitter could not be asked (the reason says why).
    Unknown { reason: String },
}

/// One problem and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub what: String,
    pub fix: String,
}

/// Everything `dmbot webhook status` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookStatusReport {
    /// When the report was made (ms since epoch).
    pub now_ms: u64,
    pub env: String,
    pub webhook: WebhookState,
    /// When the CRC function last answered a challenge, and how long the answer took (µs).
    pub last_crc_ms: Option<u64>,
    pub last_crc_latency_us: Option<u64>,
    /// When the last delivery arrived.
    pub last_delivery_ms: Option<u64>,
    /// The watchdog's last run.
    pub watchdog: Option<WatchdogRun>,
    /// Empty when everything is fine.
    pub problems: Vec<Problem>,
}

/// Twitter runs a CRC at least every 24 hours; no answer for longer means it cannot reach us or
/// the function does not record (an older deployment).
const CRC_EXPECTED_WITHIN_MS: u64 = 25 * 3600 * 1000;
/// A watchdog that has not run for this long is probably not deployed or failing.
const WATCHDOG_EXPECTED_WITHIN_MS: u64 = 30 * 60 * 1000;

impl WebhookStatusReport {
    /// Builds the report. `webhooks` is Twitter's answer (or why there is none); `our_url`
    /// picks our webhook (None: the environment's only one).
    pub fn build(
        env: &str,
        our_url: Option<&str>,
        webhooks: Result<Vec<Webhook>, String>,
        health: HealthRecord,
        now_ms: u64,
    ) -> Self {
        let webhook = match webhooks {
            Err(reason) => WebhookState::Unknown { reason },
            Ok(hooks) => {
                let ours = match our_url {
                    Some(url) => hooks
                        .iter()
                        .find(|w| w.url.trim_end_matches('/') == url.trim_end_matches('/')),
                    None => hooks.first(),
                };
                match ours {
                    Some(w) if w.valid => WebhookState::Valid {
                        id: w.id.as_str().to_string(),
                        url: w.url.clone(),
                    },
                    Some(w) => WebhookState::Invalid {
                        id: w.id.as_str().to_string(),
                        url: w.url.clone(),
                    },
                    None => WebhookState::Missing {
                        registered: hooks.iter().map(|w| w.url.clone()).collect(),
                    },
                }
            }
        };

        let mut problems = Vec::new();
        match &webhook {
            WebhookState::Valid { .. } => {}
            WebhookState::Invalid { .. } => problems.push(Problem {
                what: "Twitter marked the webhook invalid (a CRC failed): no events are delivered."
                    .into(),
                fix: "check the CRC function's logs, then run `dmbot webhook validate` (the watchdog also retries every few minutes)".into(),
            }),
            WebhookState::Missing { registered } => problems.push(Problem {
                what: if registered.is_empty() {
                    format!("No webhook is registered in environment {env}.")
                } else {
                    format!(
                        "Our webhook is not registered in environment {env} (registered: {}).",
                        registered.join(", ")
                    )
                },
                fix: "run `dmbot webhook register <WebhookUrl from the stack outputs>`, then `dmbot subscription add`".into(),
            }),
            WebhookState::Unknown { reason } => problems.push(Problem {
                what: format!("Could not ask Twitter about the webhook: {reason}"),
                fix: "check the credentials (`dmbot secrets put`) and TWITTER_ENV_NAME; if rate-limited, wait 15 minutes".into(),
            }),
        }
        match health.last_crc_ms {
            None => problems.push(Problem {
                what: "No CRC answer has been recorded yet.".into(),
                fix: "run `dmbot webhook validate` to make Twitter send one".into(),
            }),
            Some(t) if now_ms.saturating_sub(t) > CRC_EXPECTED_WITHIN_MS => {
                problems.push(Problem {
                    what: format!(
                        "The last CRC answer was {} ago; Twitter checks at least daily.",
                        ago(now_ms, t)
                    ),
                    fix: "run `dmbot webhook validate`; if it fails, check the API's access log and the CRC function's logs".into(),
                })
            }
            Some(_) => {}
        }
        match &health.last_watchdog {
            None => problems.push(Problem {
                what: "The watchdog has never run.".into(),
                fix: "deploy the stack with `sam deploy` (it schedules the watchdog)".into(),
            }),
            Some(run) if now_ms.saturating_sub(run.at_ms) > WATCHDOG_EXPECTED_WITHIN_MS => {
                problems.push(Problem {
                    what: format!("The watchdog last ran {} ago.", ago(now_ms, run.at_ms)),
                    fix: "check the watchdog function's logs and its schedule (EventBridge rule)"
                        .into(),
                })
            }
            Some(run) if run.outcome == WatchdogOutcome::CheckFailed => problems.push(Problem {
                what: format!("The watchdog's last check failed: {}", run.detail),
                fix: "check the secret (`dmbot secrets put`) and the watchdog's logs".into(),
            }),
            Some(run) if run.silent => problems.push(Problem {
                what: "No delivery for a long time although accounts are subscribed (may be a quiet period).".into(),
                fix: "send the account a test DM; if nothing arrives, run `dmbot subscription list` and `dmbot webhook validate`".into(),
            }),
            Some(_) => {}
        }

        Self {
            now_ms,
            env: env.to_string(),
            webhook,
            last_crc_ms: health.last_crc_ms,
            last_crc_latency_us: health.last_crc_latency_us,
            last_delivery_ms: health.last_delivery_ms,
            watchdog: health.last_watchdog,
            problems,
        }
    }

    /// Whether nothing needs attention.
    pub fn is_healthy(&self) -> bool {
        self.problems.is_empty()
    }

    /// The report as lines of text for a terminal.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let line = |out: &mut String, label: &str, value: String| {
            out.push_str(&format!("{label:<16}{value}\n"));
        };
        line(&mut out, "Environment:", self.env.clone());
        line(
            &mut out,
            "Webhook:",
            match &self.webhook {
                WebhookState::Valid { id, url } => format!("valid (id {id}, {url})"),
                WebhookState::Invalid { id, url } => {
                    format!("INVALID: Twitter is not delivering (id {id}, {url})")
                }
                WebhookState::Missing { .. } => "not registered".into(),
                WebhookState::Unknown { reason } => format!("unknown ({reason})"),
            },
        );
        line(
            &mut out,
            "Last CRC:",
            match self.last_crc_ms {
                None => "never recorded".into(),
                Some(t) => match self.last_crc_latency_us {
                    Some(us) => format!(
                        "{} ago, answered in {:.2} ms",
                        ago(self.now_ms, t),
                        us as f64 / 1000.0
                    ),
                    None => format!("{} ago", ago(self.now_ms, t)),
                },
            },
        );
        line(
            &mut out,
            "Last delivery:",
            match self.last_delivery_ms {
                None => "never recorded".into(),
                Some(t) => format!("{} ago", ago(self.now_ms, t)),
            },
        );
        line(
            &mut out,
            "Watchdog:",
            match &self.watchdog {
                None => "never ran".into(),
                Some(run) => format!(
                    "{} ago: {} ({})",
                    ago(self.now_ms, run.at_ms),
                    outcome_words(run.outcome),
                    run.detail
                ),
            },
        );
        if self.problems.is_empty() {
            out.push_str("\nAll good: Twitter is delivering to the webhook.\n");
        } else {
            out.push_str("\nProblems:\n");
            for p in &self.problems {
                out.push_str(&format!("  - {}\n    fix: {}\n", p.what, p.fix));
            }
        }
        out
    }

    /// The report as JSON (for `--json`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

fn outcome_words(outcome: WatchdogOutcome) -> &'static str {
    match outcome {
        WatchdogOutcome::Valid => "webhook valid",
        WatchdogOutcome::Revalidated => "webhook was invalid, re-validated",
        WatchdogOutcome::StillInvalid => "webhook invalid, re-validation failed",
        WatchdogOutcome::Missing => "webhook missing",
        WatchdogOutcome::CheckFailed => "check failed",
        WatchdogOutcome::RateLimited => "skipped, rate limit used up",
    }
}

/// "3 min", "2 h 5 min", "4 days".
fn ago(now_ms: u64, then_ms: u64) -> String {
    let s = now_ms.saturating_sub(then_ms) / 1000;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} days", s / 86_400),
    }
}

/// Asks Twitter for the environment's webhooks and the store for the health record, and builds
/// the report. Neither failure stops the report: it says what could not be checked.
#[cfg(feature = "client")]
pub async fn gather<S: crate::store::health::Health>(
    client: &crate::twitter::client::TwitterClient,
    env: &crate::twitter::api_types::EnvName,
    our_url: Option<&str>,
    store: &S,
    now_ms: u64,
) -> WebhookStatusReport {
    let webhooks = client.list_webhooks(env).await.map_err(|e| e.to_string());
    let health = match store.get_health().await {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the health record");
            HealthRecord::default()
        }
    };
    WebhookStatusReport::build(env.as_str(), our_url, webhooks, health, now_ms)
}

/// [`gather`] on X API v2: the app's webhooks from `GET /2/webhooks` (no environment there; the
/// report names the API instead).
pub async fn gather_v2<S: crate::store::health::Health>(
    client: &crate::twitter::client::TwitterClient,
    our_url: Option<&str>,
    store: &S,
    now_ms: u64,
) -> WebhookStatusReport {
    let webhooks = client
        .list_webhooks_v2()
        .await
        .map(|hooks| {
            hooks
                .into_iter()
                .map(|h| Webhook {
                    id: h.id,
                    url: h.url,
                    valid: h.valid,
                    created_at: h.created_at,
                })
                .collect()
        })
        .map_err(|e| e.to_string());
    let health = match store.get_health().await {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the health record");
            HealthRecord::default()
        }
    };
    WebhookStatusReport::build("X API v2", our_url, webhooks, health, now_ms)
}

#[cfg(test)]
mod tests;
