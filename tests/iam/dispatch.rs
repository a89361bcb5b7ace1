//! The dispatch role end to end.

use crate::support::*;

/// Dispatch end to end with the dispatch role: a connected account's customer asks for the
/// size chart; the flow comes from the store, the image is uploaded and its id cached.
pub(crate) async fn the_dispatch_role_answers_a_message_end_to_end() {
    let moto = IamMoto::shared().await;
    let admin = moto.admin_store().await;
    let fake = TwitterApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chart.png"), b"\x89PNG\r\n\x1a\nchart").unwrap();
    let flow = Flow::from_toml_str(FLOW, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    admin
        .put_flow(&FlowRecord {
            flow_id: flow.id().to_string(),
            version: 1,
            document: serde_json::to_string(&flow).unwrap(),
            stored_ms: now_ms(),
        })
        .await
        .unwrap();
    let shop = fake.add_account("iam_shop");
    let account = user(&shop.user_id);
    admin
        .put_account(&AccountRecord {
            id: account.clone(),
            screen_name: Some(shop.screen_name.clone()),
            tokens: Some(AccountTokens {
                token: shop.token.clone(),
                token_secret: shop.token_secret.clone(),
            }),
            flow_id: Some(flow.id().to_string()),
            created_ms: now_ms(),
        })
        .await
        .unwrap();
    let conversation = ConversationKey::new(account, user("3301000001"));
    let mut record = inbound(&conversation, "1600000000000000001");
    record.message.text = "size".to_string();
    record.received_ms = now_ms();
    admin.put_inbound(&record).await.unwrap();

    let store = moto.store_as(DISPATCH).await;
    let owner = fake.owner();
    let config = DispatchConfig::new(
        TokenCredentials::new(&owner.token, &owner.token_secret),
        FlowSource::Store {
            default_flow_id: "default".to_string(),
        },
    );
    let dispatcher = Dispatcher::new(store, client(&fake), config);
    let handled = dispatcher
        .handle(&record, Instant::now() + Duration::from_secs(20))
        .await;
    let handled = handled.unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    assert!(matches!(handled, Handled::Replied { .. }), "{handled:?}");
    let status = admin
        .get_inbound(&conversation, &record.message.event_id)
        .await
        .unwrap()
        .unwrap()
        .status;
    assert!(
        matches!(status, InboundStatus::Answered { .. }),
        "{status:?}"
    );
    assert_eq!(
        admin
            .load_conversation(&conversation)
            .await
            .unwrap()
            .version,
        1
    );

    // With the flow's files at hand (a flow given to the dispatcher rather than read from the
    // store) the image is uploaded and its id cached: a refused cache write would only be
    // logged, so the cache is checked.
    let mut second = inbound(&conversation, "1600000000000000002");
    second.message.text = "size".to_string();
    second.received_ms = now_ms();
    admin.put_inbound(&second).await.unwrap();
    let config = DispatchConfig::new(
        TokenCredentials::new(&owner.token, &owner.token_secret),
        FlowSource::Fixed(std::sync::Arc::new(flow)),
    );
    let dispatcher = Dispatcher::new(moto.store_as(DISPATCH).await, client(&fake), config);
    let handled = dispatcher
        .handle(&second, Instant::now() + Duration::from_secs(20))
        .await;
    let handled = handled.unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    assert!(matches!(handled, Handled::Replied { .. }), "{handled:?}");
    let sha = format!(
        "{:x}",
        <sha2::Sha256 as sha2::Digest>::digest(b"\x89PNG\r\n\x1a\nchart")
    );
    let cached = admin.get_media(&conversation.account, &sha).await.unwrap();
    assert!(
        cached.is_some(),
        "the media id is cached; {}",
        denials(moto)
    );

    let secrets = moto.secrets_as(DISPATCH).await;
    let doc = fetch_secret_document(&secrets, moto.secret_arn(FULL_SECRET)).await;
    assert!(doc.is_ok(), "{doc:?}; {}", denials(moto));
}
