//! X API v2 answers: the problem shape of its errors (`{"title","detail","type","status"}`, and
//! for a `400` an `errors` array naming the parameter), the refusals of the authentication
//! guard in that shape, the rate-limit windows with their headers, and ISO 8601 times.

use serde_json::{Value, json};

use crate::api::faults::Fault;
use crate::api::reply::{Reply, json_reply};
use crate::api::state::State;

/// A problem answer: `status`, `title`, `detail`, `type`.
pub(crate) fn problem(status: u16, title: &str, detail: &str, kind: &str) -> Reply {
    json_reply(
        status,
        json!({"title": title, "detail": detail, "type": kind, "status": status}),
    )
}

/// `400 Invalid Request` naming the parameter that is wrong and why.
pub(crate) fn invalid_param(parameter: &str, value: &Value, message: &str) -> Reply {
    json_reply(
        400,
        json!({
            "errors": [{"parameters": {parameter: [value]}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
            "status": 400,
        }),
    )
}

/// `400` for a webhook or subscription request X refuses with a named reason
/// (`CrcValidationFailed`, `WebhookIdInvalid`, `SubscriptionLimitExceeded`, ...).
pub(crate) fn refused(reason: &str, message: &str) -> Reply {
    json_reply(
        400,
        json!({
            "errors": [{"message": message, "reason": reason}],
            "title": "Invalid Request",
            "detail": format!("{reason}: {message}"),
            "type": "https://api.twitter.com/2/problems/invalid-request",
            "status": 400,
        }),
    )
}

pub(crate) fn forbidden(detail: &str) -> Reply {
    problem(403, "Forbidden", detail, "about:blank")
}

pub(crate) fn not_found(detail: &str) -> Reply {
    problem(
        404,
        "Not Found Error",
        detail,
        "https://api.twitter.com/2/problems/resource-not-found",
    )
}

/// The authentication guard's refusal of a `/2/` request, in v2's shape: `403 Unsupported
/// Authentication` for credentials of the wrong kind, `401 Unauthorized` otherwise.
pub(crate) fn auth_refusal(v1_refusal: &Reply) -> Reply {
    if v1_refusal.status().as_u16() == 403 {
        problem(
            403,
            "Unsupported Authentication",
            "The authentication used is not supported by this endpoint.",
            "https://api.twitter.com/2/problems/unsupported-authentication",
        )
    } else {
        problem(401, "Unauthorized", "Unauthorized", "about:blank")
    }
}

/// A queued fault's answer on a `/2/` path, in v2's shape (`RateLimited` with the
/// `x-rate-limit-*` headers the v1.1 answer carries).
pub(crate) fn fault_problem(fault: &Fault) -> Reply {
    let canonical = |status: u16| {
        http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error")
            .to_string()
    };
    match fault {
        Fault::RateLimited { reset_at } => {
            let mut r = problem(429, "Too Many Requests", "Too Many Requests", "about:blank");
            let headers = [
                ("limit", "15".to_string()),
                ("remaining", "0".into()),
                ("reset", reset_at.to_string()),
            ];
            let headers: Vec<(String, String)> = headers
                .into_iter()
                .map(|(k, v)| (format!("x-rate-limit-{k}"), v))
                .collect();
            add_headers(&mut r, &headers);
            r
        }
        Fault::Status(status) => problem(
            *status,
            &canonical(*status),
            "Fault injected by the test",
            "about:blank",
        ),
        Fault::Error {
            status, message, ..
        } => problem(*status, &canonical(*status), message, "about:blank"),
        Fault::Delay(_) | Fault::AnswerLate(_) => problem(
            500,
            "Internal Server Error",
            "Internal error",
            "about:blank",
        ),
    }
}

/// The system clock plus the offset tests move it by (see `TwitterApi::advance_clock`).
pub(crate) fn now(s: &State) -> u64 {
    crate::api::state::now_secs() + s.v2.clock_offset
}

/// One rate-limit window to count a call against: key, limit, length in seconds, and the
/// header prefix it reports under.
pub(crate) struct Limit {
    pub(crate) key: String,
    pub(crate) limit: u32,
    pub(crate) secs: u64,
    pub(crate) header: &'static str,
}

/// Counts a call against every window in `limits`: `Ok(headers)` when all have room (the
/// call is counted in each), or `Err(429)` naming the first full window (nothing counted).
pub(crate) fn take(s: &mut State, limits: &[Limit]) -> Result<Vec<(String, String)>, Reply> {
    let now = now(s);
    let mut headers = Vec::new();
    for l in limits {
        let w =
            s.v2.windows
                .entry(l.key.clone())
                .or_insert(super::state::Window {
                    start: now,
                    used: 0,
                });
        if now >= w.start + l.secs {
            *w = super::state::Window {
                start: now,
                used: 0,
            };
        }
        let reset = w.start + l.secs;
        if w.used >= l.limit {
            s.v2.usage.rate_limited += 1;
            let mut r = problem(429, "Too Many Requests", "Too Many Requests", "about:blank");
            add_headers(&mut r, &window_headers(l, 0, reset));
            add_headers(&mut r, &window_headers(&as_main(l), 0, reset));
            return Err(r);
        }
        headers.extend(window_headers(l, l.limit - w.used - 1, reset));
    }
    for l in limits {
        if let Some(w) = s.v2.windows.get_mut(&l.key) {
            w.used += 1;
        }
    }
    Ok(headers)
}

fn as_main(l: &Limit) -> Limit {
    Limit {
        key: String::new(),
        limit: l.limit,
        secs: l.secs,
        header: "x-rate-limit",
    }
}

fn window_headers(l: &Limit, remaining: u32, reset: u64) -> Vec<(String, String)> {
    vec![
        (format!("{}-limit", l.header), l.limit.to_string()),
        (format!("{}-remaining", l.header), remaining.to_string()),
        (format!("{}-reset", l.header), reset.to_string()),
    ]
}

/// Sets `headers` on `reply` (the first value of a name wins over later ones in `headers`).
pub(crate) fn add_headers(reply: &mut Reply, headers: &[(String, String)]) {
    for (name, value) in headers {
        let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) else {
            continue;
        };
        if !reply.headers().contains_key(&name) {
            reply.headers_mut().insert(name, value);
        }
    }
}

/// `2026-01-15T12:00:00.000Z` for Unix milliseconds.
pub(crate) fn iso_time(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::iso_time;

    #[test]
    fn iso_times_match_known_dates() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_time(1_516_403_560_557), "2018-01-19T23:12:40.557Z");
        assert_eq!(iso_time(1_709_208_000_000), "2024-02-29T12:00:00.000Z");
    }
}
