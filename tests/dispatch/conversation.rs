//! The conversation's state: hand-overs, a change during the send, media uploaded once.

use crate::support::*;

#[tokio::test]
async fn a_handoff_silences_the_bot_until_the_customer_asks_for_it_back() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let m1 = env
        .inbound(&key, 1_600_000_000_000_000_001, "agent please")
        .await;
    let m2 = env.inbound(&key, 1_600_000_000_000_000_002, "hello?").await;
    let m3 = env.inbound(&key, 1_600_000_000_000_000_003, "bot").await;
    let dispatcher = env.dispatcher();

    let r1 = dispatcher.handle(&m1, deadline()).await.unwrap();
    let r2 = dispatcher.handle(&m2, deadline()).await.unwrap();
    let r3 = dispatcher.handle(&m3, deadline()).await.unwrap();

    assert!(matches!(r1, Handled::Replied { .. }));
    assert_eq!(r2, Handled::Silent);
    assert!(matches!(r3, Handled::Replied { .. }));
    assert_eq!(
        env.texts_to(CUSTOMER),
        vec!["A person will answer you", "Menu for Jane"]
    );
    assert!(matches!(
        env.status(&m2).await,
        InboundStatus::Answered {
            reply_event_id: None,
            ..
        }
    ));
    let state = env.store.load_conversation(&key).await.unwrap().state;
    assert!(state.handoff.is_none());
}

#[tokio::test]
async fn a_conversation_changed_during_the_send_is_saved_on_top_of_the_change() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    env.fake
        .fail_next(SEND, 1, Fault::Delay(Duration::from_secs(2)));
    let dispatcher = env.dispatcher();

    let change = async {
        // Wait for the typing indicator (sent just before the slow send), then change the
        // conversation under the dispatcher's feet.
        while env.fake.typing_indicators().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut state = env.store.load_conversation(&key).await.unwrap().state;
        state
            .vars
            .insert("note".into(), "set by an operator".into());
        env.store.save_conversation(&key, &state, 0).await.unwrap()
    };
    let (handled, changed_version) = tokio::join!(dispatcher.handle(&record, deadline()), change);

    assert!(matches!(handled.unwrap(), Handled::Replied { .. }));
    assert_eq!(changed_version, 1);
    let conversation = env.store.load_conversation(&key).await.unwrap();
    assert_eq!(conversation.version, 2);
    assert_eq!(
        conversation.state.vars.get("note").map(String::as_str),
        Some("set by an operator")
    );
    assert_eq!(conversation.state.node.as_deref(), Some("menu"));
    assert_eq!(env.fake.sent_messages().len(), 1);
}

#[tokio::test]
async fn media_is_uploaded_once_and_its_id_reused() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let m1 = env.inbound(&key, 1_600_000_000_000_000_001, "size").await;
    let m2 = env.inbound(&key, 1_600_000_000_000_000_002, "size").await;
    let dispatcher = env.dispatcher();

    dispatcher.handle(&m1, deadline()).await.unwrap();
    dispatcher.handle(&m2, deadline()).await.unwrap();

    let inits: Vec<_> = env
        .fake
        .requests_to("media/upload.json")
        .into_iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("INIT"))
        .collect();
    assert_eq!(inits.len(), 1);
    let sent = env.fake.sent_messages();
    let media = |i: usize| {
        sent[i]
            .pointer("/message_create/message_data/attachment/media/id")
            .cloned()
            .or_else(|| {
                sent[i]
                    .pointer("/message_create/message_data/attachment/media/id_str")
                    .cloned()
            })
    };
    assert_eq!(sent.len(), 2);
    assert!(media(0).is_some(), "{}", sent[0]);
    assert_eq!(media(0), media(1));
}
