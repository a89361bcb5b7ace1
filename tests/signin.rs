//! Twitter Sign-in (`dmbot_shared::signin`) against the fake Twitter: the round trip, invites
//! (required, single-use, revocable), a forged callback, a reused or expired request token, a
//! cancelled sign-in, store failures, generic public pages; and the `PendingSignins` store
//! contract on every store.

use dmbot_shared::domain::{AccountId, UserId};
use dmbot_shared::ingest::{HeaderText, Request};
use dmbot_shared::invite::InviteToken;
use dmbot_shared::signin::{STATE_COOKIE, SigninDeps, SigninResponse, handle_request};
use dmbot_shared::store::embedded::EmbeddedStore;
use dmbot_shared::store::invites::{InviteRecord, Invites};
use dmbot_shared::store::memory::MemoryStore;
use dmbot_shared::store::signin::{PENDING_SIGNIN_TTL_MS, PendingSignin, PendingSignins};
use dmbot_shared::store::{AccountRecord, Accounts, StoreError};
use dmbot_shared::tokens::TokenSealer;
use dmbot_tests::fake_twitter::{FakeAccount, FakeTwitter, Fault};
use dmbot_tests::moto::Moto;
use dmbot_tests::signin::signin_deps;

const NOW: u64 = 1_700_000_000_000;

async fn setup() -> (FakeTwitter, SigninDeps<MemoryStore>) {
    let fake = FakeTwitter::start().await;
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

// ---------------------------------------------------------------------------------------------
// Invites (M2, M5)

#[tokio::test]
async fn without_a_valid_invite_start_is_refused_before_twitter_is_called() {
    let (fake, deps) = setup().await;
    let expired = InviteToken::generate();
    deps.store
        .put_invite(&InviteRecord {
            id: expired.id(),
            created_ms: NOW - 10_000,
            expires_ms: NOW,
            note: None,
        })
        .await
        .expect("put");
    let revoked = invite(&deps).await;
    assert!(
        deps.store
            .revoke_invite(&revoked.id())
            .await
            .expect("revoke")
    );
    let queries = [
        String::new(),
        "invite=".to_string(),
        "invite=not-a-token".to_string(),
        format!("invite={}", InviteToken::generate().expose()),
        format!("invite={}", expired.expose()),
        format!("invite={}", revoked.expose()),
        format!("other={}", invite(&deps).await.expose()),
    ];
    for q in &queries {
        let r = start_page(&deps, q).await;
        assert_eq!(r.status(), 403, "{q}: {}", r.body());
        assert!(r.header("location").is_none() && r.header("set-cookie").is_none());
        assert!(r.body().contains("invite"), "{}", r.body());
    }
    assert!(
        fake.requests_to("/oauth/request_token").is_empty(),
        "no request token was spent on a refused start"
    );
}

#[tokio::test]
async fn an_invite_connects_one_account_only() {
    let (fake, deps) = setup().await;
    let first = fake.add_account("first_business");
    let second = fake.add_account("second_business");
    let link = invite(&deps).await;
    // Two browsers start with the same link: both may, until one finishes.
    let (token_a, cookie_a) = start_with(&deps, &link).await;
    let (token_b, cookie_b) = start_with(&deps, &link).await;
    let verifier_a = fake.approve(&token_a, &first).expect("approve");
    let verifier_b = fake.approve(&token_b, &second).expect("approve");

    let done = callback(&deps, &token_a, &verifier_a, Some(&cookie_a), NOW + 1000).await;
    assert_eq!(done.status(), 200, "{}", done.body());
    assert!(stored(&deps, &first).await);
    assert!(
        deps.store
            .get_invite(&link.id(), NOW + 1000)
            .await
            .expect("get")
            .is_none()
    );

    let late = callback(&deps, &token_b, &verifier_b, Some(&cookie_b), NOW + 2000).await;
    assert_eq!(late.status(), 403, "{}", late.body());
    assert!(
        !stored(&deps, &second).await,
        "the used invite let no second account in"
    );
    assert!(!fake.subscriptions().contains(&second.user_id));
    assert_eq!(
        fake.requests_to("/oauth/access_token").len(),
        1,
        "the used invite was noticed before Twitter was asked"
    );

    let again = start_page(&deps, &format!("invite={}", link.expose())).await;
    assert_eq!(again.status(), 403, "the link is spent");
}

#[tokio::test]
async fn an_abandoned_sign_in_can_be_started_again_with_the_same_link() {
    let (fake, deps) = setup().await;
    let account = fake.add_account("came_back");
    let link = invite(&deps).await;
    let _abandoned = start_with(&deps, &link).await;
    let (token, cookie) = start_with(&deps, &link).await;
    let verifier = fake.approve(&token, &account).expect("approve");
    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 1000).await;
    assert_eq!(r.status(), 200, "{}", r.body());
    assert!(stored(&deps, &account).await);
}

#[tokio::test]
async fn an_invite_revoked_during_the_sign_in_stops_it_before_twitter_is_asked() {
    let (fake, deps) = setup().await;
    let account = fake.add_account("too_late");
    let link = invite(&deps).await;
    let (token, cookie) = start_with(&deps, &link).await;
    assert!(deps.store.revoke_invite(&link.id()).await.expect("revoke"));
    let verifier = fake.approve(&token, &account).expect("approve");
    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 1000).await;
    assert_eq!(r.status(), 403, "{}", r.body());
    assert!(!stored(&deps, &account).await);
    assert!(fake.requests_to("/oauth/access_token").is_empty());
}

#[tokio::test]
async fn when_the_account_cannot_be_stored_the_invite_is_given_back() {
    let (fake, deps) = setup().await;
    let deps = with_store(deps, Flaky::failing_put());
    let account = fake.add_account("unlucky");
    let link = invite(&deps).await;
    let (token, cookie) = start_with(&deps, &link).await;
    let verifier = fake.approve(&token, &account).expect("approve");
    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 1000).await;
    assert_eq!(r.status(), 503, "{}", r.body());
    assert!(
        deps.store
            .get_invite(&link.id(), NOW + 1000)
            .await
            .expect("get")
            .is_some(),
        "the same link can be used again"
    );
}

// ---------------------------------------------------------------------------------------------
// L1: a failed account read is not "no account"

/// A memory store whose `get_account` (or `put_account`) fails, everything else working.
struct Flaky {
    inner: MemoryStore,
    fail_get: bool,
    fail_put: bool,
}

impl Flaky {
    fn failing_get() -> Self {
        Self {
            inner: MemoryStore::new(),
            fail_get: true,
            fail_put: false,
        }
    }

    fn failing_put() -> Self {
        Self {
            inner: MemoryStore::new(),
            fail_get: false,
            fail_put: true,
        }
    }
}

fn throttled() -> StoreError {
    StoreError::Unavailable("throttled (test)".into())
}

impl Accounts for Flaky {
    async fn put_account(&self, account: &AccountRecord) -> Result<(), StoreError> {
        if self.fail_put {
            return Err(throttled());
        }
        self.inner.put_account(account).await
    }
    async fn get_account(&self, id: &AccountId) -> Result<Option<AccountRecord>, StoreError> {
        if self.fail_get {
            return Err(throttled());
        }
        self.inner.get_account(id).await
    }
    async fn list_accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        self.inner.list_accounts().await
    }
}

impl PendingSignins for Flaky {
    async fn put_pending_signin(&self, p: &PendingSignin) -> Result<(), StoreError> {
        self.inner.put_pending_signin(p).await
    }
    async fn get_pending_signin(
        &self,
        t: &str,
        now: u64,
    ) -> Result<Option<PendingSignin>, StoreError> {
        self.inner.get_pending_signin(t, now).await
    }
    async fn take_pending_signin(
        &self,
        t: &str,
        now: u64,
    ) -> Result<Option<PendingSignin>, StoreError> {
        self.inner.take_pending_signin(t, now).await
    }
}

impl Invites for Flaky {
    async fn put_invite(&self, i: &InviteRecord) -> Result<(), StoreError> {
        self.inner.put_invite(i).await
    }
    async fn get_invite(
        &self,
        id: &dmbot_shared::invite::InviteId,
        now: u64,
    ) -> Result<Option<InviteRecord>, StoreError> {
        self.inner.get_invite(id, now).await
    }
    async fn take_invite(
        &self,
        id: &dmbot_shared::invite::InviteId,
        now: u64,
    ) -> Result<Option<InviteRecord>, StoreError> {
        self.inner.take_invite(id, now).await
    }
    async fn list_invites(&self, now: u64) -> Result<Vec<InviteRecord>, StoreError> {
        self.inner.list_invites(now).await
    }
    async fn revoke_invite(&self, id: &dmbot_shared::invite::InviteId) -> Result<bool, StoreError> {
        self.inner.revoke_invite(id).await
    }
}

fn with_store<S>(deps: SigninDeps<MemoryStore>, store: S) -> SigninDeps<S> {
    SigninDeps {
        store,
        client: deps.client,
        config: deps.config,
    }
}

#[tokio::test]
async fn when_the_account_cannot_be_read_the_sign_in_fails_and_keeps_its_flow() {
    let (fake, deps) = setup().await;
    let deps = with_store(deps, Flaky::failing_get());
    let account = fake.add_account("vip_business");
    let id = UserId::parse(account.user_id.as_str()).expect("id");
    let before = AccountRecord {
        id: id.clone(),
        screen_name: Some("vip_business".into()),
        tokens: None,
        flow_id: Some("vip-flow".into()),
        created_ms: 1_600_000_000_000,
    };
    deps.store.inner.put_account(&before).await.expect("put");
    let link = invite(&deps).await;
    let (token, cookie) = start_with(&deps, &link).await;
    let verifier = fake.approve(&token, &account).expect("approve");

    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 1000).await;
    assert_eq!(r.status(), 503, "{}", r.body());
    assert_eq!(
        deps.store.inner.get_account(&id).await.expect("read"),
        Some(before),
        "the account's flow and creation time are untouched"
    );
    assert!(
        deps.store
            .get_invite(&link.id(), NOW + 1000)
            .await
            .expect("get")
            .is_some(),
        "the invite was not spent on a failed sign-in"
    );
}

// ---------------------------------------------------------------------------------------------
// L9: only the browser that started a sign-in can finish or cancel it; generic public pages

#[tokio::test]
async fn a_callback_from_another_browser_leaves_the_sign_in_to_its_owner() {
    let (fake, deps) = setup().await;
    let account = fake.add_account("victim");
    let (token, cookie) = start(&deps).await;
    let verifier = fake.approve(&token, &account).expect("approve");
    let (_, attacker_cookie) = start(&deps).await;
    for forged in [None, Some(attacker_cookie.as_str())] {
        let r = callback(&deps, &token, &verifier, forged, NOW + 1000).await;
        assert_eq!(r.status(), 403, "{}", r.body());
    }
    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 2000).await;
    assert_eq!(r.status(), 200, "{}", r.body());
    assert!(stored(&deps, &account).await);
}

#[tokio::test]
async fn a_cancel_without_the_cookie_does_not_cancel_the_sign_in() {
    let (fake, deps) = setup().await;
    let account = fake.add_account("victim");
    let (token, cookie) = start(&deps).await;
    let (_, attacker_cookie) = start(&deps).await;
    for forged in [None, Some(attacker_cookie.as_str())] {
        let r = handle_request(
            &deps,
            &get("/auth/callback", &format!("denied={token}"), forged),
            NOW + 1000,
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    let verifier = fake.approve(&token, &account).expect("approve");
    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 2000).await;
    assert_eq!(r.status(), 200, "{}", r.body());
}

#[tokio::test]
async fn public_pages_do_not_show_twitters_errors_or_operator_hints() {
    let (fake, deps) = setup().await;
    let message = "Could not authenticate you (internal detail).";
    let fault = || Fault::Error {
        status: 401,
        code: 32,
        message: message.into(),
    };
    let private = [
        message,
        "internal detail",
        "consumer",
        "TWITTER_",
        "dmbot ",
        "--account",
    ];
    let check = |r: &SigninResponse| {
        for word in private {
            assert!(!r.body().contains(word), "{word:?} in {}", r.body());
        }
    };

    fake.fail_next("/oauth/request_token", 1, fault());
    let link = invite(&deps).await;
    let r = start_page(&deps, &format!("invite={}", link.expose())).await;
    assert_eq!(r.status(), 502);
    check(&r);

    let account = fake.add_account("someone");
    let (token, cookie) = start_with(&deps, &link).await;
    let verifier = fake.approve(&token, &account).expect("approve");
    fake.fail_next("/oauth/access_token", 1, fault());
    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 1000).await;
    assert_eq!(r.status(), 502);
    check(&r);

    let (token, cookie) = start_with(&deps, &link).await;
    let verifier = fake.approve(&token, &account).expect("approve");
    fake.fail_next(
        "/subscriptions",
        1,
        Fault::Error {
            status: 403,
            code: 200,
            message: message.into(),
        },
    );
    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 1000).await;
    assert_eq!(r.status(), 502, "{}", r.body());
    assert!(r.body().contains("@someone is connected"));
    check(&r);
}

// ---------------------------------------------------------------------------------------------
// PendingSignins contract

fn pending(token: &str, expires_ms: u64) -> PendingSignin {
    PendingSignin {
        request_token: token.to_string(),
        request_token_secret: "request-secret".to_string(),
        state: "state-value".to_string(),
        expires_ms,
        invite: Some(InviteToken::generate().id()),
    }
}

async fn contract(store: &impl PendingSignins) {
    let p = pending("tok-1", NOW + 600_000);
    store.put_pending_signin(&p).await.expect("put");
    for _ in 0..2 {
        assert_eq!(
            store.get_pending_signin("tok-1", NOW).await.expect("get"),
            Some(p.clone()),
            "reading a pending sign-in leaves it in place"
        );
    }
    assert_eq!(
        store
            .get_pending_signin("tok-1", NOW + 600_000)
            .await
            .expect("get expired"),
        None,
        "an expired sign-in is not read"
    );
    assert_eq!(
        store
            .get_pending_signin("never-stored", NOW)
            .await
            .expect("get unknown"),
        None
    );
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
    assert_eq!(
        store
            .get_pending_signin("tok-1", NOW)
            .await
            .expect("get taken"),
        None,
        "a taken sign-in is gone"
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
