//! L1: a failed account read is not "no account".

use super::*;

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
    deps.store.inner().put_account(&before).await.expect("put");
    let link = invite(&deps).await;
    let (token, cookie) = start_with(&deps, &link).await;
    let verifier = fake.approve(&token, &account).expect("approve");

    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 1000).await;
    assert_eq!(r.status(), 503, "{}", r.body());
    assert_eq!(
        deps.store.inner().get_account(&id).await.expect("read"),
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
