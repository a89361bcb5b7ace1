//! The outbox port: receipts of sent messages, merged from the dispatcher and the echo.

use super::data::*;
use super::*;

pub async fn the_bot_recognises_only_its_own_sent_messages<S: Store>(store: &S) {
    let c = conv("10", "20");
    assert!(!store.is_sent_by_bot(&c, &event("500")).await.unwrap());
    store
        .record_sent(&c, &event("500"), &event("1"), 1_000)
        .await
        .unwrap();
    store
        .record_sent(&c, &event("500"), &event("1"), 1_001)
        .await
        .unwrap();

    assert!(store.is_sent_by_bot(&c, &event("500")).await.unwrap());
    assert!(!store.is_sent_by_bot(&c, &event("501")).await.unwrap());
    assert!(
        !store
            .is_sent_by_bot(&conv("10", "21"), &event("500"))
            .await
            .unwrap()
    );
    assert_eq!(
        store.get_inbound(&c, &event("500")).await.unwrap(),
        None,
        "a sent marker is not an inbound message"
    );
}

fn echo(c: &ConversationKey, id: &str, created_ms: u64, ours: bool) -> AccountEcho {
    AccountEcho {
        event_id: event(id),
        conversation: c.clone(),
        created_ms,
        from_our_app: ours,
    }
}

pub async fn receipts_merge_the_dispatchers_record_and_the_echo_in_either_order<S: Store>(
    store: &S,
) {
    let c = conv("10", "20");
    // Echo first, then the dispatcher's record; and the other way round.
    store
        .record_echo(&echo(&c, "600", 5_000, true), 5_001)
        .await
        .unwrap();
    store
        .record_sent(&c, &event("600"), &event("550"), 5_002)
        .await
        .unwrap();
    store
        .record_sent(&c, &event("700"), &event("650"), 6_000)
        .await
        .unwrap();
    store
        .record_echo(&echo(&c, "700", 6_001, true), 6_002)
        .await
        .unwrap();
    // A redelivered echo changes nothing.
    store
        .record_echo(&echo(&c, "700", 6_001, true), 6_003)
        .await
        .unwrap();

    let receipts = store.receipts_after(&c, &event("1")).await.unwrap();
    type Seen = (String, Option<String>, Option<u64>, bool, bool);
    let got: Vec<Seen> = receipts
        .iter()
        .map(|r| {
            (
                r.event_id.to_string(),
                r.in_reply_to.as_ref().map(|e| e.to_string()),
                r.echo_created_ms,
                r.echo_from_our_app,
                r.is_recorded_send(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("600".into(), Some("550".into()), Some(5_000), true, true),
            ("700".into(), Some("650".into()), Some(6_001), true, true),
        ]
    );
    assert!(store.is_sent_by_bot(&c, &event("600")).await.unwrap());
}

pub async fn receipts_after_an_id_come_in_event_id_order_and_only_for_the_conversation<S: Store>(
    store: &S,
) {
    let c = conv("10", "20");
    // Ids of different lengths: numeric order, not string order.
    for id in ["99", "1000", "120", "7"] {
        store.record_echo(&echo(&c, id, 1, false), 1).await.unwrap();
    }
    store
        .record_echo(&echo(&conv("10", "21"), "500", 1, true), 1)
        .await
        .unwrap();
    store
        .record_echo(&echo(&conv("11", "20"), "501", 1, true), 1)
        .await
        .unwrap();
    let ids = |rs: Vec<Receipt>| {
        rs.iter()
            .map(|r| r.event_id.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store.receipts_after(&c, &event("99")).await.unwrap()),
        ["120", "1000"]
    );
    assert_eq!(
        ids(store.receipts_after(&c, &event("1")).await.unwrap()),
        ["7", "99", "120", "1000"]
    );
    assert!(
        store
            .receipts_after(&c, &event("1000"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !store.is_sent_by_bot(&c, &event("99")).await.unwrap(),
        "an echo alone is not a recorded send"
    );
}
