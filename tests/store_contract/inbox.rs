//! The inbox port: de-duplication, claims and leases, final statuses, failures and redrives.

use super::data::*;
use super::*;

pub async fn a_redelivered_event_is_stored_once<S: Store>(store: &S) {
    let c = conv("10", "20");
    let first = inbound(&c, "1001", 1_000);
    assert_eq!(
        store.put_inbound(&first).await.unwrap(),
        PutOutcome::Inserted
    );

    let mut redelivery = first.clone();
    redelivery.message.text = "a different body under the same event id".to_string();
    redelivery.received_ms = 2_000;
    assert_eq!(
        store.put_inbound(&redelivery).await.unwrap(),
        PutOutcome::Duplicate
    );
    assert_eq!(
        store.get_inbound(&c, &event("1001")).await.unwrap(),
        Some(first),
        "a duplicate must not overwrite the stored message"
    );
}

pub async fn get_inbound_returns_the_stored_record_or_nothing<S: Store>(store: &S) {
    let c = conv("10", "20");
    let rich = inbound(&c, "1001", 1_000);
    let plain = plain_inbound(&c, "1002");
    store.put_inbound(&rich).await.unwrap();
    store.put_inbound(&plain).await.unwrap();

    assert_eq!(
        store.get_inbound(&c, &event("1001")).await.unwrap(),
        Some(rich)
    );
    assert_eq!(
        store.get_inbound(&c, &event("1002")).await.unwrap(),
        Some(plain)
    );
    assert_eq!(store.get_inbound(&c, &event("1003")).await.unwrap(), None);
    assert_eq!(
        store
            .get_inbound(&conv("10", "21"), &event("1001"))
            .await
            .unwrap(),
        None,
        "an event id belongs to one conversation"
    );
}

pub async fn the_same_event_id_in_two_conversations_is_two_messages<S: Store>(store: &S) {
    // When two subscribed accounts talk to each other, each gets the event for itself.
    let a = inbound(&conv("10", "20"), "1001", 1_000);
    let b = inbound(&conv("20", "10"), "1001", 1_000);
    assert_eq!(store.put_inbound(&a).await.unwrap(), PutOutcome::Inserted);
    assert_eq!(store.put_inbound(&b).await.unwrap(), PutOutcome::Inserted);
}

pub async fn a_claim_holds_the_message_until_its_lease_runs_out<S: Store>(store: &S) {
    let c = conv("10", "20");
    let record = inbound(&c, "1001", 1_000);
    store.put_inbound(&record).await.unwrap();

    assert_eq!(
        store
            .claim_inbound(&c, &event("1001"), 10_000, 500)
            .await
            .unwrap(),
        ClaimOutcome::Claimed(record.clone())
    );
    assert_eq!(
        store
            .claim_inbound(&c, &event("1001"), 10_001, 500)
            .await
            .unwrap(),
        ClaimOutcome::Busy
    );
    assert_eq!(
        store
            .claim_inbound(&c, &event("1001"), 10_499, 500)
            .await
            .unwrap(),
        ClaimOutcome::Busy,
        "the lease is live until its last millisecond"
    );
    assert_eq!(
        store
            .claim_inbound(&c, &event("1001"), 10_500, 500)
            .await
            .unwrap(),
        ClaimOutcome::Claimed(record.clone()),
        "a dispatcher that died must not block the message forever"
    );
    assert_eq!(
        store
            .claim_inbound(&c, &event("1001"), 10_600, 500)
            .await
            .unwrap(),
        ClaimOutcome::Busy,
        "the re-claim took a new lease"
    );
}

pub async fn claiming_a_finished_or_unknown_message_says_so<S: Store>(store: &S) {
    let c = conv("10", "20");
    store
        .put_inbound(&inbound(&c, "1001", 1_000))
        .await
        .unwrap();
    store
        .claim_inbound(&c, &event("1001"), 10_000, 60_000)
        .await
        .unwrap();
    let answered = InboundStatus::Answered {
        reply_event_id: Some(event("1002")),
        at_ms: 10_100,
    };
    store
        .set_inbound_status(&c, &event("1001"), &answered)
        .await
        .unwrap();

    assert_eq!(
        store
            .claim_inbound(&c, &event("1001"), 99_000, 500)
            .await
            .unwrap(),
        ClaimOutcome::Done(answered)
    );
    assert_eq!(
        store
            .claim_inbound(&c, &event("4242"), 10_000, 500)
            .await
            .unwrap(),
        ClaimOutcome::Missing
    );
}

pub async fn final_statuses_are_stored_as_given<S: Store>(store: &S) {
    let c = conv("10", "20");
    for id in ["1", "2", "3"] {
        store.put_inbound(&inbound(&c, id, 1_000)).await.unwrap();
    }
    let statuses = [
        (
            "1",
            InboundStatus::Answered {
                reply_event_id: Some(event("99")),
                at_ms: 2_000,
            },
        ),
        (
            "2",
            InboundStatus::Answered {
                reply_event_id: None,
                at_ms: 2_001,
            },
        ),
        (
            "3",
            failed(
                "Twitter answered 403: the customer blocked the account",
                2_002,
            ),
        ),
    ];
    for (id, status) in &statuses {
        store
            .set_inbound_status(&c, &event(id), status)
            .await
            .unwrap();
    }
    for (id, status) in statuses {
        let stored = store.get_inbound(&c, &event(id)).await.unwrap().unwrap();
        assert_eq!(stored.status, status);
        assert_eq!(stored.message, inbound(&c, id, 1_000).message);
    }
}

pub async fn setting_the_status_of_an_unknown_message_is_refused<S: Store>(store: &S) {
    let result = store
        .set_inbound_status(&conv("10", "20"), &event("1"), &failed("x", 1))
        .await;
    assert!(
        matches!(result, Err(StoreError::Rejected(_))),
        "got {result:?}"
    );
    assert_eq!(
        store
            .get_inbound(&conv("10", "20"), &event("1"))
            .await
            .unwrap(),
        None,
        "a status update must not create a message"
    );
}

pub async fn failures_are_listed_newest_event_first_up_to_the_limit<S: Store>(store: &S) {
    let c = conv("10", "20");
    let other = conv("11", "21");
    // "200" < "30" as text, 30 < 200 as snowflakes: the order must be numeric.
    for (conversation, id) in [(&c, "5"), (&c, "30"), (&other, "200"), (&c, "7"), (&c, "8")] {
        store
            .put_inbound(&inbound(conversation, id, 1_000))
            .await
            .unwrap();
    }
    for (conversation, id) in [(&c, "5"), (&c, "30"), (&other, "200")] {
        store
            .set_inbound_status(conversation, &event(id), &failed(&format!("bad {id}"), 9))
            .await
            .unwrap();
    }
    store
        .set_inbound_status(
            &c,
            &event("7"),
            &InboundStatus::Answered {
                reply_event_id: None,
                at_ms: 9,
            },
        )
        .await
        .unwrap();

    let ids = |records: Vec<InboundRecord>| {
        records
            .into_iter()
            .map(|r| r.message.event_id.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store.list_failed(10).await.unwrap()),
        ["200", "30", "5"]
    );
    assert_eq!(ids(store.list_failed(2).await.unwrap()), ["200", "30"]);
    assert!(store.list_failed(0).await.unwrap().is_empty());
    let listed = store.list_failed(1).await.unwrap();
    assert_eq!(listed[0].status, failed("bad 200", 9));
}

pub async fn a_redriven_failure_is_pending_and_claimable_again<S: Store>(store: &S) {
    let c = conv("10", "20");
    store
        .put_inbound(&inbound(&c, "1001", 1_000))
        .await
        .unwrap();
    // Claimed with a long lease, then failed: the redrive must not wait for that lease.
    store
        .claim_inbound(&c, &event("1001"), 10_000, 3_600_000)
        .await
        .unwrap();
    store
        .set_inbound_status(&c, &event("1001"), &failed("Twitter answered 400", 10_001))
        .await
        .unwrap();
    store
        .set_inbound_status(&c, &event("1001"), &InboundStatus::Pending)
        .await
        .unwrap();

    let stored = store
        .get_inbound(&c, &event("1001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, InboundStatus::Pending);
    assert!(store.list_failed(10).await.unwrap().is_empty());
    assert!(matches!(
        store
            .claim_inbound(&c, &event("1001"), 10_002, 500)
            .await
            .unwrap(),
        ClaimOutcome::Claimed(_)
    ));
}
