//! L2 of the security review: a message that failed permanently, when the failure could not be
//! written, used to stay `pending` with nothing to bring it back and out of `dmbot failures list`.
//! Now it is handed back for redelivery (a stream batch item failure) until its failure is on
//! record.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dmbot_shared::dispatch::{DispatchConfig, DispatchError, Dispatcher, FlowSource};
use dmbot_shared::domain::{
    ConversationKey, EventId, InboundMessage, InboundRecord, InboundStatus, UserId, now_ms,
};
use dmbot_shared::flow::Flow;
use dmbot_shared::store::dynamodb::DynamoStore;
use dmbot_shared::store::faulty::{Faulty, StoreCall};
use dmbot_shared::store::{Inbox, StoreError};
use dmbot_shared::twitter::oauth1::TokenCredentials;
use dmbot_tests::moto::Moto;
use dmbot_tests::simulator::{Fault, TwitterApi, client};

const SEND: &str = "direct_messages/events/new.json";

const FLOW: &str = r#"
id = "l2"
start = "menu"
fallback = "menu"

[nodes.menu]
text = "Menu"
"#;

/// The DynamoDB store, except that recording a failure fails while `fail_failures` is set (a
/// throttled or unreachable table at that moment).
fn failure_not_recorded(inner: DynamoStore, fail_failures: Arc<AtomicBool>) -> Faulty<DynamoStore> {
    Faulty::new(inner, move |call| match call {
        StoreCall::SetInboundStatus(InboundStatus::Failed { .. })
            if fail_failures.load(Ordering::SeqCst) =>
        {
            Some(StoreError::Unavailable("throttled (test)".into()))
        }
        _ => None,
    })
}

#[tokio::test]
async fn a_permanent_failure_that_cannot_be_recorded_is_retried_not_left_pending() {
    let fake = TwitterApi::start().await;
    let fail_failures = Arc::new(AtomicBool::new(true));
    let store = failure_not_recorded(
        Moto::shared().await.fresh_table().await,
        fail_failures.clone(),
    );
    let dir = tempfile::tempdir().unwrap();
    let flow = Flow::from_toml_str(FLOW, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let owner = fake.owner();
    let mut config = DispatchConfig::new(
        TokenCredentials::new(&owner.token, &owner.token_secret),
        FlowSource::Fixed(Arc::new(flow)),
    );
    config.deadline_margin = Duration::from_millis(200);
    config.lease_margin = Duration::from_millis(100);
    config.echo_grace = Duration::from_millis(200);
    let dispatcher = Dispatcher::new(store.clone(), client(&fake), config);

    let key = ConversationKey::new(
        UserId::parse(&owner.user_id).unwrap(),
        UserId::parse("3001969357").unwrap(),
    );
    let record = InboundRecord::pending(
        InboundMessage::text(
            EventId::parse("1600000000000000001").unwrap(),
            key.clone(),
            now_ms(),
            "hello",
        ),
        now_ms(),
    );
    store.put_inbound(&record).await.unwrap();
    let refuse = || Fault::Error {
        status: 403,
        code: 349,
        message: "You cannot send messages to this user.".into(),
    };
    fake.fail_next(SEND, 1, refuse());

    let deadline = Instant::now() + Duration::from_secs(2);
    let outcome = dispatcher.handle(&record, deadline).await;
    assert!(
        matches!(outcome, Err(DispatchError::Retryable { .. })),
        "an unrecorded failure must come back: {outcome:?}"
    );
    let stored = store
        .get_inbound(&key, &record.message.event_id)
        .await
        .unwrap()
        .expect("kept");
    assert_eq!(stored.status, InboundStatus::Pending);

    // The redelivery once the first attempt's lease is over, with the table back: the failure
    // is on record and listed.
    tokio::time::sleep_until((deadline + Duration::from_millis(500)).into()).await;
    fail_failures.store(false, Ordering::SeqCst);
    fake.fail_next(SEND, 1, refuse());
    let outcome = dispatcher
        .handle(&stored, Instant::now() + Duration::from_secs(5))
        .await;
    assert!(
        matches!(outcome, Err(DispatchError::Permanent { .. })),
        "{outcome:?}"
    );
    let failed = store.list_failed(10).await.unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(fake.sent_messages().is_empty());
}
