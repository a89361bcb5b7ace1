//! Twitter Sign-in for business accounts (feature `client`): the two pages of
//! `functions/signin`, free of any HTTP framework like [`crate::ingest`].
//!
//! 3-legged OAuth (`docs/TWITTER-API.md` §6), as two requests:
//!
//! 1. `GET /auth/start` ([`handle_start`]): `POST oauth/request_token` with our callback URL →
//!    keep the request token and its secret as a [`PendingSignin`] for 10 minutes → set a
//!    random `state` cookie (HttpOnly, Secure, SameSite=Lax, scoped to `/auth`) → redirect the
//!    browser to Twitter's authorize page.
//! 2. `GET /auth/callback?oauth_token=…&oauth_verifier=…` ([`handle_callback`]): take the pending
//!    sign-in for that token **once** (a reused token finds nothing) → check the browser's state
//!    cookie matches the one stored with it (a callback forged for another browser is refused)
//!    → `POST oauth/access_token` → store the account with its tokens → subscribe the account to
//!    the webhook → a small page saying it worked or what went wrong.
//!
//! Why both checks: the request token in the callback URL is visible to anyone who sees the
//! URL; the cookie is only in the browser that started the sign-in, so an attacker cannot make
//! a victim's browser complete a sign-in the attacker started (login CSRF) nor replay one.
//!
//! Tokens are never logged, never put in a page or an error message. At rest they sit in the
//! account item of the DynamoDB table, which AWS encrypts (SSE, on by default for every table;
//! the SAM template may name a customer-managed KMS key).
//!
//! When a person later revokes the app, Twitter sends `user_event.revoke`: ingestion deletes the
//! account's record and tokens and queues the removal of the rest
//! (`store::Revocations::revoke_account`, then [`crate::forget`]).

use subtle::ConstantTimeEq;
use url::Url;

use crate::domain::now_ms as system_now_ms;
use crate::ingest::{HttpRequestParts, HttpResponse};
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
pub const CALLBACK_URL_VAR: &str = "SIGNIN_CALLBACK_URL";
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

/// Routes a request by path: `/auth/start`, `/auth/callback` (any prefix, e.g. a stage name,
/// is ignored), anything else 404.
pub async fn handle_request<S: PendingSignins + Accounts>(
    deps: &SigninDeps<S>,
    path: &str,
    req: &HttpRequestParts,
    now_ms: u64,
) -> SigninResponse {
    if req.method != http::Method::GET {
        return SigninResponse::page(405, "Method not allowed", "Use GET.");
    }
    if path.ends_with(START_PATH) {
        handle_start(deps, now_ms).await
    } else if path.ends_with(CALLBACK_PATH) {
        handle_callback(deps, req, now_ms).await
    } else {
        SigninResponse::page(404, "Not found", "Start at /auth/start.")
    }
}

/// `GET /auth/start`: a request token with our callback, then off to Twitter.
pub async fn handle_start<S: PendingSignins>(deps: &SigninDeps<S>, now_ms: u64) -> SigninResponse {
    let callback = Callback::Url(deps.config.callback_url.clone());
    let request = match deps.client.request_token(&callback).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "sign-in: request token failed");
            return SigninResponse::page(
                502,
                "Twitter did not start the sign-in",
                &format!("{e} Please try again in a moment."),
            );
        }
    };
    let authorize = match deps.client.authorize_url(&request, false) {
        Ok(u) => u,
        Err(e) => return SigninResponse::page(500, "Sign-in is misconfigured", &e.to_string()),
    };
    let state = random_state();
    let pending = PendingSignin {
        request_token: request.token.token().to_string(),
        request_token_secret: request.token.secret().to_string(),
        state: state.clone(),
        expires_ms: now_ms + PENDING_SIGNIN_TTL_MS,
    };
    if let Err(e) = deps.store.put_pending_signin(&pending).await {
        tracing::error!(error = %e, "sign-in: could not store the pending sign-in");
        return SigninResponse::page(
            503,
            "Sign-in is unavailable",
            "We could not start the sign-in. Please try again in a moment.",
        );
    }
    tracing::info!("sign-in started");
    let mut response = SigninResponse::page(
        302,
        "Redirecting to Twitter",
        "Continue on Twitter to connect your account.",
    );
    response = response
        .with_header("location", authorize.to_string())
        .with_header(
            "set-cookie",
            state_cookie(&state, PENDING_SIGNIN_TTL_MS / 1000),
        );
    response
}

/// `GET /auth/callback`: see the module documentation.
pub async fn handle_callback<S: PendingSignins + Accounts>(
    deps: &SigninDeps<S>,
    req: &HttpRequestParts,
    now_ms: u64,
) -> SigninResponse {
    let clear = state_cookie("", 0);
    let q = query(req);
    if let Some(denied) = param(&q, "denied") {
        // The person pressed "Cancel" on Twitter: forget the request token.
        let _ = deps.store.take_pending_signin(denied, now_ms).await;
        return SigninResponse::page(
            200,
            "Sign-in cancelled",
            "You did not connect your account. You can start again at any time.",
        )
        .with_header("set-cookie", clear);
    }
    let (Some(token), Some(verifier)) = (param(&q, "oauth_token"), param(&q, "oauth_verifier"))
    else {
        return SigninResponse::page(
            400,
            "This is not a sign-in callback",
            "The link is missing oauth_token or oauth_verifier. Start again at /auth/start.",
        );
    };
    let pending = match deps.store.take_pending_signin(token, now_ms).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            tracing::warn!("sign-in callback with an unknown, used or expired request token");
            return SigninResponse::page(
                400,
                "This sign-in link has expired or was already used",
                "Sign-in links work once, for 10 minutes. Please start again.",
            )
            .with_header("set-cookie", clear);
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in: could not read the pending sign-in");
            return SigninResponse::page(
                503,
                "Sign-in is unavailable",
                "We could not finish the sign-in. Please start again in a moment.",
            );
        }
    };
    let cookie_ok = cookie_value(req, STATE_COOKIE)
        .is_some_and(|c| bool::from(c.as_bytes().ct_eq(pending.state.as_bytes())));
    if !cookie_ok {
        tracing::warn!("sign-in callback refused: the state cookie does not match");
        return SigninResponse::page(
            403,
            "This sign-in did not start in this browser",
            "For your safety the sign-in was stopped. Please start again from this browser.",
        )
        .with_header("set-cookie", clear);
    }
    let request = TokenCredentials::new(pending.request_token, pending.request_token_secret);
    let access = match deps.client.access_token(&request, verifier).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "sign-in: access token failed");
            return SigninResponse::page(
                502,
                "Twitter did not confirm the sign-in",
                &format!("{e} Please start again."),
            )
            .with_header("set-cookie", clear);
        }
    };
    let existing = deps.store.get_account(&access.user_id).await.ok().flatten();
    let tokens = AccountTokens {
        token: access.token.token().to_string(),
        token_secret: access.token.secret().to_string(),
    };
    let tokens = match deps.config.sealer.seal(&access.user_id, &tokens) {
        Ok(sealed) => sealed,
        Err(e) => {
            tracing::error!(error = %e, account = %access.user_id, "sign-in: could not seal the tokens");
            return SigninResponse::page(
                500,
                "The account could not be saved",
                "Your sign-in worked, but we could not store it. Please try again later.",
            )
            .with_header("set-cookie", clear);
        }
    };
    let record = AccountRecord {
        id: access.user_id.clone(),
        screen_name: Some(access.screen_name.clone()),
        tokens: Some(tokens),
        flow_id: existing.as_ref().and_then(|e| e.flow_id.clone()),
        created_ms: existing.as_ref().map_or(now_ms, |e| e.created_ms),
    };
    if let Err(e) = deps.store.put_account(&record).await {
        tracing::error!(error = %e, account = %access.user_id, "sign-in: could not store the account");
        return SigninResponse::page(
            503,
            "Your account could not be saved",
            "Twitter approved the connection but we could not save it. Please start again in a moment.",
        )
        .with_header("set-cookie", clear);
    }
    if let Err(e) = deps
        .client
        .subscribe(&access.token, &deps.config.env_name)
        .await
    {
        tracing::error!(error = %e, account = %access.user_id, "sign-in: subscription failed");
        return SigninResponse::page(
            502,
            "Connected, but messages are not flowing yet",
            &format!(
                "@{} is connected, but subscribing it to the webhook failed: {e} An operator can \
                 retry with `dmbot subscription add --account {}`.",
                access.screen_name, access.user_id
            ),
        )
        .with_header("set-cookie", clear);
    }
    tracing::info!(account = %access.user_id, screen_name = %access.screen_name, "account connected");
    SigninResponse::page(
        200,
        "Your account is connected",
        &format!(
            "@{} is connected: the bot now answers its Direct Messages. You can close this page.",
            access.screen_name
        ),
    )
    .with_header("set-cookie", clear)
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
    fn state_values_are_random_and_long() {
        let a = random_state();
        let b = random_state();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
