//! How each of Twitter's refusals maps to a `TwitterError`.

use crate::support::*;

#[tokio::test]
async fn a_wrong_consumer_secret_is_refused_with_code_32_as_bad_credentials() {
    let fake = TwitterApi::start().await;
    let config = ClientConfig::new(ConsumerCredentials::new(&fake.app().consumer_key, "wrong"))
        .with_base(fake.base_url())
        .unwrap();
    let client = TwitterClient::new(config).unwrap();
    let err = client
        .send_direct_message(&tokens(fake.owner()), &text_dm("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, TwitterError::BadCredentials { code: 32, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("clock"));
    assert!(fake.sent_messages().is_empty());
}

#[tokio::test]
async fn a_skewed_clock_is_refused_as_bad_credentials() {
    let fake = TwitterApi::start().await;
    let skewed = Signer::with_sources(
        consumer(&fake),
        Arc::new(|| now_unix() - 3600),
        Arc::new(|| "fixed-nonce-for-skew".to_string()),
    );
    let client = TwitterClient::with_parts(client_config(&fake), reqwest::Client::new(), skewed);
    let err = client
        .verify_credentials(&tokens(fake.owner()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, TwitterError::BadCredentials { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unknown_user_token_is_bad_credentials() {
    let fake = TwitterApi::start().await;
    let err = client(&fake)
        .verify_credentials(&TokenCredentials::new("1-unknown", "secret"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, TwitterError::BadCredentials { code: 89, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_429_is_rate_limited_with_the_reset_time_and_the_headers_are_remembered() {
    let fake = TwitterApi::start().await;
    let reset = now_unix() + 600;
    fake.fail_next("events/new.json", 1, Fault::RateLimited { reset_at: reset });
    let client = client(&fake);
    let err = client
        .send_direct_message(&tokens(fake.owner()), &text_dm("x"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TwitterError::RateLimited {
            endpoint: Endpoint::SendDirectMessage.name().into(),
            reset_at: Some(reset),
            limit: Some(15),
            remaining: Some(0),
        }
    );
    let remembered = client.rate_limit(Endpoint::SendDirectMessage).unwrap();
    assert!(remembered.is_exhausted());
    assert_eq!(remembered.reset_at, Some(reset));
}

#[tokio::test]
async fn code_88_is_rate_limited_whatever_the_status() {
    let fake = TwitterApi::start().await;
    fake.fail_next(
        "verify_credentials",
        1,
        Fault::Error {
            status: 420,
            code: 88,
            message: "Rate limit exceeded".into(),
        },
    );
    let err = client(&fake)
        .verify_credentials(&tokens(fake.owner()))
        .await
        .unwrap_err();
    assert!(err.is_rate_limited(), "{err:?}");
}

#[tokio::test]
async fn every_response_updates_the_rate_limit_bookkeeping() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    assert_eq!(client.rate_limit(Endpoint::RegisterWebhook), None);
    let url = WebhookUrl::new("https://hooks.acme.example/t").unwrap();
    client
        .register_webhook(&tokens(fake.owner()), &env(&fake), &url)
        .await
        .unwrap();
    let rate = client.rate_limit(Endpoint::RegisterWebhook).unwrap();
    assert_eq!(rate.limit, Some(15));
    assert_eq!(rate.remaining, Some(14));
    assert!(rate.reset_at.unwrap() > now_unix());
    assert_eq!(client.rate_limits().len(), 1);
}

#[tokio::test]
async fn subscribing_without_a_webhook_is_no_webhook() {
    let fake = TwitterApi::start().await;
    let err = client(&fake)
        .subscribe(&tokens(fake.owner()), &env(&fake))
        .await
        .unwrap_err();
    assert!(matches!(err, TwitterError::NoWebhook { .. }), "{err:?}");
    assert!(err.to_string().contains("dmbot webhook register"));
}

#[tokio::test]
async fn a_wrongly_cased_environment_is_forbidden() {
    let fake = TwitterApi::start().await;
    let err = client(&fake)
        .subscribe(&tokens(fake.owner()), &EnvName::new("Dev").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, TwitterError::Forbidden { .. }), "{err:?}");
    assert!(err.to_string().contains("case-sensitive"));
}

#[tokio::test]
async fn registering_a_webhook_as_another_account_is_forbidden() {
    let fake = TwitterApi::start().await;
    let other = fake.add_account("not_the_owner");
    let url = WebhookUrl::new("https://hooks.acme.example/t").unwrap();
    let err = client(&fake)
        .register_webhook(&tokens(&other), &env(&fake), &url)
        .await
        .unwrap_err();
    assert!(matches!(err, TwitterError::Forbidden { .. }), "{err:?}");
}

#[tokio::test]
async fn a_server_error_is_transient() {
    let fake = TwitterApi::start().await;
    fake.fail_next("events/new.json", 1, Fault::Status(503));
    let err = client(&fake)
        .send_direct_message(&tokens(fake.owner()), &text_dm("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            TwitterError::Transient {
                status: Some(503),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_request_slower_than_the_timeout_is_transient() {
    let fake = TwitterApi::start().await;
    fake.fail_next(
        "verify_credentials",
        1,
        Fault::Delay(Duration::from_secs(5)),
    );
    let client =
        TwitterClient::new(client_config(&fake).with_timeout(Duration::from_millis(200))).unwrap();
    let err = client
        .verify_credentials(&tokens(fake.owner()))
        .await
        .unwrap_err();
    let TwitterError::Transient {
        status: None,
        reason,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert!(reason.contains("timeout"), "{reason}");
}

#[tokio::test]
async fn a_refused_connection_is_transient() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = TwitterClient::new(
        ClientConfig::new(ConsumerCredentials::new("k", "s"))
            .with_base(&base)
            .unwrap(),
    )
    .unwrap();
    let err = client
        .verify_credentials(&TokenCredentials::new("t", "s"))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
}

#[tokio::test]
async fn other_client_errors_are_permanent_with_twitters_code_and_message() {
    let fake = TwitterApi::start().await;
    fake.fail_next(
        "events/new.json",
        1,
        Fault::Error {
            status: 403,
            code: 349,
            message: "You cannot send messages to this user.".into(),
        },
    );
    let err = client(&fake)
        .send_direct_message(&tokens(fake.owner()), &text_dm("x"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TwitterError::Permanent {
            endpoint: Endpoint::SendDirectMessage.name().into(),
            status: 403,
            code: Some(349),
            message: "You cannot send messages to this user.".into(),
        }
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn code_214_on_a_dm_is_a_bad_request_not_a_crc_failure() {
    let fake = TwitterApi::start().await;
    fake.fail_next(
        "events/new.json",
        1,
        Fault::Error {
            status: 400,
            code: 214,
            message: "event.message_create.target: recipient_id not found.".into(),
        },
    );
    let err = client(&fake)
        .send_direct_message(&tokens(fake.owner()), &text_dm("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            TwitterError::Permanent {
                code: Some(214),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_missing_dm_is_not_found() {
    let fake = TwitterApi::start().await;
    let err = client(&fake)
        .show_direct_message(&tokens(fake.owner()), &EventId::parse("1").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, TwitterError::NotFound { .. }), "{err:?}");
    assert_eq!(err.code(), Some(34));
}
