//! The app-only bearer token: fetched once, cached, replaced when refused.

use crate::support::*;

#[tokio::test]
async fn the_bearer_token_is_fetched_once_cached_and_replaced_after_a_401() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let env = env(&fake);
    client.list_webhooks(&env).await.unwrap();
    client.list_subscriptions(&env).await.unwrap();
    assert_eq!(fake.bearer_tokens_issued(), 1);
    assert_eq!(fake.requests_to("oauth2/token").len(), 1);
    let token_request = &fake.requests_to("oauth2/token")[0];
    assert_eq!(token_request.auth, AuthSeen::Basic);

    fake.invalidate_bearer();
    client.list_webhooks(&env).await.unwrap();
    assert_eq!(fake.bearer_tokens_issued(), 2, "a new token after the 401");
    let refused: Vec<_> = fake
        .requests_to("webhooks.json")
        .into_iter()
        .filter(|r| r.status == 401)
        .collect();
    assert_eq!(refused.len(), 1);
    client.list_webhooks(&env).await.unwrap();
    assert_eq!(
        fake.requests_to("oauth2/token").len(),
        2,
        "the new token is cached"
    );
}

#[tokio::test]
async fn a_configured_bearer_token_that_is_refused_is_dropped_and_refetched() {
    let fake = TwitterApi::start().await;
    let mut config = client_config(&fake);
    config.bearer_token = Some(BearerToken::new("stale-token"));
    let client = TwitterClient::new(config).unwrap();
    client.list_webhooks(&env(&fake)).await.unwrap();
    assert_eq!(fake.bearer_tokens_issued(), 1);
}

#[tokio::test]
async fn wrong_consumer_credentials_cannot_get_a_bearer_token() {
    let fake = TwitterApi::start().await;
    let config = ClientConfig::new(ConsumerCredentials::new(&fake.app().consumer_key, "wrong"))
        .with_base(fake.base_url())
        .unwrap();
    let err = TwitterClient::new(config)
        .unwrap()
        .list_webhooks(&env(&fake))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            TwitterError::Permanent {
                status: 403,
                code: Some(99),
                ..
            }
        ),
        "{err:?}"
    );
}
