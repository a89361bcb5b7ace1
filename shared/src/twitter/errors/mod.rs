//! What can go wrong when calling Twitter, sorted by what the caller must do about it.
//!
//! Twitter answers errors as `{"errors":[{"code":<int>,"message":"..."}]}` with an HTTP status
//! (`docs/TWITTER-API.md` §7). The code matters more than the status: the same 401 can mean wrong
//! keys or a skewed clock, the same 403 a missing product access or a misspelled environment. Each
//! variant of [`TwitterError`] is a case an operator or the dispatcher handles differently, and
//! its message says what happened and what to do next. No variant ever holds a secret.
//!
//! `rate_limit.rs` reads the rate-limit headers; `classify.rs` maps an error answer to a
//! variant.

mod classify;
mod problem;
mod rate_limit;
#[cfg(test)]
mod tests;

use std::time::Duration;

use super::limits::LimitError;

pub use classify::{ApiErrorEntry, ErrorContext, classify, parse_error_body};
pub use problem::{Problem, ProblemEntry, V2ErrorContext, classify_v2, reason_advice};
pub use rate_limit::{Observed, RateLimit, RateWindows};

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
        "Twitter refused access on {endpoint} ({message}): the app lacks access to this product (Account Activity for v1.1, a Project with v2 access for /2/ endpoints), or the environment name is wrong (it is case-sensitive)"
    )]
    Forbidden { endpoint: String, message: String },

    /// X API v2: a 403 on a DM send. A business may only DM a person who wrote to it first.
    #[error(
        "X refused the Direct Message on {endpoint} ({message}): a business may only DM a person who wrote to it first; do not retry, answer once the customer writes"
    )]
    NotAllowedToDm { endpoint: String, message: String },

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
