//! How the v2 side's failures map to `TwitterError`: credentials, queued faults, secrets.

use crate::v2_support::*;

#[tokio::test]
async fn a_wrong_consumer_secret_on_a_v2_send_is_bad_credentials_without_secrets() {
    let fake = TwitterApi::start().await;
    let customer = customer_who_wrote(&fake, "hi");
    let config = ClientConfig::new(ConsumerCredentials::new(&fake.app().consumer_key, "wrong"))
        .with_base(fake.base_url())
        .unwrap();
    let err = TwitterClient::new(config)
        .unwrap()
        .send_dm_v2(&owner_tokens(&fake), &customer, &text("x"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, TwitterError::BadCredentials { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("check the consumer key"), "{err}");
    assert_no_secret(&fake, &format!("{err} {err:?}"));
    assert_eq!(fake.v2_usage().dm_create, 0);
}

#[tokio::test]
async fn an_unknown_user_token_on_a_v2_call_is_bad_credentials() {
    let fake = TwitterApi::start().await;
    let err = client(&fake)
        .upload_media_v2(
            &TokenCredentials::new("1-unknown", "secret"),
            &[1u8; 10],
            "image/png",
            MediaCategory::DmImage,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, TwitterError::BadCredentials { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn queued_faults_on_v2_paths_are_rate_limits_and_transient_errors() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let reset = now_unix() + 600;
    fake.fail_next("/2/webhooks", 1, Fault::RateLimited { reset_at: reset });
    let err = client.list_webhooks_v2().await.unwrap_err();
    assert_eq!(err.retry_after(reset - 600), Some(Duration::from_secs(600)));
    assert_eq!(
        client
            .rate_limit(Endpoint::ListWebhooksV2)
            .unwrap()
            .reset_at,
        Some(reset)
    );

    fake.fail_next("/2/activity/subscriptions", 1, Fault::Status(503));
    let err = client.list_activity_subscriptions_v2().await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");

    let customer = customer_who_wrote(&fake, "hi");
    fake.fail_next("/messages", 1, Fault::Status(500));
    let err = client
        .send_dm_v2(&owner_tokens(&fake), &customer, &text("x"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            TwitterError::Transient {
                status: Some(500),
                ..
            }
        ),
        "{err:?}"
    );
    assert_no_secret(&fake, &format!("{err} {err:?}"));
}
