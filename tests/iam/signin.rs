//! The signin role end to end.

use crate::support::*;

/// Sign-in end to end with the signin role: the pending request token, the callback that takes
/// it, the account record (read, then written).
pub(crate) async fn the_signin_role_connects_an_account_end_to_end() {
    let moto = IamMoto::shared().await;
    let fake = TwitterApi::start().await;
    let memory = signin_deps(&fake).await;
    let deps = SigninDeps {
        store: moto.store_as(SIGNIN).await,
        client: memory.client,
        config: memory.config,
    };
    let get = |path: &str, query: String, cookie: Option<String>| {
        let mut request = http::Request::get(format!("{path}?{query}"));
        if let Some(c) = cookie {
            request = request.header("cookie", c);
        }
        request.body(Bytes::new()).expect("a request")
    };
    let now = now_ms();
    // The operator's invite (`dmbot auth invite` writes it with the operator's credentials).
    let invite = InviteToken::generate();
    moto.admin_store()
        .await
        .put_invite(&InviteRecord {
            id: invite.id(),
            created_ms: now,
            expires_ms: now + 3_600_000,
            note: None,
        })
        .await
        .expect("the operator stores an invite");
    let started = handle_request(
        &deps,
        &get("/auth/start", format!("invite={}", invite.expose()), None),
        now,
    )
    .await;
    assert_eq!(
        started.status(),
        302,
        "{}; {}",
        started.body(),
        denials(moto)
    );
    let location = started.header("location").expect("a redirect");
    let token = location
        .split("oauth_token=")
        .nth(1)
        .and_then(|t| t.split('&').next())
        .expect("the request token")
        .to_string();
    let cookie = started
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("the state cookie")
        .to_string();
    let account = fake.add_account("iam_signin_shop");
    let verifier = fake.approve(&token, &account).expect("approve");
    let query = format!("oauth_token={token}&oauth_verifier={verifier}");
    let done = handle_request(&deps, &get("/auth/callback", query, Some(cookie)), now + 1).await;
    assert_eq!(done.status(), 200, "{}; {}", done.body(), denials(moto));
    let stored = moto
        .admin_store()
        .await
        .get_account(&user(&account.user_id))
        .await
        .unwrap();
    assert!(stored.is_some_and(|a| a.tokens.is_some()));

    let secrets = moto.secrets_as(SIGNIN).await;
    let doc = fetch_secret_document(&secrets, moto.secret_arn(FULL_SECRET)).await;
    assert!(doc.is_ok(), "{doc:?}; {}", denials(moto));
}
