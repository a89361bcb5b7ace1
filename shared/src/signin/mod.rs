//! Twitter Sign-in for business accounts (feature `client`): the two pages of
//! `functions/signin`, on `http` types like [`crate::ingest`].
//!
//! The parts: [`start`] and [`callback`] (the two pages' handlers), [`browser`] (the query and
//! the state cookie), [`pages`] (what the public sees); this file the settings and the router.
//!
//! Only accounts the operator invited can connect: `dmbot auth invite` stores an invite (its
//! hash, see [`crate::invite`]) and prints the link `<SigninUrl>?invite=<token>`.
//!
//! 3-legged OAuth (`docs/TWITTER-API.md` §6), as two requests:
//!
//! 1. `GET /auth/start?invite=<token>` ([`handle_start`]): refused with a generic page unless the
//!    invite is valid (unexpired, unused, not revoked), **before** Twitter is called or anything
//!    is written, so this public URL cannot spend the app's request-token budget → `POST
//!    oauth/request_token` with our callback URL → keep the request token and its secret, bound
//!    to the invite, as a [`PendingSignin`] for 10 minutes → set a random `state` cookie
//!    (HttpOnly, Secure, SameSite=Lax, scoped to `/auth`) → redirect the browser to Twitter's
//!    authorize page.
//! 2. `GET /auth/callback?oauth_token=…&oauth_verifier=…` ([`handle_callback`]): read the pending
//!    sign-in for that token and check the browser's state cookie matches the one stored with it
//!    (a callback forged for another browser is refused, and deletes nothing) → take the pending
//!    sign-in **once** (a reused token finds nothing) → check the invite is still valid → `POST
//!    oauth/access_token` → consume the invite atomically (one invite connects one account) →
//!    store the account with its tokens → subscribe the account to the webhook → a small page
//!    saying it worked. `?denied=<token>` (the person pressed Cancel on Twitter) forgets the
//!    pending sign-in, again only for the browser that started it. An abandoned or cancelled
//!    sign-in leaves the invite untouched: the same link starts again until it expires.
//!
//! Why both checks: the request token in the callback URL is visible to anyone who sees the
//! URL; the cookie is only in the browser that started the sign-in, so an attacker cannot make
//! a victim's browser complete a sign-in the attacker started (login CSRF) nor replay one.
//!
//! Public pages say what happened in general terms and what to do; details (Twitter's errors,
//! store failures, configuration hints) go to the logs only. Tokens are never logged, never put
//! in a page or an error message. At rest they sit in the account item of the DynamoDB table,
//! which AWS encrypts (SSE, on by default for every table; the SAM template may name a
//! customer-managed KMS key), sealed by [`crate::tokens`] when a key is configured.
//!
//! When a person later revokes the app, Twitter sends `user_event.revoke`: ingestion deletes the
//! account's record and tokens and queues the removal of the rest
//! (`store::Revocations::revoke_account`, then [`crate::forget`]).

pub mod browser;
pub mod callback;
pub mod pages;
pub mod start;

use url::Url;

pub use callback::handle_callback;
pub use pages::SigninResponse;
pub use start::handle_start;

use crate::domain::now_ms as system_now_ms;
use crate::ingest::edge::Request;
use crate::store::Accounts;
use crate::store::invites::Invites;
use crate::store::signin::PendingSignins;
use crate::twitter::api_types::EnvName;
use crate::twitter::client::TwitterClient;

/// Path of the first page.
pub const START_PATH: &str = "/auth/start";
/// Path of the callback (the `SIGNIN_CALLBACK_URL` must end with it).
pub const CALLBACK_PATH: &str = "/auth/callback";
/// Environment variable: the public URL of `/auth/callback` (registered in the app's settings).
pub const CALLBACK_URL_VAR: &str = crate::config::vars::SIGNIN_CALLBACK_URL;
/// The state cookie's name.
pub const STATE_COOKIE: &str = "dmbot_signin_state";

/// Sign-in settings.
#[derive(Debug, Clone)]
pub struct SigninConfig {
    /// Where Twitter sends the browser back (must be registered as a callback URL of the app).
    pub callback_url: Url,
    /// The Account Activity environment accounts are subscribed in.
    pub env_name: EnvName,
    /// Seals the account's tokens before they are stored (when a token encryption key is set).
    pub sealer: crate::tokens::TokenSealer,
    /// Which X API the account is subscribed on (`TWITTER_API`): v1.1's Account Activity
    /// environment, or on v2 the X Activity API on the app's webhook.
    pub api: crate::config::ApiVersion,
}

/// What the handlers need.
pub struct SigninDeps<S> {
    pub store: S,
    pub client: TwitterClient,
    pub config: SigninConfig,
}

/// Routes a request by path: `/auth/start`, `/auth/callback` (any prefix, e.g. a stage name,
/// is ignored), anything else 404.
#[tracing::instrument(name = "signin", skip_all, fields(path = %req.uri().path()))]
pub async fn handle_request<S: PendingSignins + Accounts + Invites>(
    deps: &SigninDeps<S>,
    req: &Request,
    now_ms: u64,
) -> SigninResponse {
    if req.method() != http::Method::GET {
        return pages::page(405, "Method not allowed", "Use GET.");
    }
    let path = req.uri().path();
    if path.ends_with(START_PATH) {
        handle_start(deps, req, now_ms).await
    } else if path.ends_with(CALLBACK_PATH) {
        handle_callback(deps, req, now_ms).await
    } else {
        pages::page(404, "Not found", "There is nothing here.")
    }
}

/// The `/auth/start` URL that belongs to a callback URL (`SIGNIN_CALLBACK_URL`): the same URL
/// with its trailing `/auth/callback` replaced by `/auth/start`; `None` when it does not end so.
pub fn start_url_from_callback(callback: &Url) -> Option<Url> {
    let prefix = callback.path().strip_suffix(CALLBACK_PATH)?;
    let mut start = callback.clone();
    start.set_path(&format!("{prefix}{START_PATH}"));
    start.set_query(None);
    start.set_fragment(None);
    Some(start)
}

/// The system clock in ms, for adapters.
pub fn now_ms() -> u64 {
    system_now_ms()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_url_is_derived_from_the_callback_url() {
        let cb =
            Url::parse("https://x.execute-api.eu-west-1.amazonaws.com/auth/callback").expect("url");
        assert_eq!(
            start_url_from_callback(&cb).map(String::from).as_deref(),
            Some("https://x.execute-api.eu-west-1.amazonaws.com/auth/start")
        );
        let staged = Url::parse("https://h.example/prod/auth/callback?x=1#y").expect("url");
        assert_eq!(
            start_url_from_callback(&staged)
                .map(String::from)
                .as_deref(),
            Some("https://h.example/prod/auth/start")
        );
        let other = Url::parse("https://h.example/oauth/done").expect("url");
        assert_eq!(start_url_from_callback(&other), None);
    }
}
