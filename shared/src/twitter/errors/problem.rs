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
        let credentials =
            problem.is_type("unsupported-authentication") || problem.is_type("client-forbidden");
        if ctx.dm_send && !credentials {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ctx(dm_send: bool) -> V2ErrorContext<'static> {
        V2ErrorContext {
            endpoint: "POST /2/x",
            dm_send,
            rate_limit: Some(RateLimit {
                limit: Some(15),
                remaining: Some(0),
                reset_at: Some(1_700_000_900),
            }),
        }
    }

    fn problem(status: u16, kind: &str, detail: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({"title": "T", "detail": detail, "type": kind, "status": status}))
            .unwrap()
    }

    #[test]
    fn a_429_is_rate_limited_with_the_headers_reset() {
        let e = classify_v2(
            429,
            &problem(429, "about:blank", "Too Many Requests"),
            ctx(true),
        );
        assert_eq!(
            e.retry_after(1_700_000_000),
            Some(std::time::Duration::from_secs(900))
        );
    }

    #[test]
    fn a_403_on_a_dm_send_means_the_person_has_not_written_first() {
        let body = problem(403, "about:blank", "You are not allowed to DM this user");
        let e = classify_v2(403, &body, ctx(true));
        assert!(matches!(e, TwitterError::NotAllowedToDm { .. }), "{e:?}");
        assert!(!e.is_retryable());
        let other = classify_v2(403, &body, ctx(false));
        assert!(matches!(other, TwitterError::Forbidden { .. }), "{other:?}");
    }

    #[test]
    fn unsupported_authentication_and_client_forbidden_say_which_credentials() {
        let kind = "https://api.twitter.com/2/problems/unsupported-authentication";
        let e = classify_v2(403, &problem(403, kind, "not supported"), ctx(true));
        assert!(matches!(e, TwitterError::Forbidden { .. }), "{e:?}");
        assert!(e.to_string().contains("bearer token"), "{e}");
        let kind = "https://api.twitter.com/2/problems/client-forbidden";
        let e = classify_v2(403, &problem(403, kind, "no project"), ctx(true));
        assert!(
            e.to_string().contains("Project with X API v2 access"),
            "{e}"
        );
    }

    #[test]
    fn a_401_is_bad_credentials_and_a_5xx_is_transient() {
        let e = classify_v2(
            401,
            &problem(401, "about:blank", "Unauthorized"),
            ctx(false),
        );
        assert!(
            matches!(e, TwitterError::BadCredentials { code: 32, .. }),
            "{e:?}"
        );
        let e = classify_v2(503, b"<html>busy</html>", ctx(false));
        assert!(e.is_transient());
        assert!(e.to_string().contains("busy"), "{e}");
    }

    #[test]
    fn a_400_names_the_parameter_and_a_reason_says_what_to_do() {
        let body = json!({"errors": [{"parameters": {"text": [""]}, "message": "text must be a non-empty string"}],
            "title": "Invalid Request", "status": 400});
        let e = classify_v2(400, body.to_string().as_bytes(), ctx(true));
        let TwitterError::Permanent {
            status: 400,
            message,
            ..
        } = &e
        else {
            panic!("{e:?}");
        };
        assert_eq!(message, "parameter `text`: text must be a non-empty string");

        let reason = |r: &str| {
            let body = json!({"errors": [{"reason": r, "message": "m"}], "status": 400});
            classify_v2(400, body.to_string().as_bytes(), ctx(false))
        };
        assert!(matches!(
            reason("CrcValidationFailed"),
            TwitterError::CrcFailed { .. }
        ));
        assert!(matches!(
            reason("WebhookIdInvalid"),
            TwitterError::NotFound { .. }
        ));
        let e = reason("DuplicateUrlFailed");
        assert!(
            e.to_string()
                .contains("DuplicateUrlFailed (m): a webhook with this URL"),
            "{e}"
        );
        assert!(reason("SomethingNew").to_string().contains("SomethingNew"));
    }

    #[test]
    fn an_empty_or_foreign_body_still_reads() {
        assert_eq!(Problem::parse(b""), Problem::default());
        let e = classify_v2(418, b"", ctx(false));
        assert!(e.to_string().contains("HTTP 418"), "{e}");
        let e = classify_v2(404, br#"{"unexpected": true}"#, ctx(false));
        assert!(matches!(e, TwitterError::NotFound { .. }), "{e:?}");
    }
}
