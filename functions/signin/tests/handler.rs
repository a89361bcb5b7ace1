//! The signin function's handler with a lambda_http request, against the simulator: the
//! redirect and cookie reach the API Gateway response, and the callback completes.

use dmbot_shared::domain::UserId;
use dmbot_shared::invite::InviteToken;
use dmbot_shared::store::Accounts;
use dmbot_shared::store::invites::{InviteRecord, Invites};
use dmbot_tests::signin::signin_deps;
use dmbot_tests::simulator::TwitterApi;
use lambda_http::{Body, Request};

const NOW: u64 = 1_700_000_000_000;

fn request(uri: &str, cookie: Option<&str>) -> Request {
    let mut b = http::Request::builder().method("GET").uri(uri);
    if let Some(c) = cookie {
        b = b.header("cookie", c);
    }
    b.body(Body::Empty).expect("a request")
}

#[tokio::test]
async fn the_lambda_handler_redirects_sets_the_cookie_and_completes_the_sign_in() {
    let fake = TwitterApi::start().await;
    let deps = signin_deps(&fake).await;
    let invite = InviteToken::generate();
    deps.store
        .put_invite(&InviteRecord {
            id: invite.id(),
            created_ms: NOW,
            expires_ms: NOW + 3_600_000,
            note: None,
        })
        .await
        .expect("store the invite");

    let start = dmbot_signin::handle(
        &deps,
        request(
            &format!(
                "https://bot.example.com/auth/start?invite={}",
                invite.expose()
            ),
            None,
        ),
        NOW,
    )
    .await;
    assert_eq!(start.status(), 302);
    let location = start
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location");
    let token = location
        .split("oauth_token=")
        .nth(1)
        .expect("token")
        .to_string();
    let cookie = start
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("set-cookie")
        .split(';')
        .next()
        .expect("cookie")
        .to_string();

    let account = fake.add_account("acme");
    let verifier = fake.approve(&token, &account).expect("approve");
    let done = dmbot_signin::handle(
        &deps,
        request(
            &format!(
                "https://bot.example.com/auth/callback?oauth_token={token}&oauth_verifier={verifier}"
            ),
            Some(&cookie),
        ),
        NOW + 1000,
    )
    .await;
    assert_eq!(done.status(), 200);
    assert!(
        done.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
    );
    assert!(
        deps.store
            .get_account(&UserId::parse(account.user_id.as_str()).expect("id"))
            .await
            .expect("read")
            .is_some()
    );
}
