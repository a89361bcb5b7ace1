//! `GET /auth/start`: the invite check, the request token, the pending sign-in and the
//! redirect to Twitter.

use super::SigninDeps;
use super::browser::{param, query, random_state, state_cookie};
use super::pages::{self, SigninResponse, WithHeader, page};
use crate::ingest::edge::Request;
use crate::invite::{INVITE_PARAM, InviteToken};
use crate::store::invites::Invites;
use crate::store::signin::{PENDING_SIGNIN_TTL_MS, PendingSignin, PendingSignins};
use crate::twitter::api_types::Callback;

/// `GET /auth/start?invite=<token>`: refused unless the invite is valid (nothing is asked of
/// Twitter and nothing is written before that); then a request token with our callback, and
/// off to Twitter.
pub async fn handle_start<S: PendingSignins + Invites>(
    deps: &SigninDeps<S>,
    req: &Request,
    now_ms: u64,
) -> SigninResponse {
    let q = query(req);
    let Some(token) = param(&q, INVITE_PARAM).and_then(InviteToken::parse) else {
        tracing::warn!("sign-in refused: no invite, or a malformed one");
        return pages::invalid_invite();
    };
    let invite = token.id();
    match deps.store.get_invite(&invite, now_ms).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            tracing::warn!(
                invite = invite.short(),
                "sign-in refused: the invite is unknown, expired, revoked or used"
            );
            return pages::invalid_invite();
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in: could not read the invite");
            return pages::unavailable();
        }
    }
    let callback = Callback::Url(deps.config.callback_url.clone());
    let request = match deps.client.request_token(&callback).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "sign-in: request token failed (check the consumer key and secret, and that SIGNIN_CALLBACK_URL is a callback URL in the app's settings)");
            return pages::twitter_failed();
        }
    };
    let authorize = match deps.client.authorize_url(&request, false) {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "sign-in: could not build Twitter's authorize URL");
            return pages::unavailable();
        }
    };
    let secret = match deps
        .config
        .sealer
        .seal_request_secret(request.token.token(), request.token.secret())
    {
        Ok(sealed) => sealed,
        Err(e) => {
            tracing::error!(error = %e, "sign-in: could not seal the request token secret");
            return pages::unavailable();
        }
    };
    let state = random_state();
    let pending = PendingSignin {
        request_token: request.token.token().to_string(),
        request_token_secret: secret,
        state: state.clone(),
        expires_ms: now_ms + PENDING_SIGNIN_TTL_MS,
        invite: Some(invite.clone()),
    };
    if let Err(e) = deps.store.put_pending_signin(&pending).await {
        tracing::error!(error = %e, "sign-in: could not store the pending sign-in");
        return pages::unavailable();
    }
    tracing::info!(invite = invite.short(), "sign-in started");
    page(
        302,
        "Redirecting to Twitter",
        "Continue on Twitter to connect your account.",
    )
    .with_header("location", authorize.to_string())
    .with_header(
        "set-cookie",
        state_cookie(&state, PENDING_SIGNIN_TTL_MS / 1000),
    )
}
