//! Invites (M2, M5): required, single-use, revocable, given back on failure.

use super::*;

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
