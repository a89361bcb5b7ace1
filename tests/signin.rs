//! Twitter Sign-in (`dmbot_shared::signin`) against the simulator: the round trip, invites
//! (required, single-use, revocable), a forged callback, a reused or expired request token, a
//! cancelled sign-in, store failures, generic public pages; and the `PendingSignins` store
//! contract on every store.

use dmbot_shared::domain::UserId;
use dmbot_shared::ingest::{HeaderText, Request};
use dmbot_shared::invite::InviteToken;
use dmbot_shared::signin::{STATE_COOKIE, SigninDeps, SigninResponse, handle_request};
use dmbot_shared::store::invites::{InviteRecord, Invites};
use dmbot_shared::store::memory::MemoryStore;
use dmbot_shared::store::signin::{PENDING_SIGNIN_TTL_MS, PendingSignin, PendingSignins};
use dmbot_shared::store::{AccountRecord, Accounts, StoreError};
use dmbot_shared::tokens::TokenSealer;
use dmbot_tests::signin::signin_deps;
use dmbot_tests::simulator::{Fault, SimAccount, TwitterApi};

const NOW: u64 = 1_700_000_000_000;

async fn setup() -> (TwitterApi, SigninDeps<MemoryStore>) {
    let fake = TwitterApi::start().await;
    let deps = signin_deps(&fake).await;
    (fake, deps)
}

/// `GET <path>?<query>` with the cookie, if any.
fn get(path: &str, query: &str, cookie: Option<&str>) -> Request {
    let mut request = http::Request::get(format!("{path}?{query}"));
    if let Some(c) = cookie {
        request = request.header("cookie", c);
    }
    request.body(bytes::Bytes::new()).expect("a request")
}

/// An invite valid for a day, as `dmbot auth invite` stores it.
async fn invite<S: Invites>(deps: &SigninDeps<S>) -> InviteToken {
    let token = InviteToken::generate();
    deps.store
        .put_invite(&InviteRecord {
            id: token.id(),
            created_ms: NOW,
            expires_ms: NOW + 24 * 3600 * 1000,
            note: Some("test".into()),
        })
        .await
        .expect("store the invite");
    token
}

/// `GET /auth/start` with this query.
async fn start_page<S: dmbot_shared::store::signin::PendingSignins + Accounts + Invites>(
    deps: &SigninDeps<S>,
    query: &str,
) -> SigninResponse {
    handle_request(deps, &get("/auth/start", query, None), NOW).await
}

/// Starts a sign-in with a fresh invite: returns the request token from the redirect and the
/// cookie to send back.
async fn start(deps: &SigninDeps<MemoryStore>) -> (String, String) {
    let token = invite(deps).await;
    start_with(deps, &token).await
}

/// Starts a sign-in with this invite.
async fn start_with<S: dmbot_shared::store::signin::PendingSignins + Accounts + Invites>(
    deps: &SigninDeps<S>,
    invite: &InviteToken,
) -> (String, String) {
    let r = start_page(deps, &format!("invite={}", invite.expose())).await;
    assert_eq!(r.status(), 302, "{}", r.body());
    let location = r.header("location").expect("a redirect");
    assert!(location.contains("/oauth/authorize?"), "{location}");
    let token = location
        .split("oauth_token=")
        .nth(1)
        .expect("the request token")
        .split('&')
        .next()
        .expect("token")
        .to_string();
    let set_cookie = r.header("set-cookie").expect("a state cookie").to_string();
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/auth"] {
        assert!(set_cookie.contains(attr), "{set_cookie} lacks {attr}");
    }
    let cookie = set_cookie
        .split(';')
        .next()
        .expect("name=value")
        .to_string();
    assert!(cookie.starts_with(&format!("{STATE_COOKIE}=")));
    assert!(
        cookie.len() > STATE_COOKIE.len() + 32,
        "a long random state"
    );
    (token, cookie)
}

async fn callback<S: dmbot_shared::store::signin::PendingSignins + Accounts + Invites>(
    deps: &SigninDeps<S>,
    token: &str,
    verifier: &str,
    cookie: Option<&str>,
    now: u64,
) -> SigninResponse {
    let q = format!("oauth_token={token}&oauth_verifier={verifier}");
    handle_request(deps, &get("/auth/callback", &q, cookie), now).await
}

async fn stored(deps: &SigninDeps<MemoryStore>, account: &SimAccount) -> bool {
    deps.store
        .get_account(&UserId::parse(account.user_id.as_str()).expect("id"))
        .await
        .expect("read")
        .is_some()
}

#[tokio::test]
async fn a_completed_sign_in_should_store_the_tokens_and_subscribe_the_account() {
    let (fake, deps) = setup().await;
    let account = fake.add_account("acme_outdoor");
    let (token, cookie) = start(&deps).await;
    let verifier = fake.approve(&token, &account).expect("approve");

    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 1000).await;
    assert_eq!(r.status(), 200, "{}", r.body());
    assert!(r.body().contains("@acme_outdoor is connected"));
    assert!(!r.body().contains(&account.token_secret));
    assert!(
        r.header("set-cookie")
            .is_some_and(|c| c.contains("Max-Age=0")),
        "the state cookie is cleared"
    );

    let record = deps
        .store
        .get_account(&UserId::parse(account.user_id.as_str()).expect("id"))
        .await
        .expect("read")
        .expect("the account is stored");
    let tokens = record.tokens.expect("tokens");
    assert_eq!(tokens.token, account.token);
    assert_eq!(tokens.token_secret, account.token_secret);
    assert_eq!(record.screen_name.as_deref(), Some("acme_outdoor"));
    assert!(fake.subscriptions().contains(&account.user_id));
}

#[tokio::test]
async fn on_x_api_v2_a_completed_sign_in_subscribes_the_account_on_the_x_activity_api() {
    let (fake, mut deps) = setup().await;
    deps.config.api = dmbot_shared::config::ApiVersion::V2;
    let url = dmbot_shared::twitter::api_types::WebhookUrl::new_allowing_http(&fake.crc_ok_url())
        .expect("url");
    let hook = deps
        .client
        .register_webhook_v2(&url)
        .await
        .expect("v2 webhook");
    let account = fake.add_account("acme_outdoor");
    let (token, cookie) = start(&deps).await;
    let verifier = fake.approve(&token, &account).expect("approve");

    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 1000).await;

    assert_eq!(r.status(), 200, "{}", r.body());
    let mut events: Vec<String> = fake
        .xaa_subscriptions()
        .into_iter()
        .filter(|s| s.user_id == account.user_id)
        .inspect(|s| assert_eq!(s.webhook_id.as_deref(), Some(hook.id.as_str())))
        .map(|s| s.event_type)
        .collect();
    events.sort();
    assert_eq!(events, ["dm.received", "dm.sent"]);
    assert!(
        !fake.subscriptions().contains(&account.user_id),
        "no v1.1 subscription"
    );
}

#[tokio::test]
async fn with_a_token_encryption_key_the_stored_tokens_are_sealed() {
    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let (fake, mut deps) = setup().await;
    deps.config.sealer = TokenSealer::from_base64_key(KEY).expect("key");
    let account = fake.add_account("acme_outdoor");
    let (token, cookie) = start(&deps).await;
    let verifier = fake.approve(&token, &account).expect("approve");

    // The request token secret waits sealed too, bound to its request token.
    let pending = deps
        .store
        .get_pending_signin(&token, NOW)
        .await
        .expect("read")
        .expect("pending");
    assert!(
        pending.request_token_secret.starts_with("sealed:v1:"),
        "the request token secret is sealed"
    );
    assert!(
        deps.config
            .sealer
            .open_request_secret("another-token", &pending.request_token_secret)
            .is_err(),
        "a sealed secret does not open for another request token"
    );

    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 1000).await;
    assert_eq!(r.status(), 200, "{}", r.body());

    let id = UserId::parse(account.user_id.as_str()).expect("id");
    let record = deps
        .store
        .get_account(&id)
        .await
        .expect("read")
        .expect("the account is stored");
    let stored = record.tokens.expect("tokens");
    assert!(stored.token.starts_with("sealed:v1:"), "{stored:?}");
    assert_ne!(stored.token, account.token);
    assert_ne!(stored.token_secret, account.token_secret);
    let opened = deps.config.sealer.open(&id, &stored).expect("opens");
    assert_eq!(
        (opened.token, opened.token_secret),
        (account.token.clone(), account.token_secret.clone())
    );
}

#[tokio::test]
async fn when_the_request_token_is_reused_the_callback_should_be_refused() {
    let (fake, deps) = setup().await;
    let account = fake.add_account("acme_outdoor");
    let (token, cookie) = start(&deps).await;
    let verifier = fake.approve(&token, &account).expect("approve");
    let first = callback(&deps, &token, &verifier, Some(&cookie), NOW + 1000).await;
    assert_eq!(first.status(), 200);

    let again = callback(&deps, &token, &verifier, Some(&cookie), NOW + 2000).await;
    assert_eq!(again.status(), 400);
    assert!(again.body().contains("already used"));
}

#[tokio::test]
async fn when_the_state_cookie_is_missing_or_wrong_the_callback_should_be_refused() {
    let (fake, deps) = setup().await;
    let account = fake.add_account("victim");

    // No cookie at all (the callback URL opened in another browser).
    let (token, _cookie) = start(&deps).await;
    let verifier = fake.approve(&token, &account).expect("approve");
    let r = callback(&deps, &token, &verifier, None, NOW + 1000).await;
    assert_eq!(r.status(), 403, "{}", r.body());

    // A cookie from another sign-in (an attacker's own browser state).
    let (token2, _) = start(&deps).await;
    let (_, other_cookie) = start(&deps).await;
    let verifier2 = fake.approve(&token2, &account).expect("approve");
    let r = callback(&deps, &token2, &verifier2, Some(&other_cookie), NOW + 1000).await;
    assert_eq!(r.status(), 403);

    // No access token was asked for, nothing was stored.
    assert!(!stored(&deps, &account).await);
    assert!(fake.requests_to("/oauth/access_token").is_empty());
}

#[tokio::test]
async fn when_the_sign_in_is_older_than_ten_minutes_the_callback_should_be_refused() {
    let (fake, deps) = setup().await;
    let account = fake.add_account("slow");
    let (token, cookie) = start(&deps).await;
    let verifier = fake.approve(&token, &account).expect("approve");
    let r = callback(
        &deps,
        &token,
        &verifier,
        Some(&cookie),
        NOW + PENDING_SIGNIN_TTL_MS + 1,
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(!stored(&deps, &account).await);
}

#[tokio::test]
async fn when_the_person_cancels_the_page_should_say_so_and_forget_the_token() {
    let (fake, deps) = setup().await;
    let account = fake.add_account("undecided");
    let (token, cookie) = start(&deps).await;
    let r = handle_request(
        &deps,
        &get("/auth/callback", &format!("denied={token}"), Some(&cookie)),
        NOW + 1000,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.body().contains("cancelled"));
    let verifier = fake.approve(&token, &account).expect("approve");
    let late = callback(&deps, &token, &verifier, Some(&cookie), NOW + 2000).await;
    assert_eq!(late.status(), 400);
}

#[tokio::test]
async fn a_callback_without_its_parameters_should_be_a_400_page() {
    let (_fake, deps) = setup().await;
    let r = handle_request(&deps, &get("/auth/callback", "", None), NOW).await;
    assert_eq!(r.status(), 400);
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
    );
    let r = handle_request(&deps, &get("/elsewhere", "", None), NOW).await;
    assert_eq!(r.status(), 404);
}

#[path = "signin/account_read.rs"]
mod account_read;
#[path = "signin/browser.rs"]
mod browser;
#[path = "signin/flaky.rs"]
mod flaky;
#[path = "signin/invites.rs"]
mod invites;
#[path = "signin/pending_contract.rs"]
mod pending_contract;

use flaky::{Flaky, with_store};
