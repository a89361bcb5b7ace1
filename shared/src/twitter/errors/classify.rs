//! From an error answer (status, body, endpoint) to the [`TwitterError`] the caller handles.

use serde::Deserialize;

use super::{RateLimit, TwitterError};
/// Where an error answer came from, for [`classify`].
#[derive(Debug, Clone, Copy)]
pub struct ErrorContext<'a> {
    /// A short name of the endpoint (`POST direct_messages/events/new`), for messages.
    pub endpoint: &'a str,
    /// True for webhook registration and CRC re-validation, where code 214 means the CRC
    /// failed. Elsewhere (the Direct Message endpoints) Twitter uses 214 for any malformed
    /// request, which must not send an operator off to debug a webhook.
    pub webhook_call: bool,
    /// The response's rate-limit headers.
    pub rate_limit: Option<RateLimit>,
}

/// One entry of Twitter's `errors` array.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiErrorEntry {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: String,
}

/// Reads an error body: `{"errors":[{code,message}]}`, `{"error":"..."}` (the OAuth endpoints)
/// or plain text/XML, cut to a readable length.
pub fn parse_error_body(body: &[u8]) -> Vec<ApiErrorEntry> {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<ApiErrorEntry>,
    }
    #[derive(Deserialize)]
    struct Single {
        error: String,
    }
    if let Ok(e) = serde_json::from_slice::<Errors>(body) {
        return e.errors;
    }
    if let Ok(e) = serde_json::from_slice::<Single>(body) {
        return vec![ApiErrorEntry {
            code: None,
            message: e.error,
        }];
    }
    let text: String = String::from_utf8_lossy(body)
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect();
    let text = text.trim();
    if text.is_empty() {
        Vec::new()
    } else {
        vec![ApiErrorEntry {
            code: None,
            message: text.to_string(),
        }]
    }
}

/// Maps a non-success HTTP answer to the error the caller must handle (`docs/TWITTER-API.md` §5,
/// §7).
pub fn classify(status: u16, body: &[u8], ctx: ErrorContext<'_>) -> TwitterError {
    let entries = parse_error_body(body);
    let has = |code: i64| entries.iter().find(|e| e.code == Some(code));
    let first = entries.first();
    let message = first
        .map(|e| e.message.clone())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("HTTP {status}"));
    let endpoint = ctx.endpoint.to_string();

    if status == 429 || has(88).is_some() {
        let rate = ctx.rate_limit.unwrap_or_default();
        return TwitterError::RateLimited {
            endpoint,
            reset_at: rate.reset_at,
            limit: rate.limit,
            remaining: rate.remaining,
        };
    }
    if let Some(e) = [32, 89, 135, 215].into_iter().find_map(has) {
        return TwitterError::BadCredentials {
            endpoint,
            code: e.code.unwrap_or(32),
            message: e.message.clone(),
        };
    }
    if ctx.webhook_call
        && let Some(e) = has(214)
    {
        return TwitterError::CrcFailed {
            message: e.message.clone(),
        };
    }
    if let Some(e) = has(170) {
        return TwitterError::NoWebhook {
            message: e.message.clone(),
        };
    }
    if let Some(e) = has(200) {
        return TwitterError::Forbidden {
            endpoint,
            message: e.message.clone(),
        };
    }
    if let Some(e) = has(34) {
        return TwitterError::NotFound {
            endpoint,
            message: e.message.clone(),
        };
    }
    let no_code = first.and_then(|e| e.code).is_none();
    if status >= 500 {
        return TwitterError::Transient {
            endpoint,
            status: Some(status),
            reason: format!("HTTP {status}: {message}"),
        };
    }
    if status == 401 && no_code {
        return TwitterError::BadCredentials {
            endpoint,
            code: 32,
            message,
        };
    }
    if status == 404 && no_code {
        return TwitterError::NotFound { endpoint, message };
    }
    TwitterError::Permanent {
        endpoint,
        status,
        code: first.and_then(|e| e.code),
        message,
    }
}
