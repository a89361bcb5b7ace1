//! Faults on demand ([`super::TwitterApi::fail_next`]): the queue, when each kind acts, the
//! Twitter-shaped answer a fault gives, and the `x-rate-limit-*` headers every answer carries.

use std::time::Duration;

use serde_json::json;

use super::reply::{Reply, error, json_reply};
use super::state::Shared;

/// What a request to a matching path gets instead of the normal answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `429` with code 88 and `x-rate-limit-remaining: 0`, `x-rate-limit-reset: reset_at`.
    RateLimited { reset_at: u64 },
    /// This status with Twitter's generic error body (code 131 for 5xx).
    Status(u16),
    /// A Twitter error: this status, code and message.
    Error {
        status: u16,
        code: i64,
        message: String,
    },
    /// Wait this long, then answer normally (exceed a client's timeout with it).
    Delay(Duration),
    /// Do the work (a DM is sent, a profile created), then wait this long before answering: a
    /// client that times out meanwhile does not know its request took effect.
    AnswerLate(Duration),
}

/// When a fault acts: before the request is handled, instead of handling it, or after.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultTime {
    Before,
    Instead,
    After,
}

impl Fault {
    fn time(&self) -> FaultTime {
        match self {
            Fault::Delay(_) => FaultTime::Before,
            Fault::AnswerLate(_) => FaultTime::After,
            _ => FaultTime::Instead,
        }
    }
}

/// A queued fault: the next `remaining` requests whose path contains `path` get it.
pub(crate) struct FaultEntry {
    pub(crate) path: String,
    pub(crate) remaining: usize,
    pub(crate) fault: Fault,
}

/// Takes the first queued fault for `path` that acts at `time`.
pub(crate) fn take_fault(shared: &Shared, path: &str, time: FaultTime) -> Option<Fault> {
    let mut s = shared.lock();
    let entry = s
        .faults
        .iter_mut()
        .find(|f| f.remaining > 0 && path.contains(&f.path) && f.fault.time() == time)?;
    entry.remaining -= 1;
    let fault = entry.fault.clone();
    s.faults.retain(|f| f.remaining > 0);
    Some(fault)
}

/// The answer a fault gives instead of the handler's.
pub(crate) fn fault_reply(fault: Fault) -> Reply {
    match fault {
        Fault::RateLimited { reset_at } => {
            let mut r = error(429, 88, "Rate limit exceeded");
            let h = r.headers_mut();
            h.insert("x-rate-limit-limit", "15".parse().expect("header"));
            h.insert("x-rate-limit-remaining", "0".parse().expect("header"));
            h.insert(
                "x-rate-limit-reset",
                reset_at.to_string().parse().expect("header"),
            );
            r
        }
        Fault::Status(status) if status >= 500 => error(status, 131, "Internal error"),
        Fault::Status(status) => json_reply(
            status,
            json!({"errors":[{"message":"Fault injected by the test"}]}),
        ),
        Fault::Error {
            status,
            code,
            message,
        } => error(status, code, &message),
        Fault::Delay(_) | Fault::AnswerLate(_) => error(500, 131, "Internal error"),
    }
}

/// Adds `x-rate-limit-*` headers (unless a fault already set them): 15 per window for webhook
/// management, 1,000 for the rest.
pub(crate) fn with_rate_headers(shared: &Shared, path: &str, mut response: Reply) -> Reply {
    if response.headers().contains_key("x-rate-limit-reset") {
        return response;
    }
    let limit: u32 = if path.contains("/webhooks") || path.contains("/welcome_messages/list") {
        15
    } else {
        1000
    };
    let (remaining, reset) = {
        let mut s = shared.lock();
        let reset = s.window_reset;
        let r = s.remaining.entry(path.to_string()).or_insert(limit);
        *r = r.saturating_sub(1);
        (*r, reset)
    };
    let h = response.headers_mut();
    h.insert("x-rate-limit-limit", limit.into());
    h.insert("x-rate-limit-remaining", remaining.into());
    h.insert("x-rate-limit-reset", reset.into());
    response
}
