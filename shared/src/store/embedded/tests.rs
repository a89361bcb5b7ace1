//! Unit tests of the embedded store as a whole: concurrent writers, the status indexes, the
//! sweep of damaged items. The port's behaviour is tested in `tests/store_contract/`.

use redb::{ReadableDatabase, ReadableTableMetadata};

use super::EmbeddedStore;
use super::schema::{EXPIRY, FAILED, INBOUND, PENDING, SENT};
use crate::domain::{
    AccountId, ConversationKey, ConversationState, EventId, InboundRecord, InboundStatus,
};
use crate::store::{Conversations, Inbox, StoreError};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_of_one_store_each_get_their_own_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(dir.path().join("dmbot.redb")).expect("open");
    let key = |n: u64| {
        ConversationKey::new(
            AccountId::parse("10").expect("id"),
            crate::domain::UserId::parse((1000 + n % 7).to_string()).expect("id"),
        )
    };
    // 200 saves of 7 conversations, all expecting version 0: one per conversation wins.
    let tasks: Vec<_> = (0..200u64)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .save_conversation(&key(n), &ConversationState::default(), 0)
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(1) => won += 1,
            Err(StoreError::Conflict { .. }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won, 7);
    for n in 0..7 {
        assert_eq!(
            store
                .load_conversation(&key(n))
                .await
                .expect("load")
                .version,
            1
        );
    }
}

fn index_sizes(store: &EmbeddedStore) -> (u64, u64, u64) {
    let txn = store.inner.db.begin_read().expect("read");
    let pending = txn
        .open_table(PENDING)
        .expect("pending")
        .len()
        .expect("len");
    let failed = txn.open_table(FAILED).expect("failed").len().expect("len");
    let expiry = txn.open_table(EXPIRY).expect("expiry").len().expect("len");
    (pending, failed, expiry)
}

#[tokio::test]
async fn each_status_change_moves_the_message_between_the_indexes_without_leaving_any_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(dir.path().join("dmbot.redb")).expect("open");
    let conversation = ConversationKey::new(
        AccountId::parse("10").expect("id"),
        crate::domain::UserId::parse("20").expect("id"),
    );
    let event = EventId::parse("1").expect("id");
    let message = crate::domain::InboundMessage::text(event.clone(), conversation.clone(), 1, "hi");
    let record = InboundRecord::pending(message, 2);
    store.put_inbound(&record).await.expect("put");
    store.put_inbound(&record).await.expect("duplicate");
    assert_eq!(index_sizes(&store), (1, 0, 1));
    let failed = InboundStatus::Failed {
        reason: "boom".into(),
        at_ms: 3,
    };
    let answered = InboundStatus::Answered {
        reply_event_id: None,
        at_ms: 4,
    };
    let steps = [
        (failed.clone(), (0, 1, 1)),
        (failed, (0, 1, 1)),
        (InboundStatus::Pending, (1, 0, 1)),
        (answered, (0, 0, 1)),
    ];
    for (status, sizes) in steps {
        store
            .set_inbound_status(&conversation, &event, &status)
            .await
            .expect("status");
        assert_eq!(index_sizes(&store), sizes, "after {status:?}");
    }
    assert_eq!(store.sweep_expired(u64::MAX / 2).await.expect("sweep"), 1);
    assert_eq!(index_sizes(&store), (0, 0, 0));
}

#[tokio::test]
async fn the_sweep_leaves_an_undecodable_item_in_place_and_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(dir.path().join("dmbot.redb")).expect("open");
    {
        let txn = store.inner.db.begin_write().expect("write");
        txn.open_table(INBOUND)
            .expect("inbound")
            .insert("10/20/1", "not json")
            .expect("insert");
        txn.open_table(SENT)
            .expect("sent")
            .insert("10/20/2", 1_000)
            .expect("insert");
        let mut expiry = txn.open_table(EXPIRY).expect("expiry");
        expiry
            .insert((5, "inbound", "10/20/1"), ())
            .expect("insert");
        expiry.insert((5, "sent", "10/20/2"), ()).expect("insert");
        expiry.insert((5, "nonsense", "x"), ()).expect("insert");
        drop(expiry);
        txn.commit().expect("commit");
    }
    assert_eq!(store.sweep_expired(u64::MAX / 2).await.expect("sweep"), 1);
    let txn = store.inner.db.begin_read().expect("read");
    let inbound = txn.open_table(INBOUND).expect("inbound");
    assert!(
        inbound.get("10/20/1").expect("get").is_some(),
        "left in place"
    );
    assert_eq!(index_sizes(&store).2, 0, "every due entry was consumed");
}
