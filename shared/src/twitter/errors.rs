//! What can go wrong when calling Twitter, sorted by what the caller must do about it.
//!
//! Twitter answers errors as `{"errors":[{"code":<int>,"message":"..."}]}` with an HTTP status
//! (`docs/TWITTER-API.md` §7). The code matters more than the status: the same 401 can mean wrong
//! keys or a skewed clock, the same 403 a missing product access or a misspelled environment. Each
//! variant of [`TwitterError`] is a case an operator or the dispatcher handles differently, and
//! its message says what happened and what to do next. No variant ever holds a secret.

use std::time::Duration;

use serde::Deserialize;

use super::limits::LimitError;

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

/// Everything a Twitter call can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TwitterError {
    /// HTTP 429 or error code 88.
    #[error(
        "Twitter rate limit reached on {endpoint}{}: wait until the window resets before calling it again",
        match reset_at { Some(r) => format!(" (resets at epoch second {r})"), None => String::new() }
    )]
    RateLimited {
        endpoint: String,
        reset_at: Option<u64>,
        limit: Option<u32>,
        remaining: Option<u32>,
    },

    /// Codes 32 ("Could not authenticate you"), 89 (invalid or expired token), 135 (timestamp
    /// out of bounds), 215 (bad authentication data), or a 401 without a code.
    #[error(
        "Twitter could not authenticate the request on {endpoint} (code {code}: {message}): check the consumer key/secret and the access token/secret, and that the machine clock is right"
    )]
    BadCredentials {
        endpoint: String,
        code: i64,
        message: String,
    },

    /// Code 214 on a webhook call: Twitter's CRC request to the webhook failed or was too slow.
    #[error(
        "the webhook failed Twitter's CRC: {message}; fix the endpoint (route, consumer secret, JSON `response_token`, answer within 3 s) then run `dmbot webhook validate`"
    )]
    CrcFailed { message: String },

    /// Code 170: no webhook is registered in the environment.
    #[error(
        "Twitter says no webhook is registered ({message}): register a webhook first (`dmbot webhook register <url>`)"
    )]
    NoWebhook { message: String },

    /// Code 200: forbidden.
    #[error(
        "Twitter refused access on {endpoint} ({message}): the app lacks Account Activity access or the environment name is wrong (it is case-sensitive)"
    )]
    Forbidden { endpoint: String, message: String },

    /// Code 34 or a 404 without a code: the thing (or the page) does not exist.
    #[error(
        "Twitter found nothing at {endpoint} ({message}): check the id, and that the user tokens belong to the right account"
    )]
    NotFound { endpoint: String, message: String },

    /// 5xx, a timeout or a connection error: the same call may well work a little later.
    #[error("Twitter call {endpoint} failed for now ({reason}): retry with backoff")]
    Transient {
        endpoint: String,
        status: Option<u16>,
        reason: String,
    },

    /// Any other 4xx: the request itself is wrong and will fail again unchanged.
    #[error(
        "Twitter refused {endpoint} with HTTP {status}{}: {message}; the request will fail again as it is, fix it before retrying",
        match code { Some(c) => format!(" code {c}"), None => String::new() }
    )]
    Permanent {
        endpoint: String,
        status: u16,
        code: Option<i64>,
        message: String,
    },

    /// The request could not be built: a value outside Twitter's limits or a bad URL.
    #[error("cannot build the request for {endpoint}: {problem}")]
    InvalidRequest { endpoint: String, problem: String },

    /// Twitter answered success but not with what the endpoint documents.
    #[error(
        "unexpected answer from {endpoint}: {problem}; the API base URL may point at something that is not Twitter"
    )]
    Decode { endpoint: String, problem: String },

    /// Sign-in: Twitter did not confirm the callback (`oauth_callback_confirmed` was not
    /// `true`), so the flow must not continue.
    #[error(
        "Twitter did not confirm the sign-in callback URL: register it under the app's callback URLs (or use `oob` for the PIN flow)"
    )]
    CallbackNotConfirmed,

    /// Media processing reported `failed`, or did not finish in the time allowed.
    #[error("media {media_id} could not be processed: {reason}")]
    MediaProcessing { media_id: String, reason: String },

    /// The client is misconfigured (a base URL that does not parse, ...).
    #[error("Twitter client configuration: {0}")]
    Config(String),
}

impl TwitterError {
    /// 5xx, timeouts and connection errors: retry with jittered backoff.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }

    /// Rate limited: retry after the window resets.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Self::RateLimited { .. })
    }

    /// Worth trying again later (transient or rate limited); anything else fails the same way.
    pub fn is_retryable(&self) -> bool {
        self.is_transient() || self.is_rate_limited()
    }

    /// For a rate limit with a known reset time: how long to wait from `now_unix` (epoch
    /// seconds). `None` for every other error and when Twitter sent no reset header.
    pub fn retry_after(&self, now_unix: u64) -> Option<Duration> {
        match self {
            Self::RateLimited {
                reset_at: Some(reset),
                ..
            } => Some(Duration::from_secs(reset.saturating_sub(now_unix))),
            _ => None,
        }
    }

    /// Twitter's error code, when the error carries one.
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::RateLimited { .. } => Some(88),
            Self::BadCredentials { code, .. } => Some(*code),
            Self::CrcFailed { .. } => Some(214),
            Self::NoWebhook { .. } => Some(170),
            Self::Forbidden { .. } => Some(200),
            Self::NotFound { .. } => Some(34),
            Self::Permanent { code, .. } => *code,
            _ => None,
        }
    }

    /// A request that could not be built.
    pub fn invalid(endpoint: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::InvalidRequest {
            endpoint: endpoint.into(),
            problem: problem.into(),
        }
    }

    /// A request refused before sending because a value is outside Twitter's limits.
    pub fn limit(endpoint: impl Into<String>, e: LimitError) -> Self {
        Self::invalid(endpoint, e.to_string())
    }

    /// A success answer that did not have the documented shape.
    pub fn decode(endpoint: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Decode {
            endpoint: endpoint.into(),
            problem: problem.into(),
        }
    }
}

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

#[cfg(test)]
mod tests;
