//! The OAuth flows (not versioned: `oauth/...` and `oauth2/...`): the app-only bearer token,
//! and 3-legged sign-in (request token, the authorize page, access token; a test plays the
//! person approving with [`super::TwitterApi::approve`]).

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use serde_json::json;

use super::auth::Caller;
use super::oauth::pct;
use super::reply::{Reply, bad_auth, error, json_reply, reply};
use super::request::Call;
use super::state::{RequestTokenState, Shared, random_string};

/// `POST oauth2/token` (`grant_type=client_credentials`): the one bearer token, issued once.
pub(crate) async fn bearer_token(
    State(shared): State<Arc<Shared>>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    if call.f("grant_type") != Some("client_credentials") {
        return error(403, 99, "Unable to verify your credentials");
    }
    let mut s = shared.lock();
    let token = match &s.bearer {
        Some(t) => t.clone(),
        None => {
            let t = format!("AAAAAAAAAAAAAAAAAAAAA{}", random_string(60));
            s.bearer = Some(t.clone());
            s.bearer_issued += 1;
            t
        }
    };
    json_reply(200, json!({"token_type":"bearer","access_token":token}))
}

/// `POST oauth/request_token` (signed with the consumer key alone, `oauth_callback` required).
pub(crate) async fn request_token(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
) -> Reply {
    let Some(callback) = caller.oauth.get("oauth_callback") else {
        return error(401, 32, "Could not authenticate you.");
    };
    if callback != "oob" && !callback.starts_with("http") {
        return reply(
            401,
            "text/plain",
            b"Callback URL not approved for this client application.".to_vec(),
        );
    }
    let mut s = shared.lock();
    let token = random_string(27);
    let secret = random_string(32);
    s.request_tokens.insert(
        token.clone(),
        RequestTokenState {
            secret: secret.clone(),
            verifier: None,
            account: None,
        },
    );
    let body = format!(
        "oauth_token={token}&oauth_token_secret={secret}&oauth_callback_confirmed={}",
        s.callback_confirmed
    );
    reply(200, "text/html; charset=utf-8", body.into_bytes())
}

/// `GET oauth/authorize` and `GET oauth/authenticate`: the page a person approves the app on.
pub(crate) async fn authorize_page() -> Reply {
    reply(
        200,
        "text/html",
        b"<html><body>Authorize app?</body></html>".to_vec(),
    )
}

/// `POST oauth/access_token` (signed with an approved request token, `oauth_verifier`).
pub(crate) async fn access_token(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let verifier = caller
        .oauth
        .get("oauth_verifier")
        .map(String::as_str)
        .or_else(|| call.f("oauth_verifier"))
        .or_else(|| call.q("oauth_verifier"));
    let mut s = shared.lock();
    let Some(token) = caller.request_token.as_ref() else {
        return bad_auth();
    };
    let Some(state) = s.request_tokens.get(token).cloned() else {
        return bad_auth();
    };
    let (Some(expected), Some(account)) = (state.verifier, state.account) else {
        return reply(401, "text/plain", b"Request token not authorized.".to_vec());
    };
    if verifier != Some(expected.as_str()) {
        return reply(
            401,
            "text/plain",
            b"Error processing your OAuth request: Invalid oauth_verifier parameter".to_vec(),
        );
    }
    s.request_tokens.remove(token);
    let body = format!(
        "oauth_token={}&oauth_token_secret={}&user_id={}&screen_name={}",
        pct(&account.token),
        pct(&account.token_secret),
        account.user_id,
        pct(&account.screen_name)
    );
    reply(200, "text/html; charset=utf-8", body.into_bytes())
}
