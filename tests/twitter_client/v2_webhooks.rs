//! v2 webhooks with the app's bearer token against the simulator, and X's named refusals.

use crate::v2_support::*;

fn url(s: &str) -> WebhookUrl {
    WebhookUrl::new_allowing_http(s).unwrap()
}

/// The message of a permanent refusal (or panics).
fn permanent(err: &TwitterError) -> &str {
    match err {
        TwitterError::Permanent {
            status: 400,
            message,
            ..
        } => message,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_webhook_is_registered_listed_validated_and_deleted_with_the_bearer_token() {
    let fake = TwitterApi::start().await;
    fake.set_crc_check(true);
    let client = client(&fake);
    let hook = client
        .register_webhook_v2(&url(&fake.crc_ok_url()))
        .await
        .unwrap();
    assert_eq!(hook.url, fake.crc_ok_url());
    assert!(hook.valid);
    assert!(hook.created_at.as_deref().is_some_and(|t| t.ends_with('Z')));

    assert_eq!(client.list_webhooks_v2().await.unwrap(), vec![hook.clone()]);
    assert!(fake.set_webhook_valid(hook.id.as_str(), false));
    assert!(client.validate_webhook_v2(&hook.id).await.unwrap());
    assert!(client.list_webhooks_v2().await.unwrap()[0].valid);

    client.delete_webhook_v2(&hook.id).await.unwrap();
    assert!(client.list_webhooks_v2().await.unwrap().is_empty());
    assert_eq!(fake.bearer_tokens_issued(), 1);
    let v2 = fake.requests_to("/2/webhooks");
    assert_eq!(v2.len(), 6);
    assert!(v2.iter().all(|r| matches!(r.auth, AuthSeen::Bearer { .. })));
    assert_v2_authenticated(&fake, 0);
}

#[tokio::test]
async fn a_failing_crc_says_to_fix_the_endpoint_and_validate() {
    let fake = TwitterApi::start().await;
    fake.set_crc_check(true);
    let client = client(&fake);
    let err = client
        .register_webhook_v2(&url(&fake.crc_wrong_url()))
        .await
        .unwrap_err();
    assert!(matches!(err, TwitterError::CrcFailed { .. }), "{err:?}");
    assert!(err.to_string().contains("dmbot webhook validate"), "{err}");
    assert!(client.list_webhooks_v2().await.unwrap().is_empty());
    assert_no_secret(&fake, &format!("{err} {err:?}"));
}

#[tokio::test]
async fn duplicate_over_the_limit_and_bad_urls_are_refused_with_what_to_do() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let first = url("https://hooks.acme.example/x");
    client.register_webhook_v2(&first).await.unwrap();

    let err = client
        .register_webhook_v2(&url("https://hooks.acme.example/y"))
        .await
        .unwrap_err();
    let message = permanent(&err);
    assert!(message.contains("WebhookLimitExceeded"), "{message}");
    assert!(message.contains("delete the old webhook"), "{message}");

    set_config(&fake, |c| c.max_webhooks = 5);
    let err = client.register_webhook_v2(&first).await.unwrap_err();
    let message = permanent(&err);
    assert!(message.contains("DuplicateUrlFailed"), "{message}");
    assert!(message.contains("reuse"), "{message}");

    let err = client
        .register_webhook_v2(&url("https://hooks.acme.example:8443/z"))
        .await
        .unwrap_err();
    let message = permanent(&err);
    assert!(message.contains("UrlValidationFailed"), "{message}");
    assert!(message.contains("without a port"), "{message}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_unknown_webhook_id_is_not_found_on_validate_and_delete() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let unknown = WebhookId::new("987654321").unwrap();
    for err in [
        client.validate_webhook_v2(&unknown).await.unwrap_err(),
        client.delete_webhook_v2(&unknown).await.unwrap_err(),
    ] {
        assert!(matches!(err, TwitterError::NotFound { .. }), "{err:?}");
        assert!(err.to_string().contains("WebhookIdInvalid"), "{err}");
        assert!(err.to_string().contains("list the webhooks"), "{err}");
    }
}

#[tokio::test]
async fn a_refused_bearer_token_is_renewed_once() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    client.list_webhooks_v2().await.unwrap();
    fake.invalidate_bearer();
    client.list_webhooks_v2().await.unwrap();
    assert_eq!(fake.bearer_tokens_issued(), 2);
}
