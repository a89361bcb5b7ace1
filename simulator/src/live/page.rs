//! The chat page (`GET /`) and its endpoints under `/sim/`: the state, the long-poll feed, the
//! customer's and the agent's messages, and uploaded media served as their bytes show.

use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::{FeedItem, Simulator};

/// How long a feed request waits for something new before answering with nothing.
const FEED_WAIT: Duration = Duration::from_secs(25);

/// The page's routes in front of the API router `api` (which answers every other path).
pub(super) fn router(sim: Simulator, api: Router) -> Router {
    Router::new()
        .route("/", get(page_html))
        .route("/sim/app.js", get(page_js))
        .route("/sim/style.css", get(page_css))
        .route("/sim/api/state", get(state_json))
        .route("/sim/api/feed", get(feed_json))
        .route("/sim/api/customer", post(customer_post))
        .route("/sim/api/agent", post(agent_post))
        .route("/sim/media/{id}", get(media_get))
        .with_state(sim)
        .fallback_service(api)
}

const PAGE_HTML: &str = include_str!("../../page/index.html");
const PAGE_JS: &str = include_str!("../../page/app.js");
const PAGE_CSS: &str = include_str!("../../page/style.css");

async fn page_html() -> Response {
    ([("content-type", "text/html; charset=utf-8")], PAGE_HTML).into_response()
}

async fn page_js() -> Response {
    (
        [("content-type", "application/javascript; charset=utf-8")],
        PAGE_JS,
    )
        .into_response()
}

async fn page_css() -> Response {
    ([("content-type", "text/css; charset=utf-8")], PAGE_CSS).into_response()
}

/// Who is talking and the default welcome message.
async fn state_json(State(sim): State<Simulator>) -> Response {
    let fake = sim.api();
    let welcome = fake
        .default_welcome()
        .map(|(id, data)| json!({"id": id, "message_data": data}));
    axum::Json(json!({
        "account": {"id": fake.owner().user_id, "name": sim.inner.config.account_name, "screen_name": fake.owner().screen_name},
        "customer": {"id": sim.inner.customer_id, "name": sim.inner.config.customer_name},
        "welcome": welcome,
        "deliveries": sim.delivery_stats(),
    }))
    .into_response()
}

#[derive(Deserialize)]
struct FeedQuery {
    #[serde(default)]
    after: u64,
}

/// Long poll: the items after `after`, waiting up to 25 s for one to exist.
async fn feed_json(State(sim): State<Simulator>, Query(q): Query<FeedQuery>) -> Response {
    let mut latest = sim.inner.latest.subscribe();
    let mut closing = sim.inner.closing.subscribe();
    tokio::select! {
        _ = tokio::time::timeout(FEED_WAIT, latest.wait_for(|seq| *seq > q.after)) => {}
        _ = closing.wait_for(|closed| *closed) => {}
    }
    let items: Vec<FeedItem> = sim.feed().into_iter().filter(|i| i.seq > q.after).collect();
    axum::Json(json!({"items": items})).into_response()
}

#[derive(Deserialize)]
struct CustomerMessage {
    text: String,
    #[serde(default)]
    quick_reply_metadata: Option<String>,
}

async fn customer_post(
    State(sim): State<Simulator>,
    axum::Json(m): axum::Json<CustomerMessage>,
) -> Response {
    if m.text.trim().is_empty() {
        return (http::StatusCode::BAD_REQUEST, "empty message").into_response();
    }
    let id = sim.customer_sends(&m.text, m.quick_reply_metadata.as_deref());
    axum::Json(json!({"id": id})).into_response()
}

#[derive(Deserialize)]
struct AgentMessage {
    text: String,
}

async fn agent_post(
    State(sim): State<Simulator>,
    axum::Json(m): axum::Json<AgentMessage>,
) -> Response {
    if m.text.trim().is_empty() {
        return (http::StatusCode::BAD_REQUEST, "empty message").into_response();
    }
    let id = sim.agent_sends(&m.text);
    axum::Json(json!({"id": id})).into_response()
}

/// An uploaded attachment, for the chat page. Served as the type its bytes show, never the type
/// the uploader declared: a declared "image" that is really HTML or SVG would otherwise run
/// script on the page's origin. Bytes of no known media type are offered as a download only.
async fn media_get(State(sim): State<Simulator>, Path(id): Path<String>) -> Response {
    match sim.api().media_bytes(&id) {
        Some((_declared, bytes)) => media_response(bytes),
        None => (http::StatusCode::NOT_FOUND, "no such media").into_response(),
    }
}

fn media_response(bytes: Vec<u8>) -> Response {
    match sniffed_media_type(&bytes) {
        Some(media_type) => ([("content-type", media_type)], bytes).into_response(),
        None => (
            [
                ("content-type", "application/octet-stream"),
                ("content-disposition", "attachment"),
            ],
            bytes,
        )
            .into_response(),
    }
}

/// The media type of `bytes` from their signature: the image and video formats Twitter takes for
/// DMs (PNG, JPEG, GIF, WebP, MP4). `None` for anything else.
pub fn sniffed_media_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.len() >= 8 && &bytes[4..8] == b"ftyp" {
        Some("video/mp4")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served_type(bytes: &[u8]) -> (String, Option<String>) {
        let response = media_response(bytes.to_vec());
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        (
            header("content-type").unwrap_or_default(),
            header("content-disposition"),
        )
    }

    #[test]
    fn media_is_served_as_its_bytes_show_not_as_the_uploader_declared() {
        let png = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../flows/media/size-chart.png"
        ))
        .expect("the example flow's image");
        assert_eq!(served_type(&png), ("image/png".into(), None));
        assert_eq!(served_type(b"GIF89a...."), ("image/gif".into(), None));
        assert_eq!(
            served_type(&[0xFF, 0xD8, 0xFF, 0xE0]),
            ("image/jpeg".into(), None)
        );
        // HTML or SVG uploaded as an "image" would run script on the chat page's origin.
        for hostile in [
            &b"<html><script>alert(1)</script>"[..],
            b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
            b"",
        ] {
            assert_eq!(
                served_type(hostile),
                ("application/octet-stream".into(), Some("attachment".into()))
            );
        }
    }
}
