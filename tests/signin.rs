//! Twitter Sign-in (`dmbot_shared::signin`) against the fake Twitter: the round trip, a forged
//! callback, a reused or expired request token, a cancelled sign-in; and the `PendingSignins`
//! store contract on every store.

use dmbot_shared::domain::UserId;
use dmbot_shared::ingest::{Headers, HttpRequestParts};
use dmbot_shared::signin::{STATE_COOKIE, SigninDeps, SigninResponse, handle_request};
use dmbot_shared::store::Accounts;
use dmbot_shared::store::embedded::EmbeddedStore;
use dmbot_shared::store::memory::MemoryStore;
use dmbot_shared::store::signin::{PENDING_SIGNIN_TTL_MS, PendingSignin, PendingSignins};
use dmbot_shared::tokens::TokenSealer;
use dmbot_tests::fake_twitter::{FakeAccount, FakeTwitter};
use dmbot_tests::moto::Moto;
use dmbot_tests::signin::signin_deps;

const NOW: u64 = 1_700_000_000_000;

async fn setup() -> (FakeTwitter, SigninDeps<MemoryStore>) {
    let fake = FakeTwitter::start().await;
    let deps = signin_deps(&fake).await;
    (fake, deps)
}

fn get(query: &str, cookie: Option<&str>) -> HttpRequestParts {
    let mut headers = Headers::new();
    if let Some(c) = cookie {
        headers.insert("cookie", c);
    }
    HttpRequestParts {
        method: http::Method::GET,
        raw_query: query.to_string(),
        headers,
        body: bytes::Bytes::new(),
    }
}

/// Starts a sign-in: returns the request token from the redirect and the cookie to send back.
async fn start(deps: &SigninDeps<MemoryStore>) -> (String, String) {
    let r = handle_request(deps, "/auth/start", &get("", None), NOW).await;
    assert_eq!(r.response.status, 302, "{}", r.response.body);
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

async fn callback(
    deps: &SigninDeps<MemoryStore>,
    token: &str,
    verifier: &str,
    cookie: Option<&str>,
    now: u64,
) -> SigninResponse {
    let q = format!("oauth_token={token}&oauth_verifier={verifier}");
    handle_request(deps, "/auth/callback", &get(&q, cookie), now).await
}

async fn stored(deps: &SigninDeps<MemoryStore>, account: &FakeAccount) -> bool {
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
    assert_eq!(r.response.status, 200, "{}", r.response.body);
    assert!(r.response.body.contains("@acme_outdoor is connected"));
    assert!(!r.response.body.contains(&account.token_secret));
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
async fn with_a_token_encryption_key_the_stored_tokens_are_sealed() {
    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let (fake, mut deps) = setup().await;
    deps.config.sealer = TokenSealer::from_base64_key(KEY).expect("key");
    let account = fake.add_account("acme_outdoor");
    let (token, cookie) = start(&deps).await;
    let verifier = fake.approve(&token, &account).expect("approve");

    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 1000).await;
    assert_eq!(r.response.status, 200, "{}", r.response.body);

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
    assert_eq!(first.response.status, 200);

    let again = callback(&deps, &token, &verifier, Some(&cookie), NOW + 2000).await;
    assert_eq!(again.response.status, 400);
    assert!(again.response.body.contains("already used"));
}

#[tokio::test]
async fn when_the_state_cookie_is_missing_or_wrong_the_callback_should_be_refused() {
    let (fake, deps) = setup().await;
    let account = fake.add_account("victim");

    // No cookie at all (the callback URL opened in another browser).
    let (token, _cookie) = start(&deps).await;
    let verifier = fake.approve(&token, &account).expect("approve");
    let r = callback(&deps, &token, &verifier, None, NOW + 1000).await;
    assert_eq!(r.response.status, 403, "{}", r.response.body);

    // A cookie from another sign-in (an attacker's own browser state).
    let (token2, _) = start(&deps).await;
    let (_, other_cookie) = start(&deps).await;
    let verifier2 = fake.approve(&token2, &account).expect("approve");
    let r = callback(&deps, &token2, &verifier2, Some(&other_cookie), NOW + 1000).await;
    assert_eq!(r.response.status, 403);

    // The refused callbacks burned their request tokens, and no access token was asked for.
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
    assert_eq!(r.response.status, 400);
    assert!(!stored(&deps, &account).await);
}

#[tokio::test]
async fn when_the_person_cancels_the_page_should_say_so_and_forget_the_token() {
    let (fake, deps) = setup().await;
    let account = fake.add_account("undecided");
    let (token, cookie) = start(&deps).await;
    let r = handle_request(
        &deps,
        "/auth/callback",
        &get(&format!("denied={token}"), Some(&cookie)),
        NOW + 1000,
    )
    .await;
    assert_eq!(r.response.status, 200);
    assert!(r.response.body.contains("cancelled"));
    let verifier = fake.approve(&token, &account).expect("approve");
    let late = callback(&deps, &token, &verifier, Some(&cookie), NOW + 2000).await;
    assert_eq!(late.response.status, 400);
}

#[tokio::test]
async fn a_callback_without_its_parameters_should_be_a_400_page() {
    let (_fake, deps) = setup().await;
    let r = handle_request(&deps, "/auth/callback", &get("", None), NOW).await;
    assert_eq!(r.response.status, 400);
    assert!(r.response.content_type.starts_with("text/html"));
    let r = handle_request(&deps, "/elsewhere", &get("", None), NOW).await;
    assert_eq!(r.response.status, 404);
}

// ---------------------------------------------------------------------------------------------
// PendingSignins contract

fn pending(token: &str, expires_ms: u64) -> PendingSignin {
    PendingSignin {
        request_token: token.to_string(),
        request_token_secret: "request-secret".to_string(),
        state: "state-value".to_string(),
        expires_ms,
    }
}

async fn contract(store: &impl PendingSignins) {
    let p = pending("tok-1", NOW + 600_000);
    store.put_pending_signin(&p).await.expect("put");
    assert_eq!(
        store.take_pending_signin("tok-1", NOW).await.expect("take"),
        Some(p)
    );
    assert_eq!(
        store
            .take_pending_signin("tok-1", NOW)
            .await
            .expect("take again"),
        None,
        "a pending sign-in is taken once"
    );
    store
        .put_pending_signin(&pending("tok-2", NOW + 1000))
        .await
        .expect("put");
    assert_eq!(
        store
            .take_pending_signin("tok-2", NOW + 1000)
            .await
            .expect("take expired"),
        None,
        "an expired sign-in is not handed out"
    );
    assert_eq!(
        store
            .take_pending_signin("never-stored", NOW)
            .await
            .expect("take unknown"),
        None
    );
}

#[tokio::test]
async fn memory_store_keeps_pending_sign_ins_once_and_until_they_expire() {
    contract(&MemoryStore::new()).await;
}

#[tokio::test]
async fn embedded_store_keeps_pending_sign_ins_once_and_until_they_expire() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(dir.path().join("data.redb")).expect("open");
    contract(&store).await;
}

#[tokio::test]
async fn dynamo_store_keeps_pending_sign_ins_once_and_until_they_expire() {
    let store = Moto::shared().await.fresh_table().await;
    contract(&store).await;
}

#[test]
fn pending_sign_ins_never_show_their_secret_in_debug_output() {
    let shown = format!("{:?}", pending("tok", 1));
    assert!(!shown.contains("request-secret"));
    assert!(!shown.contains("state-value"));
}
