//! The Account Activity API: webhooks, the CRC on registration, subscriptions.

use crate::support::*;

#[tokio::test]
async fn the_webhook_and_subscription_lifecycle_uses_the_right_auth_for_each_call() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let owner = tokens(fake.owner());
    let env = env(&fake);
    let url = WebhookUrl::new("https://hooks.acme.example/webhooks/twitter").unwrap();

    let hook = client.register_webhook(&owner, &env, &url).await.unwrap();
    assert!(hook.valid);
    assert_eq!(hook.url, url.as_str());
    let register = &fake.requests_to("/webhooks.json")[0];
    assert_eq!(register.query_value("url"), Some(url.as_str()));
    assert!(matches!(register.auth, AuthSeen::OAuth { valid: true, .. }));

    let listed = client.list_webhooks(&env).await.unwrap();
    assert_eq!(listed, vec![hook.clone()]);
    let all = client.list_all_webhooks().await.unwrap();
    assert_eq!(all[0].environment_name, "dev");
    assert_eq!(all[0].webhooks, vec![hook.clone()]);
    assert!(matches!(
        fake.requests_to("account_activity/all/webhooks.json")[0].auth,
        AuthSeen::Bearer { .. }
    ));
    client.trigger_crc(&owner, &env, &hook.id).await.unwrap();

    let customer_account = fake.add_account("acme_support");
    let account = tokens(&customer_account);
    assert!(!client.is_subscribed(&account, &env).await.unwrap());
    client.subscribe(&account, &env).await.unwrap();
    assert!(client.is_subscribed(&account, &env).await.unwrap());
    assert_eq!(fake.subscriptions(), vec![customer_account.user_id.clone()]);
    let subscribe = fake
        .requests_to("subscriptions.json")
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(
        subscribe.auth,
        AuthSeen::OAuth {
            token: Some(customer_account.token.clone()),
            valid: true
        },
        "subscribing is done as the account itself"
    );

    let list = client.list_subscriptions(&env).await.unwrap();
    assert_eq!(list.subscriptions.len(), 1);
    assert_eq!(
        list.subscriptions[0].user_id.as_str(),
        customer_account.user_id
    );
    assert_eq!(
        client
            .count_subscriptions()
            .await
            .unwrap()
            .subscriptions_count_all,
        1
    );
    client
        .unsubscribe(&env, &UserId::parse(&customer_account.user_id).unwrap())
        .await
        .unwrap();
    assert!(fake.subscriptions().is_empty());
    client.delete_webhook(&owner, &env, &hook.id).await.unwrap();
    assert!(fake.webhooks().is_empty());
    assert_eq!(
        fake.bearer_tokens_issued(),
        1,
        "the bearer token is fetched once and cached"
    );
    assert_all_authenticated(&fake);
}

#[tokio::test]
async fn registering_runs_the_crc_and_a_wrong_answer_is_a_crc_failure_with_twitters_message() {
    let fake = TwitterApi::start().await;
    fake.set_crc_check(true);
    let client = client(&fake);
    let owner = tokens(fake.owner());
    let env = env(&fake);
    let wrong = WebhookUrl::new_allowing_http(&fake.crc_wrong_url()).unwrap();
    let err = client
        .register_webhook(&owner, &env, &wrong)
        .await
        .unwrap_err();
    let TwitterError::CrcFailed { message } = &err else {
        panic!("{err:?}");
    };
    assert!(message.contains("Invalid CRC token"), "{message}");
    assert!(err.to_string().contains("dmbot webhook validate"));

    let right = WebhookUrl::new_allowing_http(&fake.crc_ok_url()).unwrap();
    let hook = client.register_webhook(&owner, &env, &right).await.unwrap();
    client.trigger_crc(&owner, &env, &hook.id).await.unwrap();
    let crc_gets = fake
        .requests_to("/_fake/webhook")
        .into_iter()
        .filter(|r| r.method == "GET")
        .count();
    assert_eq!(
        crc_gets, 3,
        "one CRC per registration attempt and one for the re-validation"
    );
}

#[tokio::test]
async fn the_subscription_count_falls_back_to_the_older_path() {
    let fake = TwitterApi::start().await;
    fake.add_subscription("3001969357");
    fake.fail_next(
        "subscriptions/count.json",
        1,
        Fault::Error {
            status: 404,
            code: 34,
            message: "Sorry, that page does not exist.".into(),
        },
    );
    let count = client(&fake).count_subscriptions().await.unwrap();
    assert_eq!(count.subscriptions_count_all, 1);
    assert_eq!(fake.requests_to("account_activity/all/count.json").len(), 1);
}
