//! X Activity API deliveries on the same route: one event per POST, the same writes as the
//! Account Activity envelope for the same messages.

use super::*;

#[tokio::test]
async fn dm_received_stores_the_customers_message_once_with_their_v2_names() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), Some(OUR_APP));
    let first = summary_of(&post_fixture(&d, "xaa_dm_received.json").await);
    assert_eq!(
        first,
        IngestSummary {
            stored: 1,
            ..IngestSummary::default()
        }
    );
    let record = store
        .get_inbound(&conv(ACCOUNT, CUSTOMER), &event("954491830116155396"))
        .await
        .unwrap()
        .expect("stored under the filtered account and the sender");
    assert_eq!(record.status, InboundStatus::Pending);
    let m = &record.message;
    assert_eq!(m.text, "Hello, where is my order?");
    assert_eq!(m.created_ms, 1_516_403_560_557);
    assert_eq!(m.customer_screen_name.as_deref(), Some("furiouscamper"));
    assert_eq!(m.customer_name.as_deref(), Some("Jordan Brinks"));

    // A redelivery (same DM event id, whatever the event_uuid) writes nothing.
    let again = String::from_utf8(fixture("xaa_dm_received.json"))
        .unwrap()
        .replace("-6850472171600526495", "1234");
    let second = summary_of(&handle_webhook_post(&d, &signed_post(again.into_bytes()), NOW).await);
    assert_eq!(second.duplicates, 1);
    assert_eq!(second.stored, 0);
    assert_eq!(store.all_inbound().len(), 1);
}

#[tokio::test]
async fn dm_sent_is_the_bots_echo_when_the_outbox_knows_the_id() {
    let store = MemoryStore::new();
    let c = conv(ACCOUNT, CUSTOMER);
    store
        .record_sent(
            &c,
            &event("954491830116155401"),
            &event("954491830116155396"),
            NOW - 1,
        )
        .await
        .unwrap();
    let d = deps(store.clone(), Some(OUR_APP));
    let summary = summary_of(&post_fixture(&d, "xaa_dm_sent.json").await);
    assert_eq!(summary.bot_echoes, 1, "{summary:?}");
    assert_eq!(summary.agent_messages, 0);
    assert!(store.all_inbound().is_empty());
    assert_eq!(agent_activity(&store, CUSTOMER).await, None);
}

#[tokio::test]
async fn dm_sent_with_an_id_the_bot_never_sent_is_a_person_answering() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), Some(OUR_APP));
    let summary = summary_of(&post_fixture(&d, "xaa_dm_sent.json").await);
    assert_eq!(summary.agent_messages, 1, "{summary:?}");
    assert!(store.all_inbound().is_empty());
    assert_eq!(
        agent_activity(&store, CUSTOMER).await,
        Some(1_516_403_560_557)
    );
}

#[tokio::test]
async fn read_and_typing_events_are_counted_and_store_nothing() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let read = summary_of(&post_fixture(&d, "xaa_dm_read.json").await);
    assert_eq!(
        read,
        IngestSummary {
            read_receipts: 1,
            ..IngestSummary::default()
        }
    );
    let typing = summary_of(&post_fixture(&d, "xaa_dm_indicate_typing.json").await);
    assert_eq!(
        typing,
        IngestSummary {
            typing: 1,
            ..IngestSummary::default()
        }
    );
    assert!(store.all_inbound().is_empty());
}

#[tokio::test]
async fn oauth_revoke_forgets_the_account() {
    let store = MemoryStore::new();
    let revoking = UserId::parse(ACCOUNT).unwrap();
    store
        .put_account(&AccountRecord {
            id: revoking.clone(),
            screen_name: Some("acmesupport".into()),
            tokens: None,
            flow_id: None,
            created_ms: 1,
        })
        .await
        .unwrap();
    let d = deps(store.clone(), None);
    let summary = summary_of(&post_fixture(&d, "xaa_oauth_revoke.json").await);
    assert_eq!(summary.accounts_forgotten, 1, "{summary:?}");
    assert_eq!(store.get_account(&revoking).await.unwrap(), None);
}

#[tokio::test]
async fn event_types_dmbot_does_not_act_on_are_acknowledged_and_ignored() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let summary = summary_of(&post_fixture(&d, "xaa_profile_update_bio.json").await);
    assert_eq!(
        summary,
        IngestSummary {
            ignored: 1,
            ..IngestSummary::default()
        }
    );
    assert!(store.all_inbound().is_empty());
}

#[tokio::test]
async fn malformed_xaa_deliveries_are_refused_before_any_write() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let received = String::from_utf8(fixture("xaa_dm_received.json")).unwrap();
    let cases = [
        (
            received.replace(r#""user_id": "4337869213""#, r#""user_id": "acme""#),
            "envelope_wrong_shape",
        ),
        (
            received.replace(
                r#""filter": {
      "user_id": "4337869213"
    }"#,
                r#""filter": {}"#,
            ),
            "for_user_id_missing",
        ),
        (
            received
                .replace(
                    r#""direct_message_events": ["#,
                    r#""direct_message_events": {"x": ["#,
                )
                .replacen("\n      ]", "\n      ]}", 1),
            "envelope_wrong_shape",
        ),
        (
            r#"{"data": {"filter": {}}}"#.to_string(),
            "envelope_wrong_shape",
        ),
    ];
    for (body, code) in cases {
        let response = handle_webhook_post(&d, &signed_post(body.clone().into_bytes()), NOW).await;
        assert_eq!(response.status(), 400, "{body}: {}", response.body());
        assert_eq!(error_of(&response).error, code, "{body}");
    }
    assert!(store.all_inbound().is_empty());
}

#[tokio::test]
async fn an_unsigned_xaa_delivery_is_refused_like_any_other() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let response = handle_webhook_post(
        &d,
        &post_with_header(fixture("xaa_dm_received.json"), Some("sha256=AAAA".into())),
        NOW,
    )
    .await;
    assert_eq!(response.status(), 401);
    assert!(store.all_inbound().is_empty());
}
