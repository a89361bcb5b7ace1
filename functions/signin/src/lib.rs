//! The signin function's glue between `lambda_http` and `dmbot_shared::signin`, in a library so
//! that tests can drive it with a built `Request`.

use dmbot_shared::lambda::{into_request, into_response};
use dmbot_shared::signin::{SigninDeps, handle_request};
use dmbot_shared::store::Accounts;
use dmbot_shared::store::invites::Invites;
use dmbot_shared::store::signin::PendingSignins;
use lambda_http::{Body, Request, Response};

/// Answers one API Gateway request: routed by path, with the sign-in headers (`Location`,
/// `Set-Cookie`, `Cache-Control`) the handler set.
pub async fn handle<S: PendingSignins + Accounts + Invites>(
    deps: &SigninDeps<S>,
    request: Request,
    now_ms: u64,
) -> Response<Body> {
    into_response(handle_request(deps, &into_request(request), now_ms).await)
}
