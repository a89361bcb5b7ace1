//! Twitter Sign-in for business accounts (feature `client`): the two pages of
//! `functions/signin`, free of any HTTP framework like [`crate::ingest`].
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

use subtle::ConstantTimeEq;
use url::Url;

use crate::domain::now_ms as system_now_ms;
use crate::ingest::{HttpRequestParts, HttpResponse};
use crate::invite::{INVITE_PARAM, InviteToken};
use crate::store::invites::Invites;
use crate::store::signin::{PENDING_SIGNIN_TTL_MS, PendingSignin, PendingSignins};
use crate::store::{AccountRecord, AccountTokens, Accounts};
use crate::twitter::api_types::{Callback, EnvName};
use crate::twitter::client::TwitterClient;
use crate::twitter::oauth1::TokenCredentials;

/// Path of the first page.
pub const START_PATH: &str = "/auth/start";
/// Path of the callback (the `SIGNIN_CALLBACK_URL` must end with it).
pub const CALLBACK_PATH: &str = "/auth/callback";
/// Environment variable: the public URL of `/auth/callback` (registered in the app's settings).
pub const CALLBACK_URL_VAR: &str = crate::config::vars::SIGNIN_CALLBACK_URL;
/// The state cookie's name.
pub const STATE_COOKIE: &str = "dmbot_signin_state";

const HTML: &str = "text/html; charset=utf-8";

/// Sign-in settings.
#[derive(Debug, Clone)]
pub struct SigninConfig {
    /// Where Twitter sends the browser back (must be registered as a callback URL of the app).
    pub callback_url: Url,
    /// The Account Activity environment accounts are subscribed in.
    pub env_name: EnvName,
    /// Seals the account's tokens before they are stored (when a token encryption key is set).
    pub sealer: crate::tokens::TokenSealer,
}

/// What the handlers need.
pub struct SigninDeps<S> {
    pub store: S,
    pub client: TwitterClient,
    pub config: SigninConfig,
}

/// A response with the extra headers sign-in needs (`Location`, `Set-Cookie`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigninResponse {
    pub response: HttpResponse,
    pub headers: Vec<(&'static str, String)>,
}

impl SigninResponse {
    fn page(status: u16, title: &str, message: &str) -> Self {
        let body = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
             <body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><h1>{t}</h1>\
             <p>{m}</p></body></html>",
            t = escape(title),
            m = escape(message)
        );
        Self {
            response: HttpResponse {
                status,
                content_type: HTML,
                body,
            },
            headers: vec![("cache-control", "no-store".into())],
        }
    }

    fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The value of the first header with this name (for tests and adapters).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn random_state() -> String {
    let bytes: [u8; 32] = rand::random();
    crate::flow::hex(&bytes)
}

fn state_cookie(value: &str, max_age_secs: u64) -> String {
    format!(
        "{STATE_COOKIE}={value}; Path=/auth; Max-Age={max_age_secs}; HttpOnly; Secure; SameSite=Lax"
    )
}

fn cookie_value<'a>(req: &'a HttpRequestParts, name: &str) -> Option<&'a str> {
    let header = req.headers.get("cookie")?;
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k.trim() == name).then_some(v.trim())
    })
}

fn query(req: &HttpRequestParts) -> Vec<(String, String)> {
    serde_urlencoded::from_str(&req.raw_query).unwrap_or_default()
}

fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// The longest `oauth_token` / `denied` value looked up (Twitter's are about 27 characters);
/// anything longer is junk and never reaches the store.
const MAX_REQUEST_TOKEN_LEN: usize = 200;

/// The pages the public sees: what happened in general terms and what to do, never internal
/// details (those go to the logs).
mod pages {
    use super::SigninResponse;

    pub fn invalid_invite() -> SigninResponse {
        SigninResponse::page(
            403,
            "This sign-in link is not valid",
            "Sign-in needs an invite link, and each link connects one account until it expires. \
             Ask the person who invited you for a new link.",
        )
    }

    pub fn unavailable() -> SigninResponse {
        SigninResponse::page(
            503,
            "Sign-in is unavailable",
            "Something went wrong on our side. Please try again in a moment with your invite link.",
        )
    }

    pub fn twitter_failed() -> SigninResponse {
        SigninResponse::page(
            502,
            "Twitter did not complete the sign-in",
            "Please try again in a moment with your invite link.",
        )
    }

    pub fn expired() -> SigninResponse {
        SigninResponse::page(
            400,
            "This sign-in has expired or was already used",
            "A sign-in must be finished within 10 minutes. Open your invite link again to start over.",
        )
    }

    pub fn other_browser() -> SigninResponse {
        SigninResponse::page(
            403,
            "This sign-in did not start in this browser",
            "For your safety the sign-in was stopped. Open your invite link in this browser to start over.",
        )
    }

    pub fn cancelled() -> SigninResponse {
        SigninResponse::page(
            200,
            "Sign-in cancelled",
            "You did not connect your account. Your invite link still works until it expires.",
        )
    }
}

/// Routes a request by path: `/auth/start`, `/auth/callback` (any prefix, e.g. a stage name,
/// is ignored), anything else 404.
pub async fn handle_request<S: PendingSignins + Accounts + Invites>(
    deps: &SigninDeps<S>,
    path: &str,
    req: &HttpRequestParts,
    now_ms: u64,
) -> SigninResponse {
    if req.method != http::Method::GET {
        return SigninResponse::page(405, "Method not allowed", "Use GET.");
    }
    if path.ends_with(START_PATH) {
        handle_start(deps, req, now_ms).await
    } else if path.ends_with(CALLBACK_PATH) {
        handle_callback(deps, req, now_ms).await
    } else {
        SigninResponse::page(404, "Not found", "There is nothing here.")
    }
}

/// `GET /auth/start?invite=<token>`: refused unless the invite is valid (nothing is asked of
/// Twitter and nothing is written before that); then a request token with our callback, and
/// off to Twitter.
pub async fn handle_start<S: PendingSignins + Invites>(
    deps: &SigninDeps<S>,
    req: &HttpRequestParts,
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
    SigninResponse::page(
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

/// The pending sign-in of `request_token`, taken (removed) only once this browser's state
/// cookie matched it: someone who merely knows the request token can neither finish nor cancel
/// another person's sign-in. `Err` is the page to show.
async fn take_for_this_browser<S: PendingSignins>(
    deps: &SigninDeps<S>,
    req: &HttpRequestParts,
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
    req: &HttpRequestParts,
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
        return SigninResponse::page(
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
    if let Err(e) = deps
        .client
        .subscribe(&access.token, &deps.config.env_name)
        .await
    {
        tracing::error!(error = %e, %account, "sign-in: subscription failed; retry with `dmbot subscription add --account {account}`");
        return SigninResponse::page(
            502,
            "Connected, but messages are not flowing yet",
            &format!(
                "@{} is connected, but the bot does not receive its messages yet. Please tell \
                 the person who invited you.",
                access.screen_name
            ),
        );
    }
    SigninResponse::page(
        200,
        "Your account is connected",
        &format!(
            "@{} is connected: the bot now answers its Direct Messages. You can close this page.",
            access.screen_name
        ),
    )
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
    use crate::ingest::Headers;

    fn with_cookie(cookie: &str) -> HttpRequestParts {
        HttpRequestParts {
            method: http::Method::GET,
            raw_query: String::new(),
            headers: Headers::new().with("cookie", cookie),
            body: bytes::Bytes::new(),
        }
    }

    #[test]
    fn the_state_cookie_is_found_among_other_cookies() {
        let req = with_cookie("a=1; dmbot_signin_state=abc123 ; b=2");
        assert_eq!(cookie_value(&req, STATE_COOKIE), Some("abc123"));
        let req = with_cookie("xdmbot_signin_state=evil");
        assert_eq!(cookie_value(&req, STATE_COOKIE), None);
    }

    #[test]
    fn pages_escape_what_they_show() {
        let page = SigninResponse::page(400, "<b>", "@a&b \"c\" <script>");
        assert!(!page.response.body.contains("<script>"));
        assert!(page.response.body.contains("&lt;script&gt;"));
        assert!(page.response.body.contains("&amp;b"));
    }

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

    #[test]
    fn state_values_are_random_and_long() {
        let a = random_state();
        let b = random_state();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
