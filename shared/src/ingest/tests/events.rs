//! Events other than messages (typing, read, revoke), and malformed events.

use super::*;

#[tokio::test]
async fn typing_indicators_are_acknowledged_and_not_stored() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let summary = summary_of(&post_fixture(&d, "webhook_typing.json").await);
    assert_eq!(
        summary,
        IngestSummary {
            typing: 1,
            ..IngestSummary::default()
        }
    );
    assert!(store.all_inbound().is_empty());
}

#[tokio::test]
async fn read_receipts_are_acknowledged_and_not_stored() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let summary = summary_of(&post_fixture(&d, "webhook_mark_read.json").await);
    assert_eq!(
        summary,
        IngestSummary {
            read_receipts: 1,
            ..IngestSummary::default()
        }
    );
    assert!(store.all_inbound().is_empty());
}

#[tokio::test]
async fn favorites_and_unknown_events_are_acknowledged_and_ignored() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let summary = summary_of(&post_fixture(&d, "webhook_favorite.json").await);
    assert_eq!(summary, IngestSummary::default());
    let unknown = br#"{"for_user_id":"4337869213","brand_new_events":[{"a":[1,{"b":null}]}]}"#;
    let summary = summary_of(&handle_webhook_post(&d, &signed_post(unknown.to_vec()), NOW).await);
    assert_eq!(summary, IngestSummary::default());
    assert!(store.all_inbound().is_empty());
}

#[tokio::test]
async fn a_direct_message_event_of_another_type_is_ignored() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let body = String::from_utf8(fixture("webhook_dm_text.json"))
        .unwrap()
        .replacen(
            r#""type": "message_create""#,
            r#""type": "message_delete""#,
            1,
        );
    let summary = summary_of(&handle_webhook_post(&d, &signed_post(body.into_bytes()), NOW).await);
    assert_eq!(summary.ignored, 1);
    assert!(store.all_inbound().is_empty());
}

#[tokio::test]
async fn a_revoke_removes_the_tokens_at_once_and_queues_the_rest() {
    let store = MemoryStore::new();
    let revoking = UserId::parse(CUSTOMER).unwrap();
    store
        .put_account(&AccountRecord {
            id: revoking.clone(),
            screen_name: Some("furiouscamper".into()),
            tokens: None,
            flow_id: None,
            created_ms: 1,
        })
        .await
        .unwrap();
    let d = deps(store.clone(), None);
    // Something stored under the revoking account, and something under another one.
    let as_business = String::from_utf8(fixture("webhook_dm_text.json"))
        .unwrap()
        .replace(ACCOUNT, "PLACEHOLDER")
        .replace(CUSTOMER, ACCOUNT)
        .replace("PLACEHOLDER", CUSTOMER);
    summary_of(&handle_webhook_post(&d, &signed_post(as_business.into_bytes()), NOW).await);
    summary_of(&post_fixture(&d, "webhook_dm_quick_reply.json").await);
    assert_eq!(store.all_inbound().len(), 2);

    for attempt in 0..2u64 {
        // A repeated revoke (Twitter retries, or a replay) is answered the same way.
        let response = handle_webhook_post(
            &d,
            &signed_post(fixture("webhook_revoke.json")),
            NOW + attempt,
        )
        .await;
        assert_eq!(
            summary_of(&response),
            IngestSummary {
                accounts_forgotten: 1,
                ..IngestSummary::default()
            }
        );
    }
    assert_eq!(store.get_account(&revoking).await.unwrap(), None);
    assert_eq!(
        store.pending_forgets(10).await.unwrap(),
        [PendingForget {
            account: revoking.clone(),
            requested_ms: NOW + 1
        }]
    );
    // The conversation goes asynchronously (crate::forget), not on the request path.
    assert_eq!(store.all_inbound().len(), 2);
    let step = store.forget_step(&revoking, 100).await.unwrap();
    assert_eq!(
        step,
        ForgetStep {
            removed: 1,
            done: true
        }
    );
    let left = store.all_inbound();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].message.conversation.account.as_str(), ACCOUNT);
}

#[tokio::test]
async fn one_malformed_event_is_skipped_and_the_rest_of_the_batch_is_stored() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let body = String::from_utf8(fixture("webhook_dm_batch.json"))
        .unwrap()
        .replacen(
            r#""id": "954491830116155404""#,
            r#""id": 954491830116155404"#,
            1,
        );
    let summary = summary_of(&handle_webhook_post(&d, &signed_post(body.into_bytes()), NOW).await);
    assert_eq!(summary.stored, 2);
    assert_eq!(summary.malformed, 1);
    assert_eq!(store.all_inbound().len(), 2);
}

#[tokio::test]
async fn malformed_events_of_every_kind_never_panic_and_are_counted() {
    let d = deps(MemoryStore::new(), None);
    let body = br#"{"for_user_id":"1",
        "direct_message_events":[null, 3, {"type":"message_create","id":"5","created_timestamp":"x"},
            {"type":"message_create","id":"6","created_timestamp":"1"}],
        "direct_message_indicate_typing_events":[{}],
        "direct_message_mark_read_events":["?"],
        "users":{"2":7},
        "user_event":{"revoke":{"source":{}}}}"#;
    let summary = summary_of(&handle_webhook_post(&d, &signed_post(body.to_vec()), NOW).await);
    assert_eq!(summary.malformed, 5, "{summary:?}");
    assert_eq!(summary.typing, 1);
    assert_eq!(summary.read_receipts, 1);
    assert_eq!(summary.accounts_forgotten, 0);
}
