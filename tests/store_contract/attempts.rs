//! The inbox port, continued: what dispatch attempts write on a pending message, deferrals
//! taken when due, unfinished messages.

use super::data::*;
use super::*;

pub async fn attempt_marks_are_kept_on_a_pending_message_only<S: Store>(store: &S) {
    let c = conv("10", "20");
    store.put_inbound(&plain_inbound(&c, "1")).await.unwrap();
    let c = &c;
    let mark =
        |m: AttemptMark| async move { store.mark_inbound(c, &event("1"), &m).await.unwrap() };
    assert!(mark(AttemptMark::Sending { at_ms: 100 }).await);
    assert!(
        mark(AttemptMark::Sending { at_ms: 200 }).await,
        "a later attempt keeps the first time"
    );
    assert!(mark(AttemptMark::Replied { reply: event("9") }).await);
    let claimed = match store
        .claim_inbound(c, &event("1"), 1_000, 500)
        .await
        .unwrap()
    {
        ClaimOutcome::Claimed(r) => r,
        other => panic!("expected a claim, got {other:?}"),
    };
    assert_eq!(claimed.attempt.sending_ms, Some(100));
    assert_eq!(claimed.attempt.reply_event_id, Some(event("9")));
    assert!(
        mark(AttemptMark::Deferred {
            until_ms: 5_000,
            reason: "rate limited".into(),
            release_lease: true,
            slot_ms: None,
        })
        .await
    );
    assert!(
        mark(AttemptMark::Deferred {
            until_ms: 6_000,
            reason: "rate limited again".into(),
            release_lease: false,
            slot_ms: None,
        })
        .await
    );
    let r = store.get_inbound(c, &event("1")).await.unwrap().unwrap();
    assert_eq!(r.attempt.not_before_ms, Some(6_000));
    assert_eq!(
        r.attempt.defer_reason.as_deref(),
        Some("rate limited again")
    );
    assert_eq!(r.attempt.deferrals, 2);

    store
        .set_inbound_status(
            c,
            &event("1"),
            &InboundStatus::Answered {
                reply_event_id: None,
                at_ms: 1,
            },
        )
        .await
        .unwrap();
    assert!(
        !mark(AttemptMark::Sending { at_ms: 300 }).await,
        "an answered message takes no mark: its sender must not send"
    );
    assert!(
        !store
            .mark_inbound(c, &event("404"), &AttemptMark::Sending { at_ms: 1 })
            .await
            .unwrap()
    );
}

pub async fn messages_put_off_are_taken_once_when_due_and_never_when_answered<S: Store>(store: &S) {
    let c = conv("10", "20");
    for id in ["1", "2", "3"] {
        store.put_inbound(&plain_inbound(&c, id)).await.unwrap();
    }
    for (id, until) in [("1", 5_000), ("2", 5_000), ("3", 9_000)] {
        let mark = AttemptMark::Deferred {
            until_ms: until,
            reason: "rate limited".into(),
            release_lease: false,
            slot_ms: None,
        };
        assert!(store.mark_inbound(&c, &event(id), &mark).await.unwrap());
    }
    store
        .set_inbound_status(
            &c,
            &event("2"),
            &InboundStatus::Answered {
                reply_event_id: None,
                at_ms: 1,
            },
        )
        .await
        .unwrap();
    assert!(store.take_due_deferred(4_999, 10).await.unwrap().is_empty());
    let due = store.take_due_deferred(5_000, 10).await.unwrap();
    let ids: Vec<String> = due.iter().map(|r| r.message.event_id.to_string()).collect();
    assert_eq!(ids, ["1"], "due and still pending");
    assert_eq!(due[0].attempt.not_before_ms, None, "no longer put off");
    assert!(
        store.take_due_deferred(5_000, 10).await.unwrap().is_empty(),
        "once"
    );
    let later = store.take_due_deferred(10_000, 10).await.unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].message.event_id, event("3"));
}

pub async fn unfinished_messages_are_the_pending_ones_received_before_a_time<S: Store>(store: &S) {
    let c = conv("10", "20");
    for (id, at) in [("1", 1_000), ("2", 2_000), ("3", 3_000)] {
        store.put_inbound(&inbound(&c, id, at)).await.unwrap();
    }
    store
        .set_inbound_status(
            &c,
            &event("1"),
            &InboundStatus::Answered {
                reply_event_id: None,
                at_ms: 1,
            },
        )
        .await
        .unwrap();
    store
        .mark_inbound(
            &c,
            &event("2"),
            &AttemptMark::Deferred {
                until_ms: 9_000,
                reason: "rate limited".into(),
                release_lease: true,
                slot_ms: None,
            },
        )
        .await
        .unwrap();
    let found = store.list_unfinished(3_000, 10).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].message.event_id, event("2"));
    assert_eq!(found[0].attempt.not_before_ms, Some(9_000));
    assert_eq!(store.list_unfinished(3_001, 1).await.unwrap().len(), 1);
}

pub async fn a_deferral_stores_its_reserved_slot_or_removes_it<S: Store>(store: &S) {
    let c = conv("10", "20");
    store.put_inbound(&plain_inbound(&c, "1")).await.unwrap();
    let defer = |slot_ms: Option<u64>, release_lease: bool| AttemptMark::Deferred {
        until_ms: 5_000,
        reason: "send budget spent".into(),
        release_lease,
        slot_ms,
    };
    let slot = || async {
        let r = store.get_inbound(&c, &event("1")).await.unwrap().unwrap();
        r.attempt.slot_ms
    };
    assert_eq!(slot().await, None, "a fresh message has none");
    assert!(
        store
            .mark_inbound(&c, &event("1"), &defer(Some(7_000), false))
            .await
            .unwrap()
    );
    assert_eq!(slot().await, Some(7_000));
    // Held by a claim, put off with a new slot and the lease given up: both written.
    let claimed = store.claim_inbound(&c, &event("1"), 1_000, 60_000).await;
    assert!(matches!(claimed.unwrap(), ClaimOutcome::Claimed(_)));
    assert!(
        store
            .mark_inbound(&c, &event("1"), &defer(Some(8_000), true))
            .await
            .unwrap()
    );
    assert_eq!(slot().await, Some(8_000));
    match store.claim_inbound(&c, &event("1"), 1_001, 500).await {
        Ok(ClaimOutcome::Claimed(r)) => assert_eq!(r.attempt.slot_ms, Some(8_000)),
        other => panic!("the lease was given up, expected a claim: {other:?}"),
    }
    // A deferral without a reservation removes the one before, with or without the lease.
    assert!(
        store
            .mark_inbound(&c, &event("1"), &defer(None, false))
            .await
            .unwrap()
    );
    assert_eq!(slot().await, None);
    assert!(
        store
            .mark_inbound(&c, &event("1"), &defer(Some(9_000), false))
            .await
            .unwrap()
    );
    assert!(
        store
            .mark_inbound(&c, &event("1"), &defer(None, true))
            .await
            .unwrap()
    );
    let r = store.get_inbound(&c, &event("1")).await.unwrap().unwrap();
    assert_eq!((r.attempt.slot_ms, r.attempt.deferrals), (None, 5));
}

/// A send spends the reserved slot: an attempt after it must take a new one.
pub async fn a_send_mark_spends_the_reserved_slot<S: Store>(store: &S) {
    let c = conv("10", "21");
    store.put_inbound(&plain_inbound(&c, "2")).await.unwrap();
    let deferred = AttemptMark::Deferred {
        until_ms: 5_000,
        reason: "send budget spent".into(),
        release_lease: false,
        slot_ms: Some(5_000),
    };
    assert!(
        store
            .mark_inbound(&c, &event("2"), &deferred)
            .await
            .unwrap()
    );
    let sending = AttemptMark::Sending { at_ms: 5_001 };
    assert!(store.mark_inbound(&c, &event("2"), &sending).await.unwrap());
    let r = store.get_inbound(&c, &event("2")).await.unwrap().unwrap();
    assert_eq!(r.attempt.slot_ms, None, "{r:?}");
    assert_eq!(r.attempt.sending_ms, Some(5_001));
}

pub async fn messages_due_at_one_time_are_taken_in_event_id_order_across_conversations<S: Store>(
    store: &S,
) {
    // The conversation keys sort the other way round from the event ids.
    let deferred = [("30", "1003"), ("10", "1002"), ("20", "1001")];
    for (customer, id) in deferred {
        let c = conv("10", customer);
        store.put_inbound(&plain_inbound(&c, id)).await.unwrap();
    }
    // Put off in yet another order, all until the same time.
    for (customer, id) in [deferred[1], deferred[2], deferred[0]] {
        let mark = AttemptMark::Deferred {
            until_ms: 5_000,
            reason: "send budget spent".into(),
            release_lease: false,
            slot_ms: Some(5_000),
        };
        let c = conv("10", customer);
        assert!(store.mark_inbound(&c, &event(id), &mark).await.unwrap());
    }
    let due = store.take_due_deferred(5_000, 10).await.unwrap();
    let ids: Vec<String> = due.iter().map(|r| r.message.event_id.to_string()).collect();
    assert_eq!(ids, ["1001", "1002", "1003"], "first come, first served");
}
