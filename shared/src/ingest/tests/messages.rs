//! Customer messages: stored once, pending, with what the bot needs.

use super::*;

#[tokio::test]
async fn when_a_customer_writes_should_store_a_pending_inbound_message_with_their_names() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), Some(OUR_APP));
    let summary = summary_of(&post_fixture(&d, "webhook_dm_text.json").await);
    assert_eq!(
        summary,
        IngestSummary {
            stored: 1,
            ..IngestSummary::default()
        }
    );
    let record = store
        .get_inbound(&conv(ACCOUNT, CUSTOMER), &event("954491830116155396"))
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(record.status, InboundStatus::Pending);
    assert_eq!(record.received_ms, NOW);
    let m = &record.message;
    assert_eq!(m.text, "Hello, where is my order?");
    assert_eq!(m.created_ms, 1_516_403_560_557);
    assert_eq!(m.customer_screen_name.as_deref(), Some("furiouscamper"));
    assert_eq!(m.customer_name.as_deref(), Some("Jordan Brinks"));
    assert_eq!(m.quick_reply_metadata, None);
    assert_eq!(m.welcome_message_id, None);
    assert_eq!(m.media, None);
}

#[tokio::test]
async fn a_quick_reply_answer_keeps_its_metadata() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    assert_eq!(
        summary_of(&post_fixture(&d, "webhook_dm_quick_reply.json").await).stored,
        1
    );
    let record = &store.all_inbound()[0];
    assert_eq!(
        record.message.quick_reply_metadata.as_deref(),
        Some("order_status")
    );
    assert_eq!(record.message.text, "Order status");
}

#[tokio::test]
async fn a_conversation_opened_from_a_welcome_message_keeps_its_id() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    assert_eq!(
        summary_of(&post_fixture(&d, "webhook_dm_from_welcome.json").await).stored,
        1
    );
    let m = &store.all_inbound()[0].message;
    assert_eq!(m.welcome_message_id.as_deref(), Some("844385345234"));
    assert_eq!(m.quick_reply_metadata.as_deref(), Some("returns"));
}

#[tokio::test]
async fn a_photo_keeps_its_exact_id_and_https_url() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    assert_eq!(
        summary_of(&post_fixture(&d, "webhook_dm_with_media.json").await).stored,
        1
    );
    let media = store.all_inbound()[0].message.media.clone().expect("media");
    assert_eq!(media.id, "954491830116155400");
    assert_eq!(media.kind, "photo");
    assert_eq!(
        media.url,
        "https://ton.twitter.com/1.1/ton/data/dm/954491830116155399/954491830116155400/abc.jpg"
    );
}

#[tokio::test]
async fn a_batch_of_three_stores_each_message_in_its_customers_conversation() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), Some(OUR_APP));
    let summary = summary_of(&post_fixture(&d, "webhook_dm_batch.json").await);
    assert_eq!(summary.stored, 3);
    let jordan = conv(ACCOUNT, CUSTOMER);
    let other = conv(ACCOUNT, "2244994945");
    for (c, id, text) in [
        (&jordan, "954491830116155403", "first"),
        (&other, "954491830116155404", "hi there"),
        (&jordan, "954491830116155405", "second"),
    ] {
        let record = store.get_inbound(c, &event(id)).await.unwrap();
        assert_eq!(record.expect(id).message.text, text);
    }
    // The second customer is not in `users`: stored without names.
    let record = store
        .get_inbound(&other, &event("954491830116155404"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.message.customer_screen_name, None);
}

#[tokio::test]
async fn when_the_same_delivery_comes_twice_the_second_is_a_no_op() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    assert_eq!(
        summary_of(&post_fixture(&d, "webhook_dm_text.json").await).stored,
        1
    );
    // Dispatch has claimed it in between: a redelivery must not reset it.
    let c = conv(ACCOUNT, CUSTOMER);
    let id = event("954491830116155396");
    assert!(matches!(
        store.claim_inbound(&c, &id, NOW, 60_000).await.unwrap(),
        ClaimOutcome::Claimed(_)
    ));
    let again =
        handle_webhook_post(&d, &signed_post(fixture("webhook_dm_text.json")), NOW + 5).await;
    assert_eq!(
        summary_of(&again),
        IngestSummary {
            duplicates: 1,
            ..IngestSummary::default()
        }
    );
    let records = store.all_inbound();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].received_ms, NOW);
    assert_eq!(
        store.claim_inbound(&c, &id, NOW + 5, 60_000).await.unwrap(),
        ClaimOutcome::Busy
    );
}
