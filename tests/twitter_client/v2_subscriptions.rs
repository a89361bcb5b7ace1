//! X Activity API and Account Activity API v2 subscriptions against the simulator.

use crate::v2_support::*;

async fn webhook(fake: &TwitterApi, client: &TwitterClient) -> WebhookId {
    let url = WebhookUrl::new("https://hooks.acme.example/x").unwrap();
    let _ = fake;
    client.register_webhook_v2(&url).await.unwrap().id
}

#[tokio::test]
async fn an_account_subscribes_its_dm_events_and_the_app_lists_and_deletes_them() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let hook = webhook(&fake, &client).await;
    let me = business(&fake);
    let sub = client
        .subscribe_activity_v2(
            &owner_tokens(&fake),
            "dm.received",
            &me,
            &hook,
            Some("dmbot"),
        )
        .await
        .unwrap();
    assert_eq!(sub.event_type, "dm.received");
    assert_eq!(sub.filter.user_id.as_ref(), Some(&me));
    assert_eq!(sub.tag.as_deref(), Some("dmbot"));
    assert_eq!(sub.webhook_id.as_ref(), Some(&hook));
    let stored = fake.xaa_subscriptions();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].subscription_id, sub.subscription_id);

    let sent = client
        .subscribe_activity_v2(&owner_tokens(&fake), "dm.sent", &me, &hook, None)
        .await
        .unwrap();
    assert_eq!(sent.tag, None);
    let listed = client.list_activity_subscriptions_v2().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&sub));

    client
        .delete_activity_subscription_v2(&sub.subscription_id)
        .await
        .unwrap();
    assert_eq!(
        client.list_activity_subscriptions_v2().await.unwrap(),
        vec![sent]
    );
    assert_v2_authenticated(&fake, 2);
}

#[tokio::test]
async fn activity_subscription_refusals_say_what_is_wrong() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let hook = webhook(&fake, &client).await;
    let tokens = owner_tokens(&fake);

    let err = client
        .subscribe_activity_v2(&tokens, "dm.received", &customer(), &hook, None)
        .await
        .unwrap_err();
    assert!(matches!(err, TwitterError::Forbidden { .. }), "{err:?}");
    assert!(
        err.to_string().contains("user token of filter.user_id"),
        "{err}"
    );

    let err = client
        .subscribe_activity_v2(&tokens, "dm.everything", &business(&fake), &hook, None)
        .await
        .unwrap_err();
    let TwitterError::Permanent {
        status: 400,
        message,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert!(message.contains("`event_type`"), "{message}");

    let unknown = WebhookId::new("111").unwrap();
    let err = client
        .subscribe_activity_v2(&tokens, "dm.received", &business(&fake), &unknown, None)
        .await
        .unwrap_err();
    assert!(matches!(err, TwitterError::NotFound { .. }), "{err:?}");

    set_config(&fake, |c| c.max_xaa_subscriptions = 0);
    let err = client
        .subscribe_activity_v2(&tokens, "dm.received", &business(&fake), &hook, None)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("SubscriptionLimitExceeded"),
        "{err}"
    );

    let err = client
        .delete_activity_subscription_v2("42")
        .await
        .unwrap_err();
    assert!(matches!(err, TwitterError::NotFound { .. }), "{err:?}");
    let err = client
        .delete_activity_subscription_v2("1%2F2")
        .await
        .unwrap_err();
    assert!(
        matches!(err, TwitterError::InvalidRequest { .. }),
        "{err:?}"
    );
    assert!(fake.xaa_subscriptions().is_empty());
}

#[tokio::test]
async fn account_activity_v2_subscribes_lists_and_removes_accounts() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let hook = webhook(&fake, &client).await;
    client
        .subscribe_account_activity_v2(&owner_tokens(&fake), &hook)
        .await
        .unwrap();
    let list = client
        .list_account_activity_subscriptions_v2(&hook)
        .await
        .unwrap();
    assert_eq!(list.user_ids, vec![business(&fake)]);
    assert_eq!(
        list.webhook_url.as_deref(),
        Some("https://hooks.acme.example/x")
    );

    let err = client
        .subscribe_account_activity_v2(&owner_tokens(&fake), &hook)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("DuplicateSubscriptionFailed"),
        "{err}"
    );
    assert!(err.to_string().contains("already subscribed"), "{err}");

    client
        .delete_account_activity_subscription_v2(&hook, &business(&fake))
        .await
        .unwrap();
    assert!(fake.aaa_subscriptions().is_empty());
    let err = client
        .delete_account_activity_subscription_v2(&hook, &business(&fake))
        .await
        .unwrap_err();
    assert!(matches!(err, TwitterError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("SubscriptionNotFound"), "{err}");
    assert_v2_authenticated(&fake, 2);
}

#[tokio::test]
async fn account_activity_v2_stops_at_the_subscription_limit() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let hook = webhook(&fake, &client).await;
    set_config(&fake, |c| c.max_aaa_subscriptions = 1);
    client
        .subscribe_account_activity_v2(&owner_tokens(&fake), &hook)
        .await
        .unwrap();
    let other = fake.add_account("second_business");
    let err = client
        .subscribe_account_activity_v2(&tokens(&other), &hook)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("SubscriptionLimitExceeded"),
        "{err}"
    );
    assert!(err.to_string().contains("delete subscriptions"), "{err}");
}

#[tokio::test]
async fn dm_events_are_subscribed_once_whatever_the_repeats() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let hook = webhook(&fake, &client).await;
    let me = business(&fake);
    // One of the two exists already (an earlier, interrupted attempt).
    let received = client
        .subscribe_activity_v2(
            &owner_tokens(&fake),
            "dm.received",
            &me,
            &hook,
            Some("dmbot"),
        )
        .await
        .unwrap();

    for _ in 0..2 {
        let subs = client
            .subscribe_dm_events_v2(&owner_tokens(&fake), &me, &hook, "dmbot")
            .await
            .unwrap();
        let kinds: Vec<&str> = subs.iter().map(|s| s.event_type.as_str()).collect();
        assert_eq!(kinds, DM_EVENT_TYPES);
        assert_eq!(subs[0], received);
    }
    assert_eq!(fake.xaa_subscriptions().len(), 2);
}
