//! The HTTP front of `dmbot serve`: the listener, the webhook routes and the health check, the
//! guard around everything, and the server task. The webhook runs the very handlers the Lambda
//! functions run ([`dmbot_shared::ingest`]); this file only converts between axum's
//! request/response types and the handlers' framework-free ones.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use dmbot_shared::ingest::{self, WebhookDeps};
use dmbot_shared::store::embedded::EmbeddedStore;
use dmbot_shared::twitter::signature::WebhookSecret;
use http::{HeaderMap, Method, StatusCode, Uri};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::ServeError;
use super::mode::Mode;

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
    let mut request = http::Request::new(body);
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    ingest::handle_request(&deps, &request, dmbot_shared::domain::now_ms())
        .await
        .into_response()
}

async fn health() -> Response {
    (
        [(http::header::CONTENT_TYPE, ingest::JSON_CONTENT_TYPE)],
        r#"{"status":"ok"}"#,
    )
        .into_response()
}

/// The headers every answer of the local stack carries: the chat page loads only its own script,
/// style and images (no inline code, no other origin, no framing), and no answer is ever sniffed
/// into another type than the one it declares.
const SECURITY_HEADERS: [(&str, &str); 4] = [
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
];

/// Which `Host` headers the local stack answers. A page on another site can make a browser send
/// requests to 127.0.0.1 under its own name (DNS rebinding); checking the name stops it reading
/// the chat or injecting messages.
#[derive(Debug, Clone)]
pub enum AllowedHosts {
    /// Any `Host` (credentials mode: Twitter reaches the webhook through a tunnel under its name;
    /// or an operator who bound a public address with `--allow-remote`).
    Any,
    /// Only these `host:port` names (lower case).
    Only(Vec<String>),
}

impl AllowedHosts {
    /// The names a browser on this machine uses for a server bound on loopback `port`.
    pub fn loopback(port: u16) -> Self {
        Self::Only(
            ["127.0.0.1", "localhost", "[::1]"]
                .iter()
                .map(|h| format!("{h}:{port}"))
                .collect(),
        )
    }

    fn allows(&self, host: Option<&str>) -> bool {
        match self {
            AllowedHosts::Any => true,
            AllowedHosts::Only(names) => host.is_some_and(|h| {
                let h = h.trim().to_ascii_lowercase();
                names.contains(&h)
            }),
        }
    }
}

/// The longest a request may take, body included (the chat page's long poll waits 25 s): a client
/// that trickles its body, or a handler stuck on the store, cannot hold a connection forever. A
/// webhook delivery cut off is answered 503, which Twitter retries; what was stored stays stored.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Wraps the whole local stack: refuses requests for another `Host` (421, JSON), cuts off requests
/// after [`REQUEST_TIMEOUT`] (503, JSON) and adds [`SECURITY_HEADERS`] to every answer.
pub fn guarded(router: Router, hosts: AllowedHosts) -> Router {
    let hosts = Arc::new(hosts);
    router.layer(axum::middleware::from_fn(move |request: Request, next: Next| {
        let hosts = hosts.clone();
        async move {
            let host = request
                .headers()
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok());
            let mut response = if hosts.allows(host) {
                match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
                    Ok(response) => response,
                    Err(_) => {
                        tracing::warn!(
                            timeout_s = REQUEST_TIMEOUT.as_secs(),
                            "a request took too long and was cut off"
                        );
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            [(http::header::CONTENT_TYPE, ingest::JSON_CONTENT_TYPE)],
                            Body::from(
                                r#"{"error":"request_timeout","detail":"the request took too long; send it again"}"#,
                            ),
                        )
                            .into_response()
                    }
                }
            } else {
                tracing::warn!(
                    host = host.unwrap_or("<none>"),
                    "refused a request for another host name (DNS rebinding?)"
                );
                (
                    StatusCode::MISDIRECTED_REQUEST,
                    [(http::header::CONTENT_TYPE, ingest::JSON_CONTENT_TYPE)],
                    Body::from(
                        r#"{"error":"host_not_allowed","detail":"dmbot serve answers only requests addressed to 127.0.0.1, localhost or [::1] on its port"}"#,
                    ),
                )
                    .into_response()
            };
            let headers = response.headers_mut();
            for (name, value) in SECURITY_HEADERS {
                headers.insert(name, http::HeaderValue::from_static(value));
            }
            response
        }
    }))
}

pub(crate) async fn listen(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), ServeError> {
    let failed = |e: std::io::Error| ServeError::Listen {
        addr,
        reason: e.to_string(),
    };
    let listener = TcpListener::bind(addr).await.map_err(failed)?;
    let local = listener.local_addr().map_err(failed)?;
    Ok((listener, local))
}

/// `http://<ip>:<port>` for the address the listener got (loopback for an unspecified one).
pub(crate) fn shown_url(local: SocketAddr) -> String {
    let shown_ip = if local.ip().is_unspecified() {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        local.ip()
    };
    // `SocketAddr` puts an IPv6 address in brackets, as a URL needs.
    format!("http://{}", SocketAddr::new(shown_ip, local.port()))
}

/// Spawns the HTTP server: the webhook and health routes, the simulator's behind them, the
/// host check and security headers around all; it stops when `stop` turns true.
pub(crate) fn serve(
    listener: TcpListener,
    local: SocketAddr,
    mode: &mut Mode,
    store: &EmbeddedStore,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<std::io::Result<()>> {
    let deps = Arc::new(WebhookDeps {
        store: store.clone(),
        secret: WebhookSecret::new(&mode.credentials.consumer_secret),
        app_id: mode.app_id.clone(),
    });
    let simulator_mode = mode.is_simulator();
    let mut router = router(deps);
    if let Some((_, sim_router)) = mode.simulator.take() {
        router = router.fallback_service(sim_router);
    }
    let hosts = if simulator_mode && local.ip().is_loopback() {
        AllowedHosts::loopback(local.port())
    } else {
        AllowedHosts::Any
    };
    let router = guarded(router, hosts);
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|stop| *stop).await;
            })
            .await
    })
}
