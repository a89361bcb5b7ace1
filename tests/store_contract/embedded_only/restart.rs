//! The embedded store across restarts, and its notifications to the local dispatcher.

use super::*;

#[tokio::test]
async fn when_reopened_the_embedded_store_has_everything_written_before() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dmbot.redb");
    let c = conv("10", "20");
    {
        let store = EmbeddedStore::open(&path).unwrap();
        store.put_inbound(&inbound(&c, "1", 1_000)).await.unwrap();
        store.put_inbound(&inbound(&c, "2", 1_000)).await.unwrap();
        store
            .set_inbound_status(&c, &event("2"), &failed("boom", 5))
            .await
            .unwrap();
        store
            .record_sent(&c, &event("3"), &event("1"), 1_000)
            .await
            .unwrap();
        store
            .save_conversation(&c, &state("menu"), 0)
            .await
            .unwrap();
        store.put_account(&account("10")).await.unwrap();
        store.put_flow(&flow("support", 2)).await.unwrap();
        store
            .put_media(
                &user("10"),
                "ab",
                &MediaRef {
                    media_id: "1".to_string(),
                    expires_ms: 9,
                },
            )
            .await
            .unwrap();
    }

    let store = EmbeddedStore::open(&path).unwrap();
    assert_eq!(
        store.get_inbound(&c, &event("1")).await.unwrap(),
        Some(inbound(&c, "1", 1_000))
    );
    assert_eq!(store.list_failed(10).await.unwrap().len(), 1);
    assert!(store.is_sent_by_bot(&c, &event("3")).await.unwrap());
    let loaded = store.load_conversation(&c).await.unwrap();
    assert_eq!((loaded.version, loaded.state), (1, state("menu")));
    assert_eq!(
        store.get_account(&user("10")).await.unwrap(),
        Some(account("10"))
    );
    assert_eq!(
        store.get_flow("support").await.unwrap(),
        Some(flow("support", 2))
    );
    assert!(store.get_media(&user("10"), "ab").await.unwrap().is_some());
    assert_eq!(
        store.put_inbound(&inbound(&c, "1", 1_000)).await.unwrap(),
        PutOutcome::Duplicate,
        "de-duplication survives a restart"
    );
}

#[tokio::test]
async fn a_second_open_of_the_same_file_is_refused_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dmbot.redb");
    let _first = EmbeddedStore::open(&path).unwrap();
    match EmbeddedStore::open(&path) {
        Err(e @ StoreError::InUse { .. }) => {
            let message = e.to_string();
            assert!(message.contains("already open"), "{message}");
            assert!(message.contains("dmbot.redb"), "names the file: {message}");
        }
        other => panic!("expected InUse, got {other:?}"),
    }
}

#[tokio::test]
async fn subscribers_hear_of_each_new_message_once_and_not_of_duplicates() {
    let fixture = embedded().await;
    let store = &fixture.store;
    let c = conv("10", "20");
    let mut rx = store.subscribe_inbound();

    store.put_inbound(&inbound(&c, "1", 1_000)).await.unwrap();
    store.put_inbound(&inbound(&c, "1", 1_000)).await.unwrap();
    store.put_inbound(&inbound(&c, "2", 1_001)).await.unwrap();

    assert_eq!(rx.recv().await.unwrap(), inbound(&c, "1", 1_000));
    assert_eq!(rx.recv().await.unwrap(), inbound(&c, "2", 1_001));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[tokio::test]
async fn pending_messages_are_listed_oldest_first_for_recovery() {
    let fixture = embedded().await;
    let store = &fixture.store;
    let c = conv("10", "20");
    let other = conv("11", "20");
    store.put_inbound(&inbound(&c, "30", 3_000)).await.unwrap();
    store
        .put_inbound(&inbound(&other, "200", 1_000))
        .await
        .unwrap();
    store.put_inbound(&inbound(&c, "5", 2_000)).await.unwrap();
    store.put_inbound(&inbound(&c, "6", 2_000)).await.unwrap();
    store.put_inbound(&inbound(&c, "7", 500)).await.unwrap();
    store
        .set_inbound_status(&c, &event("7"), &failed("x", 1))
        .await
        .unwrap();
    store
        .set_inbound_status(
            &c,
            &event("6"),
            &InboundStatus::Answered {
                reply_event_id: None,
                at_ms: 1,
            },
        )
        .await
        .unwrap();
    // A leased message is still pending: after a restart its lease means nothing.
    store
        .claim_inbound(&c, &event("30"), 0, 1_000_000)
        .await
        .unwrap();

    let ids: Vec<String> = store
        .pending_inbound()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.message.event_id.to_string())
        .collect();
    assert_eq!(ids, ["200", "5", "30"]);
}

#[tokio::test]
async fn a_redriven_message_is_pending_again_and_no_longer_failed() {
    let fixture = embedded().await;
    let store = &fixture.store;
    let c = conv("10", "20");
    store.put_inbound(&inbound(&c, "1", 1_000)).await.unwrap();
    store.put_inbound(&inbound(&c, "2", 2_000)).await.unwrap();
    store
        .set_inbound_status(&c, &event("1"), &failed("boom", 5))
        .await
        .unwrap();
    assert_eq!(pending_ids(store).await, ["2"]);
    assert_eq!(failed_ids(store).await, ["1"]);

    store
        .set_inbound_status(&c, &event("1"), &InboundStatus::Pending)
        .await
        .unwrap();
    assert_eq!(pending_ids(store).await, ["1", "2"]);
    assert!(failed_ids(store).await.is_empty());

    store
        .set_inbound_status(&c, &event("1"), &answered())
        .await
        .unwrap();
    assert_eq!(pending_ids(store).await, ["2"]);
    assert!(failed_ids(store).await.is_empty());
}

#[tokio::test]
async fn a_store_whose_caller_goes_away_mid_write_still_notifies_the_dispatcher() {
    let fixture = embedded().await;
    let store = &fixture.store;
    let mut notes = store.subscribe_inbound();
    let record = plain_inbound(&conv("10", "20"), "1");
    // Polled once, then dropped: what hyper does to a handler whose client disconnected.
    {
        let mut put = std::pin::pin!(store.put_inbound(&record));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let first = std::future::Future::poll(put.as_mut(), &mut cx);
        assert!(first.is_pending(), "the write was still in progress");
    }

    let note = tokio::time::timeout(std::time::Duration::from_secs(10), notes.recv())
        .await
        .expect("the notification came")
        .expect("a record");
    assert_eq!(note, record);
}
