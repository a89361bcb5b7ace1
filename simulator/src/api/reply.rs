//! Twitter-shaped answers: JSON and plain bodies, the `{"errors":[{"code":..,"message":..}]}`
//! error body, and paged list answers (`next_cursor`).

use axum::body::Body;
use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::request::Call;

/// What every handler answers: a ready HTTP response (errors included: they are what the fake says).
pub(crate) type Reply = Response<Body>;

pub(crate) fn reply(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("a valid response")
}

pub(crate) fn json_reply(status: u16, v: Value) -> Reply {
    reply(
        status,
        "application/json;charset=utf-8",
        v.to_string().into_bytes(),
    )
}

pub(crate) fn error(status: u16, code: i64, message: &str) -> Reply {
    json_reply(status, json!({"errors":[{"code":code,"message":message}]}))
}

pub(crate) fn no_content() -> Reply {
    reply(204, "text/plain", Vec::new())
}

pub(crate) fn not_found() -> Reply {
    error(404, 34, "Sorry, that page does not exist.")
}

pub(crate) fn bad_auth() -> Reply {
    error(401, 32, "Could not authenticate you.")
}

pub(crate) fn invalid(message: &str) -> Reply {
    error(400, 214, message)
}

/// Pages: `cursor` is the offset into the newest-first list, as a string.
pub(crate) fn page<T: Clone>(
    items: &[T],
    call: &Call,
    default: usize,
) -> Result<(Vec<T>, Option<String>), Reply> {
    let count = match call.q("count") {
        Some(c) => match c.parse::<usize>() {
            Ok(n) if (1..=50).contains(&n) => n,
            _ => return Err(invalid("count must be 1 to 50")),
        },
        None => default,
    };
    let start = match call.q("cursor") {
        Some(c) => c
            .parse::<usize>()
            .map_err(|_| invalid("cursor is invalid"))?,
        None => 0,
    };
    // A cursor near usize::MAX must not overflow: past the end is simply an empty page.
    let end = start.saturating_add(count).min(items.len());
    let slice = items
        .get(start.min(items.len())..end)
        .unwrap_or_default()
        .to_vec();
    let next = (end < items.len()).then(|| end.to_string());
    Ok((slice, next))
}

/// One page of a list call, answered as Twitter does: `{"<key>": [...], "next_cursor": "..."}`
/// (no `next_cursor` on the last page), 20 items unless `count` says otherwise.
pub(crate) fn paged_reply(items: &[Value], call: &Call, key: &str) -> Reply {
    match page(items, call, 20) {
        Ok((items, next)) => {
            let mut v = json!({ key: items });
            if let Some(n) = next {
                v["next_cursor"] = json!(n);
            }
            json_reply(200, v)
        }
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_at_the_end_of_the_number_range_gives_an_empty_page_not_a_panic() {
        let items = vec![1, 2, 3];
        let call = Call::for_test(
            http::Method::GET,
            "/1.1/direct_messages/events/list.json",
            vec![("cursor".into(), usize::MAX.to_string())],
        );
        let (page, next) = page(&items, &call, 20).unwrap();
        assert!(page.is_empty());
        assert_eq!(next, None);
    }
}
