//! An earlier attempt's reply that was never recorded: found (receipts, echoes, Twitter's list)
//! and never sent twice; a person's message keeps the bot quiet.

use crate::support::*;

#[tokio::test]
async fn a_reply_sent_by_an_attempt_that_died_before_recording_it_is_not_sent_again() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    // An earlier attempt began sending a minute ago...
    let record = env
        .inbound_tried_at(&key, 1_600_000_000_000_000_001, "hello", now_ms() - 60_000)
        .await;
    // ...Twitter accepted its reply, then the process died; its echo never reached us.
    env.owner_sends(CUSTOMER, "Menu for Jane").await;

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert_replied(&handled, true);
    assert_eq!(env.fake.sent_messages().len(), 1);
    assert!(matches!(
        env.status(&record).await,
        InboundStatus::Answered { .. }
    ));
}

#[tokio::test]
async fn an_unrecorded_reply_is_found_behind_pages_of_later_messages_to_other_customers() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env
        .inbound_tried_at(&key, 1_600_000_000_000_000_001, "hello", now_ms() - 60_000)
        .await;
    // The earlier attempt's reply, then 120 messages of a busy account to other customers:
    // the reply is on the third page of the account's events, newest first.
    env.owner_sends(CUSTOMER, "Menu for Jane").await;
    for n in 0..120 {
        env.owner_sends(&(7_000 + n).to_string(), "hi").await;
    }

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert_replied(&handled, true);
    assert_eq!(env.fake.sent_messages().len(), 121, "nothing sent again");
    assert_eq!(
        env.event_list_calls(),
        3,
        "read page by page until the reply was found"
    );
}

#[tokio::test]
async fn the_look_up_for_an_unrecorded_reply_stops_at_the_customers_message() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    // 120 events older than the customer's message: no reply to it can be among them.
    for n in 0..120 {
        env.owner_sends(&(7_000 + n).to_string(), "hi").await;
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    // Written after all of them (the store keeps it as created a second before it arrived),
    // and an attempt began sending (so the receipts, then Twitter, are asked).
    let record = env
        .inbound_tried_at(&key, 1_600_000_000_000_000_001, "hello", now_ms() + 2_000)
        .await;

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert_replied(&handled, false);
    assert_eq!(
        env.event_list_calls(),
        1,
        "the first page already reached back past the customer's message"
    );
}

#[tokio::test]
async fn a_send_whose_answer_timed_out_after_twitter_took_it_is_found_not_sent_again() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    // Twitter stores the reply, then answers only after the client has given up.
    env.fake
        .fail_next(SEND, 1, Fault::AnswerLate(Duration::from_secs(3)));
    let client =
        TwitterClient::new(client_config(&env.fake).with_timeout(Duration::from_millis(500)))
            .unwrap();
    let dispatcher = Dispatcher::new(
        env.store.clone(),
        client,
        env.config(FlowSource::Fixed(env.flow.clone())),
    );

    let handled = dispatcher.handle(&record, deadline()).await.unwrap();

    let sent = env.fake.sent_messages();
    assert_eq!(sent.len(), 1, "one reply on Twitter: {sent:?}");
    let on_twitter = EventId::parse(sent[0]["id"].as_str().unwrap()).unwrap();
    match handled {
        Handled::Replied { reply_event_id, .. } => assert_eq!(reply_event_id, on_twitter),
        other => panic!("expected a reply, got {other:?}"),
    }
    match env.status(&record).await {
        InboundStatus::Answered { reply_event_id, .. } => {
            assert_eq!(reply_event_id, Some(on_twitter.clone()))
        }
        other => panic!("expected answered, got {other:?}"),
    }
    assert!(
        env.store.is_sent_by_bot(&key, &on_twitter).await.unwrap(),
        "the reply is in the outbox, so its echo is not taken for a person"
    );
}

#[tokio::test]
async fn an_echo_receipt_tells_that_an_interrupted_attempts_reply_went_out_without_asking_twitter()
{
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env
        .inbound_tried_at(&key, 1_600_000_000_000_000_001, "hello", now_ms() - 1_000)
        .await;
    // The attempt's reply went out and its echo reached the webhook; then the attempt died.
    let reply = env.owner_sends(CUSTOMER, "Menu for Jane").await;
    env.echo_arrives(CUSTOMER, &reply, true).await;

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert_eq!(
        handled,
        Handled::Replied {
            reply_event_id: reply.clone(),
            recovered: true
        }
    );
    assert_eq!(env.fake.sent_messages().len(), 1, "nothing sent again");
    assert_eq!(env.event_list_calls(), 0, "no Twitter call decided it");
    assert!(env.store.is_sent_by_bot(&key, &reply).await.unwrap());
    match env.status(&record).await {
        InboundStatus::Answered { reply_event_id, .. } => assert_eq!(reply_event_id, Some(reply)),
        other => panic!("expected answered, got {other:?}"),
    }
}

#[tokio::test]
async fn an_echo_that_arrives_during_the_grace_decides_it_too() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env
        .inbound_tried_at(&key, 1_600_000_000_000_000_001, "hello", now_ms())
        .await;
    let reply = env.owner_sends(CUSTOMER, "Menu for Jane").await;
    let mut config = env.config(FlowSource::Fixed(env.flow.clone()));
    config.echo_grace = Duration::from_secs(20);
    let dispatcher = env.dispatcher_with(config);

    let (handled, ()) = tokio::join!(dispatcher.handle(&record, deadline()), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        env.echo_arrives(CUSTOMER, &reply, true).await;
    });

    assert_replied(&handled.unwrap(), true);
    assert_eq!(env.fake.sent_messages().len(), 1);
    assert_eq!(env.event_list_calls(), 0);
}

#[tokio::test]
async fn a_message_never_tried_is_sent_without_a_look_up_however_old_it_is() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    // Stored an hour ago (a backlog, a restart), but no attempt ever began sending.
    let record = env
        .inbound_received_at(
            &key,
            1_600_000_000_000_000_001,
            "hello",
            now_ms() - 3_600_000,
        )
        .await;

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert_replied(&handled, false);
    assert_eq!(env.event_list_calls(), 0);
    let stored = env
        .store
        .get_inbound(&key, &record.message.event_id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.attempt.sending_ms.is_some(),
        "the send was marked first"
    );
    assert!(
        stored.attempt.reply_event_id.is_some(),
        "then its reply recorded"
    );
}

#[tokio::test]
async fn a_reply_recorded_on_the_message_is_not_sent_again_when_the_writes_after_it_failed() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env
        .inbound_tried_at(&key, 1_600_000_000_000_000_001, "hello", now_ms() - 1_000)
        .await;
    // The attempt sent, recorded the reply on the message, then its state save failed.
    let reply = env.owner_sends(CUSTOMER, "Menu for Jane").await;
    env.store
        .mark_inbound(
            &key,
            &record.message.event_id,
            &AttemptMark::Replied {
                reply: reply.clone(),
            },
        )
        .await
        .unwrap();
    env.store
        .record_sent(&key, &reply, &record.message.event_id, now_ms())
        .await
        .unwrap();
    let record = env
        .store
        .get_inbound(&key, &record.message.event_id)
        .await
        .unwrap()
        .unwrap();

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert_replied(&handled, true);
    assert_eq!(env.fake.sent_messages().len(), 1, "nothing sent again");
    assert_eq!(env.event_list_calls(), 0);
    let state = env.store.load_conversation(&key).await.unwrap().state;
    assert_eq!(state.last_answered, Some(record.message.event_id.clone()));
}

#[tokio::test]
async fn a_persons_message_after_an_interrupted_attempt_keeps_the_bot_quiet_and_stays_theirs() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env
        .inbound_tried_at(&key, 1_600_000_000_000_000_001, "hello", now_ms() - 1_000)
        .await;
    // The attempt died before sending; meanwhile a person answered from Twitter's own app.
    let theirs = env.owner_sends(CUSTOMER, "Hi Jane, Sam here").await;
    env.echo_arrives(CUSTOMER, &theirs, false).await;

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert_eq!(handled, Handled::Silent);
    assert_eq!(env.fake.sent_messages().len(), 1, "the bot sent nothing");
    assert!(
        !env.store.is_sent_by_bot(&key, &theirs).await.unwrap(),
        "the person's message is not recorded as the bot's"
    );
    let conversation = env.store.load_conversation(&key).await.unwrap();
    assert!(conversation.agent_last_active_ms.is_some(), "a hand-over");
}
