//! What only the DynamoDB store does: the item layout the stream filter relies on, and errors
//! that tell the operator what to do.

use super::data::*;
use super::*;
use aws_sdk_dynamodb::types::AttributeValue;
use dmbot_shared::store::dynamodb::{self as layout, ItemView};
use dmbot_shared::store::{Inbox, Revocations};
use std::collections::HashMap;

#[tokio::test]
async fn forget_steps_remove_at_most_their_size_and_then_the_pending_item() {
    let fixture = dynamo().await;
    let store = &fixture.store;
    let c = conv("10", "20");
    for i in 0..30u32 {
        store
            .put_inbound(&plain_inbound(&c, &(1_000 + i).to_string()))
            .await
            .unwrap();
    }
    store.revoke_account(&user("10"), 5).await.unwrap();
    let mut removed = Vec::new();
    loop {
        let step = store.forget_step(&user("10"), 12).await.unwrap();
        removed.push(step.removed);
        if step.done {
            break;
        }
    }
    assert_eq!(removed, [12, 12, 6, 0]);
    let pending = store
        .client()
        .get_item()
        .table_name(store.table_name())
        .key("pk", AttributeValue::S(layout::PK_FORGET.to_string()))
        .key("sk", AttributeValue::S("10".to_string()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert!(pending.item.is_none(), "the pending item is gone when done");
}

async fn raw_item(store: &DynamoStore, pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
    store
        .client()
        .get_item()
        .table_name(store.table_name())
        .key("pk", AttributeValue::S(pk.to_string()))
        .key("sk", AttributeValue::S(sk.to_string()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("the item exists")
}

#[tokio::test]
async fn inbound_items_carry_the_attributes_the_stream_filter_and_ttl_use() {
    let store = Moto::shared().await.fresh_table().await;
    let c = conv("10", "20");
    let record = inbound(&c, "1001", 1_700_000_000_000);
    store.put_inbound(&record).await.unwrap();

    let item = raw_item(&store, "CONV#10#20", "EVT#1001").await;
    assert_eq!(
        item.string_attr(layout::ATTR_KIND),
        Some(layout::KIND_INBOUND)
    );
    assert_eq!(
        item.string_attr(layout::ATTR_STATUS),
        Some(layout::STATUS_PENDING)
    );
    assert_eq!(item.string_attr(layout::ATTR_EVENT_ID), Some("1001"));
    assert_eq!(item.string_attr(layout::ATTR_ACCOUNT_ID), Some("10"));
    assert_eq!(item.string_attr(layout::ATTR_CUSTOMER_ID), Some("20"));
    assert_eq!(
        item.number_attr(layout::ATTR_EXPIRES_AT),
        Some(
            (1_700_000_000 + dmbot_shared::store::EVENT_TTL_SECS)
                .to_string()
                .as_str()
        )
    );
    assert_eq!(layout::decode_inbound_item(&item).unwrap(), record);
}

#[tokio::test]
async fn invite_items_hold_the_hash_an_expiry_and_a_ttl_never_the_token() {
    use dmbot_shared::invite::InviteToken;
    use dmbot_shared::store::invites::{self as invites, InviteRecord, Invites};
    let store = Moto::shared().await.fresh_table().await;
    let token = InviteToken::generate();
    let record = InviteRecord {
        id: token.id(),
        created_ms: 1_700_000_000_000,
        expires_ms: 1_700_000_600_500,
        note: Some("Acme".into()),
    };
    store.put_invite(&record).await.unwrap();
    let pk = format!("INVITE#{}", token.id());
    assert_eq!(invites::invite_pk(&token.id()), pk);
    let item = raw_item(&store, &pk, invites::SK_INVITE).await;
    assert_eq!(
        item.string_attr(layout::ATTR_KIND),
        Some(invites::KIND_INVITE)
    );
    assert_eq!(
        item.number_attr(layout::ATTR_EXPIRES_MS),
        Some("1700000600500")
    );
    assert_eq!(
        item.number_attr(layout::ATTR_EXPIRES_AT),
        Some("1700000601")
    );
    assert_eq!(item.string_attr(invites::ATTR_NOTE), Some("Acme"));
    assert!(
        !format!("{item:?}").contains(token.expose()),
        "the token itself is never stored"
    );
}

#[tokio::test]
async fn a_redrive_is_marked_for_the_stream_until_the_next_claim() {
    let store = Moto::shared().await.fresh_table().await;
    let c = conv("10", "20");
    store
        .put_inbound(&inbound(&c, "1001", 1_000))
        .await
        .unwrap();
    store
        .set_inbound_status(&c, &event("1001"), &failed("x", 1))
        .await
        .unwrap();
    store
        .set_inbound_status(&c, &event("1001"), &InboundStatus::Pending)
        .await
        .unwrap();
    let item = raw_item(&store, "CONV#10#20", "EVT#1001").await;
    assert_eq!(
        item.string_attr(layout::ATTR_REDRIVE),
        Some(layout::REDRIVE_REQUESTED)
    );
    assert_eq!(item.string_attr(layout::ATTR_FAILURE_REASON), None);

    store
        .claim_inbound(&c, &event("1001"), 5, 500)
        .await
        .unwrap();
    let item = raw_item(&store, "CONV#10#20", "EVT#1001").await;
    assert_eq!(item.string_attr(layout::ATTR_REDRIVE), None);
}

#[tokio::test]
async fn deferred_entries_sort_by_event_id_and_entries_in_the_old_format_are_still_taken() {
    let store = Moto::shared().await.fresh_table().await;
    let (a, b) = (conv("10", "20"), conv("10", "30"));
    for (c, id) in [(&a, "1002"), (&b, "1001")] {
        store.put_inbound(&plain_inbound(c, id)).await.unwrap();
    }
    let mark = AttemptMark::Deferred {
        until_ms: 5_000,
        reason: "send budget spent".into(),
        release_lease: false,
        slot_ms: Some(6_000),
    };
    assert!(store.mark_inbound(&b, &event("1001"), &mark).await.unwrap());
    let sk = "00000000000000005000#00000000000000001001#CONV#10#30";
    assert_eq!(layout::deferred_sk(5_000, &b, &event("1001")), sk);
    let entry = raw_item(&store, layout::PK_DEFERRED, sk).await;
    assert_eq!(entry.string_attr(layout::ATTR_INBOUND_SK), Some("EVT#1001"));
    let message = raw_item(&store, "CONV#10#30", "EVT#1001").await;
    assert_eq!(message.number_attr(layout::ATTR_SLOT_MS), Some("6000"));
    // A message put off by an older version: its entry is `<due>#<inbound pk>#<event id>`.
    store.mark_inbound(&a, &event("1002"), &mark).await.unwrap();
    let new_sk = layout::deferred_sk(5_000, &a, &event("1002"));
    let old_sk = "00000000000000005000#CONV#10#20#1002";
    let old = HashMap::from([
        (
            "pk".to_string(),
            AttributeValue::S(layout::PK_DEFERRED.into()),
        ),
        ("sk".to_string(), AttributeValue::S(old_sk.into())),
        (
            "kind".to_string(),
            AttributeValue::S(layout::KIND_DEFERRED.into()),
        ),
        (
            layout::ATTR_INBOUND_PK.to_string(),
            AttributeValue::S("CONV#10#20".into()),
        ),
        (
            layout::ATTR_INBOUND_SK.to_string(),
            AttributeValue::S("EVT#1002".into()),
        ),
    ]);
    let client = store.client();
    let table = store.table_name();
    client
        .put_item()
        .table_name(table)
        .set_item(Some(old))
        .send()
        .await
        .unwrap();
    client
        .delete_item()
        .table_name(table)
        .key("pk", AttributeValue::S(layout::PK_DEFERRED.into()))
        .key("sk", AttributeValue::S(new_sk))
        .send()
        .await
        .unwrap();
    let due = store.take_due_deferred(5_000, 10).await.unwrap();
    let ids: Vec<String> = due.iter().map(|r| r.message.event_id.to_string()).collect();
    assert_eq!(ids, ["1001", "1002"]);
    assert!(store.take_due_deferred(5_000, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_corrupt_item_is_reported_as_corrupt() {
    let store = Moto::shared().await.fresh_table().await;
    let c = conv("10", "20");
    store
        .put_inbound(&inbound(&c, "1001", 1_000))
        .await
        .unwrap();
    store
        .client()
        .update_item()
        .table_name(store.table_name())
        .key("pk", AttributeValue::S("CONV#10#20".to_string()))
        .key("sk", AttributeValue::S("EVT#1001".to_string()))
        .update_expression("SET message = :m")
        .expression_attribute_values(":m", AttributeValue::S("{truncated".to_string()))
        .send()
        .await
        .unwrap();
    let result = store.get_inbound(&c, &event("1001")).await;
    assert!(
        matches!(result, Err(StoreError::Corrupt { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_missing_table_is_rejected_with_what_to_do() {
    let moto = Moto::shared().await;
    let store = DynamoStore::new(moto.dynamodb().await, "no-such-table");
    match store.get_inbound(&conv("10", "20"), &event("1")).await {
        Err(e @ StoreError::Rejected(_)) => {
            assert!(!e.is_transient());
            let message = e.to_string();
            assert!(message.contains("no-such-table"), "{message}");
            assert!(message.contains("TABLE_NAME"), "{message}");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_is_unavailable_and_retryable() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = aws_sdk_dynamodb::config::Builder::from(&Moto::shared().await.sdk_config().await)
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), "any");
    let result = store
        .put_inbound(&inbound(&conv("10", "20"), "1", 1_000))
        .await;
    match result {
        Err(e @ StoreError::Unavailable(_)) => assert!(e.is_transient()),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn creating_an_existing_table_again_is_harmless() {
    let store = Moto::shared().await.fresh_table().await;
    store
        .put_inbound(&inbound(&conv("10", "20"), "1", 1_000))
        .await
        .unwrap();
    store.create_table_if_missing().await.unwrap();
    assert!(
        store
            .get_inbound(&conv("10", "20"), &event("1"))
            .await
            .unwrap()
            .is_some()
    );
}
