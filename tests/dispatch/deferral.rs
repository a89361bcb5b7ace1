//! Messages that cannot be answered now: put off (rate limits), refused for good, or undecodable.

use crate::support::*;

#[tokio::test]
async fn a_rate_limit_resetting_in_twenty_minutes_puts_the_messages_off_and_the_schedule_answers_them_after_it()
 {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let m1 = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let m2 = env.inbound(&key, 1_600_000_000_000_000_002, "size").await;
    let event = env.stream_event(&[&m1, &m2]).await;
    let reset = now_ms() / 1000 + 20 * 60;
    env.fake
        .fail_next(SEND, 1, Fault::RateLimited { reset_at: reset });

    let response = handle_stream_event(
        &env.dispatcher(),
        &event,
        Instant::now() + Duration::from_secs(3),
    )
    .await;

    // Not a batch item failure (the stream's immediate retries would only hit the limit
    // again, then drop the messages): both are put off until the reset, in order.
    assert!(failed_ids(&response).is_empty(), "{response:?}");
    assert!(env.fake.sent_messages().is_empty());
    for m in [&m1, &m2] {
        let stored = env
            .store
            .get_inbound(&key, &m.message.event_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.status, InboundStatus::Pending);
        let until = stored.attempt.not_before_ms.expect("put off until a time");
        assert!(until >= reset * 1000, "{until} is before the reset {reset}");
        assert!(stored.attempt.defer_reason.is_some());
    }

    // The schedule's tick before the reset re-drives nothing; the first one after it both.
    assert_eq!(redrive_due(&env.store, now_ms()).await.unwrap(), 0);
    let after_reset = now_ms() + 21 * 60 * 1000;
    assert_eq!(redrive_due(&env.store, after_reset).await.unwrap(), 2);
    assert_eq!(
        redrive_due(&env.store, after_reset).await.unwrap(),
        0,
        "once"
    );

    // The re-drive is what the stream passes on (a MODIFY with `redrive`); answered in order.
    let redriven = env.stream_event(&[&m1, &m2]).await;
    for record in &redriven.records {
        assert_eq!(record["dynamodb"]["NewImage"]["redrive"]["S"], "requested");
    }
    let response = handle_stream_event(&env.dispatcher(), &redriven, deadline()).await;
    assert!(failed_ids(&response).is_empty(), "{response:?}");
    assert_eq!(
        env.texts_to(CUSTOMER),
        vec!["Menu for Jane", "Our size chart"]
    );
    assert_eq!(
        env.fake.requests_to(SEND).len(),
        3,
        "one refused attempt before the reset, then one send each"
    );
}

#[tokio::test]
async fn a_message_put_off_that_comes_back_early_is_put_off_again_without_an_attempt() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let m1 = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let event = env.stream_event(&[&m1]).await;
    let reset = now_ms() / 1000 + 20 * 60;
    env.fake
        .fail_next(SEND, 1, Fault::RateLimited { reset_at: reset });
    handle_stream_event(&env.dispatcher(), &event, deadline()).await;

    // A redelivery (or a restart's pending scan) before the reset.
    let again = handle_stream_event(&env.dispatcher(), &event, deadline()).await;

    assert!(failed_ids(&again).is_empty());
    assert_eq!(env.fake.requests_to(SEND).len(), 1, "no second attempt");
    assert_eq!(env.status(&m1).await, InboundStatus::Pending);
}

#[tokio::test]
async fn a_permanent_refusal_is_recorded_on_the_message_and_the_batch_moves_on() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let m1 = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let m2 = env.inbound(&key, 1_600_000_000_000_000_002, "size").await;
    env.fake.fail_next(
        SEND,
        1,
        Fault::Error {
            status: 403,
            code: 349,
            message: "You cannot send messages to this user.".into(),
        },
    );
    let event = env.stream_event(&[&m1, &m2]).await;

    let response = handle_stream_event(&env.dispatcher(), &event, deadline()).await;

    assert!(failed_ids(&response).is_empty());
    match env.status(&m1).await {
        InboundStatus::Failed { reason, .. } => assert!(reason.contains("349"), "{reason}"),
        s => panic!("expected failed, got {s:?}"),
    }
    assert!(matches!(
        env.status(&m2).await,
        InboundStatus::Answered { .. }
    ));
    assert_eq!(env.texts_to(CUSTOMER), vec!["Our size chart"]);
}

#[tokio::test]
async fn an_undecodable_stream_record_is_skipped_and_the_others_are_answered() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let mut event = env.stream_event(&[&record]).await;
    event.records.insert(
        0,
        json!({"eventName": "INSERT", "dynamodb": {"NewImage": {"kind": {"S": "inbound"}}, "SequenceNumber": "1"}}),
    );

    let response = handle_stream_event(&env.dispatcher(), &event, deadline()).await;

    assert!(failed_ids(&response).is_empty());
    assert_eq!(env.texts_to(CUSTOMER), vec!["Menu for Jane"]);
}
