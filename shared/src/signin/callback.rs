//! `GET /auth/callback`: the browser check, then the access token, the account and its
//! subscription (see the module documentation of [`crate::signin`]).

use subtle::ConstantTimeEq;

use super::browser::{MAX_REQUEST_TOKEN_LEN, cookie_value, param, query, state_cookie};
use super::pages::{self, SigninResponse, WithHeader, page};
use super::{STATE_COOKIE, SigninDeps};
use crate::ingest::edge::Request;
use crate::store::invites::Invites;
use crate::store::signin::{PendingSignin, PendingSignins};
use crate::store::{AccountRecord, AccountTokens, Accounts};
use crate::twitter::oauth1::TokenCredentials;

/// The pending sign-in of `request_token`, taken (removed) only once this browser's state
/// cookie matched it: someone who merely knows the request token can neither finish nor cancel
/// another person's sign-in. `Err` is the page to show.
async fn take_for_this_browser<S: PendingSignins>(
    deps: &SigninDeps<S>,
    req: &Request,
    request_token: &str,
    now_ms: u64,
) -> Result<PendingSignin, SigninResponse> {
    if request_token.len() > MAX_REQUEST_TOKEN_LEN {
        tracing::warn!("sign-in callback with an oversized request token");
        return Err(pages::expired());
    }
    let pending = match deps.store.get_pending_signin(request_token, now_ms).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            tracing::warn!("sign-in callback with an unknown, used or expired request token");
            return Err(pages::expired());
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in: could not read the pending sign-in");
            return Err(pages::unavailable());
        }
    };
    let cookie_ok = cookie_value(req, STATE_COOKIE)
        .is_some_and(|c| bool::from(c.as_bytes().ct_eq(pending.state.as_bytes())));
    if !cookie_ok {
        tracing::warn!("sign-in callback refused: the state cookie does not match");
        return Err(pages::other_browser());
    }
    match deps.store.take_pending_signin(request_token, now_ms).await {
        Ok(Some(p)) => Ok(p),
        Ok(None) => {
            tracing::warn!("sign-in callback: the pending sign-in was taken by another request");
            Err(pages::expired())
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in: could not take the pending sign-in");
            Err(pages::unavailable())
        }
    }
}

/// `GET /auth/callback`: see the module documentation.
pub async fn handle_callback<S: PendingSignins + Accounts + Invites>(
    deps: &SigninDeps<S>,
    req: &Request,
    now_ms: u64,
) -> SigninResponse {
    let clear = state_cookie("", 0);
    let q = query(req);
    if let Some(denied) = param(&q, "denied") {
        // The person pressed "Cancel" on Twitter: forget the request token, but only for the
        // browser that started the sign-in.
        if take_for_this_browser(deps, req, denied, now_ms)
            .await
            .is_ok()
        {
            tracing::info!("sign-in cancelled on Twitter");
        }
        return pages::cancelled().with_header("set-cookie", clear);
    }
    let (Some(token), Some(verifier)) = (param(&q, "oauth_token"), param(&q, "oauth_verifier"))
    else {
        return page(
            400,
            "This is not a sign-in callback",
            "Open your invite link to connect an account.",
        );
    };
    let pending = match take_for_this_browser(deps, req, token, now_ms).await {
        Ok(p) => p,
        Err(page) => return page.with_header("set-cookie", clear),
    };
    finish(deps, pending, verifier, now_ms)
        .await
        .with_header("set-cookie", clear)
}

/// The callback once the pending sign-in is this browser's: the invite, the access token, the
/// account, the subscription.
async fn finish<S: Accounts + Invites>(
    deps: &SigninDeps<S>,
    pending: PendingSignin,
    verifier: &str,
    now_ms: u64,
) -> SigninResponse {
    let Some(invite) = pending.invite.clone() else {
        tracing::warn!(
            "sign-in refused: the pending sign-in has no invite (started before invites were required)"
        );
        return pages::invalid_invite();
    };
    // Used by another sign-in or revoked since the start: stop before asking Twitter.
    match deps.store.get_invite(&invite, now_ms).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            tracing::warn!(
                invite = invite.short(),
                "sign-in refused: the invite is no longer valid"
            );
            return pages::invalid_invite();
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in: could not read the invite");
            return pages::unavailable();
        }
    }
    let secret = match deps
        .config
        .sealer
        .open_request_secret(&pending.request_token, &pending.request_token_secret)
    {
        Ok(secret) => secret,
        Err(e) => {
            tracing::error!(error = %e, "sign-in: could not open the request token secret");
            return pages::unavailable();
        }
    };
    let request = TokenCredentials::new(pending.request_token, secret);
    let access = match deps.client.access_token(&request, verifier).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "sign-in: access token failed");
            return pages::twitter_failed();
        }
    };
    let account = &access.user_id;
    // A failed read is not "no account": that would reset its flow and creation time.
    let existing = match deps.store.get_account(account).await {
        Ok(existing) => existing,
        Err(e) => {
            tracing::error!(error = %e, %account, "sign-in: could not read the account");
            return pages::unavailable();
        }
    };
    let tokens = AccountTokens {
        token: access.token.token().to_string(),
        token_secret: access.token.secret().to_string(),
    };
    let tokens = match deps.config.sealer.seal(account, &tokens) {
        Ok(sealed) => sealed,
        Err(e) => {
            tracing::error!(error = %e, %account, "sign-in: could not seal the tokens");
            return pages::unavailable();
        }
    };
    // One invite connects one account: consumed atomically, before the account is stored.
    let used = match deps.store.take_invite(&invite, now_ms).await {
        Ok(Some(used)) => used,
        Ok(None) => {
            tracing::warn!(invite = invite.short(), %account, "sign-in refused: the invite was used by another sign-in meanwhile");
            return pages::invalid_invite();
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in: could not consume the invite");
            return pages::unavailable();
        }
    };
    let record = AccountRecord {
        id: account.clone(),
        screen_name: Some(access.screen_name.clone()),
        tokens: Some(tokens),
        flow_id: existing.as_ref().and_then(|e| e.flow_id.clone()),
        created_ms: existing.as_ref().map_or(now_ms, |e| e.created_ms),
    };
    if let Err(e) = deps.store.put_account(&record).await {
        tracing::error!(error = %e, %account, "sign-in: could not store the account");
        // Give the invite back, so the person can try again with the same link.
        if let Err(e) = deps.store.put_invite(&used).await {
            tracing::error!(error = %e, invite = invite.short(), "sign-in: could not restore the invite; issue a new one");
        }
        return pages::unavailable();
    }
    tracing::info!(invite = invite.short(), %account, screen_name = %access.screen_name, "account connected");
    if let Err(e) = subscribe(deps, &access.token, account).await {
        tracing::error!(error = %e, %account, "sign-in: subscription failed; retry with `dmbot subscription add --account {account}`");
        return page(
            502,
            "Connected, but messages are not flowing yet",
            &format!(
                "@{} is connected, but the bot does not receive its messages yet. Please tell \
                 the person who invited you.",
                access.screen_name
            ),
        );
    }
    page(
        200,
        "Your account is connected",
        &format!(
            "@{} is connected: the bot now answers its Direct Messages. You can close this page.",
            access.screen_name
        ),
    )
}

/// Subscribes a newly connected account so that its messages reach the webhook: in the Account
/// Activity environment (v1.1), or on X API v2 to `dm.received` and `dm.sent` on the X Activity
/// API, delivered to the app's v2 webhook (the only one: Pay-Per-Use allows one).
async fn subscribe<S>(
    deps: &SigninDeps<S>,
    tokens: &crate::twitter::oauth1::TokenCredentials,
    account: &crate::domain::UserId,
) -> Result<(), String> {
    match deps.config.api {
        crate::config::ApiVersion::V1_1 => deps
            .client
            .subscribe(tokens, &deps.config.env_name)
            .await
            .map_err(|e| e.to_string()),
        crate::config::ApiVersion::V2 => {
            let hooks = deps
                .client
                .list_webhooks_v2()
                .await
                .map_err(|e| e.to_string())?;
            let [hook] = hooks.as_slice() else {
                return Err(format!(
                    "the app has {} v2 webhooks, so the account's subscriptions cannot be placed; \
                     register one with `dmbot webhook register <url>`",
                    hooks.len()
                ));
            };
            deps.client
                .subscribe_dm_events_v2(tokens, account, &hook.id, "dmbot")
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    }
}
