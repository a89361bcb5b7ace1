//! The signin function's glue between `lambda_http` and `dmbot_shared::signin`, in a library so
//! that tests can drive it with a built `Request`.

use dmbot_shared::lambda::{into_response, request_parts};
use dmbot_shared::signin::{SigninDeps, handle_request};
use dmbot_shared::store::Accounts;
use dmbot_shared::store::invites::Invites;
use dmbot_shared::store::signin::PendingSignins;
use lambda_http::{Body, Request, Response};

/// Answers one API Gateway request: routes by path, adds the sign-in headers (`Location`,
/// `Set-Cookie`, `Cache-Control`) to the response.
pub async fn handle<S: PendingSignins + Accounts + Invites>(
    deps: &SigninDeps<S>,
    request: Request,
    now_ms: u64,
) -> Response<Body> {
    let path = request.uri().path().to_string();
    // `request_parts` keeps only the webhook's headers; sign-in needs the cookies too (API
    // Gateway's HTTP API hands them over as one or more `Cookie` headers).
    let cookies: Vec<String> = request
        .headers()
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let mut parts = request_parts(request);
    if !cookies.is_empty() {
        parts.headers.insert("cookie", cookies.join("; "));
    }
    let signin = handle_request(deps, &path, &parts, now_ms).await;
    let mut response = into_response(signin.response);
    for (name, value) in signin.headers {
        // Our own header values are ASCII; one that is not is dropped rather than panicking.
        if let Ok(v) = http::HeaderValue::from_str(&value) {
            response.headers_mut().append(name, v);
        }
    }
    response
}
