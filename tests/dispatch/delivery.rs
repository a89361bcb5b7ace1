//! A message from the stream gets exactly one reply, in order, through errors and short rate limits.

use crate::support::*;

#[tokio::test]
async fn a_new_message_from_the_stream_gets_one_reply_and_everything_is_recorded() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let event = env.stream_event(&[&record]).await;

    let response = handle_stream_event(&env.dispatcher(), &event, deadline()).await;

    assert!(failed_ids(&response).is_empty());
    assert_eq!(env.texts_to(CUSTOMER), vec!["Menu for Jane"]);
    let owner = env.fake.owner().user_id.clone();
    assert_eq!(
        env.fake.typing_indicators(),
        vec![(owner.clone(), CUSTOMER.to_string())]
    );
    assert_eq!(
        env.fake.read_receipts(),
        vec![(
            owner,
            CUSTOMER.to_string(),
            record.message.event_id.to_string()
        )]
    );
    let reply = match env.status(&record).await {
        InboundStatus::Answered {
            reply_event_id: Some(id),
            ..
        } => id,
        other => panic!("expected answered with a reply id, got {other:?}"),
    };
    let sent_id = env.fake.sent_messages()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(reply.as_str(), sent_id);
    assert!(env.store.is_sent_by_bot(&key, &reply).await.unwrap());
    let conversation = env.store.load_conversation(&key).await.unwrap();
    assert_eq!(conversation.state.node.as_deref(), Some("menu"));
    assert_eq!(
        conversation.state.last_answered.as_ref(),
        Some(&record.message.event_id)
    );
}

#[tokio::test]
async fn a_redelivered_stream_record_is_not_answered_twice() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let event = env.stream_event(&[&record]).await;
    let dispatcher = env.dispatcher();

    handle_stream_event(&dispatcher, &event, deadline()).await;
    let again = handle_stream_event(&dispatcher, &event, deadline()).await;
    let direct = dispatcher.handle(&record, deadline()).await.unwrap();

    assert!(failed_ids(&again).is_empty());
    assert!(matches!(
        direct,
        Handled::AlreadyDone(InboundStatus::Answered { .. })
    ));
    assert_eq!(env.fake.sent_messages().len(), 1);
}

#[tokio::test]
async fn concurrent_invocations_for_one_message_send_one_reply() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let a = env.dispatcher();
    let b = env.dispatcher();

    let (ra, rb) = tokio::join!(a.handle(&record, deadline()), b.handle(&record, deadline()));

    let outcomes = [ra.unwrap(), rb.unwrap()];
    let replied = outcomes
        .iter()
        .filter(|h| matches!(h, Handled::Replied { .. }))
        .count();
    assert_eq!(replied, 1, "outcomes: {outcomes:?}");
    assert_eq!(env.fake.sent_messages().len(), 1);
}

#[tokio::test]
async fn messages_of_one_conversation_are_answered_in_order_whatever_the_batch_order() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let other = env.owner_key(OTHER_CUSTOMER);
    let m1 = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let m2 = env.inbound(&key, 1_600_000_000_000_000_002, "size").await;
    let m3 = env.inbound(&key, 1_600_000_000_000_000_003, "agent").await;
    let o1 = env
        .inbound(&other, 1_600_000_000_000_000_004, "hello")
        .await;
    let event = env.stream_event(&[&m3, &o1, &m1, &m2]).await;

    let response = handle_stream_event(&env.dispatcher(), &event, deadline()).await;

    assert!(failed_ids(&response).is_empty());
    assert_eq!(
        env.texts_to(CUSTOMER),
        vec![
            "Menu for Jane",
            "Our size chart",
            "A person will answer you"
        ]
    );
    assert_eq!(env.texts_to(OTHER_CUSTOMER), vec!["Menu for Jane"]);
}

#[tokio::test]
async fn server_errors_then_success_give_one_reply() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    env.fake.fail_next(SEND, 2, Fault::Status(503));

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert!(matches!(handled, Handled::Replied { .. }));
    assert_eq!(env.texts_to(CUSTOMER), vec!["Menu for Jane"]);
    assert_eq!(env.fake.requests_to(SEND).len(), 3);
}

/// A 429 on a send (the budget believed X had room) is not waited out in the invocation, even
/// when it resets soon: the message is put off until the reset and answered when it comes back.
#[tokio::test]
async fn a_rate_limited_send_is_put_off_until_the_reset_not_waited_out() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let reset = now_ms() / 1000 + 1;
    env.fake
        .fail_next(SEND, 1, Fault::RateLimited { reset_at: reset });

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    let Handled::Deferred { until_ms, .. } = handled else {
        panic!("{handled:?}");
    };
    assert!(until_ms >= reset * 1000, "{until_ms} is before the reset");
    assert!(env.texts_to(CUSTOMER).is_empty());
    tokio::time::sleep(Duration::from_millis(
        until_ms.saturating_sub(now_ms()) + 20,
    ))
    .await;
    let back = env
        .store
        .get_inbound(&key, &record.message.event_id)
        .await
        .unwrap()
        .unwrap();
    let handled = env.dispatcher().handle(&back, deadline()).await.unwrap();
    assert!(matches!(handled, Handled::Replied { .. }), "{handled:?}");
    assert_eq!(env.texts_to(CUSTOMER), vec!["Menu for Jane"]);
}
