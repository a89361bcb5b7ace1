//! The HTTP front of `dmbot serve`: the webhook routes and the health check. The webhook runs the
//! very handlers the Lambda functions run ([`dmbot_shared::ingest`]); this file only converts
//! between axum's request/response types and the handlers' framework-free ones.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use dmbot_shared::ingest::{self, Headers, HttpRequestParts, WebhookDeps};
use dmbot_shared::store::embedded::EmbeddedStore;
use http::{HeaderMap, Method, StatusCode, Uri};

/// The webhook's path, as registered with Twitter: `http://<host>:<port>/webhooks/twitter`.
pub const WEBHOOK_PATH: &str = "/webhooks/twitter";

/// The health check's path.
pub const HEALTH_PATH: &str = "/healthz";

/// The routes of the bot itself (the simulator adds its own).
pub fn router(deps: Arc<WebhookDeps<EmbeddedStore>>) -> Router {
    Router::new()
        .route(WEBHOOK_PATH, get(webhook).post(webhook))
        .route(HEALTH_PATH, get(health))
        .with_state(deps)
}

/// `GET` answers the CRC, `POST` ingests a delivery; both through [`ingest::handle_request`].
async fn webhook(
    State(deps): State<Arc<WebhookDeps<EmbeddedStore>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = HttpRequestParts {
        method,
        raw_query: uri.query().unwrap_or("").to_string(),
        headers: Headers::from_http(&headers),
        body,
    };
    let answer = ingest::handle_request(&deps, &request, super::now_ms()).await;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(http::header::CONTENT_TYPE, answer.content_type)],
        answer.body,
    )
        .into_response()
}

async fn health() -> Response {
    (
        [(http::header::CONTENT_TYPE, ingest::JSON_CONTENT_TYPE)],
        r#"{"status":"ok"}"#,
    )
        .into_response()
}
