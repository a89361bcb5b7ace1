//! X API v2 error answers (`docs/X-API-V2.md` §8): a problem document `{"title", "detail",
//! "type", "status"}`, with an `errors` array that names the parameter at fault (`parameters`)
//! or, for webhooks and subscriptions, a `reason` (`CrcValidationFailed`, ...). Mapped to the
//! same [`TwitterError`] kinds as v1.1's, each with what to do next.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{RateLimit, TwitterError};

/// Where a v2 error answer came from, for [`classify_v2`].
#[derive(Debug, Clone, Copy)]
pub struct V2ErrorContext<'a> {
    /// The endpoint's name (`POST /2/dm_conversations/with/:participant_id/messages`).
    pub endpoint: &'a str,
    /// True for the DM send, where a 403 means the person has not written to the account.
    pub dm_send: bool,
    /// The response's `x-rate-limit-*` headers.
    pub rate_limit: Option<RateLimit>,
}

/// A v2 problem document; every field optional, so any JSON (or none) reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Problem {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub errors: Vec<ProblemEntry>,
}

/// One entry of a problem's `errors`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ProblemEntry {
    /// The parameters at fault and the values sent.
    #[serde(default)]
    pub parameters: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub message: Option<String>,
    /// The webhook and subscription endpoints' named reason.
    #[serde(default)]
    pub reason: Option<String>,
}

impl Problem {
    /// Reads a body; a body that is not a problem document gives its readable start as
    /// `detail`.
    pub fn parse(body: &[u8]) -> Self {
        if let Ok(p) = serde_json::from_slice::<Problem>(body) {
            return p;
        }
        let text: String = String::from_utf8_lossy(body)
            .chars()
            .filter(|c| !c.is_control())
            .take(300)
            .collect();
        let text = text.trim();
        Self {
            detail: (!text.is_empty()).then(|| text.to_string()),
            ..Self::default()
        }
    }

    /// `title: detail` (or whichever is there), cut to a readable length.
    fn summary(&self, status: u16) -> String {
        let parts: Vec<&str> = [self.title.as_deref(), self.detail.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect();
        if parts.is_empty() {
            format!("HTTP {status}")
        } else {
            parts.join(": ").chars().take(400).collect()
        }
    }

    fn reason(&self) -> Option<(&str, &str)> {
        self.errors.iter().find_map(|e| {
            let reason = e.reason.as_deref()?;
            Some((reason, e.message.as_deref().unwrap_or("")))
        })
    }

    fn is_type(&self, suffix: &str) -> bool {
        self.kind.as_deref().is_some_and(|k| k.ends_with(suffix))
    }
}

/// What to do about a webhook or subscription refusal X names with a `reason`.
pub fn reason_advice(reason: &str) -> &'static str {
    match reason {
        "UrlValidationFailed" => {
            "the webhook URL must be https, without a port, at most 200 characters"
        }
        "DuplicateUrlFailed" => {
            "a webhook with this URL is already registered: list the webhooks and reuse that one, or delete it first"
        }
        "WebhookLimitExceeded" => {
            "the account's webhook limit is reached (Pay-Per-Use allows one): delete the old webhook first"
        }
        "WebhookIdInvalid" => "no webhook has this id: list the webhooks for the right id",
        "SubscriptionLimitExceeded" => {
            "the subscription limit is reached: delete subscriptions of accounts no longer served"
        }
        "DuplicateSubscriptionFailed" => "the account is already subscribed: nothing to do",
        "SubscriptionNotFound" => "the account is not subscribed to this webhook",
        _ => "see X's reason above",
    }
}

/// Maps a non-success v2 answer to the error the caller must handle.
pub fn classify_v2(status: u16, body: &[u8], ctx: V2ErrorContext<'_>) -> TwitterError {
    let problem = Problem::parse(body);
    let endpoint = ctx.endpoint.to_string();
    let summary = problem.summary(status);

    if status == 429 {
        let rate = ctx.rate_limit.unwrap_or_default();
        return TwitterError::RateLimited {
            endpoint,
            reset_at: rate.reset_at,
            limit: rate.limit,
            remaining: rate.remaining,
        };
    }
    if status >= 500 {
        return TwitterError::Transient {
            endpoint,
            status: Some(status),
            reason: format!("HTTP {status}: {summary}"),
        };
    }
    if status == 401 {
        return TwitterError::BadCredentials {
            endpoint,
            code: 32,
            message: summary,
        };
    }
    if let Some((reason, message)) = problem.reason() {
        if reason == "CrcValidationFailed" {
            return TwitterError::CrcFailed {
                message: message.to_string(),
            };
        }
        let message = format!("{reason} ({message}): {}", reason_advice(reason));
        if matches!(reason, "WebhookIdInvalid" | "SubscriptionNotFound") {
            return TwitterError::NotFound { endpoint, message };
        }
        return TwitterError::Permanent {
            endpoint,
            status,
            code: None,
            message,
        };
    }
    if status == 403 {
        if ctx.dm_send && !problem.is_type("unsupported-authentication") {
            return TwitterError::NotAllowedToDm {
                endpoint,
                message: summary,
            };
        }
        let advice = if problem.is_type("unsupported-authentication") {
            "this endpoint takes another kind of credentials (an account's OAuth 1.0a user token or the app's bearer token)"
        } else if problem.is_type("client-forbidden") {
            "attach the app to a Project with X API v2 access in the developer portal"
        } else {
            "the token may belong to another account than the one named"
        };
        return TwitterError::Forbidden {
            endpoint,
            message: format!("{summary}; {advice}"),
        };
    }
    if status == 404 {
        return TwitterError::NotFound {
            endpoint,
            message: summary,
        };
    }
    let message = match problem.errors.iter().find(|e| !e.parameters.is_empty()) {
        Some(e) => {
            let names: Vec<&str> = e.parameters.keys().map(String::as_str).collect();
            let why = e.message.as_deref().unwrap_or("is invalid");
            let mut m = format!("parameter `{}`: {why}", names.join("`, `"));
            if names.iter().any(|n| n.contains("media_id")) {
                m.push_str(
                    " (upload the media again as the sending account, then attach the new id)",
                );
            }
            m
        }
        None => summary,
    };
    TwitterError::Permanent {
        endpoint,
        status,
        code: None,
        message,
    }
}
