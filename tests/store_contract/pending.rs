//! The inbox port, continued: a conversation's pending messages (what the dispatcher coalesces
//! into one reply).

use super::data::*;
use super::*;

fn answered() -> InboundStatus {
    InboundStatus::Answered {
        reply_event_id: None,
        at_ms: 1,
    }
}

async fn ids<S: Store>(store: &S, c: &ConversationKey, limit: usize) -> Vec<String> {
    store
        .pending_in_conversation(c, limit)
        .await
        .expect("pending_in_conversation")
        .iter()
        .map(|r| r.message.event_id.to_string())
        .collect()
}

pub async fn a_conversation_without_pending_messages_has_none<S: Store>(store: &S) {
    let c = conv("10", "20");
    assert!(ids(store, &c, 10).await.is_empty(), "nothing stored");
    store.put_inbound(&plain_inbound(&c, "1001")).await.unwrap();
    store
        .set_inbound_status(&c, &event("1001"), &answered())
        .await
        .unwrap();
    assert!(ids(store, &c, 10).await.is_empty(), "only an answered one");
}

pub async fn the_pending_messages_of_a_conversation_come_oldest_event_first<S: Store>(store: &S) {
    let c = conv("10", "20");
    // Stored out of event order; 1002 answered, 1004 failed; `10/2` shares a key prefix.
    for id in ["1003", "1001", "1002", "1004"] {
        store.put_inbound(&plain_inbound(&c, id)).await.unwrap();
    }
    store
        .put_inbound(&plain_inbound(&conv("10", "2"), "1005"))
        .await
        .unwrap();
    store
        .set_inbound_status(&c, &event("1002"), &answered())
        .await
        .unwrap();
    store
        .set_inbound_status(&c, &event("1004"), &failed("Twitter answered 400", 2))
        .await
        .unwrap();
    assert_eq!(ids(store, &c, 10).await, ["1001", "1003"]);
    let found = store.pending_in_conversation(&c, 10).await.unwrap();
    assert_eq!(found[0], plain_inbound(&c, "1001"), "the whole record");
    assert_eq!(ids(store, &conv("10", "2"), 10).await, ["1005"]);
}

pub async fn only_the_latest_messages_up_to_the_limit_are_looked_at<S: Store>(store: &S) {
    let c = conv("10", "20");
    for id in ["1001", "1002", "1003", "1004", "1005"] {
        store.put_inbound(&plain_inbound(&c, id)).await.unwrap();
    }
    store
        .set_inbound_status(&c, &event("1005"), &answered())
        .await
        .unwrap();
    assert_eq!(ids(store, &c, 1).await, Vec::<String>::new(), "1005 only");
    assert_eq!(ids(store, &c, 2).await, ["1004"]);
    assert_eq!(ids(store, &c, 3).await, ["1003", "1004"]);
    assert_eq!(ids(store, &c, 50).await, ["1001", "1002", "1003", "1004"]);
    assert!(ids(store, &c, 0).await.is_empty());
}
