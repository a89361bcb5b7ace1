//! Connected accounts: each answers with its own tokens and flow; sealed tokens need their key.

use crate::support::*;

#[tokio::test]
async fn two_accounts_answer_with_their_own_tokens_and_flows() {
    let env = env().await;
    let dir = tempfile::tempdir().unwrap();
    let second = load_flow(SECOND_FLOW, dir.path());
    // The default flow as stored by `flow sync` (id "default" is the default flow id).
    let mut default_flow: Value = serde_json::to_value(&*env.flow).unwrap();
    default_flow["definition"]["id"] = json!("default");
    default_flow["flow_id"] = json!("default");
    let default_flow: Flow = serde_json::from_value(default_flow).unwrap();
    put_flow(&env.store, &default_flow).await;
    put_flow(&env.store, &second).await;
    let shop = env.fake.add_account("second_shop");
    connect(&env.store, &shop, Some("second-flow")).await;

    let owner_key = env.owner_key(CUSTOMER);
    let shop_key = ConversationKey::new(
        UserId::parse(&shop.user_id).unwrap(),
        UserId::parse(OTHER_CUSTOMER).unwrap(),
    );
    let m1 = env
        .inbound(&owner_key, 1_600_000_000_000_000_001, "hello")
        .await;
    let m2 = env
        .inbound(&shop_key, 1_600_000_000_000_000_002, "hello")
        .await;
    let event = env.stream_event(&[&m1, &m2]).await;
    let dispatcher = env.dispatcher_with(env.config(FlowSource::Store {
        default_flow_id: "default".into(),
    }));

    let response = handle_stream_event(&dispatcher, &event, deadline()).await;

    assert!(failed_ids(&response).is_empty(), "{response:?}");
    let sent = env.fake.sent_messages();
    let by_recipient = |r: &str| {
        sent.iter()
            .find(|e| e.pointer("/message_create/target/recipient_id") == Some(&json!(r)))
            .cloned()
            .unwrap()
    };
    let to_owner_customer = by_recipient(CUSTOMER);
    let to_shop_customer = by_recipient(OTHER_CUSTOMER);
    assert_eq!(
        to_owner_customer["message_create"]["sender_id"],
        json!(env.fake.owner().user_id)
    );
    assert_eq!(
        to_owner_customer["message_create"]["message_data"]["text"],
        json!("Menu for Jane")
    );
    assert_eq!(
        to_shop_customer["message_create"]["sender_id"],
        json!(shop.user_id)
    );
    assert_eq!(
        to_shop_customer["message_create"]["message_data"]["text"],
        json!("Welcome to the second shop")
    );
}

#[tokio::test]
async fn an_account_without_tokens_that_is_not_the_owner_fails_permanently() {
    let env = env().await;
    let key = ConversationKey::new(
        UserId::parse("999999").unwrap(),
        UserId::parse(CUSTOMER).unwrap(),
    );
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;

    let result = env.dispatcher().handle(&record, deadline()).await;

    assert!(matches!(result, Err(DispatchError::Permanent { .. })));
    assert!(matches!(
        env.status(&record).await,
        InboundStatus::Failed { .. }
    ));
    assert!(env.fake.sent_messages().is_empty());
}

#[tokio::test]
async fn an_account_with_sealed_tokens_is_answered_only_with_the_key_they_were_sealed_with() {
    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let env = env().await;
    let sealer = TokenSealer::from_base64_key(KEY).unwrap();
    let shop = env.fake.add_account("second_shop");
    let shop_id = UserId::parse(&shop.user_id).unwrap();
    let sealed = sealer
        .seal(
            &shop_id,
            &AccountTokens {
                token: shop.token.clone(),
                token_secret: shop.token_secret.clone(),
            },
        )
        .unwrap();
    env.store
        .put_account(&AccountRecord {
            id: shop_id.clone(),
            screen_name: Some(shop.screen_name.clone()),
            tokens: Some(sealed),
            flow_id: None,
            created_ms: now_ms(),
        })
        .await
        .unwrap();
    let key = ConversationKey::new(shop_id, UserId::parse(OTHER_CUSTOMER).unwrap());

    // Without the key: a permanent failure that says which key to configure; nothing sent.
    let first = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let result = env.dispatcher().handle(&first, deadline()).await;
    match result {
        Err(DispatchError::Permanent { reason, .. }) => {
            assert!(reason.contains("token_encryption_key"), "{reason}")
        }
        other => panic!("expected a permanent failure, got {other:?}"),
    }
    assert!(env.fake.sent_messages().is_empty());

    // With it: answered as the shop (the fake checks the OAuth signature with its tokens).
    let second = env.inbound(&key, 1_600_000_000_000_000_002, "hello").await;
    let mut config = env.config(FlowSource::Fixed(env.flow.clone()));
    config.sealer = sealer;
    let handled = env
        .dispatcher_with(config)
        .handle(&second, deadline())
        .await
        .unwrap();
    assert!(matches!(handled, Handled::Replied { .. }), "{handled:?}");
    let sent = env.fake.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["message_create"]["sender_id"], json!(shop.user_id));
}
